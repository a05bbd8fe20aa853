"""SOP checklists in the app, driven with keys on the tiny store (clock: 2026-11-22 10:00 in
Shanghai, so today's checklists are those of 2026-11-22): ticking from the stand-up, the
checklists area's history strip, skipping with a reason, notes, overdue marks."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

from textual.widgets import DataTable, Input, Static

from conftest import wait_for
from opsdesk.store import checklists
from opsdesk.store.connection import current_user
from opsdesk.store.db import open_store
from opsdesk.tui.app import OpsdeskApp
from opsdesk.tui.screens.checklists import ChecklistsScreen
from opsdesk.tui.screens.checklists_run import ChecklistRunScreen
from opsdesk.tui.screens.standup import StandupScreen

TODAY = date(2026, 11, 22)
ADS = "daily-traffic-ads"


def _run_id(db: Path, template: str, shop: str | None, day: date) -> int:
    conn = open_store(db)
    try:
        return checklists.history(conn, template, day, day, shop_key=shop)[0].id
    finally:
        conn.close()


def _item(db: Path, run_id: int, position: int) -> tuple:
    with sqlite3.connect(db) as c:
        row = c.execute(
            "SELECT state, changed_by, note, skip_reason FROM sop_run_items"
            " WHERE run_id = ? AND position = ?",
            (run_id, position),
        ).fetchone()
    return tuple(row)


def _section_text(app: OpsdeskApp) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query(".standup-section"))


def _cells(table: DataTable, row: int) -> list[str]:  # type: ignore[type-arg]
    return [str(c) for c in table.get_row_at(row)]


async def _open_run(app: OpsdeskApp, pilot, run_id: int) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("4")
    await wait_for(pilot, lambda: isinstance(app.screen, ChecklistsScreen))
    table = app.screen.query_one("#run-table", DataTable)
    await wait_for(pilot, lambda: table.row_count > 0)
    table.move_cursor(row=table.get_row_index(str(run_id)), animate=False)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, ChecklistRunScreen))
    items = app.screen.query_one("#item-table", DataTable)
    await wait_for(pilot, lambda: items.row_count > 0)


async def test_ticking_from_the_standup(app: OpsdeskApp, tiny_store: Path) -> None:
    async with app.run_test(size=(140, 45)) as pilot:
        await wait_for(pilot, lambda: "Daily traffic & ads check" in _section_text(app))
        assert "Daily traffic & ads check · tmall-apparel · ░░░░░░░░ 0/11" in _section_text(app)
        run_id = _run_id(tiny_store, ADS, "tmall-apparel", TODAY)
        await _open_run(app, pilot, run_id)
        assert app.screen.sub_title == "Daily traffic & ads check · tmall-apparel · 2026-11-22"
        await pilot.press("space")
        await wait_for(pilot, lambda: _item(tiny_store, run_id, 1)[0] == "done")
        assert _item(tiny_store, run_id, 1)[:2] == ("done", current_user())
        items = app.screen.query_one("#item-table", DataTable)
        await wait_for(pilot, lambda: _cells(items, 0)[0] == "[x]")
        assert _cells(items, 0)[3].startswith(f"{current_user()} 20")
        await pilot.press("down", "space")
        await wait_for(pilot, lambda: _item(tiny_store, run_id, 2)[0] == "done")
        await pilot.press("escape", "1")
        await wait_for(pilot, lambda: isinstance(app.screen, StandupScreen))
        await wait_for(
            pilot,
            lambda: (
                "Daily traffic & ads check · tmall-apparel · █░░░░░░░ 2/11" in _section_text(app)
            ),
        )


async def test_skip_note_and_untick_in_a_run(app: OpsdeskApp, tiny_store: Path) -> None:
    async with app.run_test(size=(140, 45)) as pilot:
        await wait_for(pilot, lambda: "Daily traffic & ads check" in _section_text(app))
        run_id = _run_id(tiny_store, ADS, "jd-home", TODAY)
        await _open_run(app, pilot, run_id)
        await pilot.press("down", "s")
        await wait_for(
            pilot, lambda: app.screen.query("#checklist-dialog-input").first() is not None
        )
        await pilot.press("enter")  # an empty reason is refused: the dialog stays
        assert app.screen.query_one("#checklist-dialog-input", Input).value == ""
        await pilot.press(*"no feed ads", "enter")
        await wait_for(pilot, lambda: _item(tiny_store, run_id, 2)[0] == "skipped")
        assert _item(tiny_store, run_id, 2) == ("skipped", current_user(), "", "no feed ads")
        await wait_for(pilot, lambda: isinstance(app.screen, ChecklistRunScreen))
        await pilot.press("n")
        await wait_for(
            pilot, lambda: app.screen.query("#checklist-dialog-input").first() is not None
        )
        await pilot.press(*"[bold]x[/]", "enter")
        await wait_for(pilot, lambda: _item(tiny_store, run_id, 2)[2] == "[bold]x[/]")
        items = app.screen.query_one("#item-table", DataTable)
        await wait_for(pilot, lambda: _cells(items, 1)[4] == "skipped: no feed ads; [bold]x[/]")
        await pilot.press("up", "space")
        await wait_for(pilot, lambda: _item(tiny_store, run_id, 1)[0] == "done")
        await wait_for(pilot, lambda: _cells(items, 0)[0] == "[x]")
        await pilot.press("space")  # unticks
        await wait_for(pilot, lambda: _item(tiny_store, run_id, 1)[0] == "open")


async def test_the_checklists_area_shows_history_and_overdue_runs(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    conn = open_store(tiny_store)
    try:
        checklists.ensure_runs(conn, date(2026, 11, 20))
        done = checklists.history(conn, ADS, date(2026, 11, 20), date(2026, 11, 20))
        tmall = next(r for r in done if r.shop_key == "tmall-apparel")
        for item in checklists.get_run(conn, tmall.id).items:
            checklists.tick(
                conn, tmall.id, item.position, now=datetime(2026, 11, 20, 2, tzinfo=UTC)
            )
    finally:
        conn.close()
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        await pilot.press("4")
        await wait_for(pilot, lambda: isinstance(app.screen, ChecklistsScreen))
        table = app.screen.query_one("#run-table", DataTable)
        await wait_for(pilot, lambda: table.row_count > 0)
        assert app.screen.sub_title == "today 2026-11-22"
        run_id = _run_id(tiny_store, ADS, "tmall-apparel", TODAY)
        table.move_cursor(row=table.get_row_index(str(run_id)), animate=False)
        await pilot.pause()
        history = str(app.screen.query_one("#run-history", Static).render()).splitlines()
        assert history[0] == "daily-traffic-ads: the last 28 days to 2026-11-22"
        # one mark per day from 10-26 to 11-22: on time on the 20th, missed on the 21st, open
        assert history[2] == "jd-home        " + "·" * 25 + "✗✗○"
        assert history[3] == "tmall-apparel  " + "·" * 25 + "●✗○"
        # last Thursday's competitor review (due 11-19) is open past its deadline
        week = _run_id(tiny_store, "competitor-channel-review", "jd-home", date(2026, 11, 19))
        row = _cells(table, table.get_row_index(str(week)))
        assert row[0] == "✗" and row[3:] == ["2026-11-19 24:00", "░░░░░░░░ 0/7", "open · overdue"]
        table.move_cursor(row=table.get_row_index(str(week)), animate=False)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ChecklistRunScreen))
        items = app.screen.query_one("#item-table", DataTable)
        await wait_for(pilot, lambda: items.row_count == 7)
        assert _cells(items, 0)[3] == "OVERDUE (due 2026-11-19 24:00)"
        summary = str(app.screen.query_one("#run-summary", Static).render())
        assert summary.startswith("0/7 done · open · overdue · due 2026-11-19 24:00 · v1")


async def test_another_sessions_tick_shows_on_an_open_run(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    """The store watch brings it in (how fast: tests/bench/test_refresh_bench.py)."""
    async with app.run_test(size=(140, 45)) as pilot:
        await wait_for(pilot, lambda: "Daily traffic & ads check" in _section_text(app))
        run_id = _run_id(tiny_store, ADS, "tmall-apparel", TODAY)
        await _open_run(app, pilot, run_id)
        items = app.screen.query_one("#item-table", DataTable)
        conn = open_store(tiny_store)  # another session
        try:
            checklists.tick(conn, run_id, 3, note="from the other desk")
        finally:
            conn.close()
        await wait_for(pilot, lambda: _cells(items, 2)[0] == "[x]")
        assert _cells(items, 2)[4] == "from the other desk"
