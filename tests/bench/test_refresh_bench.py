"""Benchmark (make bench): how soon another session's tick shows on a run open in the app.

A demo store (2 shops, 28 days to yesterday, so today's runs are open), the app at the default
refresh interval (1 s) with a run of today open; another connection ticks one item at a time
and the app is polled every 10 ms until the item shows ticked. Figures are printed (median and
worst of the ticks); expect about the refresh interval plus a reload; nothing is asserted.
"""

from __future__ import annotations

import statistics
import time
from datetime import date, timedelta
from pathlib import Path

from textual.widgets import DataTable

from opsdesk.bootstrap import initialise
from opsdesk.clock import system_clock
from opsdesk.config import AppConfig
from opsdesk.demo import build_demo
from opsdesk.store import checklists
from opsdesk.store.db import open_store
from opsdesk.tui.app import AppSettings, create_app
from opsdesk.tui.run import prefetch
from opsdesk.tui.screens.checklists import ChecklistsScreen
from opsdesk.tui.screens.checklists_run import ChecklistRunScreen
from opsdesk.views.standup_model import StandupModel

TICKS = 5


async def _until(pilot, condition, seconds: float = 10.0) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    while not condition():
        assert time.perf_counter() - started < seconds, "not shown within 10 s"
        await pilot.pause(0.01)
    return time.perf_counter() - started


async def test_another_sessions_tick_shows_on_an_open_run(tmp_path: Path) -> None:
    db = tmp_path / "bench.sqlite"
    conn = initialise(db)
    build_demo(conn, shops=2, days=28, end=date.today() - timedelta(days=1))
    conn.close()
    clock = system_clock  # today's runs are open: the other session ticks them now
    got = prefetch(db, clock)
    settings = AppSettings(
        db=db,
        config=AppConfig(),
        ops_day=date.fromisoformat(got["ops_day"]),
        initial_standup=StandupModel.from_wire(got["standup"]),
    )
    app = create_app(settings, clock)
    conn = open_store(db)
    figures = []
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("4")
        await _until(pilot, lambda: isinstance(app.screen, ChecklistsScreen))
        table = app.screen.query_one("#run-table", DataTable)
        await _until(pilot, lambda: table.row_count > 0)
        keys = [str(k.value) for k in table.rows]
        run = next(
            r
            for r in (checklists.get_run(conn, int(k)) for k in keys)
            if r.state == "open" and len(r.items) >= TICKS
        )
        table.move_cursor(row=table.get_row_index(str(run.id)), animate=False)
        await pilot.press("enter")
        await _until(pilot, lambda: isinstance(app.screen, ChecklistRunScreen))
        items = app.screen.query_one("#item-table", DataTable)
        await _until(pilot, lambda: items.row_count > 0)
        for position in range(1, TICKS + 1):
            checklists.tick(conn, run.id, position)
            row = position - 1
            shown = await _until(pilot, lambda r=row: str(items.get_cell_at((r, 0))) == "[x]")
            figures.append(shown)
    conn.close()
    print(
        f"\nanother session's tick on an open run, {TICKS} ticks, refresh interval "
        f"{AppConfig().refresh_seconds:.1f} s: median {statistics.median(figures) * 1000:.0f} ms, "
        f"worst {max(figures) * 1000:.0f} ms"
    )
