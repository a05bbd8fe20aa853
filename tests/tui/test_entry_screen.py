"""Manual entry driven with keys: values stored and audited, bad values refused at the field."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Input, Static

from conftest import OPS_DAY, toasts, wait_for
from opsdesk.store.connection import current_user
from opsdesk.store.db import open_store
from opsdesk.tui.app import OpsdeskApp
from opsdesk.tui.screens.entry import EntryScreen
from opsdesk.tui.widgets.grid import Grid


def stored(db: Path, shop: str, metric: str) -> list[tuple[str, float, int | None]]:
    conn = open_store(db)
    try:
        return [
            (r[0], r[1], r[2])
            for r in conn.execute(
                "SELECT o.day, o.value, o.import_id FROM observations o"
                " JOIN shops s ON s.id = o.shop_id JOIN metrics m ON m.id = o.metric_id"
                " WHERE s.key = ? AND m.key = ? AND o.day = ?",
                (shop, metric, OPS_DAY.isoformat()),
            )
        ]
    finally:
        conn.close()


async def open_entry(app: OpsdeskApp, pilot: object) -> EntryScreen:
    await pilot.press("3")  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: isinstance(app.focused, Input))
    assert isinstance(app.screen, EntryScreen)
    screen = app.screen
    await wait_for(pilot, lambda: screen.data is not None)
    return screen


def cell(screen: EntryScreen, metric: str, column: str) -> str:
    """What the form's table shows for `metric` in `column` (stored, typed, check)."""
    return screen.query_one("#entry-table", Grid).cell(metric, column).text


def field(screen: EntryScreen) -> Input:
    return screen.query_one("#entry-value", Input)


def reason(screen: EntryScreen) -> str:
    return str(screen.query_one("#entry-reason", Static).render())


async def test_typing_a_value_stores_it_with_an_audit_event(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await open_entry(app, pilot)
        # no shop chosen on the stand-up: the first shop (jd-home), on the ops day
        assert screen.sub_title == "jd-home · 2026-11-21"
        assert app.focused is field(screen)
        assert screen.metric is not None and screen.metric.key == "visitors"
        assert field(screen).value == ""
        # fields in catalogue order: visitors, paid visitors, buyers, ...
        await pilot.press(*"1,234", "tab", "tab", *"51")
        assert screen.metric.key == "buyers"
        assert (cell(screen, "visitors", "typed"), cell(screen, "visitors", "check")) == (
            "1,234",
            "• changed",
        )
        assert cell(screen, "paid_visitors", "check") == ""
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: stored(tiny_store, "jd-home", "buyers") != [])
        assert stored(tiny_store, "jd-home", "visitors") == [("2026-11-21", 1234.0, None)]
        assert stored(tiny_store, "jd-home", "buyers") == [("2026-11-21", 51.0, None)]
        await wait_for(pilot, lambda: cell(screen, "visitors", "stored") == "1,234")
        # saved: what was typed stays, and is no longer marked as a change
        assert cell(screen, "visitors", "typed") == "1,234"
        assert cell(screen, "visitors", "check") == ""
        await wait_for(pilot, lambda: "Saved 2 value(s) for jd-home on 2026-11-21." in toasts(app))
    conn = open_store(tiny_store)
    try:
        events = conn.execute(
            "SELECT actor, action, old, new FROM audit_events WHERE object_type = 'observation'"
            " ORDER BY id"
        ).fetchall()
    finally:
        conn.close()
    assert [(e["actor"], e["action"], e["old"], json.loads(e["new"])) for e in events] == [
        (current_user(), "set", None, 1234.0),
        (current_user(), "set", None, 51.0),
    ]


