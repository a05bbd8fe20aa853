"""The five morning tasks, each driven from launch at 80×24 with its keys counted (issue 9 §4).

Keys are the commands pressed; the digits of a value typed into the entry form (task 5) are
the value, not keys. Each task must take three keys or fewer, and the palette must find the
commands by the words a user would type ("tick", "alert", "acknowledge").
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, OptionList

from conftest import make_app, wait_for
from opsdesk.clock import Clock
from opsdesk.config import AppConfig
from opsdesk.store.connection import write_transaction
from opsdesk.store.db import open_store
from opsdesk.tui.app import OpsdeskApp
from opsdesk.tui.screens.checklists_run import ChecklistRunScreen
from opsdesk.tui.screens.entry import EntryScreen
from opsdesk.tui.screens.explorer import ExplorerScreen

SIZE = (80, 24)
MAX_KEYS = 3


class Keys:
    """Presses keys through the pilot and counts them."""

    def __init__(self, pilot: Any) -> None:
        self.pilot = pilot
        self.count = 0

    async def press(self, *keys: str) -> None:
        self.count += len(keys)
        await self.pilot.press(*keys)

    async def type(self, text: str) -> None:
        """A value typed into a field: not counted as keys."""
        await self.pilot.press(*text)


def tmall_conversion_falls(db: Path) -> None:
    """tmall-apparel's buyers on the ops day fall to 20 (conversion 1.8%): a red alert."""
    conn = open_store(db)
    try:
        with write_transaction(conn):
            conn.execute(
                "UPDATE observations SET value = 20 WHERE day = '2026-11-21'"
                " AND shop_id = (SELECT id FROM shops WHERE key = 'tmall-apparel')"
                " AND metric_id = (SELECT id FROM metrics WHERE key = 'buyers')"
            )
    finally:
        conn.close()


async def launched(app: OpsdeskApp, pilot: Any) -> Keys:
    await wait_for(pilot, lambda: app.screen.query("#alert-table").first() is not None)
    await pilot.pause(0.2)
    return Keys(pilot)


async def test_1_red_kpis_of_all_shops_and_the_shop_behind_each(
    tiny_store: Path, clock: Clock
) -> None:
    tmall_conversion_falls(tiny_store)
    app = make_app(tiny_store, clock)
    async with app.run_test(size=SIZE) as pilot:
        keys = await launched(app, pilot)
        table = app.screen.query_one("#kpi-table", DataTable)
        assert str(table.get_row_at(0)[1]) == "Conversion"  # worst first, as launched
        await keys.press("g")
        await wait_for(pilot, lambda: len(table.columns) == 5)
        assert [str(c.label) for c in table.columns.values()] == [
            "",
            "Metric",
            "All shops",
            "jd-home",
            "tmall-apparel",
        ]
        # the all-shops row and, beside it, which shop is red and which has no data
        assert [str(c) for c in table.get_row_at(0)] == [
            "✗",
            "Conversion",
            "1.75% ✗",
            "— ?",
            "1.75% ✗",
        ]
        assert all(str(row) for row in table.get_row_at(0))
    assert keys.count == 1 <= MAX_KEYS


async def test_2_why_a_shops_conversion_fell_its_chart(tiny_store: Path, clock: Clock) -> None:
    tmall_conversion_falls(tiny_store)
    app = make_app(tiny_store, clock)
    async with app.run_test(size=SIZE) as pilot:
        keys = await launched(app, pilot)
        alerts = app.screen.query_one("#alert-table", DataTable)
        await keys.press("tab")  # to the alerts
        assert app.focused is alerts
        row = next(
            i
            for i in range(alerts.row_count)
            if "tmall-apparel: Conversion" in str(alerts.get_row_at(i)[2])
        )
        await keys.press(*["down"] * row, "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ExplorerScreen))
        screen = app.screen
        assert isinstance(screen, ExplorerScreen)
        assert (app.metric_key, app.shop_key) == ("conversion_rate", "tmall-apparel")
    assert keys.count == 3 <= MAX_KEYS


@pytest.mark.parametrize(
    ("role", "first"),
    [
        ("", "CS & after-sales queue · jd-home"),
        ("promotion", "Daily traffic & ads check · jd-home"),
    ],
)
async def test_3_tick_an_item_of_todays_daily_checklist(
    tiny_store: Path, clock: Clock, role: str, first: str
) -> None:
    app = make_app(tiny_store, clock, AppConfig(refresh_seconds=0.2, role=role))
    async with app.run_test(size=SIZE) as pilot:
        keys = await launched(app, pilot)
        await keys.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, ChecklistRunScreen))
        run = app.screen
        assert isinstance(run, ChecklistRunScreen)
        await wait_for(pilot, lambda: run.view is not None)
        assert run.view is not None and run.view.title.startswith(first)
        await keys.press("space")
        await wait_for(pilot, lambda: item_state(tiny_store, run.run_id, 1) == "done")
    assert keys.count == 2 <= MAX_KEYS


