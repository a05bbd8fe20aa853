"""`/` in the app: the search dialog from any area, hits as you type (English, Chinese three
and two characters), Enter jumps to the checklist run with the cursor on the noted item."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from textual.widgets import DataTable, Input, Label, OptionList

from conftest import wait_for
from opsdesk.store import checklists
from opsdesk.store.db import open_store
from opsdesk.tui.app import OpsdeskApp
from opsdesk.tui.screens.checklists_run import ChecklistRunScreen
from opsdesk.tui.screens.explorer import ExplorerScreen
from opsdesk.tui.screens.risk import RiskScreen
from opsdesk.tui.screens.standup import StandupScreen
from opsdesk.tui.widgets.search_dialog import SearchDialog

TODAY = date(2026, 11, 22)


def _note(db: Path, shop: str, position: int, text: str) -> int:
    conn = open_store(db)
    try:
        checklists.ensure_runs(conn, TODAY)
        run = checklists.history(conn, "daily-traffic-ads", TODAY, TODAY, shop_key=shop)[0]
        checklists.set_note(conn, run.id, position, text)
        return run.id
    finally:
        conn.close()


def _hits(app: OpsdeskApp) -> list[str]:
    hits = app.screen.query_one("#search-hits", OptionList)
    return [str(hits.get_option_at_index(i).prompt) for i in range(hits.option_count)]


async def test_slash_finds_a_note_and_enter_opens_its_run(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    run_id = _note(tiny_store, "jd-home", 3, "鸵鸟蛋库存偏高: quokka quota cut in October")
    other = _note(tiny_store, "tmall-apparel", 2, "鹦鹉螺仓库漏水")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, StandupScreen))
        await pilot.press("slash")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchDialog))
        await pilot.press(*"鸵鸟蛋")
        await wait_for(pilot, lambda: len(_hits(app)) == 1)
        hit = _hits(app)[0]
        assert "Daily traffic & ads check · jd-home · 2026-11-22 · item 3" in hit
        assert "鸵鸟蛋库存偏高: quokka quota cut in October" in hit
        # two characters: the scan
        app.screen.query_one("#search-input", Input).value = "鹦鹉"
        await wait_for(pilot, lambda: len(_hits(app)) == 1 and "鹦鹉螺仓库漏水" in _hits(app)[0])
        assert isinstance(app.screen, SearchDialog) and app.screen.rows[0].object_id == other
        app.screen.query_one("#search-input", Input).value = "quokka quota"
        await wait_for(pilot, lambda: len(_hits(app)) == 1 and "quokka quota" in _hits(app)[0])
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ChecklistRunScreen))
        screen = app.screen
        assert isinstance(screen, ChecklistRunScreen) and screen.run_id == run_id
        items = screen.query_one("#item-table", DataTable)
        await wait_for(pilot, lambda: items.row_count > 0)
        assert items.cursor_row == 2  # item 3
        assert app.current_mode == "checklists"


async def test_a_risk_hit_opens_the_risk(app: OpsdeskApp, tiny_store: Path) -> None:
    from opsdesk.store import risks

    conn = open_store(tiny_store)
    try:
        key = conn.execute("SELECT key FROM risks ORDER BY id LIMIT 1").fetchone()[0]
        risks.update_fields(conn, key, {"contingency": "call the quokka hotline"}, TODAY)
    finally:
        conn.close()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash", *"quokka hotline")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchDialog) and len(_hits(app)) == 1)
        assert f"Risk {key} · " in _hits(app)[0]
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RiskScreen))
        assert isinstance(app.screen, RiskScreen) and app.screen.key == key
        assert app.current_mode == "risks"


async def test_a_stand_up_action_hit_opens_that_stand_ups_record(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    from datetime import date

    from opsdesk.store import review
    from opsdesk.tui.screens.standup_meeting import StandupMeetingScreen

    conn = open_store(tiny_store)
    try:
        review.add_meeting_action(
            conn, "standup", "2026-11-20", date(2026, 11, 20), "Ring the numbat courier",
            "li.na", None,
        )  # fmt: skip
    finally:
        conn.close()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash", *"numbat courier")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchDialog) and len(_hits(app)) == 1)
        assert "Stand-up 2026-11-20 · action 1" in _hits(app)[0]
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, StandupMeetingScreen))
        assert isinstance(app.screen, StandupMeetingScreen)
        assert app.screen.day == date(2026, 11, 20)


async def test_slash_from_the_explorer_and_escape(app: OpsdeskApp, tiny_store: Path) -> None:
    _note(tiny_store, "jd-home", 1, "wombat wave after the campaign")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplorerScreen))
        await pilot.press("slash", *"wombat", "down")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchDialog) and len(_hits(app)) == 1)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplorerScreen))
        assert app.current_mode == "explorer"
        await pilot.press("slash", *"nothing like this", "enter")
        await wait_for(
            pilot, lambda: "0 hits" in str(app.screen.query_one("#search-status", Label).render())
        )
        assert isinstance(app.screen, SearchDialog)  # nothing to open: the dialog stays