async def test_a_bad_value_is_refused_at_the_field_and_nothing_is_stored(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await open_entry(app, pilot)
        await pilot.press(*"800", "tab", "tab", *"12.5")
        refusal = "✗ Buyers is a count: 12.5 is not a whole number"
        assert reason(screen) == refusal
        assert cell(screen, "buyers", "check") == refusal
        assert cell(screen, "visitors", "check") == "• changed"
        await pilot.press("up", "up")  # back on visitors: no reason shown there
        assert screen.metric is not None and screen.metric.key == "visitors"
        assert (field(screen).value, reason(screen)) == ("800", "")
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        # refused: the cursor goes to the refused field, which keeps what was typed
        assert screen.metric.key == "buyers"
        assert app.focused is field(screen)
        assert (field(screen).value, reason(screen)) == ("12.5", refusal)
        await wait_for(pilot, lambda: any(t.startswith("Not saved") for t in toasts(app)))
        assert [t for t in toasts(app) if t.startswith("Not saved")] == [
            "Not saved: 1 field(s) refused — Buyers is a count: 12.5 is not a whole number"
        ]
        await pilot.press("end", "ctrl+u", *"abc")
        assert reason(screen) == "✗ 'abc' is not a number"
        assert field(screen).has_class("-invalid")
    # nothing at all was written: not even the valid visitors value
    assert stored(tiny_store, "jd-home", "visitors") == []
    assert stored(tiny_store, "jd-home", "buyers") == []


async def test_the_form_shows_current_values_and_moves_by_shop_and_day(app: OpsdeskApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_entry(app, pilot)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: screen.sub_title == "tmall-apparel · 2026-11-21")
        await wait_for(pilot, lambda: field(screen).value == "1140")
        assert cell(screen, "gmv", "stored") == "10,800"
        assert cell(screen, "gmv", "typed") == "10800"
        await pilot.press("ctrl+left")
        await wait_for(pilot, lambda: screen.sub_title == "tmall-apparel · 2026-11-20")
        await wait_for(pilot, lambda: field(screen).value == "1130")
        assert cell(screen, "gmv", "stored") == "10,600"


def test_parse_entry_reads_numbers_like_imports_and_checks_units() -> None:
    import pytest

    from opsdesk.domain.metrics import Metric
    from opsdesk.tui.screens.entry import parse_entry

    count = Metric("visitors", "Visitors", unit="count")
    money = Metric("gmv", "GMV", unit="CNY")
    score = Metric("dsr", "DSR", unit="score")
    assert parse_entry(count, " 1,234 ") == 1234.0
    assert parse_entry(money, "¥198.50") == 198.5
    assert parse_entry(count, "") is None
    with pytest.raises(ValueError, match="'-5' is negative"):
        parse_entry(count, "-5")
    with pytest.raises(ValueError, match="DSR is a score from 0 to 5: 7 is off the scale"):
        parse_entry(score, "7")


async def test_on_a_small_terminal_the_form_scrolls_to_the_field(app: OpsdeskApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_entry(app, pilot)
        grid = screen.query_one("#entry-table", Grid)
        assert screen.data is not None
        last = len(screen.data.metrics) - 1
        await pilot.press("shift+tab")  # from the first field up to the last one
        await pilot.pause()
        assert grid.cursor_row == last
        top = grid.scroll_offset.y
        assert top > 0 and top <= last < top + grid.size.height - 1  # in view, under the header
        await pilot.press("tab")  # and round to the first
        await pilot.pause()
        assert (grid.cursor_row, grid.scroll_offset.y) == (0, 0)


async def test_computed_metrics_are_not_offered_and_no_day_after_the_ops_day(
    app: OpsdeskApp,
) -> None:
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await open_entry(app, pilot)
        assert screen.data is not None
        keys = [m.key for m in screen.data.metrics]
        assert "visitors" in keys and "dsr" in keys
        assert "sop_due" not in keys and "sop_on_time" not in keys  # counted from checklists
        assert screen.sub_title == "jd-home · 2026-11-21"
        await pilot.press("ctrl+right")
        await wait_for(pilot, lambda: any(t.startswith("No values") for t in toasts(app)))
        assert screen.sub_title == "jd-home · 2026-11-21"  # the ops day: the form stays
        assert [t for t in toasts(app) if t.startswith("No values")] == [
            "No values after the ops day 2026-11-21: that day is not over yet."
        ]
        await pilot.press("ctrl+left")
        await wait_for(pilot, lambda: screen.sub_title == "jd-home · 2026-11-20")


async def test_a_cross_metric_refusal_comes_and_goes_as_the_other_field_changes(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await open_entry(app, pilot)
        # jd-home has nothing on the ops day: visitors 80, then buyers 90 breaks the rule
        await pilot.press(*"80", "tab", "tab", *"90")
        refusal = "✗ Buyers 90 is more than Visitors 80 (buyers ≤ visitors)"
        assert (reason(screen), cell(screen, "buyers", "check")) == (refusal, refusal)
        await pilot.press("up", "up", "ctrl+u", *"100")  # more visitors: both fields good
        assert cell(screen, "buyers", "check") == "• changed"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: stored(tiny_store, "jd-home", "buyers") != [])
        assert stored(tiny_store, "jd-home", "visitors") == [("2026-11-21", 100.0, None)]
        assert stored(tiny_store, "jd-home", "buyers") == [("2026-11-21", 90.0, None)]
