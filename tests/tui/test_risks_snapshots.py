"""Snapshots of the risk register's heat map on the tiny store with a fixed clock, at 80x24
and 120x40 (update with --snapshot-update after checking the new SVGs by eye)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable

from conftest import wait_for
from opsdesk.tui.app import OpsdeskApp
from opsdesk.tui.screens.risks import RisksScreen


async def heatmap_ready(pilot: Pilot[Any]) -> None:
    await pilot.press("6")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, RisksScreen))
    await wait_for(
        pilot, lambda: pilot.app.screen.query_one("#risk-table", DataTable).row_count > 0
    )
    await pilot.press("up")  # the cursor on the 4x3 cell: its two risks beside the grid
    await pilot.pause(0.3)


def test_heatmap_80x24(snap_compare: Callable[..., bool], app: OpsdeskApp) -> None:
    assert snap_compare(app, terminal_size=(80, 24), run_before=heatmap_ready)


def test_heatmap_120x40(snap_compare: Callable[..., bool], app: OpsdeskApp) -> None:
    assert snap_compare(app, terminal_size=(120, 40), run_before=heatmap_ready)
