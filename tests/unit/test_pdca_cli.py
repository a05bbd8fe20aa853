"""`opsdesk pdca …` on a real store: a cycle walked to Closed, JSON keys, every bad input."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from opsdesk.cli import main
from opsdesk.clock import local_today, system_clock
from opsdesk.store.connection import current_user


def run(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    return result.exit_code, result.output


TODAY = local_today(system_clock, "Asia/Shanghai")
OPS_DAY = TODAY - timedelta(days=1)


def _fill(db: Path, start: date, days: int, visitors: float, buyers: float) -> None:
    with sqlite3.connect(db) as c:
        ids = {r[0]: r[1] for r in c.execute("SELECT key, id FROM metrics")}
        rows = []
        for i in range(days):
            d = (start + timedelta(days=i)).isoformat()
            rows += [(1, ids["visitors"], d, visitors), (1, ids["buyers"], d, buyers)]
        c.executemany(
            "INSERT OR REPLACE INTO observations (shop_id, metric_id, day, value)"
            " VALUES (?, ?, ?, ?)",
            rows,
        )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A shop with 3.0% conversion over the 28 days before the baseline's end (the ops day)
    minus 14, then 4.0% over the last 14 days."""
    path = tmp_path / "s.sqlite"
    assert run(path, "init")[0] == 0
    assert run(path, "shop", "add", "jd-home", "--name", "JD", "--platform", "jd")[0] == 0
    _fill(path, OPS_DAY - timedelta(days=41), 28, 1000, 30)
    _fill(path, OPS_DAY - timedelta(days=13), 14, 1000, 40)
    return path


def _open(db: Path) -> int:
    code, out = run(
        db,
        "pdca",
        "open",
        "--title",
        "[red]Fix[/] images",
        "--metric",
        "conversion_rate",
        "--shop",
        "jd-home",
        "--owner",
        "li.na",
    )
    assert code == 0, out
    return int(out.splitlines()[0])


def _state(db: Path) -> str:
    """A digest of every row of the PDCA, action, event and audit tables."""
    h = hashlib.sha256()
    with sqlite3.connect(db) as c:
        for table in (
            "pdca_cycles",
            "pdca_stage_history",
            "pdca_experiment_arms",
            "action_items",
            "events",
            "audit_events",
            "sop_template_versions",
        ):
            for row in c.execute(f"SELECT * FROM {table} ORDER BY 1, 2"):  # noqa: S608
                h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def test_walk_a_cycle_from_plan_to_closed(db: Path) -> None:
    cid = _open(db)
    baseline = f"{OPS_DAY - timedelta(days=41)}..{OPS_DAY - timedelta(days=14)}"
    assert (
        run(
            db,
            "pdca",
            "edit",
            str(cid),
            "--hypothesis",
            "new images",
            "--plan",
            "swap",
            "--target",
            "3.5%",
            "--baseline",
            baseline,
        )[0]
        == 0
    )
    assert run(db, "pdca", "action", "add", str(cid), "shoot", "--owner", "li.na")[0] == 0
    code, out = run(db, "pdca", "move", str(cid), "do")
    assert (code, out) == (0, f"cycle {cid}: Plan → Do\n")
    change = OPS_DAY - timedelta(days=13)
    assert run(db, "pdca", "edit", str(cid), "--change-date", str(change))[0] == 0
    assert run(db, "pdca", "move", str(cid), "check")[0] == 0
    code, out = run(db, "pdca", "check", str(cid), "--format", "json")
    assert code == 0
    check = json.loads(out)
    assert set(check) >= {
        "before",
        "after",
        "change",
        "change_relative",
        "target",
        "target_met",
        "signals",
        "experiment",
    }
    assert check["before"]["days"] == check["after"]["days"] == 14
    assert check["before"]["value"] == pytest.approx(0.03)
    assert check["after"]["value"] == pytest.approx(0.04)
    assert check["change"] == pytest.approx(0.01)
    assert check["target_met"] is True
    assert [s["rule"] for s in check["signals"]] == ["shift", "limits"]
    assert check["signals"][0]["days"][0] == str(change)
    assert check["verdict"] == "standardise"
    code, out = run(db, "pdca", "move", str(cid), "act")
    assert code == 1 and "missing decision" in out
    code, out = run(db, "pdca", "act", str(cid), "--decision", "abandon", "--lesson", "kept")
    assert code == 0, out
    code, out = run(db, "pdca", "show", str(cid), "--format", "json")
    shown = json.loads(out)
    assert (shown["stage"], shown["decision"], shown["lesson"]) == ("closed", "abandon", "kept")
    assert [h["to"] for h in shown["history"]] == ["plan", "do", "check", "act", "closed"]
    assert run(db, "pdca", "list", "--format", "json")[1].strip() == "[]"
    listed = json.loads(run(db, "pdca", "list", "--all", "--format", "json")[1])
    assert [c["id"] for c in listed] == [cid]
    code, out = run(db, "pdca", "show", str(cid))
    assert f"cycle {cid}: [red]Fix[/] images" in out  # text as typed, never markup
    assert f"{current_user()}: Act → Closed (decision: abandon)" in out


