"""No typed value lost: `m` opens the form on the stand-up's day; showing another shop or day,
or quitting, with typed values not saved asks first (save / discard / stay); leaving the area
keeps them and says so."""

from __future__ import annotations

from pathlib import Path

from test_entry_screen import cell, field, open_entry, stored
from textual.widgets import Input, Label

from conftest import toasts, wait_for
from opsdesk.tui.app import OpsdeskApp
from opsdesk.tui.screens.entry import EntryScreen
from opsdesk.tui.screens.standup import StandupScreen
from opsdesk.tui.widgets.unsaved_dialog import UnsavedDialog


async def typed_visitors(app: OpsdeskApp, pilot: object, text: str = "800") -> EntryScreen:
    """The entry form (jd-home, the ops day) with `text` typed for visitors, not saved."""
    screen = await open_entry(app, pilot)
    await pilot.press(*text)  # type: ignore[attr-defined]
    assert cell(screen, "visitors", "check") == "• changed"
    return screen


def question(app: OpsdeskApp) -> str:
    assert isinstance(app.screen, UnsavedDialog)
    return str(app.screen.query_one("#unsaved-question", Label).render())


async def test_m_opens_the_form_on_the_day_the_stand_up_banner_names(app: OpsdeskApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_entry(app, pilot)
        await pilot.press("escape", "ctrl+left")
        await wait_for(pilot, lambda: screen.sub_title == "jd-home · 2026-11-20")
        await pilot.press("1")
        await pilot.pause()
        standup = app.screen
        assert isinstance(standup, StandupScreen)
        assert standup.data is not None and standup.data.model.day == "2026-11-21"
        await pilot.press("n", "m")
        await pilot.pause()
        assert app.screen is screen
        shop = standup.current_shop_key()
        await wait_for(pilot, lambda: screen.sub_title == f"{shop} · 2026-11-21")
        assert screen.data is not None and screen.data.day.isoformat() == "2026-11-21"


async def test_m_on_the_all_shops_page_opens_the_shop_with_no_data(app: OpsdeskApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, EntryScreen))
        screen = app.screen
        assert isinstance(screen, EntryScreen)
        await wait_for(pilot, lambda: screen.sub_title == "jd-home · 2026-11-21")


async def test_another_shop_with_typed_values_asks_and_stay_keeps_them(app: OpsdeskApp) -> None:
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await typed_visitors(app, pilot)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, UnsavedDialog))
        assert question(app) == (
            "1 typed value(s) for jd-home on 2026-11-21 are not saved (visitors)."
            " Save them before showing tmall-apparel on 2026-11-21?"
        )
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        assert screen.sub_title == "jd-home · 2026-11-21"
        assert (field(screen).value, cell(screen, "visitors", "typed")) == ("800", "800")
        assert "Kept the typed values for jd-home on 2026-11-21 (not saved)." in toasts(app)


async def test_discard_drops_the_typed_values_and_moves_on(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await typed_visitors(app, pilot)
        await pilot.press("ctrl+left")
        await wait_for(pilot, lambda: isinstance(app.screen, UnsavedDialog))
        await pilot.press("d")
        await wait_for(pilot, lambda: screen.sub_title == "jd-home · 2026-11-20")
        await wait_for(pilot, lambda: field(screen).value == "565")  # (1000 + 130) // 2
        await pilot.press("ctrl+right")  # back on the ops day: nothing was kept or stored
        await wait_for(pilot, lambda: screen.sub_title == "jd-home · 2026-11-21")
        await wait_for(pilot, lambda: cell(screen, "visitors", "typed") == "")
        assert stored(tiny_store, "jd-home", "visitors") == []


async def test_save_stores_the_typed_values_then_moves_on(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await typed_visitors(app, pilot)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, UnsavedDialog))
        await pilot.press("s")
        await wait_for(pilot, lambda: screen.sub_title == "tmall-apparel · 2026-11-21")
        assert stored(tiny_store, "jd-home", "visitors") == [("2026-11-21", 800.0, None)]


async def test_quitting_with_typed_values_asks_and_save_stores_them(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await typed_visitors(app, pilot, "812")
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, UnsavedDialog))
        assert question(app).endswith("Save them before quitting?")
        await pilot.press("s")
        await wait_for(pilot, lambda: not app.is_running)
    assert stored(tiny_store, "jd-home", "visitors") == [("2026-11-21", 812.0, None)]


async def test_quitting_from_another_area_asks_too_and_stay_keeps_the_app(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await typed_visitors(app, pilot)
        await pilot.press("escape", "1")
        await pilot.pause()
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, UnsavedDialog))
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert app.is_running and isinstance(app.screen, StandupScreen)
        assert cell(screen, "visitors", "typed") == "800"
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, UnsavedDialog))
        await pilot.press("d")
        await wait_for(pilot, lambda: not app.is_running)
    assert stored(tiny_store, "jd-home", "visitors") == []


async def test_leaving_the_area_keeps_the_typed_values_and_says_so(app: OpsdeskApp) -> None:
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await typed_visitors(app, pilot)
        await pilot.press("escape", "2")
        await pilot.pause()
        assert not isinstance(app.screen, EntryScreen | UnsavedDialog)
        await wait_for(pilot, lambda: any("kept, not saved" in t for t in toasts(app)))
        assert [t for t in toasts(app) if "kept, not saved" in t] == [
            "Manual entry\n1 typed value(s) for jd-home on 2026-11-21 kept, not saved:"
            " 3 to go back, ctrl+s to save."
        ]
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.focused, Input))
        assert app.screen is screen
        assert (field(screen).value, cell(screen, "visitors", "check")) == ("800", "• changed")
