"""Snapshots of the PDCA board and a cycle screen at 120x40 on the tiny store with a fixed
clock (update with --snapshot-update after checking the new SVGs by eye). Stage times and
actors are pinned after seeding, so the pictures do not depend on when or by whom they run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable

from conftest import make_app, wait_for
from opsdesk.clock import Clock
from opsdesk.store import pdca
from opsdesk.store.db import open_store
from opsdesk.tui.screens.pdca import PdcaBoardScreen
from opsdesk.tui.screens.pdca_cycle import CycleScreen

SIZE = (120, 40)
TODAY = date(2026, 11, 22)


def _seed(db: Path) -> None:
    conn = open_store(db)
    try:
        a = pdca.open_cycle(
            conn,
            today=TODAY,
            title="Lift conversion",
            metric_key="conversion_rate",
            shop_key="tmall-apparel",
            owner="li.na",
            baseline=(date(2026, 11, 7), date(2026, 11, 13)),
        )
        pdca.edit(
            conn,
            a.id,
            today=TODAY,
            hypothesis="[b]Lifestyle[/b] images convert better",
            plan="Swap the top 20 main images",
            target=0.05,
            due_do=date(2026, 11, 20),
        )
        pdca.add_action(conn, a.id, "Shoot the images", "chen.jie", date(2026, 11, 18))
        pdca.move(conn, a.id, "do", today=TODAY)
        pdca.edit(conn, a.id, today=TODAY, change_date=date(2026, 11, 14))
        pdca.move(conn, a.id, "check", today=TODAY)
        pdca.open_cycle(
            conn,
            today=TODAY,
            title="More visitors at jd-home",
            metric_key="visitors",
            shop_key="jd-home",
            owner="chen.jie",
        )
        conn.execute("UPDATE pdca_stage_history SET at = '2026-11-15T02:00:00+00:00', by = 'li.na'")
        conn.execute("UPDATE pdca_cycles SET stage_since = '2026-11-15T02:00:00+00:00'")
    finally:
        conn.close()


def test_pdca_board(snap_compare: Callable[..., bool], tiny_store: Path, clock: Clock) -> None:
    _seed(tiny_store)

    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press("5")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, PdcaBoardScreen))
        await wait_for(
            pilot, lambda: pilot.app.screen.query_one("#pdca-plan", DataTable).row_count == 1
        )
        await pilot.pause(0.3)

    assert snap_compare(make_app(tiny_store, clock), terminal_size=SIZE, run_before=run_before)


def test_pdca_cycle_screen(
    snap_compare: Callable[..., bool], tiny_store: Path, clock: Clock
) -> None:
    _seed(tiny_store)

    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press("5")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, PdcaBoardScreen))
        table = pilot.app.screen.query_one("#pdca-check", DataTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        table.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CycleScreen))
        await wait_for(pilot, lambda: pilot.app.screen.detail is not None)  # type: ignore[attr-defined]
        await pilot.pause(0.3)

    assert snap_compare(make_app(tiny_store, clock), terminal_size=SIZE, run_before=run_before)
