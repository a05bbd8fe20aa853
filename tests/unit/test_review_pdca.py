"""The review's PDCA section (agenda item 6) from the store: cycles opened, moved, overdue at
the week's end and the checks that came in with their verdict — in the read model, the
agenda, every pack format and the frozen copy."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from review_data import fill

from opsdesk.cli import main
from opsdesk.cli import review as review_cli
from opsdesk.domain import periods
from opsdesk.store import pdca
from opsdesk.views.review import agenda, build_review

W47 = periods.parse("week", "2026-W47")  # 2026-11-16 .. 2026-11-22
OPS_DAY = date(2026, 11, 23)


def _history(conn: sqlite3.Connection, cycle: int, frm: str, to: str, at: str) -> None:
    """A stage change at a given time (the store's API stamps the wall clock; a past week's
    moves are written as they would have been then)."""
    conn.execute(
        "INSERT INTO pdca_stage_history (cycle_id, from_stage, to_stage, reason, at, by)"
        " VALUES (?, ?, ?, ?, ?, 'li.na')",
        (cycle, frm, to, "baseline was wrong" if to == "plan" else "", at),
    )
    conn.execute("UPDATE pdca_cycles SET stage = ? WHERE id = ?", (to, cycle))


@pytest.fixture
def cycles(conn: sqlite3.Connection) -> sqlite3.Connection:
    fill(conn)
    a = pdca.open_cycle(
        conn,
        today=date(2026, 11, 17),
        title="Lift conversion",
        metric_key="conversion_rate",
        shop_key="tmall-apparel",
        owner="li.na",
    )
    b = pdca.open_cycle(
        conn, today=date(2026, 11, 2), title="Cut refunds", metric_key="gmv", owner="wang.wei"
    )
    c = pdca.open_cycle(
        conn, today=date(2026, 10, 5), title="Old one", metric_key="gmv", owner="wang.wei"
    )
    for x in (a, b, c):  # opened on their day (the API stamps the wall clock)
        conn.execute(
            "UPDATE pdca_stage_history SET at = ? WHERE cycle_id = ? AND from_stage IS NULL",
            (f"{x.opened_on}T01:00:00+00:00", x.id),
        )
    # b: Plan → Do on Tuesday 2026-11-17 (China time: 02:00 UTC is 10:00), due at Do 2026-11-20
    _history(conn, b.id, "plan", "do", "2026-11-17T02:00:00+00:00")
    conn.execute("UPDATE pdca_cycles SET due_do = '2026-11-20' WHERE id = ?", (b.id,))
    # c: to Check in October, the check came in on Friday 2026-11-20, decided to standardise
    _history(conn, c.id, "plan", "do", "2026-10-06T02:00:00+00:00")
    _history(conn, c.id, "do", "check", "2026-10-20T02:00:00+00:00")
    _history(conn, c.id, "check", "act", "2026-11-20T02:00:00+00:00")
    conn.execute("UPDATE pdca_cycles SET decision = 'standardise' WHERE id = ?", (c.id,))
    # a: opened in the week, moved after it (not this week's news)
    _history(conn, a.id, "plan", "do", "2026-11-24T02:00:00+00:00")
    conn.commit()
    return conn


def test_pdca_section_from_the_store(cycles: sqlite3.Connection) -> None:
    r = build_review(cycles, W47, OPS_DAY)
    assert [(e["what"], e["cycle"], e["stage"]) for e in r.pdca] == [
        ("check", 3, "act"),
        ("overdue", 2, "do"),
        ("moved", 2, "do"),
        ("moved", 3, "act"),
        ("opened", 1, "plan"),  # as of the week's end: its move on the 24th is not counted
    ]
    lines = [e["line"] for e in r.pdca]
    assert lines[0] == "check: #3 Old one (gmv, all shops; wang.wei) — decided: standardise"
    assert (
        lines[1]
        == "overdue: #2 Cut refunds (gmv, all shops; wang.wei) — Do due 2026-11-20, 2 d overdue"
    )
    assert (
        lines[2]
        == "moved: #2 Cut refunds (gmv, all shops; wang.wei) — Plan → Do 2026-11-17 by li.na"
    )
    item = next(i for i in agenda(r) if i.kind == "pdca")
    assert item.title == "PDCA cycles: 1 check in, 1 overdue, 2 moved, 1 opened"
    assert item.lines == lines
    # a week with nothing: one line saying so
    quiet = build_review(cycles, periods.parse("week", "2026-W44"), OPS_DAY)
    assert next(i for i in agenda(quiet) if i.kind == "pdca").title == "PDCA cycles: nothing moved"


def test_pdca_in_every_pack_and_the_frozen_copy(
    cycles: sqlite3.Connection, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pandas as pd

    monkeypatch.setattr(review_cli, "_ops_day", lambda conn: OPS_DAY)

    def run(*args: str) -> str:
        result = CliRunner().invoke(main, ["--db", str(store_path), *args])
        assert result.exit_code == 0, result.output
        return result.output

    data = json.loads(run("report", "review", "--week", "2026-W47", "--format", "json"))
    assert [e["what"] for e in data["pdca"]] == ["check", "overdue", "moved", "moved", "opened"]
    assert data["pdca"][0]["detail"] == "decided: standardise"
    md = run("report", "review", "--week", "2026-W47")
    assert "- check: \\#3 Old one (gmv, all shops; wang.wei) — decided: standardise" in md
    html = run("report", "review", "--week", "2026-W47", "--format", "html")
    assert "<h2>PDCA cycles</h2>" in html  # plain text: no Markdown escapes
    assert "- check: #3 Old one (gmv, all shops; wang.wei) — decided: standardise" in html
    out = store_path.parent / "w47.xlsx"
    run("report", "review", "--week", "2026-W47", "--format", "xlsx", "--output", str(out))
    sheet = pd.read_excel(out, sheet_name="PDCA")
    assert list(sheet["what"]) == ["check", "overdue", "moved", "moved", "opened"]
    assert list(sheet["cycle"]) == [3, 2, 2, 3, 1]
    # frozen: a later move does not change the closed pack
    run("review", "close", "2026-W47")
    _history(cycles, 1, "do", "check", "2026-11-18T02:00:00+00:00")
    cycles.commit()
    frozen = json.loads(run("report", "review", "--week", "2026-W47", "--format", "json"))
    assert frozen["pdca"] == data["pdca"]
    live = build_review(cycles, W47, OPS_DAY)
    assert len(live.pdca) == len(data["pdca"]) + 1
