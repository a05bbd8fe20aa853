"""The demo's checklist history: realistic outcomes, consistent rows, the same for the same seed."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

from opsdesk.bootstrap import initialise
from opsdesk.demo import build_demo
from opsdesk.demo.checklists import DEMO_PEOPLE
from opsdesk.domain.checklists import run_state
from opsdesk.store.checklists import adherence_by_template

END = date(2026, 11, 22)


def _build(path: Path) -> sqlite3.Connection:
    conn = initialise(path)
    build_demo(conn, shops=2, days=60, end=END, seed=618)
    return conn


def _states(conn: sqlite3.Connection) -> dict[str, int]:
    out: dict[str, int] = {}
    for status, completed, due in conn.execute("SELECT status, completed_at, due_at FROM sop_runs"):
        s = run_state(
            status,
            datetime.fromisoformat(completed) if completed else None,
            datetime.fromisoformat(due) if due else None,
        )
        out[s] = out.get(s, 0) + 1
    return out


def test_demo_history_is_mostly_on_time_with_some_late_and_a_few_missed(tmp_path: Path) -> None:
    conn = _build(tmp_path / "a.sqlite")
    states = _states(conn)
    final = states["on_time"] + states["late"] + states["missed"]
    assert states["on_time"] / final > 0.75
    assert 0 < states["late"] / final < 0.15
    assert 0 < states["missed"] / final < 0.12
    # today's runs (the 23rd) are open and untouched; no open run has a closed window
    assert (
        conn.execute(
            "SELECT count(*) FROM sop_runs WHERE status = 'open' AND closes_on < '2026-11-23'"
        ).fetchone()[0]
        == 0
    )
    untouched = conn.execute(
        "SELECT count(*) FROM sop_run_items i JOIN sop_runs r ON r.id = i.run_id"
        " WHERE r.run_day = '2026-11-23' AND i.state != 'open'"
    ).fetchone()[0]
    assert untouched == 0
    # done runs have every item resolved, by the demo team, at or before completion
    bad = conn.execute(
        "SELECT count(*) FROM sop_run_items i JOIN sop_runs r ON r.id = i.run_id"
        " WHERE r.status = 'done' AND (i.state = 'open' OR i.changed_at > r.completed_at)"
    ).fetchone()[0]
    assert bad == 0
    people = {r[0] for r in conn.execute("SELECT DISTINCT changed_by FROM sop_run_items")}
    assert people - {None} <= set(DEMO_PEOPLE.values())
    # the skip reasons are there when items or runs are skipped
    assert (
        conn.execute(
            "SELECT count(*) FROM sop_runs WHERE status = 'skipped' AND skip_reason IS NULL"
        ).fetchone()[0]
        == 0
    )
    rows = adherence_by_template(conn, date(2026, 10, 1), END)
    assert {r.template_key for r in rows} >= {"daily-traffic-ads", "cs-aftersales-queue"}
    conn.close()


def test_the_same_seed_gives_the_same_history(tmp_path: Path) -> None:
    a, b = _build(tmp_path / "a.sqlite"), _build(tmp_path / "b.sqlite")
    query = (
        "SELECT r.slot, r.status, r.completed_at, i.position, i.state, i.changed_at, i.changed_by"
        " FROM sop_runs r JOIN sop_run_items i ON i.run_id = r.id ORDER BY r.slot, i.position"
    )
    assert [tuple(x) for x in a.execute(query)] == [tuple(x) for x in b.execute(query)]
    a.close()
    b.close()
