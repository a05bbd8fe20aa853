"""The explorer and entry screens are built in the background after the first paint (so the
first switch to them only paints): without changing what the other areas show, following the
metric chosen on the stand-up, and restyled when the theme changed in the meantime."""

from __future__ import annotations

from textual.widgets import OptionList

from conftest import wait_for
from opsdesk.tui.app import PREBUILT_AREAS, OpsdeskApp
from opsdesk.tui.screens.entry import EntryScreen
from opsdesk.tui.screens.explorer import ExplorerScreen


def built(app: OpsdeskApp, area: str) -> bool:
    try:
        return bool(app.get_screen_stack(area))
    except KeyError:  # Textual's answer for a mode whose screen was not made yet
        return False


async def prebuilt(app: OpsdeskApp, pilot: object) -> tuple[ExplorerScreen, EntryScreen]:
    await wait_for(pilot, lambda: all(built(app, a) for a in PREBUILT_AREAS))
    explorer = app.get_screen_stack("explorer")[0]
    entry = app.get_screen_stack("entry")[0]
    assert isinstance(explorer, ExplorerScreen) and isinstance(entry, EntryScreen)
    await wait_for(pilot, lambda: explorer.data is not None and entry.data is not None)
    return explorer, entry


async def test_areas_are_built_in_the_background_and_change_nothing_shown(
    app: OpsdeskApp,
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        explorer, entry = await prebuilt(app, pilot)
        assert app.current_mode == "standup"
        assert app.shop_key is None  # the entry form chose its shop for itself only
        assert entry.sub_title == "jd-home · 2026-11-21"
        assert explorer.data is not None
        assert (explorer.data.metric.key, explorer.data.shop_key) == ("gmv", None)
        # on the stand-up, conversion (amber) is the first row: explore it
        await pilot.press("e")
        await wait_for(
            pilot,
            lambda: explorer.data is not None and explorer.data.metric.key == "conversion_rate",
        )
        assert app.screen is explorer
        options = explorer.query_one("#metric-list", OptionList)
        assert options.get_option_at_index(options.highlighted or 0).id == "conversion_rate"


async def test_a_theme_change_restyles_the_screens_built_in_the_background(
    app: OpsdeskApp,
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        explorer, _ = await prebuilt(app, pilot)
        standup = app.screen
        dark = explorer.styles.background
        assert dark == standup.styles.background
        await pilot.press("f9")
        await pilot.pause()
        assert app.theme == "textual-light"
        assert standup.styles.background != dark
        await pilot.press("2")
        await pilot.pause()
        assert app.screen is explorer
        assert explorer.styles.background == standup.styles.background
