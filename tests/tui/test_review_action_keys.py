"""Closing carried actions from the weekly review (area 7) with keys only, on the tiny store
(the review week 2026-W46): `space` on the action items marks one done, `x` drops one saying
why (the stand-up record's write); elsewhere the keys say where to go, and a closed review
refuses them and changes nothing."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Input

from conftest import toasts, wait_for
from opsdesk.store import review as store
from opsdesk.store.db import open_store
from opsdesk.tui.screens.review import ReviewScreen

ACTIONS = "SELECT text, status, note FROM action_items ORDER BY id"


def _db(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as c:
        return [tuple(r) for r in c.execute(sql)]


def _carried(db: Path) -> tuple[str, str]:
    conn = open_store(db)
    try:
        old = store.add_action(conn, "2026-W44", date(2026, 10, 26), "renegotiate", "li.na", None)
        feed = store.add_action(conn, "2026-W45", date(2026, 11, 2), "fix the feed", "li.na", None)
    finally:
        conn.close()
    return old.key, feed.key


async def _on_actions(pilot: Any, app: Any) -> ReviewScreen:
    await pilot.press("7")
    await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
    screen = app.screen
    assert isinstance(screen, ReviewScreen)
    await wait_for(pilot, lambda: screen.review is not None and bool(screen.items))
    row = next(i for i, item in enumerate(screen.items) if item.kind == "actions")
    screen.query_one("#review-agenda", DataTable).move_cursor(row=row)
    await pilot.pause()
    return screen


async def test_space_marks_a_carried_action_done_and_x_drops_one_saying_why(
    app: Any, tiny_store: Path
) -> None:
    old, feed = _carried(tiny_store)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await _on_actions(pilot, app)
        field = screen.query_one("#review-input", Input)
        await pilot.press("space")
        assert (field.display, field.value) == (True, old)  # the first open one offered
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(f"{old}: done (renegotiate)" in t for t in toasts(app)))
        await wait_for(pilot, lambda: _db(tiny_store, ACTIONS)[0][1] == "done")
        await pilot.press("x")
        assert field.value == f"{feed} "
        await pilot.press("enter")  # no reason: refused
        await wait_for(pilot, lambda: any("Say why it is dropped" in t for t in toasts(app)))
        await pilot.press("x", *"supplier fixed it", "enter")
        await wait_for(pilot, lambda: _db(tiny_store, ACTIONS)[1][1] == "dropped")
    assert _db(tiny_store, ACTIONS) == [
        ("renegotiate", "done", ""),
        ("fix the feed", "dropped", "supplier fixed it"),
    ]


async def test_the_keys_elsewhere_and_on_a_closed_review_change_nothing(
    app: Any, tiny_store: Path
) -> None:
    _carried(tiny_store)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await _on_actions(pilot, app)
        field = screen.query_one("#review-input", Input)
        screen.query_one("#review-agenda", DataTable).move_cursor(row=0)
        await pilot.press("space")
        assert not field.display
        await wait_for(pilot, lambda: any("Tab to the action items" in t for t in toasts(app)))
        other = open_store(tiny_store)
        store.close_review(other, "2026-W46", "{}")
        other.close()
        await wait_for(pilot, lambda: "closed by" in screen.sub_title)
        row = next(i for i, item in enumerate(screen.items) if item.kind == "actions")
        screen.query_one("#review-agenda", DataTable).move_cursor(row=row)
        await pilot.press("space")
        await pilot.press("x")
        assert not field.display
        await wait_for(pilot, lambda: any("it is frozen" in t for t in toasts(app)))
    assert _db(tiny_store, ACTIONS) == [
        ("renegotiate", "open", ""),
        ("fix the feed", "open", ""),
    ]
