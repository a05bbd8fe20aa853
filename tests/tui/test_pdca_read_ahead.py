"""The first visits of the board and of a cycle cost what later ones do: the board built in the
background reads its focused card's cycle into the kept cycle screen, mounted hidden (so the
first Enter only shows it), and the heap is frozen once the background build is done."""

from __future__ import annotations

import gc
from pathlib import Path

from test_pdca import TODAY, _seed
from textual.widgets import DataTable

from conftest import wait_for
from opsdesk.store import pdca
from opsdesk.store.db import open_store
from opsdesk.tui.app import OpsdeskApp
from opsdesk.tui.screens.pdca import PdcaBoardScreen
from opsdesk.tui.screens.pdca_cycle import CursorGrid, CycleScreen, kept_cycle_screen


async def test_the_board_built_in_the_background_reads_its_first_cycle_ahead(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    ids = _seed(tiny_store)
    conn = open_store(tiny_store)
    try:  # the third cycle to Do: the next column
        pdca.edit(conn, ids[2], today=TODAY, hypothesis="h", plan="p")
        pdca.add_action(conn, ids[2], "a", "li.na", None)
        pdca.move(conn, ids[2], "do", today=TODAY)
    finally:
        conn.close()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: kept_cycle_screen(app) is not None, seconds=10)
        kept = kept_cycle_screen(app)
        assert isinstance(kept, CycleScreen)
        assert app.current_mode == "standup"  # nothing shown changed
        assert kept.detail is not None and kept.detail.cycle.id == ids[0]
        fields = kept.query_one("#cycle-fields", CursorGrid)
        assert [c.text for c in fields.rows[0]] == ["Title", "Lift conversion"]
        await pilot.press("5")
        await wait_for(pilot, lambda: isinstance(app.screen, PdcaBoardScreen))
        board = app.screen
        assert str(board.query_one("#pdca-plan", DataTable).get_row_at(0)[0]).startswith(
            f"#{ids[0]} Lift conversion"
        )
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is kept  # shown at once, no second read
        assert kept.detail is not None and kept.detail.cycle.id == ids[0]
        for key, cycle_id in (("down", ids[1]), ("tab", ids[2])):  # another card, column
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is board)
            await pilot.press(key)  # the cursor rests on its card: its cycle is read ahead
            await wait_for(
                pilot,
                lambda c=cycle_id: kept.detail is not None and kept.detail.cycle.id == c,  # type: ignore[misc]
            )
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is kept


async def test_the_heap_is_frozen_after_the_background_build(app: OpsdeskApp) -> None:
    gc.unfreeze()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: gc.get_freeze_count() > 0, seconds=10)
            assert app.current_mode == "standup"
    finally:
        gc.unfreeze()
