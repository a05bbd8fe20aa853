"""Manual entry driven with keys: values stored and audited, bad values refused at the field."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Input, Static

from conftest import OPS_DAY, wait_for
from opsdesk.store.connection import current_user
from opsdesk.store.db import open_store
from opsdesk.tui.app import OpsdeskApp
from opsdesk.tui.screens.entry import EntryScreen


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
    return app.screen


async def test_typing_a_value_stores_it_with_an_audit_event(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await open_entry(app, pilot)
        # no shop chosen on the stand-up: the first shop (jd-home), on the ops day
        assert screen.sub_title == "jd-home · 2026-11-21"
        assert app.focused is screen.query_one("#value-visitors", Input)
        assert screen.query_one("#value-visitors", Input).value == ""
        # fields in catalogue order: visitors, paid visitors, buyers, ...
        await pilot.press(*"1,234", "tab", "tab", *"51", "ctrl+s")
        await wait_for(pilot, lambda: stored(tiny_store, "jd-home", "buyers") != [])
        assert stored(tiny_store, "jd-home", "visitors") == [("2026-11-21", 1234.0, None)]
        assert stored(tiny_store, "jd-home", "buyers") == [("2026-11-21", 51.0, None)]
        await wait_for(
            pilot, lambda: str(screen.query_one("#current-visitors", Static).render()) == "1,234"
        )
        assert any(
            "Saved 2 value(s) for jd-home on 2026-11-21" in n.message for n in app._notifications
        )
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
        error = screen.query_one("#error-buyers", Static)
        assert str(error.render()) == "✗ '12.5': Buyers is a count, a whole number"
        assert str(screen.query_one("#error-visitors", Static).render()) == ""
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        assert app.focused is screen.query_one("#value-buyers", Input)
        assert any("Not saved: 1 field(s) refused" in n.message for n in app._notifications)
        await pilot.press("end", "ctrl+u", *"abc")
        assert str(error.render()) == "✗ 'abc' is not a number"
    # nothing at all was written: not even the valid visitors value
    assert stored(tiny_store, "jd-home", "visitors") == []
    assert stored(tiny_store, "jd-home", "buyers") == []


async def test_the_form_shows_current_values_and_moves_by_shop_and_day(app: OpsdeskApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_entry(app, pilot)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: screen.sub_title == "tmall-apparel · 2026-11-21")
        await wait_for(pilot, lambda: screen.query_one("#value-visitors", Input).value == "1140")
        assert str(screen.query_one("#current-gmv", Static).render()) == "10,800"
        await pilot.press("ctrl+left")
        await wait_for(pilot, lambda: screen.sub_title == "tmall-apparel · 2026-11-20")
        await wait_for(pilot, lambda: screen.query_one("#value-visitors", Input).value == "1130")


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
    with pytest.raises(ValueError, match="a score lies between 0 and 5"):
        parse_entry(score, "7")
