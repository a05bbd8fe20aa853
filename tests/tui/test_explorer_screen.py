"""The KPI explorer: opened from the stand-up on a metric, filtered, re-grained, compared."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, OptionList, Static

from conftest import OPS_DAY, wait_for
from opsdesk.store.db import open_store
from opsdesk.tui.app import OpsdeskApp
from opsdesk.tui.screens.explorer import ExplorerScreen
from opsdesk.views.explorer import load_explorer, trailing_mean


async def test_explore_the_metric_under_the_cursor(app: OpsdeskApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#kpi-table", DataTable)

        def under_cursor() -> object:
            return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

        assert under_cursor() == "conversion_rate"  # amber comes first
        await pilot.press("down", "down", "down")
        assert under_cursor() == "visitors"
        # jd-home (all stale, catalogue order), then tmall-apparel: the cursor stays on its
        # metric wherever that metric's row is on each page
        await pilot.press("n")
        assert under_cursor() == "visitors"
        await pilot.press("n")
        assert under_cursor() == "visitors"
        await pilot.press("up", "up", "up")  # conversion (amber) is the first row
        assert under_cursor() == "conversion_rate"
        await pilot.press("e")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, ExplorerScreen) and app.screen.data is not None,
        )
        screen = app.screen
        assert isinstance(screen, ExplorerScreen) and screen.data is not None
        data = screen.data
        assert (data.metric.key, data.shop_key, data.grain) == (
            "conversion_rate",
            "tmall-apparel",
            "day",
        )
        assert len(data.periods) == 60 and data.periods[-1].key == "2026-11-21"
        # day i = 0..14 from 2026-11-07: buyers 40 + i over visitors 1000 + 10 i
        assert data.series[0].values[-1] == pytest.approx(54 / 1140)
        assert data.series[0].values[-16] is None  # 2026-11-06: before the data
        assert data.target[-1] == pytest.approx(0.05)
        expected_mean = sum((40 + i) / (1000 + 10 * i) for i in range(8, 15)) / 7
        assert data.mean_7d[-1] == pytest.approx(expected_mean)
        assert [(e.day.isoformat(), e.title) for e in data.events] == [
            ("2026-11-12", "Double 11 review")
        ]
        title = str(screen.query_one("#chart-title", Static).render())
        assert title.startswith("Conversion · tmall-apparel · by day · 2026-09-23 … 2026-11-21")
        options = screen.query_one("#metric-list", OptionList)
        assert options.get_option_at_index(options.highlighted or 0).id == "conversion_rate"


async def test_filter_grain_and_compare(app: OpsdeskApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("2")
        await wait_for(pilot, lambda: getattr(app.screen, "data", None) is not None)
        screen = app.screen
        assert isinstance(screen, ExplorerScreen) and screen.data is not None
        assert screen.data.metric.key == "gmv" and screen.data.shop_key is None
        await pilot.press("f", *"roas")
        options = screen.query_one("#metric-list", OptionList)
        assert [options.get_option_at_index(i).id for i in range(options.option_count)] == ["roas"]
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.data is not None and screen.data.metric.key == "roas")
        await pilot.press("g")
        await wait_for(pilot, lambda: screen.data is not None and screen.data.grain == "week")
        assert screen.data is not None
        assert screen.data.periods[-1].key == "2026-W47" and len(screen.data.periods) == 26
        # both shops: ad_gmv 2000 / ad_spend 500 for tmall, half of each for jd-home
        assert screen.data.series[0].values[-1] == pytest.approx(4.0)
        await pilot.press("c")
        await wait_for(pilot, lambda: screen.data is not None and len(screen.data.series) == 2)
        assert [s.label for s in screen.data.series] == ["jd-home", "tmall-apparel"]
        await pilot.press("s")
        await wait_for(pilot, lambda: app.shop_key == "jd-home")


def test_the_weeks_gmv_decomposition(tiny_store: Path) -> None:
    conn = open_store(tiny_store)
    try:
        data = load_explorer(conn, OPS_DAY, "gmv", "tmall-apparel")
    finally:
        conn.close()
    # the latest complete ISO week before Saturday 2026-11-21 is W46 (11-09 .. 11-15)
    assert (data.week.key, data.week.previous().key) == ("2026-W46", "2026-W45")
    d = data.decomposition
    assert d is not None
    # W46 is days i = 2..8, W45 only i = 0..1 (data starts on Saturday 2026-11-07)
    assert d.current.visitors == sum(1000 + 10 * i for i in range(2, 9))
    assert d.previous.visitors == 1000 + 1010
    assert d.visitors_effect + d.conversion_effect + d.aov_effect == d.change


def test_trailing_mean_skips_gaps() -> None:
    assert trailing_mean([1.0, None, 3.0, 5.0], n=3) == [None, None, 2.0, 4.0]