def test_a_second_move_says_who_moved_it(db: Path) -> None:
    cid = _open(db)
    run(db, "pdca", "edit", str(cid), "--hypothesis", "h", "--plan", "p")
    run(db, "pdca", "action", "add", str(cid), "a", "--owner", "li.na")
    assert run(db, "pdca", "move", str(cid), "do")[0] == 0
    code, out = run(db, "pdca", "move", str(cid), "do")
    assert code == 1
    assert f"cycle {cid} is already at Do: moved from Plan to Do by {current_user()} at " in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["open", "--title", "t", "--metric", "nope"], "--metric: unknown metric 'nope'"),
        (["open", "--title", "t", "--metric", "gmv", "--shop", "x"], "--shop: unknown shop 'x'"),
        (["show", "99"], "ID: there is no PDCA cycle 99"),
        (["move", "99", "do"], "ID: there is no PDCA cycle 99"),
        (["move", "{cid}", "done"], "stage: unknown stage 'done'"),
        (["list", "--stage", "doing"], "stage: unknown stage 'doing'"),
        (["list", "--shop", "x"], "--shop: unknown shop 'x'"),
        (["move", "{cid}", "do"], "cannot move to Do: missing hypothesis"),
        (["move", "{cid}", "check"], "one stage at a time: Plan → Do"),
        (["edit", "{cid}", "--target", "5"], "write 5% or 0.05"),
        (["edit", "{cid}", "--change-date", "{baseline_day}"], "is not after the baseline"),
        (["edit", "{cid}", "--change-date", "{today}"], "is after the ops day"),
        (["edit", "{cid}", "--change-date", "2026-02-30"], "is not a date"),
        (["edit", "{cid}", "--baseline", "2026-08-30..2026-08-03"], "is before the start"),
        (["edit", "{cid}", "--plan", "ok", "--target", "5"], "write 5% or 0.05"),
        (["edit", "{cid}", "--title", "a\x1b[2Jb"], "control character U+001B (␛) at character 2"),
        (["arm", "{cid}", "A", "100", "120"], "buyers: 120 buyers is more than the 100 visitors"),
        (["action", "add", "{cid}", "x", "--owner", "Not A Login"], "is not a login name"),
        (["action", "done", "{cid}", "3"], "has no action item 3"),
        (["act", "{cid}", "--decision", "abandon", "--lesson", "x"], "is at Plan: act at Check"),
    ],
)
def test_bad_input_exits_1_with_the_reason_and_changes_nothing(
    db: Path, args: list[str], message: str
) -> None:
    cid = _open(db)
    before = _state(db)
    values = {
        "cid": str(cid),
        "baseline_day": str(OPS_DAY - timedelta(days=3)),
        "today": str(TODAY),
    }
    code, out = run(db, "pdca", *[a.format(**values) for a in args])
    assert code == 1, out
    assert message in out
    assert _state(db) == before


def test_change_date_becomes_an_explorer_event(db: Path) -> None:
    cid = _open(db)
    baseline = f"{OPS_DAY - timedelta(days=41)}..{OPS_DAY - timedelta(days=14)}"
    run(db, "pdca", "edit", str(cid), "--baseline", baseline)
    change = OPS_DAY - timedelta(days=5)
    assert run(db, "pdca", "edit", str(cid), "--change-date", str(change))[0] == 0
    from opsdesk.store.db import open_store
    from opsdesk.store.observations import load_events

    conn = open_store(db)
    try:
        events = load_events(conn, change, change, "jd-home")
    finally:
        conn.close()
    assert [(e.kind, e.title) for e in events] == [
        ("pdca", f"PDCA #{cid} change: [red]Fix[/] images")
    ]


