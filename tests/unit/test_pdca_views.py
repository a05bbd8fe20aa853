"""PDCA read models on a hand-built store: the board's filters and "where else"."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

from opsdesk.store import pdca, shops
from opsdesk.views.pdca import build_board, build_detail, detail_json

TODAY = date(2026, 11, 23)
D = date.fromisoformat


def _fill(conn: sqlite3.Connection, shop: str, start: date, days: int, visitors: float) -> None:
    metric = conn.execute("SELECT id FROM metrics WHERE key = 'visitors'").fetchone()[0]
    shop_id = conn.execute("SELECT id FROM shops WHERE key = ?", (shop,)).fetchone()[0]
    conn.executemany(
        "INSERT OR REPLACE INTO observations (shop_id, metric_id, day, value) VALUES (?, ?, ?, ?)",
        [(shop_id, metric, (start + timedelta(days=i)).isoformat(), visitors) for i in range(days)],
    )


def test_where_else_lists_shops_with_the_same_signal(conn: sqlite3.Connection) -> None:
    for key in ("a-shop", "b-shop", "c-shop"):
        shops.add(conn, key, key, "tmall")
        _fill(conn, key, D("2026-10-26"), 14, 1000)
    _fill(conn, "a-shop", D("2026-11-09"), 14, 1200)  # up after the change
    _fill(conn, "b-shop", D("2026-11-09"), 14, 1300)  # the same pattern
    _fill(conn, "c-shop", D("2026-11-09"), 14, 900)  # the other way
    c = pdca.open_cycle(
        conn,
        today=TODAY,
        title="t",
        metric_key="visitors",
        shop_key="a-shop",
        baseline=(D("2026-10-26"), D("2026-11-08")),
    )
    pdca.edit(conn, c.id, today=TODAY, change_date=D("2026-11-09"))
    detail = build_detail(conn, c.id, TODAY)
    assert detail.check is not None and detail.check.after.value == 1200.0
    assert detail.where_else == [
        "b-shop: shift: 14 days above the baseline median (2026-11-09..2026-11-22)"
    ]
    assert detail_json(detail)["where_else"] == detail.where_else


def test_board_columns_and_filters(conn: sqlite3.Connection) -> None:
    shops.add(conn, "a-shop", "A", "tmall")
    one = pdca.open_cycle(conn, today=TODAY, title="one", metric_key="gmv", owner="li.na")
    two = pdca.open_cycle(
        conn, today=TODAY, title="two", metric_key="visitors", shop_key="a-shop", owner="chen.jie"
    )
    pdca.edit(conn, two.id, today=TODAY, due_plan=D("2026-11-20"))
    board = build_board(conn, TODAY)
    assert [c.id for c in board.columns["plan"]] == [one.id, two.id]
    assert [c.overdue for c in board.columns["plan"]] == [False, True]
    assert (board.shops, board.owners, board.metrics) == (
        ["a-shop", "all shops"],
        ["chen.jie", "li.na"],
        ["gmv", "visitors"],
    )
    assert [c.id for c in build_board(conn, TODAY, owner="li.na").columns["plan"]] == [one.id]
    assert [c.id for c in build_board(conn, TODAY, shop_key="a-shop").columns["plan"]] == [two.id]
    assert [c.id for c in build_board(conn, TODAY, shop_key="all shops").columns["plan"]] == [
        one.id
    ]
    assert build_board(conn, TODAY, metric_key="aov").columns["plan"] == []
