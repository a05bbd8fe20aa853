"""ctrl+z, `h` (an object's history) and the edit conflict dialog, driven with keys on the tiny
store (issue 13 §4): what the screen shows and what the store holds after each key."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static

from conftest import make_app, toasts, wait_for
from opsdesk.clock import Clock
from opsdesk.store import checklists, observations, pdca, shops
from opsdesk.store.connection import current_user
from opsdesk.store.db import open_store
from opsdesk.tui.app import OpsdeskApp
from opsdesk.tui.screens.checklists import ChecklistsScreen
from opsdesk.tui.screens.checklists_run import ChecklistRunScreen
from opsdesk.tui.screens.history import HistoryScreen
from opsdesk.tui.screens.pdca import PdcaBoardScreen
from opsdesk.tui.screens.standup import StandupScreen
from opsdesk.tui.widgets.checklist_dialog import ChecklistTextDialog
from opsdesk.tui.widgets.conflict_dialog import ConflictDialog

TODAY = date(2026, 11, 22)
ADS = "daily-traffic-ads"
ME = current_user()


def _run_id(db: Path) -> int:
    conn = open_store(db)
    try:
        return checklists.history(conn, ADS, TODAY, TODAY, shop_key="tmall-apparel")[0].id
    finally:
        conn.close()


def _item(db: Path, run_id: int, position: int) -> tuple[str, str]:
    with sqlite3.connect(db) as c:
        row = c.execute(
            "SELECT state, note FROM sop_run_items WHERE run_id = ? AND position = ?",
            (run_id, position),
        ).fetchone()
    return row[0], row[1]


async def _open_run(app: OpsdeskApp, pilot) -> tuple[int, DataTable]:  # type: ignore[no-untyped-def,type-arg]
    """Today's traffic check of tmall-apparel (created when the app opened), opened."""
    await pilot.press("4")
    await wait_for(pilot, lambda: isinstance(app.screen, ChecklistsScreen))
    table = app.screen.query_one("#run-table", DataTable)
    await wait_for(pilot, lambda: table.row_count > 0)
    run_id = _run_id(Path(app.db))
    table.move_cursor(row=table.get_row_index(str(run_id)), animate=False)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, ChecklistRunScreen))
    items = app.screen.query_one("#item-table", DataTable)
    await wait_for(pilot, lambda: items.row_count > 0)
    return run_id, items


async def test_ctrl_z_takes_back_the_sessions_last_tick_with_a_toast(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    async with app.run_test(size=(140, 45), notifications=True) as pilot:
        run_id, items = await _open_run(app, pilot)
        await pilot.press("space")
        await wait_for(pilot, lambda: _item(tiny_store, run_id, 1)[0] == "done")
        await wait_for(pilot, lambda: str(items.get_row_at(0)[0]) == "[x]")
        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: _item(tiny_store, run_id, 1)[0] == "open")
        await wait_for(pilot, lambda: any(t.startswith("Undone\n") for t in toasts(app)))
        toast = next(t for t in toasts(app) if t.startswith("Undone\n"))
        assert f"  {ME}  sop_run_item {run_id}/1  tick  open → done" in toast
        await wait_for(pilot, lambda: str(items.get_row_at(0)[0]) == "[ ]")
        await pilot.press("ctrl+z")  # nothing of this session's is left to take back
        await wait_for(pilot, lambda: any(t.startswith("Undo\n") for t in toasts(app)))
        assert any(t == "Undo\nnothing of yours to undo" for t in toasts(app))
        with sqlite3.connect(tiny_store) as c:
            assert c.execute(
                "SELECT action, undoes IS NOT NULL FROM audit_events"
                " WHERE object_type = 'sop_run_item' ORDER BY id"
            ).fetchall() == [("tick", 0), ("untick", 1)]


