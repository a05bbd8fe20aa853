"""`opsdesk risk …` and `opsdesk check` on a real store: output, JSON keys, refusals."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from opsdesk.cli import main
from opsdesk.clock import local_today, system_clock

TABLES = ("risks", "risk_kris", "risk_reviews", "risk_triggers", "risk_runs", "sop_runs")


def run(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    return result.exit_code, result.output


def snapshot(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as c:
        out: list[tuple[object, ...]] = []
        for t in TABLES:
            out.extend(tuple(r) for r in c.execute(f"SELECT * FROM {t} ORDER BY 1"))  # noqa: S608
        return out


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "s.sqlite"
    assert run(path, "init")[0] == 0
    return path


def _today() -> str:
    return local_today(system_clock, "Asia/Shanghai").isoformat()


def test_list_json_has_the_documented_keys(db: Path) -> None:
    code, out = run(db, "risk", "list", "--level", "high", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert [r["key"] for r in rows] == [
        "stockout-bestseller",
        "platform-rule-change-throttle",
        "pipl-crm-export",
    ]
    first = rows[0]
    assert set(first) >= {
        "key",
        "title",
        "category",
        "owner",
        "inherent",
        "residual",
        "status",
        "next_review",
        "overdue",
        "kris",
        "triggers",
    }
    assert first["inherent"] == {"likelihood": 4, "impact": 5, "score": 20, "level": "high"}
    assert first["residual"] == {"likelihood": 2, "impact": 5, "score": 10, "level": "medium"}
    assert first["kris"] == []  # no shop yet: nothing to read
    assert (first["status"], first["overdue"], first["triggers"]) == ("open", False, [])


def test_list_filters_and_csv(db: Path) -> None:
    code, out = run(db, "risk", "list", "--category", "service", "--format", "csv")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("key,title,category,owner,likelihood,impact,score,level")
    assert lines[1].startswith("chat-response-peak,Chat first response over 8 s at peaks,service")
    assert len(lines) == 2
    code, out = run(db, "risk", "list", "--owner", "cs-lead")
    assert code == 0
    assert out.splitlines()[0].startswith("2 risks")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--level", "severe"), "--level: 'severe' is not one of low, medium, high"),
        (("--category", "weather"), "--category: 'weather' is not one of policy"),
        (("--status", "done"), "--status: 'done' is not one of open, triggered, closed"),
        (("--owner", "Li Na"), "--owner: 'Li Na' is not a login"),
        (("--sort", "colour"), "sort: 'colour' is not one of score"),
    ],
)
def test_list_refuses_bad_filters(db: Path, args: tuple[str, ...], message: str) -> None:
    code, out = run(db, "risk", "list", *args)
    assert code == 1
    assert message in out


def test_heatmap_text(db: Path) -> None:
    code, out = run(db, "risk", "heatmap", "--residual")
    assert code == 0
    assert out == (
        "risk heat map (residual): likelihood ↑, impact →; L low, M medium, H high\n"
        "  5 │  L·   M·   H·   H·   H·\n"
        "  4 │  L·   M·   M·   H·   H·\n"
        "  3 │  L·   M1   M3   M·   H·\n"
        "  2 │  L·   L1   M5   M2   M1\n"
        "  1 │  L·   L·   L1   L1   L1\n"
        "    └─────────────────────────\n"
        "         1    2    3    4    5\n"
    )


BAD_FILE = """[[risk]]
key = "x"
title = "X"
category = "fraud"
owner = "li.na"
likelihood = 7
impact = 2

