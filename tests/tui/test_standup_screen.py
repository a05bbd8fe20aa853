"""The stand-up driven with keys on the tiny store (see conftest): numbers, shops, alerts,
live refresh and database errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from textual.widgets import DataTable, Static

from conftest import OPS_DAY, toasts, wait_for
from opsdesk.domain.times import local_label
from opsdesk.store import settings
from opsdesk.store.connection import current_user
from opsdesk.store.db import open_store
from opsdesk.store.observations import set_value
from opsdesk.tui.app import OpsdeskApp
from opsdesk.tui.screens.standup import StandupScreen


def kpi_rows(app: OpsdeskApp) -> dict[str, list[str]]:
    """metric key -> the row's cells as text."""
    table = app.screen.query_one("#kpi-table", DataTable)
    return {
        str(key.value): [str(c) for c in table.get_row(key)]
        for key in (table.coordinate_to_cell_key((i, 0)).row_key for i in range(table.row_count))
    }


def text_of(app: OpsdeskApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_opens_on_the_standup_of_the_ops_day_with_its_numbers(app: OpsdeskApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StandupScreen)
        assert (app.screen.title, app.screen.sub_title) == ("Stand-up", "2026-11-21")
        assert text_of(app, "#standup-banner") == (
            "✗ jd-home: no data for 2026-11-21 — import it or type it in (m)"
        )
        assert "▶ All shops (1 of 2 reporting)" in text_of(app, "#shop-bar")
        rows = kpi_rows(app)
        # All shops: jd-home has nothing on the day, so the summary covers the shops that
        # reported (tmall-apparel, day 14) on every day it compares: like for like, and the
        # statuses are real ones; jd-home's own page and the banner say it is missing.
        assert rows["visitors"][:6] == ["·", "Visitors", "1,140", "—", "▲0.9%", "▲6.5%"]
        assert rows["conversion_rate"][:4] == ["!", "Conversion", "4.74%", "5.00%"]
        assert "?" not in {r[0] for r in rows.values()}


async def test_switching_shop_shows_that_shops_numbers(app: OpsdeskApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        # a loaded machine may take a moment per switch: wait for what the user would see
        await pilot.press("n")  # shops in key order: jd-home, tmall-apparel
        await wait_for(pilot, lambda: "▶ jd-home" in text_of(app, "#shop-bar"))
        await wait_for(pilot, lambda: kpi_rows(app)["visitors"][2] == "—")
        await pilot.press("n")
        await wait_for(pilot, lambda: "▶ tmall-apparel" in text_of(app, "#shop-bar"))
        await wait_for(pilot, lambda: kpi_rows(app)["visitors"][2] == "1,140")
        rows = kpi_rows(app)
        # visitors 1140 vs 1130 the day before (+0.9%) and 1070 a week before (+6.5%)
        assert rows["visitors"][1:6] == ["Visitors", "1,140", "—", "▲0.9%", "▲6.5%"]
        # conversion 54/1140 = 4.74%: under the 5% target, inside its 0.5-point amber band;
        # amber comes first (nothing is red), visitors has no target
        first = next(iter(rows.values()))
        assert first[:6] == ["!", "Conversion", "4.74%", "5.00%", "▲1.0%", "▲7.8%"]
        assert rows["visitors"][0] == "·"
        assert rows["roas"][0:3] == ["✓", "ROAS", "4.00×"]
        assert app.shop_key == "tmall-apparel"
        await pilot.press("p")
        await wait_for(pilot, lambda: "▶ jd-home" in text_of(app, "#shop-bar"))


async def test_acknowledging_an_alert_stores_who_and_dims_it(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)  # the alerts table joins after the first frame
        alerts = app.screen.query_one("#alert-table", DataTable)
        assert alerts.row_count == 1
        assert [str(c) for c in alerts.get_row_at(0)] == [
            "✗",
            "—",
            "jd-home: no data for 2026-11-21 (an export not imported?)",
        ]
        assert text_of(app, "#alerts-title") == "Alerts (1 open, a: acknowledge)"
        alerts.focus()
        await pilot.press("a")
        await wait_for(pilot, lambda: "0 open" in text_of(app, "#alerts-title"))
        alerts = app.screen.query_one("#alert-table", DataTable)
        cells = [str(c) for c in alerts.get_row_at(0)]
        assert cells[0] == "✓" and cells[1].startswith(f"{current_user()} ")
        assert text_of(app, "#alerts-title") == "Alerts (0 open, a: acknowledge)"
    conn = open_store(tiny_store)
    try:
        row = conn.execute(
            "SELECT a.acked_by, a.acked_at, a.severity FROM alerts a JOIN shops s"
            " ON s.id = a.shop_id WHERE s.key = 'jd-home' AND a.rule_key = 'stale-data'"
            " AND a.day = ?",
            (OPS_DAY.isoformat(),),
        ).fetchone()
        assert row["acked_by"] == current_user()
        assert row["acked_at"] is not None and row["severity"] == "red"
        # shown in the store's time (Asia/Shanghai), not the stored UTC
        shown = local_label(row["acked_at"], settings.read(conn).timezone, time_only=True)
        assert cells[1] == f"{current_user()} {shown}"
        audit = conn.execute(
            "SELECT actor FROM audit_events WHERE object_type = 'alert'"
        ).fetchall()
        assert [r["actor"] for r in audit] == [current_user()]
    finally:
        conn.close()


async def test_a_change_by_another_session_shows_without_losing_the_cursor(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("n")  # jd-home: no data yet
        table = app.screen.query_one("#kpi-table", DataTable)
        table.focus()
        await pilot.press("down", "down", "down")
        key_before = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        other = open_store(tiny_store)
        try:
            set_value(other, "jd-home", "visitors", OPS_DAY, 777)
        finally:
            other.close()
        # the app polls every 0.2 s in tests (1 s by default): well within 2 s
        await wait_for(pilot, lambda: kpi_rows(app)["visitors"][2] == "777", seconds=2.0)
        table = app.screen.query_one("#kpi-table", DataTable)
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == key_before
        assert "▶ jd-home" in text_of(app, "#shop-bar")


async def test_a_database_error_is_a_notification_not_a_crash(
    app: OpsdeskApp, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"this is not a database" * 100)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        app.db = broken
        await pilot.press("f5")

        await wait_for(pilot, lambda: any("file is not a database" in t for t in toasts(app)))
        # (the areas built in the background meanwhile may say the same)
        assert {t for t in toasts(app) if "file is not a database" in t} == {
            "Store\ndatabase error: file is not a database"
        }
        assert isinstance(app.screen, StandupScreen)
        assert kpi_rows(app)["visitors"][2] == "1,140"  # the last good data stays


def test_model_survives_the_process_boundary(tiny_store: Path) -> None:
    import marshal

    from opsdesk.views.standup_model import StandupModel, build

    conn = open_store(tiny_store)
    try:
        model = build(conn, OPS_DAY)
    finally:
        conn.close()
    assert StandupModel.from_wire(marshal.loads(marshal.dumps(model.to_wire()))) == model
    assert model.missing() == ["jd-home"]
    assert [p.shop_key for p in model.pages] == [None, "jd-home", "tmall-apparel"]


def test_store_is_read_only_for_the_standup(tiny_store: Path) -> None:
    before = sqlite3.connect(tiny_store).execute("SELECT count(*) FROM audit_events").fetchone()
    from opsdesk.views.standup_model import build

    conn = open_store(tiny_store)
    try:
        build(conn, OPS_DAY)
    finally:
        conn.close()
    after = sqlite3.connect(tiny_store).execute("SELECT count(*) FROM audit_events").fetchone()
    assert before == after


async def test_an_area_left_while_the_store_changed_is_current_when_back(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("2")
        await wait_for(pilot, lambda: getattr(app.screen, "data", None) is not None)
        other = open_store(tiny_store)
        try:
            set_value(other, "tmall-apparel", "visitors", OPS_DAY, 1200)
        finally:
            other.close()
        await wait_for(pilot, lambda: app.store_generation > 0, seconds=2.0)
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, StandupScreen))
        # all shops: tmall-apparel alone has data on the day
        await wait_for(pilot, lambda: kpi_rows(app)["visitors"][2] == "1,200", seconds=2.0)


async def test_the_kpi_table_replaces_its_first_frame_picture_and_has_the_focus(
    app: OpsdeskApp,
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert not app.screen.query("#kpi-preview")
        table = app.screen.query_one("#kpi-table", DataTable)
        assert app.screen.focused is table
        assert table.row_count == 21
