"""The stand-up's "Actions open" section on the tiny store (ops day 2026-11-21, today
2026-11-22): the flagged review action first and marked, then overdue, due today, carried;
this stand-up's items not yet due, closed items and PDCA items (listed by "PDCA steps due")
left out."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

from textual.widgets import Static

from conftest import wait_for
from opsdesk.clock import fixed_clock
from opsdesk.store import actions
from opsdesk.store import review as store
from opsdesk.store.actions import ActionItem
from opsdesk.store.db import open_store
from opsdesk.tui.app import OpsdeskApp
from opsdesk.views.standup_sections.actions import load

TITLE = "Actions open (r: the record, to close them)"


def _written(conn: sqlite3.Connection, item: ActionItem, at: str) -> ActionItem:
    conn.execute("UPDATE action_items SET created_at = ? WHERE id = ?", (at, item.id))
    conn.commit()
    return item


WRITTEN = fixed_clock(datetime(2026, 11, 18, 2, tzinfo=UTC))
"""When the items are written (their due dates are not in the past then)."""


def _fill(db: Path) -> list[str]:
    """The items and the lines the section must show, in order."""
    conn = open_store(db)
    try:
        old = store.add_action(conn, "2026-W42", date(2026, 10, 14), "renegotiate", "li.na", None)
        _written(conn, old, "2026-10-14T02:00:00+00:00")
        for week in ("2026-W43", "2026-W44", "2026-W45"):  # with W46: four held since
            store.add_decision(conn, week, date(2026, 11, 16), "held")
        review = store.add_action(
            conn,
            "2026-W46",
            date(2026, 11, 16),
            "price check",
            "wang.wei",
            date(2026, 11, 25),
            clock=WRITTEN,
        )
        _written(conn, review, "2026-11-16T02:00:00+00:00")
        late = store.add_meeting_action(
            conn,
            "standup",
            "2026-11-18",
            date(2026, 11, 18),
            "call jd",
            "li.na",
            date(2026, 11, 20),
            clock=WRITTEN,
        )
        _written(conn, late, "2026-11-18T02:00:00+00:00")
        done = store.add_meeting_action(
            conn, "standup", "2026-11-18", date(2026, 11, 18), "done one", "li.na", None
        )
        actions.close(conn, "standup", done.source_id, done.number, "done")
        today = store.add_meeting_action(
            conn,
            "standup",
            "2026-11-21",
            date(2026, 11, 21),
            "restock",
            "zhao",
            date(2026, 11, 22),
            clock=WRITTEN,
        )
        _written(conn, today, "2026-11-21T02:00:00+00:00")
        store.add_meeting_action(  # this stand-up's, not due yet: on the record only
            conn, "standup", "2026-11-21", date(2026, 11, 21), "later", "zhao", None
        )
        actions.add(conn, "pdca", 1, "shoot images", "li.na", date(2026, 11, 20))
    finally:
        conn.close()
    return [
        f"✗ DECIDE · {old.key} [open 39 days] renegotiate — li.na, from review 2026-W42;"
        " carried 4 reviews without progress: decide",
        f"✗ {late.key} [open 4 days] call jd — li.na, due 2026-11-20, from stand-up 2026-11-18",
        f"▲ {today.key} [open 1 day] restock — zhao, due 2026-11-22, from stand-up 2026-11-21",
        f"○ {review.key} [open 6 days] price check — wang.wei, due 2026-11-25,"
        " from review 2026-W46",
    ]


def _section(app: OpsdeskApp) -> str:
    texts = [str(s.render()) for s in app.screen.query(".standup-section").results(Static)]
    return next((t for t in texts if t.startswith("Actions open")), "")


async def test_the_standup_lists_open_actions_flagged_first(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    expected = _fill(tiny_store)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: _section(app) != "")
        assert _section(app).split("\n") == [TITLE, *expected]


async def test_nothing_open_says_so(app: OpsdeskApp) -> None:
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: _section(app) != "")
        assert _section(app) == f"{TITLE}\n· no action open"


def test_a_risk_action_due_is_listed_with_its_risk(tiny_store: Path) -> None:
    conn = open_store(tiny_store)
    try:
        risk_id, key = conn.execute("SELECT id, key FROM risks ORDER BY id").fetchone()
        item = actions.add(conn, "risk", risk_id, "test the restore", "li.na", date(2026, 11, 22))
        _written(conn, item, "2026-11-20T02:00:00+00:00")
        lines = load(conn, date(2026, 11, 21))
    finally:
        conn.close()
    assert [(line.status, line.text) for line in lines] == [
        (
            "due",
            f"{item.key} [open 2 days] test the restore — li.na, due 2026-11-22, from risk {key}",
        )
    ]
