"""The risk register in the app, driven with keys on the tiny store (clock: 2026-11-22 10:00 in
Shanghai, ops day 2026-11-21): heat-map navigation and the inherent/residual toggle, opening a
risk, a review, a field edit (and a refused one), the contingency, the stand-up section."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Static

from conftest import toasts, wait_for
from opsdesk.tui.app import OpsdeskApp
from opsdesk.tui.screens.risk import RiskScreen
from opsdesk.tui.screens.risks import RisksScreen
from opsdesk.tui.widgets.heatmap import HeatMapGrid


def _keys(table: DataTable[Any]) -> list[str]:
    return [str(table.coordinate_to_cell_key((i, 0)).row_key.value) for i in range(table.row_count)]


async def _open_area(app: OpsdeskApp, pilot: Any) -> RisksScreen:
    await pilot.press("6")
    await wait_for(pilot, lambda: isinstance(app.screen, RisksScreen))
    screen = app.screen
    assert isinstance(screen, RisksScreen)
    await wait_for(pilot, lambda: screen.query_one("#risk-table", DataTable).row_count > 0)
    return screen


async def _open_risk(app: OpsdeskApp, pilot: Any, key: str) -> RiskScreen:
    """Area 6, then the risk `key`, with its data."""
    screen = await _open_area(app, pilot)
    screen.open_risk(key)
    await wait_for(pilot, lambda: isinstance(app.screen, RiskScreen))
    risk = app.screen
    assert isinstance(risk, RiskScreen)
    await wait_for(pilot, lambda: risk.view is not None)
    return risk


def _db_rows(db: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as c:
        return [tuple(r) for r in c.execute(sql, params)]


async def test_heat_map_cursor_moves_the_cell_list_and_toggles(app: OpsdeskApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_area(app, pilot)
        grid = screen.query_one(HeatMapGrid)
        cells = screen.query_one("#cell-list", DataTable)
        assert grid.has_focus and grid.cursor == (3, 3)
        assert _keys(cells) == ["campaign-overspend", "key-person-loss", "price-war", "slow-stock"]
        await pilot.press("up")
        assert grid.cursor == (4, 3)
        assert _keys(cells) == ["chat-response-peak", "paid-share-cpc"]
        await pilot.press("right")
        assert _keys(cells) == ["platform-rule-change-throttle"]
        assert "[H1]" in str(grid.render())
        await pilot.press("r")  # residual: nothing scores 4×4 after mitigation
        assert _keys(cells) == []
        assert "(residual)" in str(grid.render()) and "[H·]" in str(grid.render())
        await pilot.press("down", "left")
        assert _keys(cells) == [
            "chat-response-peak",
            "paid-share-cpc",
            "platform-rule-change-throttle",
        ]
        status = str(screen.query_one("#risk-status", Static).render())
        assert status.startswith("cell 3×3=9 (residual): 3 risks · register 1/16 · sort score")
        for _ in range(5):
            await pilot.press("up")
        assert grid.cursor == (5, 3)  # stops at the edge
        await pilot.press("r", "down", "down", "enter")  # inherent (3,3): the first of the list
        await wait_for(pilot, lambda: isinstance(app.screen, RiskScreen))
        assert app.screen.key == "campaign-overspend"  # type: ignore[attr-defined]


async def test_register_sort_and_filter(app: OpsdeskApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_area(app, pilot)
        table = screen.query_one("#risk-table", DataTable)
        assert _keys(table)[:3] == [
            "stockout-bestseller",
            "platform-rule-change-throttle",
            "pipl-crm-export",
        ]
        status = screen.query_one("#risk-status", Static)
        assert " · register 1/16 · sort score" in str(status.render())  # no scrollbar drawn
        table.move_cursor(row=4, animate=False)
        await pilot.pause()
        assert " · register 5/16 · " in str(status.render())
        await pilot.press("f", *"category:service", "enter")
        assert _keys(table) == ["chat-response-peak"]
        assert " · register 1/1 · sort score · filter: category:service" in str(status.render())
        await pilot.press("escape")
        assert screen.query_one(HeatMapGrid).has_focus
        screen.query_one("#risk-filter").value = "owner:manager"  # type: ignore[attr-defined]
        await pilot.pause()
        assert _keys(table) == [
            "key-person-loss",
            "ecommerce-law-breach",
            "ip-complaint",
            "cross-border-customs",
        ]
        await pilot.press("o", "o")  # level, then next review (all the same day: by key)
        assert screen.sort_by == "next_review"
        assert _keys(table) == [
            "cross-border-customs",
            "ecommerce-law-breach",
            "ip-complaint",
            "key-person-loss",
        ]


async def test_review_edit_and_contingency_from_the_keyboard(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await _open_area(app, pilot)
        table = screen.query_one("#risk-table", DataTable)
        table.focus()
        table.move_cursor(row=_keys(table).index("price-war"), animate=False)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RiskScreen))
        risk = app.screen
        assert isinstance(risk, RiskScreen)
        await wait_for(pilot, lambda: risk.view is not None)
        # a review: note, then the next date
        await pilot.press("v", *"rechecked", "enter", *"2027-01-15", "enter")
        await wait_for(
            pilot,
            lambda: bool(_db_rows(tiny_store, "SELECT 1 FROM risk_reviews WHERE kind = 'review'")),
        )
        assert _db_rows(
            tiny_store,
            "SELECT v.note, v.next_review, r.next_review FROM risk_reviews v"
            " JOIN risks r ON r.id = v.risk_id WHERE v.kind = 'review'",
        ) == [("rechecked", "2027-01-15", "2027-01-15")]
        # edit the likelihood (field 5): 3 -> 4
        fields = risk.query_one("#risk-fields", DataTable)
        fields.move_cursor(row=4, animate=False)
        await pilot.press("enter", "backspace", "4", "enter")
        await wait_for(
            pilot,
            lambda: (
                _db_rows(tiny_store, "SELECT likelihood FROM risks WHERE key = 'price-war'")
                == [(4,)]
            ),
        )
        # a residual above the inherent score is refused with the reason; nothing changes
        await wait_for(pilot, lambda: risk.view is not None and risk.view.fields[4][1] == "4")
        fields.move_cursor(row=7, animate=False)  # residual_impact: 3×5 > 4×3
        await pilot.press("enter", "backspace", "5", "enter")
        await wait_for(
            pilot,
            lambda: any("higher than the inherent score" in t for t in toasts(app)),
        )
        assert _db_rows(
            tiny_store, "SELECT residual_impact FROM risks WHERE key = 'price-war'"
        ) == [(2,)]
        # no contingency SOP named: refused; then on a risk that has one, a linked run
        await pilot.press("c")
        await wait_for(pilot, lambda: any("no contingency SOP" in t for t in toasts(app)))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, RisksScreen))
        screen.open_risk("fake-order-penalty")
        await wait_for(pilot, lambda: isinstance(app.screen, RiskScreen))
        await pilot.press("c")
        await wait_for(pilot, lambda: bool(_db_rows(tiny_store, "SELECT 1 FROM risk_runs")))
        assert _db_rows(
            tiny_store,
            "SELECT r.key, l.purpose, t.key FROM risk_runs l JOIN risks r ON r.id = l.risk_id"
            " JOIN sop_runs s ON s.id = l.run_id JOIN sop_templates t ON t.id = s.template_id",
        ) == [("fake-order-penalty", "contingency", "crisis-response")]


async def test_standup_risks_section(app: OpsdeskApp, tiny_store: Path) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(
            pilot,
            lambda: any(
                "TRIGGERED" in str(w.render()) for w in app.screen.query(".standup-section")
            ),
        )
        text = "\n".join(str(w.render()) for w in app.screen.query(".standup-section"))
        assert (
            "✗ TRIGGERED major · system-outage · Order system or ERP export outage · "
            "jd-home: no data for 2026-11-21 (jd-home)"
        ) in text
    assert _db_rows(tiny_store, "SELECT r.key, t.shop_key, t.day FROM risk_triggers t"
                    " JOIN risks r ON r.id = t.risk_id") == [
        ("system-outage", "jd-home", "2026-11-21")
    ]  # fmt: skip


async def test_a_kri_edited_from_the_keyboard(app: OpsdeskApp, tiny_store: Path) -> None:
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        risk = await _open_risk(app, pilot, "stockout-bestseller")
        assert risk.view is not None
        names = [name for name, _ in risk.view.fields]
        assert names[-2:] == ["kri 1", "kri +"]
        fields = risk.query_one("#risk-fields", DataTable)
        fields.move_cursor(row=len(names) - 1, animate=False)  # add one
        await pilot.press("enter", *"kind=target metric=stockout_rate", "enter")
        await wait_for(
            pilot,
            lambda: (
                _db_rows(
                    tiny_store,
                    "SELECT k.position, k.kind FROM risk_kris k JOIN risks r ON r.id = k.risk_id"
                    " WHERE r.key = 'stockout-bestseller' ORDER BY k.position",
                )
                == [(1, "above"), (2, "target")]
            ),
        )
        await wait_for(pilot, lambda: risk.view is not None and len(risk.view.fields) == 23)
        fields.move_cursor(row=len(names) - 2, animate=False)  # kri 1: a bad metric is refused
        await pilot.press("enter", "ctrl+u", *"kind=above metric=nope threshold=1", "enter")
        await wait_for(pilot, lambda: any("unknown metric 'nope'" in t for t in toasts(app)))
        assert _db_rows(
            tiny_store,
            "SELECT k.metric_key FROM risk_kris k JOIN risks r ON r.id = k.risk_id"
            " WHERE r.key = 'stockout-bestseller' ORDER BY k.position",
        ) == [("stockout_rate",), ("stockout_rate",)]


async def test_a_drill_started_ticked_and_done_from_the_keyboard(
    app: OpsdeskApp, tiny_store: Path
) -> None:
    from opsdesk.store.connection import current_user
    from opsdesk.tui.screens.checklists_run import ChecklistRunScreen

    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        risk = await _open_risk(app, pilot, "system-outage")
        await pilot.press("l")  # nothing to tick yet
        await wait_for(pilot, lambda: any("no open linked run" in t for t in toasts(app)))
        await pilot.press("d")
        await wait_for(pilot, lambda: bool(_db_rows(tiny_store, "SELECT 1 FROM risk_runs")))
        await wait_for(pilot, lambda: risk.view is not None and len(risk.view.detail.runs) == 1)
        ((first,),) = _db_rows(tiny_store, "SELECT run_id FROM risk_runs")
        await pilot.press("d")  # one drill at a time: refused, naming the open one
        refusal = (
            f"system-outage: drill run {first} started 2026-11-22 is still open:"
            " tick it (l, or area 4) or skip it there first"
        )
        await wait_for(pilot, lambda: any(refusal in t for t in toasts(app)))
        assert _db_rows(tiny_store, "SELECT count(*) FROM risk_runs") == [(1,)]
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, ChecklistRunScreen))
        run = app.screen
        assert isinstance(run, ChecklistRunScreen)
        items = run.query_one("#item-table", DataTable)
        await wait_for(pilot, lambda: items.row_count == 6)
        for n in range(6):
            items.move_cursor(row=n, animate=False)
            await pilot.press("space")
            await wait_for(
                pilot,
                lambda n=n: (
                    _db_rows(
                        tiny_store,
                        "SELECT count(*) FROM sop_run_items WHERE run_id = ? AND state = 'done'",
                        run.run_id,
                    )
                    == [(n + 1,)]
                ),
            )
        stored = _db_rows(
            tiny_store,
            "SELECT r.last_drill, r.next_drill, l.completed_by, l.time_to_respond_s"
            " FROM risks r JOIN risk_runs l ON l.risk_id = r.id WHERE r.key = 'system-outage'",
        )
        assert [row[:3] for row in stored] == [("2026-11-22", "2027-05-23", current_user())]
        assert 0 <= stored[0][3] < 60
        # back on the risk: the fields and the linked run as stored
        await pilot.press("6")
        await wait_for(pilot, lambda: app.screen is risk)
        await wait_for(
            pilot,
            lambda: risk.view is not None and dict(risk.view.fields)["last_drill"] == "2026-11-22",
        )
        assert risk.view is not None
        fields = dict(risk.view.fields)
        assert (fields["next_drill"], fields["drill_days"]) == ("2027-05-23", "182")
        body = str(risk.query_one("#risk-detail", Static).render())
        assert f"drill risk-drill 2026-11-22 done · time to respond {stored[0][3]} s by " in body


async def test_register_keys_cut_with_an_ellipsis_and_the_risk_titled(app: OpsdeskApp) -> None:
    """At 80 columns a long key is cut with `…`; at 120 the key column fits the seed's keys;
    the risk screen's header shows the risk's title beside its key."""
    long_key = "platform-rule-change-throttle"
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_area(app, pilot)
        table = screen.query_one("#risk-table", DataTable)
        await wait_for(pilot, lambda: table.row_count == 16)
        assert table.get_row(long_key)[1].plain == "platform-rule-change-…"
        await pilot.resize_terminal(120, 40)
        await wait_for(pilot, lambda: table.get_row(long_key)[1].plain == long_key)
        risk = await _open_risk(app, pilot, "campaign-overspend")
        assert (risk.title, risk.sub_title) == (
            "Risk campaign-overspend",
            "Campaign budget overrun with stock short",
        )