async def test_ctrl_z_passes_over_what_cannot_be_undone_saying_so(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        run_id, items = await _open_run(app, pilot)
        await pilot.press("space")
        await wait_for(pilot, lambda: _item(tiny_store, run_id, 1)[0] == "done")
        conn = open_store(tiny_store)  # this session adds a shop: not undoable
        try:
            shops.add(conn, "jd-extra", "JD extra", "jd")
            shop = conn.execute("SELECT max(id) FROM audit_events").fetchone()[0]
        finally:
            conn.close()
        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: _item(tiny_store, run_id, 1)[0] == "open")
        await wait_for(pilot, lambda: any(t.startswith("Undone\n") for t in toasts(app)))
        toast = next(t for t in toasts(app) if t.startswith("Undone\n"))
        assert toast.splitlines()[-1] == (
            f"passed over what can't be undone: adding a shop (#{shop})"
        )
        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: any(t.startswith("Undo\n") for t in toasts(app)))
        assert f"Undo\nnothing of yours to undo: adding a shop (#{shop}) can't be undone" in (
            toasts(app)
        )


async def test_ctrl_z_leaves_other_sessions_changes_alone(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    async with app.run_test(size=(140, 45), notifications=True) as pilot:
        conn = open_store(tiny_store)  # another session (this process, another session id)
        try:
            from opsdesk.store import audit

            mine = audit.session()
            audit.new_session()
            observations.set_values(conn, "jd-home", date(2026, 11, 21), {"orders": 5.0})
            audit._session = mine  # noqa: SLF001 (back to the app's)
        finally:
            conn.close()
        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: any(t.startswith("Undo\n") for t in toasts(app)))
        with sqlite3.connect(tiny_store) as c:
            assert c.execute(
                "SELECT count(*) FROM observations o JOIN shops s ON s.id = o.shop_id"
                " WHERE s.key = 'jd-home' AND o.day = '2026-11-21'"
            ).fetchone() == (1,)


async def test_h_on_a_kpi_value_shows_its_history(app: OpsdeskApp, tiny_store: Path) -> None:
    conn = open_store(tiny_store)
    try:
        observations.set_values(conn, "jd-home", date(2026, 11, 21), {"visitors": 600.0})
    finally:
        conn.close()
    async with app.run_test(size=(140, 45)) as pilot:
        kpis = app.screen.query_one("#kpi-table", DataTable)
        await wait_for(pilot, lambda: kpis.row_count > 0)
        await pilot.press("h")  # all shops: a value's history is per shop
        await pilot.pause()
        assert not isinstance(app.screen, HistoryScreen)
        await pilot.press("n")  # jd-home
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StandupScreen)
        row = next(
            i
            for i in range(kpis.row_count)
            if kpis.coordinate_to_cell_key((i, 0)).row_key.value == "conversion_rate"
        )
        kpis = app.screen.query_one("#kpi-table", DataTable)
        kpis.move_cursor(row=row, animate=False)
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        table = app.screen.query_one("#history-table", DataTable)
        await wait_for(pilot, lambda: table.row_count > 0)
        assert app.screen.sub_title == "conversion_rate · jd-home · 2026-11-21"
        cells = [str(c) for c in table.get_row_at(0)]
        assert cells[2:] == [
            ME,
            "observation jd-home/visitors/2026-11-21  set",
            "— → 600",
        ]
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, StandupScreen))


