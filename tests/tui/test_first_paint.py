"""The stand-up's first paint waits for nothing it does not show: the helper process that
loads the first frame's stand-up writes nothing, and the sections, which do write (today's
checklist runs, the KRIs' triggers) and query the PDCA steps due, load only once the first
frame is out. The KPI table that then replaces the first frame's picture joins with its
columns as wide as their cells."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from textual.widgets import DataTable

from conftest import make_app, wait_for
from opsdesk.bootstrap import initialise
from opsdesk.clock import Clock, fixed_clock
from opsdesk.demo import build_demo
from opsdesk.store.db import open_store
from opsdesk.tui.run import prefetch
from opsdesk.tui.screens.standup import KPI_COLUMNS, StandupScreen
from opsdesk.views.sections import load_sections

DEMO_END = date(2026, 11, 20)
OPS_DAY = date(2026, 11, 21)
"""The day after the demo's last: its checklist runs and KRI triggers are not stored yet."""
AFTER = fixed_clock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "demo.sqlite"
    conn = initialise(path)
    try:
        build_demo(conn, shops=2, days=28, end=DEMO_END)
    finally:
        conn.close()
    return path


def stored(db: Path) -> Callable[[], tuple[int, int]]:
    """(KRI triggers, checklist runs) as stored, read through a connection of its own."""
    conn = sqlite3.connect(db)

    def counts() -> tuple[int, int]:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM risk_triggers), (SELECT count(*) FROM sop_runs)"
        ).fetchone()
        return int(row[0]), int(row[1])

    return counts


def test_the_first_paints_helper_writes_nothing_the_sections_do(demo: Path) -> None:
    watcher = sqlite3.connect(demo)
    version = watcher.execute("PRAGMA data_version").fetchone()[0]
    counts = stored(demo)
    before = counts()
    got = prefetch(demo, AFTER)
    assert got["ops_day"] == OPS_DAY.isoformat() and got["standup"] is not None
    # no other connection committed anything
    assert watcher.execute("PRAGMA data_version").fetchone()[0] == version
    assert counts() == before
    conn = open_store(demo)
    try:
        titles = [s.title for s in load_sections(conn, OPS_DAY)]
    finally:
        conn.close()
    assert titles[:3] == [
        "Today's checklists (enter: open and tick)",
        "PDCA steps due",
        "Risks (6: the register)",
    ]
    # the sections create the day's runs and record the KRIs that fire
    assert watcher.execute("PRAGMA data_version").fetchone()[0] != version
    assert counts() == (before[0] + 2, before[1] + 8)


@pytest.mark.parametrize("preload", [True, False], ids=["prefetched", "loaded-by-the-screen"])
async def test_the_sections_load_after_the_first_frame(
    demo: Path, preload: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = stored(demo)
    before = counts()
    at_first_frame: list[tuple[int, int]] = []
    original = StandupScreen.after_first_frame

    async def first_frame_out(screen: StandupScreen) -> None:
        at_first_frame.append(counts())
        await original(screen)

    monkeypatch.setattr(StandupScreen, "after_first_frame", first_frame_out)
    app = make_app(demo, AFTER, preload=preload)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, StandupScreen)
        await wait_for(pilot, lambda: bool(screen.data and screen.data.sections), 20)
        assert at_first_frame == [before]  # nothing written before the first frame
        assert counts() == (before[0] + 2, before[1] + 8)
        assert screen.query(".standup-section")


def _cell_width(cell: Any) -> int:
    return cell_len(str(cell))


async def test_the_kpi_table_joins_with_each_column_as_wide_as_its_cells(
    tiny_store: Path, clock: Clock
) -> None:
    """A column's width is given, not measured when the table is next idle: a frame drawn
    before then showed every cell cut to its label's width ("Stock-", "607,1")."""
    app = make_app(tiny_store, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#kpi-table", DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert len(rows) == 21
        columns = table.ordered_columns
        assert [str(c.label) for c in columns] == list(KPI_COLUMNS)
        assert [c.auto_width for c in columns] == [False] * len(KPI_COLUMNS)
        assert [c.width for c in columns] == [
            max([cell_len(label)] + [_cell_width(row[i]) for row in rows])
            for i, label in enumerate(KPI_COLUMNS)
        ]
        # the widest metric name, e.g. "Negative-review rate", is whole
        assert columns[1].width == max(len(str(row[1])) for row in rows) > len("Metric")
