"""Snapshots at 120x40 on the tiny store with a fixed clock (update with --snapshot-update
after checking the new SVGs by eye)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from conftest import wait_for
from opsdesk.tui.app import OpsdeskApp

SIZE = (120, 40)


def ready(app: OpsdeskApp) -> bool:
    """The stand-up is complete: alerts table mounted, sections loaded."""
    return (
        bool(app.screen.query("#alert-table"))
        and app.screen.query_one("#alert-table").size.height > 0
    )


async def standup_ready(pilot: Pilot[Any]) -> None:
    await wait_for(pilot, lambda: ready(pilot.app))  # type: ignore[arg-type]
    await pilot.pause(0.6)


def test_standup_all_shops(snap_compare: Callable[..., bool], app: OpsdeskApp) -> None:
    assert snap_compare(app, terminal_size=SIZE, run_before=standup_ready)


def test_standup_one_shop(snap_compare: Callable[..., bool], app: OpsdeskApp) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await standup_ready(pilot)
        await pilot.press("n", "n")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_explorer_conversion(snap_compare: Callable[..., bool], app: OpsdeskApp) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await standup_ready(pilot)
        await pilot.press("n", "n", "up", "up", "up", "e")
        await wait_for(pilot, lambda: getattr(pilot.app.screen, "data", None) is not None)
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