async def test_3_enter_on_a_stand_up_checklist_line_opens_that_run(
    tiny_store: Path, clock: Clock
) -> None:
    app = make_app(tiny_store, clock)
    async with app.run_test(size=SIZE) as pilot:
        await launched(app, pilot)
        await wait_for(pilot, lambda: bool(app.screen.query(".section-lines")))
        await pilot.pause(1.0)  # the runs created at launch: the sections reloaded
        lines = app.screen.query(".section-lines").first()
        lines.focus()
        await pilot.pause()
        await pilot.press("down")  # the second line
        await pilot.pause()
        lines = app.focused  # the same list, or its copy after a reload (cursor kept)
        assert isinstance(lines, OptionList) and lines.highlighted == 1
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ChecklistRunScreen))
        assert isinstance(app.screen, ChecklistRunScreen)
        assert app.screen.run_id == int(str(lines.get_option_at_index(1).id).removeprefix("run:"))
        await pilot.press("escape")  # back to the checklists area
        await wait_for(pilot, lambda: app.current_mode == "checklists")


async def test_4_acknowledge_an_alert(tiny_store: Path, clock: Clock) -> None:
    app = make_app(tiny_store, clock)
    async with app.run_test(size=SIZE) as pilot:
        keys = await launched(app, pilot)
        await keys.press("a")  # the alert under the alerts' cursor: the first
        await wait_for(pilot, lambda: acks(tiny_store) != [])
    assert acks(tiny_store) == ["stale-data/jd-home"]
    assert keys.count == 1 <= MAX_KEYS


async def test_5_type_in_a_missing_value(tiny_store: Path, clock: Clock) -> None:
    app = make_app(tiny_store, clock)
    async with app.run_test(size=SIZE) as pilot:
        keys = await launched(app, pilot)
        await keys.press("m")  # the banner's shop with no data, on the banner's day
        await wait_for(pilot, lambda: isinstance(app.screen, EntryScreen))
        screen = app.screen
        assert isinstance(screen, EntryScreen)
        await wait_for(pilot, lambda: screen.sub_title == "jd-home · 2026-11-21")
        await keys.type("1130")
        await keys.press("ctrl+s")
        await wait_for(pilot, lambda: visitors(tiny_store) == [("2026-11-21", 1130.0)])
    assert keys.count == 2 <= MAX_KEYS


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("tick", "Tick today's checklist"),
        ("alert", "Acknowledge alert"),
        ("acknowledge", "Acknowledge alert"),
    ],
)
async def test_the_palette_finds_the_morning_commands(
    app: OpsdeskApp, query: str, found: str
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p", *query)
        await pilot.pause(0.5)
        from textual.command import CommandList

        options = app.screen.query_one(CommandList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any(found in p for p in prompts), prompts


def item_state(db: Path, run_id: int, position: int) -> str:
    with sqlite3.connect(db) as c:
        row = c.execute(
            "SELECT state FROM sop_run_items WHERE run_id = ? AND position = ?", (run_id, position)
        ).fetchone()
    return str(row[0])


def acks(db: Path) -> list[str]:
    """The acknowledged alerts: rule/shop."""
    with sqlite3.connect(db) as c:
        return [
            f"{r[0]}/{r[1]}"
            for r in c.execute(
                "SELECT a.rule_key, s.key FROM alerts a JOIN shops s ON s.id = a.shop_id"
                " WHERE a.acked_by IS NOT NULL ORDER BY a.id"
            )
        ]


def visitors(db: Path) -> list[tuple[str, float]]:
    with sqlite3.connect(db) as c:
        return [
            (str(r[0]), float(r[1]))
            for r in c.execute(
                "SELECT o.day, o.value FROM observations o JOIN shops s ON s.id = o.shop_id"
                " JOIN metrics m ON m.id = o.metric_id"
                " WHERE s.key = 'jd-home' AND m.key = 'visitors' AND o.day = '2026-11-21'"
            )
        ]
