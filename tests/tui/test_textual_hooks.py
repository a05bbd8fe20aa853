"""The private Textual / textual-plotext / plotext hooks (opsdesk.tui.textual_hooks): each is
as opsdesk expects on the installed versions (a failure names the one that changed); a
changed one turns off only the features that use it, and says so once in the log; with every
hook off (OPSDESK_NO_HOOKS=1) every area still opens and shows its data, help and palette
work; and no other module of opsdesk touches those private names."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.geometry import Region
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual_plotext import PlotextPlot

from conftest import make_app, wait_for
from opsdesk.clock import Clock
from opsdesk.tui import textual_hooks as hooks
from opsdesk.tui.screens.checklists import ChecklistsScreen
from opsdesk.tui.screens.entry import EntryScreen
from opsdesk.tui.screens.explorer import ExplorerScreen
from opsdesk.tui.screens.help import HelpScreen
from opsdesk.tui.screens.standup import StandupScreen
from opsdesk.tui.widgets.chart import KpiChart
from opsdesk.tui.widgets.grid import Grid

SRC = Path(__file__).resolve().parents[2] / "src" / "opsdesk"
FEATURES = [f.name for f in hooks.FEATURES]


@pytest.fixture(autouse=True)
def fresh_decisions() -> Iterator[None]:
    """Each test decides again, and leaves the next one to decide for itself."""
    hooks.reset()
    yield
    hooks.reset()


def probe_for(group: str) -> hooks.Probe:
    if group == hooks.TEXTUAL:
        return hooks.textual_probe(App())
    return hooks.chart_probe(PlotextPlot)


@pytest.mark.parametrize("hook", hooks.HOOKS, ids=lambda h: h.name)
def test_the_hook_is_as_opsdesk_expects_on_the_installed_versions(hook: hooks.Hook) -> None:
    problem = hook.problem(probe_for(hook.group))
    uses = [f.name for f in hooks.FEATURES if hook.name in f.hooks]
    assert problem is None, (
        f"{problem} — the private hook {hook.name} changed: opsdesk takes the public path "
        f"for {', '.join(uses)} (slower); update opsdesk.tui.textual_hooks and the pins"
    )


def test_every_hook_serves_a_feature() -> None:
    used = {name for f in hooks.FEATURES for name in f.hooks}
    assert [h.name for h in hooks.HOOKS if h.name not in used] == []
    assert len({h.name for h in hooks.HOOKS}) == len(hooks.HOOKS)


def test_a_changed_hook_is_named_and_turns_off_only_its_features_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refresh_layout(self: Screen[Any], size: object) -> None:  # lost its `scroll`
        pass

    monkeypatch.setattr(Screen, "_refresh_layout", refresh_layout)
    monkeypatch.delattr(App, "_init_mode")
    problems = hooks.problems(hooks.TEXTUAL, hooks.textual_probe(App()))
    assert problems == {
        "App._init_mode": "App._init_mode is missing",
        "Screen._refresh_layout": ("Screen._refresh_layout takes (size), expected (size, scroll)"),
    }
    app = App()
    with caplog.at_level(logging.WARNING, logger=hooks.logger.name):
        hooks.check(app)
        hooks.check(app)  # once per process: decided, nothing said again
    assert [r.getMessage() for r in caplog.records] == [
        "opsdesk hooks: prebuild is off (App._init_mode is missing): areas are built on their"
        " first visit, not in the background",
        "opsdesk hooks: offscreen_render is off (Screen._refresh_layout takes (size), expected"
        " (size, scroll)): a screen built or reloaded while hidden is laid out and rendered"
        " when shown",
    ]
    assert {f: hooks.usable(f) for f in FEATURES} == {
        hooks.PREBUILD: False,
        hooks.FIRST_SCREEN_CSS: True,
        hooks.KEEP_STYLES: True,
        hooks.WHOLE_FIRST_FRAME: True,
        hooks.OFFSCREEN_RENDER: False,
        hooks.CHART_LINES: False,  # not decided yet: no chart has drawn
    }


def test_a_hook_of_another_type_is_named() -> None:
    class OldApp(App[None]):
        def __init__(self) -> None:
            super().__init__()
            self._batch_count = None  # type: ignore[assignment]

    problems = hooks.problems(hooks.TEXTUAL, hooks.textual_probe(OldApp()))
    assert problems == {"App._batch_count": "App._batch_count is a NoneType, expected int"}


def test_hooks_that_cannot_be_checked_are_not_used(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app = App()

    def changed_screen(self: Screen[Any], *args: object, **kwargs: object) -> None:
        raise TypeError("Screen() needs a name")

    monkeypatch.setattr(Screen, "__init__", changed_screen)
    with caplog.at_level(logging.WARNING, logger=hooks.logger.name):
        hooks.check(app)
    assert [f for f in FEATURES if hooks.usable(f)] == []
    assert caplog.records[0].getMessage() == (
        "opsdesk hooks: prebuild is off (App._init_mode cannot be checked (TypeError: Screen()"
        " needs a name); App._css_update_count cannot be checked (TypeError: Screen() needs a"
        " name); Screen._css_update_count cannot be checked (TypeError: Screen() needs a name)):"
        " areas are built on their first visit, not in the background"
    )
    assert len(caplog.records) == 5  # one line per Textual feature


def test_the_switch_turns_every_feature_off_and_says_so_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(hooks.ENV_SWITCH, "1")
    with caplog.at_level(logging.WARNING, logger=hooks.logger.name):
        hooks.check(App())
        hooks.check_chart(PlotextPlot)
    assert [f for f in FEATURES if hooks.usable(f)] == []
    assert [r.getMessage() for r in caplog.records] == [
        "opsdesk hooks: OPSDESK_NO_HOOKS is set: Textual's public path for prebuild,"
        " first_screen_css, keep_styles, whole_first_frame, offscreen_render",
        "opsdesk hooks: OPSDESK_NO_HOOKS is set: Textual's public path for chart_lines",
    ]


def test_no_other_module_touches_the_private_names() -> None:
    names = sorted(
        {part for h in hooks.HOOKS for part in h.path.split(".") if part.startswith("_")}
        | {h.name.split(".")[-1] for h in hooks.HOOKS if h.params is not None}
    )
    private = re.compile(r"\.(" + "|".join(names) + r")\b|\bdef (" + "|".join(names) + r")\b")
    other = re.compile(r"\b(textual|plotext|textual_plotext)\._[a-z]")
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "textual_hooks.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if private.search(line) or other.search(line):
                found.append(f"{path.relative_to(SRC)}:{n}: {line.strip()}")
    assert found == []


def chart_text(chart: KpiChart) -> str:
    """What the chart draws, as text (the same call with or without the hooks)."""
    width, height = chart.size
    strips = chart.render_lines(Region(0, 0, width, height))
    return "\n".join("".join(s.text for s in strip) for strip in strips)


@pytest.mark.parametrize("switch", ["hooks on", "hooks off"])
async def test_every_area_opens_and_shows_its_data_help_and_palette_work(
    switch: str, tiny_store: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    if switch == "hooks off":
        monkeypatch.setenv(hooks.ENV_SWITCH, "1")
    else:
        monkeypatch.delenv(hooks.ENV_SWITCH, raising=False)
    app = make_app(tiny_store, clock)
    textual_features = [f for f in FEATURES if f != hooks.CHART_LINES]
    assert {f: hooks.usable(f) for f in textual_features} == {
        f: switch == "hooks on" for f in textual_features
    }
    async with app.run_test(size=(120, 40)) as pilot:
        # 1: the stand-up, its tables joined after the first frame (hooks or not)
        await wait_for(pilot, lambda: bool(app.screen.query("#kpi-table")))
        assert isinstance(app.screen, StandupScreen)
        await pilot.press("n", "n")  # tmall-apparel, for every area (the shop is shared)
        shop_bar = str(app.screen.query_one("#shop-bar", Static).render())
        assert "▶ tmall-apparel" in shop_bar
        kpis = app.screen.query_one("#kpi-table", DataTable)
        assert [str(c) for c in kpis.get_row("visitors")][1:3] == ["Visitors", "1,140"]
        # 2: the explorer and its chart
        await pilot.press("2")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, ExplorerScreen) and app.screen.data is not None,
        )
        await pilot.pause(0.1)
        title = str(app.screen.query_one("#chart-title", Static).render())
        assert title.startswith("GMV · tmall-apparel · by day · 2026-09-23 … 2026-11-21")
        drawn = chart_text(app.screen.query_one(KpiChart))
        assert "GMV (CNY) by day" in drawn and "tmall-apparel" in drawn
        assert hooks.usable(hooks.CHART_LINES) is (switch == "hooks on")
        # 3: manual entry, with what is stored
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.screen, EntryScreen))
        entry = app.screen
        assert isinstance(entry, EntryScreen)
        await wait_for(pilot, lambda: entry.sub_title == "tmall-apparel · 2026-11-21")
        grid = entry.query_one("#entry-table", Grid)
        await wait_for(pilot, lambda: grid.cell("gmv", "stored").text == "10,800")
        assert grid.cell("visitors", "stored").text == "1,140"
        # 4: the checklists, with today's runs (escape leaves the form's field first)
        await pilot.press("escape", "4")
        await wait_for(pilot, lambda: isinstance(app.screen, ChecklistsScreen))
        runs = app.screen.query_one("#run-table", DataTable)
        await wait_for(pilot, lambda: runs.row_count > 0)
        assert app.screen.sub_title == "today 2026-11-22"
        # back to 1, then help and the palette
        await pilot.press("1")
        await wait_for(pilot, lambda: app.current_mode == "standup")
        assert app.screen.query_one("#kpi-table", DataTable).row_count == kpis.row_count
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert app.screen.query_one("#help-table", DataTable).row_count > 10
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, StandupScreen))
        await pilot.press("ctrl+p", *"checklists")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.current_mode == "checklists")
        assert isinstance(app.screen, ChecklistsScreen)