def test_experiment_arms_in_the_check(db: Path) -> None:
    cid = _open(db)
    baseline = f"{OPS_DAY - timedelta(days=41)}..{OPS_DAY - timedelta(days=14)}"
    run(
        db,
        "pdca",
        "edit",
        str(cid),
        "--baseline",
        baseline,
        "--change-date",
        str(OPS_DAY - timedelta(days=13)),
    )
    assert run(db, "pdca", "arm", str(cid), "A", "1000", "40")[0] == 0
    assert run(db, "pdca", "arm", str(cid), "B", "1000", "55")[0] == 0
    e = json.loads(run(db, "pdca", "check", str(cid), "--format", "json")[1])["experiment"]
    assert e["difference"] == pytest.approx(0.015)
    assert (e["ci_low"], e["ci_high"]) == (
        pytest.approx(-0.0036325, abs=1e-7),
        pytest.approx(0.0336325, abs=1e-7),
    )
    assert e["within_noise"] is True
    code, out = run(db, "pdca", "check", str(cid))
    assert "within noise (the interval includes 0)" in out


def test_follow_up_check_confirmed_from_the_command_line(db: Path) -> None:
    cid = _open(db)
    baseline = f"{OPS_DAY - timedelta(days=41)}..{OPS_DAY - timedelta(days=14)}"
    run(db, "pdca", "edit", str(cid), "--hypothesis", "h", "--plan", "p", "--baseline", baseline)
    run(db, "pdca", "action", "add", str(cid), "a", "--owner", "li.na")
    assert run(db, "pdca", "move", str(cid), "do")[0] == 0
    run(db, "pdca", "edit", str(cid), "--change-date", str(OPS_DAY - timedelta(days=13)))
    assert run(db, "pdca", "move", str(cid), "check")[0] == 0
    act = ("act", str(cid), "--decision", "standardise", "--lesson", "l")
    assert run(db, "pdca", *act, "--sop", "daily-traffic-ads")[0] == 0
    due = TODAY + timedelta(days=28)
    code, out = run(db, "pdca", "follow-up", str(cid), "held")
    assert (code, out) == (
        1,
        f"Error: ID: the follow-up check of cycle {cid} is due on {due} (28 days after"
        " standardising): confirm it then\n",
    )
    # four weeks later, as it were: a 7-day after-window, the follow-up's 7 days at 4.0%
    with sqlite3.connect(db) as c:
        c.execute(
            "UPDATE pdca_cycles SET follow_up_on = ?, after_end = ? WHERE id = ?",
            (str(OPS_DAY), str(OPS_DAY - timedelta(days=7)), cid),
        )
    shown = run(db, "pdca", "show", str(cid))[1].splitlines()
    start = OPS_DAY - timedelta(days=6)
    assert f"follow-up check: due {OPS_DAY}, not confirmed yet" in shown
    assert "follow-up suggestion: held (the follow-up window is better than the baseline)" in shown
    assert any(line.startswith(f"follow-up: 4.00% ({start}..{OPS_DAY}, 7 days)") for line in shown)
    doc = json.loads(run(db, "pdca", "show", str(cid), "--format", "json")[1])["follow_up"]
    assert (doc["due"], doc["result"], doc["suggestion"]) == (str(OPS_DAY), None, "held")
    assert doc["check"]["after"]["value"] == pytest.approx(0.04)
    code, out = run(db, "pdca", "follow-up", str(cid), "held", "--note", "[b]kept[/b]")
    assert (code, out) == (0, f"cycle {cid}: follow-up check confirmed, gain held\n")
    doc = json.loads(run(db, "pdca", "show", str(cid), "--format", "json")[1])["follow_up"]
    assert (doc["result"], doc["note"], doc["by"]) == ("held", "[b]kept[/b]", current_user())
    assert doc["value"] == pytest.approx(0.04)
    assert any(
        line.startswith(f"follow-up check (due {OPS_DAY}): gain held, confirmed by ")
        and line.endswith("value then 4.00%: [b]kept[/b]")
        for line in run(db, "pdca", "show", str(cid))[1].splitlines()
    )
    code, out = run(db, "pdca", "follow-up", str(cid), "lost")
    assert code == 1 and f"follow-up check of cycle {cid} was already confirmed (held)" in out
    other = _open(db)
    code, out = run(db, "pdca", "follow-up", str(other), "held")
    assert (code, out) == (
        1,
        f"Error: ID: cycle {other} has no follow-up check (a standardised cycle has one)\n",
    )
