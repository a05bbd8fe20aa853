"""Quitting at once is clean: a screen whose turn comes while the app shuts down (one built in
the background, or the stand-up completing its first frame) does nothing instead of failing
on widgets already removed (that made `ctrl+q` in the first seconds exit with status 1)."""

from __future__ import annotations

import pytest
from textual.css.query import NoMatches

from opsdesk.tui.app import OpsdeskApp
from opsdesk.tui.screens.explorer import ExplorerScreen
from opsdesk.tui.screens.standup import StandupScreen


async def test_handlers_that_come_after_shutdown_do_nothing(app: OpsdeskApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        standup = app.screen
        assert isinstance(standup, StandupScreen)
        await pilot.press("2")
        await pilot.pause()
        explorer = app.screen
        assert isinstance(explorer, ExplorerScreen)
    assert not app.is_running
    with pytest.raises(NoMatches):  # the widgets are gone ...
        explorer.query_one("#metric-list")
    assert explorer.on_mount() is None  # ... and a late mount handler says nothing
    assert await standup.after_first_frame() is None