async def test_h_on_a_pdca_board_card_shows_the_cycles_history(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    conn = open_store(tiny_store)
    try:
        c = pdca.open_cycle(
            conn, today=TODAY, title="Lift CR", metric_key="conversion_rate", shop_key="jd-home"
        )
        opened = conn.execute("SELECT max(id) FROM audit_events").fetchone()[0]
    finally:
        conn.close()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("5")
        await wait_for(pilot, lambda: isinstance(app.screen, PdcaBoardScreen))
        board = app.screen
        await wait_for(pilot, lambda: board._focused_card() == c.id)  # noqa: SLF001
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        table = app.screen.query_one("#history-table", DataTable)
        await wait_for(pilot, lambda: table.row_count > 0)
        assert app.screen.sub_title == f"PDCA cycle {c.id}"
        assert table.row_count == 1
        assert str(table.get_row_at(0)[0]) == str(opened)
        assert [str(x) for x in table.get_row_at(0)[2:4]] == [ME, f"pdca {c.id}  open"]


async def test_h_on_a_derived_kpi_says_where_its_base_values_came_from(
    app: OpsdeskApp, tiny_store: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No event per value (the tiny store's values, like the demo's, are written directly):
    the history says where each base value came from instead of "no recorded change"."""
    from opsdesk.store import audit

    monkeypatch.setattr(audit, "now_iso", lambda: "2026-11-30T12:04:00+00:00")
    async with app.run_test(size=(80, 24)) as pilot:
        await _kpi_history(app, pilot, "p", "conversion_rate")
        summary = str(app.screen.query_one("#history-summary", Static).render())
        assert summary == (
            "buyers 54: written without a recorded change\n"
            "visitors 1140: written without a recorded change"
        )
    conn = open_store(tiny_store)
    try:
        audit.record(conn, "demo", "store", "build", None, {"shops": ["tmall-apparel"]})
        conn.commit()
        demo = conn.execute("SELECT max(id) FROM audit_events").fetchone()[0]
    finally:
        conn.close()
    app = make_app(tiny_store, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await _kpi_history(app, pilot, "p", "conversion_rate")
        summary = str(app.screen.query_one("#history-summary", Static).render())
        assert summary == (
            f"buyers 54: from the demo build #{demo} (2026-11-30 20:04, {ME})\n"
            f"visitors 1140: from the demo build #{demo} (2026-11-30 20:04, {ME})"
        )


async def _kpi_history(app: OpsdeskApp, pilot, shop_key: str, metric: str) -> None:  # type: ignore[no-untyped-def]
    """The stand-up for a shop (its key), `h` on `metric`'s value: the history screen."""
    kpis = app.screen.query_one("#kpi-table", DataTable)
    await wait_for(pilot, lambda: kpis.row_count > 0)
    await pilot.press(shop_key)
    await pilot.pause()
    kpis = app.screen.query_one("#kpi-table", DataTable)
    await wait_for(pilot, lambda: kpis.row_count > 0)
    row = next(
        i
        for i in range(kpis.row_count)
        if kpis.coordinate_to_cell_key((i, 0)).row_key.value == metric
    )
    kpis.move_cursor(row=row, animate=False)
    await pilot.press("h")
    await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
    await wait_for(pilot, lambda: app.screen.history is not None)  # type: ignore[attr-defined]


async def test_a_note_changed_underneath_opens_the_conflict_dialog(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    async with app.run_test(size=(140, 45)) as pilot:
        run_id, _ = await _open_run(app, pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, ChecklistTextDialog))
        conn = open_store(tiny_store)  # meanwhile, another session writes a note
        try:
            checklists.set_note(conn, run_id, 1, "theirs")
        finally:
            conn.close()
        await pilot.press(*"mine", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConflictDialog))
        table = app.screen.query_one("#conflict-table", DataTable)
        assert [str(c) for c in table.get_row_at(0)] == ["note", "—", "theirs", "mine"]
        assert _item(tiny_store, run_id, 1) == ("open", "theirs")  # nothing overwritten
        await pilot.press("t")  # take theirs
        await wait_for(pilot, lambda: isinstance(app.screen, ChecklistRunScreen))
        await pilot.pause(0.2)
        assert _item(tiny_store, run_id, 1) == ("open", "theirs")
        # again, and this time keep mine
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, ChecklistTextDialog))
        conn = open_store(tiny_store)
        try:
            checklists.set_note(conn, run_id, 1, "theirs again")
        finally:
            conn.close()
        app.screen.query_one(Input).value = "mine"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConflictDialog))
        await pilot.press("m")
        await wait_for(pilot, lambda: _item(tiny_store, run_id, 1)[1] != "theirs again")
        assert _item(tiny_store, run_id, 1) == ("open", "mine")