[[risk]]
key = "y"
title = "Y"
category = "nope"
owner = "li.na"
likelihood = 2
impact = 2
"""


def test_add_a_bad_file_exits_2_naming_every_problem(db: Path, tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(BAD_FILE, encoding="utf-8")
    before = snapshot(db)
    code, out = run(db, "risk", "add", str(f))
    assert code == 2
    assert f"{f}: rejected, 2 problems; nothing was added" in out
    assert f"{f}:6: likelihood: 7 is not a whole number from 1 to 5" in out
    assert f"{f}:12: category: 'nope' is not one of" in out
    assert snapshot(db) == before
    code, out = run(db, "risk", "add", str(tmp_path / "missing.toml"))
    assert (code, f"{tmp_path / 'missing.toml'}:0: file: no such file" in out) == (2, True)


def test_add_show_and_text_is_shown_literally(db: Path, tmp_path: Path) -> None:
    f = tmp_path / "mine.toml"
    f.write_text(
        '[[risk]]\nkey = "host-leaves"\ntitle = "Host [bold]leaves[/]"\ncategory = "talent"\n'
        'owner = "zhao.min"\nlikelihood = 3\nimpact = 4\nresidual_likelihood = 2\n'
        'residual_impact = 4\ncontingency_sop = "crisis-response"\n',
        encoding="utf-8",
    )
    code, out = run(db, "risk", "add", str(f))
    assert (code, out) == (0, f"{f}: added 1 risk: host-leaves\n")
    code, out = run(db, "risk", "show", "host-leaves")
    assert code == 0
    assert out.splitlines()[0] == "host-leaves: Host [bold]leaves[/]"
    assert "inherent 3×4 = 12 medium · residual 2×4 = 8 medium" in out
    code, out = run(db, "risk", "add", str(f))
    assert code == 1 and "already in the register: host-leaves" in out
    code, out = run(db, "risk", "show", "nope")
    assert (code, "no risk 'nope'" in out) == (1, True)


def test_score_and_review(db: Path) -> None:
    before = snapshot(db)
    for args, message in [
        (("--likelihood", "6", "--impact", "2"), "likelihood: 6 is not a whole number from 1 to 5"),
        (
            ("--likelihood", "2", "--impact", "2"),
            "residual: residual score 6 (3×2) is higher than the inherent score 4",
        ),
        (("--likelihood", "3", "--impact", "3", "--residual-impact", "2"), "give both"),
    ]:
        code, out = run(db, "risk", "score", "price-war", *args, "--note", "x")
        assert code == 1, out
        assert message in out
    assert snapshot(db) == before
    code, out = run(
        db, "risk", "score", "price-war", "--likelihood", "4", "--impact", "4", "--note", "cut"
    )
    assert code == 0
    assert out.startswith("price-war: inherent 16 high, residual 6 medium; next review ")
    code, out = run(db, "risk", "review", "price-war", "--note", "ok", "--next", "2000-01-01")
    assert (code, "next: 2000-01-01 is in the past" in out) == (1, True)
    code, out = run(db, "risk", "review", "price-war", "--note", "ok", "--next", "2099-01-01")
    assert (code, out) == (0, "price-war: reviewed; status open, next review 2099-01-01\n")
    detail = json.loads(run(db, "risk", "show", "price-war", "--format", "json")[1])
    assert [(r["kind"], r["inherent"], r["note"]) for r in detail["reviews"]] == [
        ("create", 9, ""),
        ("score", 16, "cut"),
        ("review", 16, "ok"),
    ]


def test_contingency_and_drill_start_linked_runs(db: Path) -> None:
    code, out = run(db, "risk", "contingency", "fake-order-penalty")
    assert code == 0 and out.startswith("fake-order-penalty: started contingency run ")
    code, out = run(db, "risk", "drill", "fake-order-penalty")
    assert code == 0 and "started drill run" in out
    detail = json.loads(run(db, "risk", "show", "fake-order-penalty", "--format", "json")[1])
    assert [(r["purpose"], r["sop"], r["status"]) for r in detail["runs"]] == [
        ("drill", "risk-drill", "open"),
        ("contingency", "crisis-response", "open"),
    ]
    before = snapshot(db)
    code, out = run(db, "risk", "drill", "fake-order-penalty")  # one drill at a time
    drill = detail["runs"][0]
    assert (code, out) == (
        1,
        f"Error: fake-order-penalty: drill run {drill['run']} started {drill['day']} is still"
        f" open: tick it (opsdesk checklists tick {drill['run']} …) or drop it"
        f" (opsdesk checklists skip {drill['run']} --reason …) first\n",
    )
    code, out = run(db, "risk", "contingency", "price-war")
    assert (code, "no contingency SOP" in out) == (1, True)
    code, out = run(db, "risk", "contingency", "stockout-bestseller", "--shop", "nope")
    assert (code, "unknown shop 'nope'" in out) == (1, True)
    assert snapshot(db) == before


def test_check_counts_a_triggered_major_risk_as_red(db: Path) -> None:
    from opsdesk.store.db import open_store
    from opsdesk.store.observations import set_value

    assert run(db, "shop", "add", "tmall-a", "--name", "Tmall A", "--platform", "tmall")[0] == 0
    ops_day = local_today(system_clock, "Asia/Shanghai") - timedelta(days=1)
    conn = open_store(db)
    for back, rate in enumerate((0.05, 0.04, 0.035)):
        day = ops_day - timedelta(days=back)
        set_value(conn, "tmall-a", "active_skus", day, 1000)
        set_value(conn, "tmall-a", "stockout_skus", day, rate * 1000)
    conn.close()
    code, out = run(db, "check")
    assert code == 2
    lines = out.splitlines()
    assert lines[0].startswith("RED     stockout-rate")  # red in the KPI table: a red alert
    assert lines[1] == (
        "RED     risk stockout-bestseller          triggered (major): tmall-a: Stock-out rate "
        f"5.00% on {ops_day} (breaches above 3.00%); 3 days in a row"
    )
    assert lines[-1] == f"{ops_day}: 1 red, 0 warning; 1 triggered risks (1 major)"
    again = run(db, "check")
    assert again == (code, out)  # the same day does not trigger twice
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT count(*) FROM risk_triggers").fetchone()[0] == 1


def test_a_drill_ticked_done_on_the_command_line_is_recorded_on_the_risk(db: Path) -> None:
    code, out = run(db, "risk", "drill", "system-outage")
    run_id = out.split("started drill run ")[1].split()[0]
    assert code == 0 and out == (
        f"system-outage: started drill run {run_id} (see `opsdesk checklists show {run_id}`;"
        f" tick it with `opsdesk checklists tick {run_id} 1 2 3 4 5 6` or in area 4: once"
        " done, its time to respond and the risk's last and next drill are recorded)\n"
    )
    assert run(db, "checklists", "tick", run_id, "1", "2", "3", "4", "5")[0] == 0
    assert (
        json.loads(run(db, "risk", "show", "system-outage", "--format", "json")[1])["last_drill"]
        is None
    )
    assert run(db, "checklists", "tick", run_id, "6")[0] == 0
    detail = json.loads(run(db, "risk", "show", "system-outage", "--format", "json")[1])
    today = local_today(system_clock, "Asia/Shanghai")
    assert (detail["drill_days"], detail["last_drill"], detail["next_drill"]) == (
        182,
        today.isoformat(),
        (today + timedelta(days=182)).isoformat(),
    )
    (drill,) = detail["runs"]
    with sqlite3.connect(db) as c:
        stored = c.execute(
            "SELECT completed_at, completed_by, time_to_respond_s FROM risk_runs WHERE run_id = ?",
            (int(run_id),),
        ).fetchone()
    assert (drill["completed_at"], drill["completed_by"], drill["time_to_respond_s"]) == stored
    assert stored[1] == getpass_login() and 0 <= stored[2] < 60
    text = run(db, "risk", "show", "system-outage")[1].splitlines()
    assert f"drill every 182 days · last drill {today} · next drill" in text[4]
    assert any(
        line.startswith(f"  run {run_id} drill risk-drill {today} done · time to respond ")
        and f" by {stored[1]} at " in line
        for line in text
    ), text


def getpass_login() -> str:
    from opsdesk.store.connection import current_user

    return current_user()