async def test_a_risk_field_changed_underneath_asks_and_keeps_mine(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    from opsdesk.store import risks
    from opsdesk.tui.screens.risk import RiskScreen
    from opsdesk.tui.screens.risks import RisksScreen

    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("6")
        await wait_for(pilot, lambda: isinstance(app.screen, RisksScreen))
        register = app.screen
        assert isinstance(register, RisksScreen)
        register.open_risk("price-war")
        await wait_for(pilot, lambda: isinstance(app.screen, RiskScreen))
        risk = app.screen
        assert isinstance(risk, RiskScreen)
        await wait_for(pilot, lambda: risk.view is not None)
        risk.query_one("#risk-fields", DataTable).move_cursor(row=4, animate=False)  # likelihood
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ChecklistTextDialog))
        conn = open_store(tiny_store)  # meanwhile, someone else sets it to 5
        try:
            risks.update_fields(conn, "price-war", {"likelihood": 5}, TODAY)
        finally:
            conn.close()
        await pilot.press("backspace", "4", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConflictDialog))
        table = app.screen.query_one("#conflict-table", DataTable)
        assert [str(c) for c in table.get_row_at(0)] == ["likelihood", "3", "5", "4"]
        with sqlite3.connect(tiny_store) as c:
            assert c.execute("SELECT likelihood FROM risks WHERE key = 'price-war'").fetchone() == (
                5,
            )
        await pilot.press("m")  # keep mine
        await wait_for(pilot, lambda: isinstance(app.screen, RiskScreen))
        with sqlite3.connect(tiny_store) as c:
            for _ in range(100):
                if c.execute("SELECT likelihood FROM risks WHERE key = 'price-war'").fetchone() == (
                    4,
                ):
                    break
                await pilot.pause(0.05)
            assert c.execute("SELECT likelihood FROM risks WHERE key = 'price-war'").fetchone() == (
                4,
            )


async def test_a_cycle_field_changed_underneath_asks_and_takes_theirs(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    from opsdesk.store import pdca
    from opsdesk.tui.screens.pdca import PdcaBoardScreen
    from opsdesk.tui.screens.pdca_cycle import FIELDS, CursorGrid, CycleScreen

    conn = open_store(tiny_store)
    try:
        cycle = pdca.open_cycle(
            conn, today=TODAY, title="Lift CR", metric_key="conversion_rate", owner=ME
        )
        pdca.edit(conn, cycle.id, today=TODAY, hypothesis="first")
    finally:
        conn.close()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await wait_for(pilot, lambda: isinstance(app.screen, PdcaBoardScreen))
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CycleScreen))
        screen = app.screen
        assert isinstance(screen, CycleScreen)
        await wait_for(pilot, lambda: screen.detail is not None)
        app._stop_watching.set()  # the other session's edit must not reload the screen first
        fields = screen.query_one("#cycle-fields", CursorGrid)
        fields.focus()
        row = [key for key, _ in FIELDS].index("hypothesis")
        while fields.cursor_row < row:
            await pilot.press("down")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ChecklistTextDialog))
        other = open_store(tiny_store)
        try:
            pdca.edit(other, cycle.id, today=TODAY, hypothesis="theirs")
        finally:
            other.close()
        app.screen.query_one(Input).value = "yours"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConflictDialog))
        table = app.screen.query_one("#conflict-table", DataTable)
        assert [str(c) for c in table.get_row_at(0)] == ["hypothesis", "first", "theirs", "yours"]
        await pilot.press("t")  # take theirs
        await wait_for(pilot, lambda: isinstance(app.screen, CycleScreen))
        await wait_for(
            pilot, lambda: screen.detail is not None and screen.detail.cycle.hypothesis == "theirs"
        )
        conn = open_store(tiny_store)
        try:
            assert pdca.get(conn, cycle.id).hypothesis == "theirs"
        finally:
            conn.close()


async def test_h_in_the_explorer_shows_the_charted_shops_value(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    from opsdesk.tui.screens.explorer import ExplorerScreen

    conn = open_store(tiny_store)
    try:
        observations.set_values(conn, "jd-home", date(2026, 11, 21), {"gmv": 4000.0})
    finally:
        conn.close()
    async with app.run_test(size=(140, 45), notifications=True) as pilot:
        await pilot.press("2")
        await wait_for(
            pilot, lambda: isinstance(app.screen, ExplorerScreen) and app.screen.data is not None
        )
        await pilot.press("h")  # all shops charted
        await wait_for(pilot, lambda: any("pick a shop first" in t for t in toasts(app)))
        app.shop_key = "jd-home"
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        table = app.screen.query_one("#history-table", DataTable)
        await wait_for(pilot, lambda: table.row_count > 0)
        assert app.screen.sub_title == "gmv · jd-home · 2026-11-21"
        assert [str(c) for c in table.get_row_at(0)][3:] == [
            "observation jd-home/gmv/2026-11-21  set",
            "— → 4000",
        ]
