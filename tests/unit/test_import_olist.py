"""Real data: the Olist long (UTF-8) and wide (GB18030, CRLF, 合计 row) files import exactly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from test_import_support import add_shops, cli, stored

from opsdesk.io.importer import parse_file
from opsdesk.store import imports

SHOPS = ("olist-sp", "olist-mg", "olist-pr")
# Totals over the whole range, from the data's README.
TOTALS = {
    "olist-sp": {
        "orders": 8188, "buyers": 8182, "gmv": 1194746.75, "refund_amount": 4669.55,
        "reviews": 8133, "negative_reviews": 1169, "shipped_orders": 8147, "late_shipments": 576,
    },
    "olist-mg": {
        "orders": 926, "buyers": 926, "gmv": 142324.95, "refund_amount": 1178.46,
        "reviews": 925, "negative_reviews": 124, "shipped_orders": 921, "late_shipments": 59,
    },
    "olist-pr": {
        "orders": 838, "buyers": 836, "gmv": 164042.95, "refund_amount": 374.56,
        "reviews": 837, "negative_reviews": 134, "shipped_orders": 837, "late_shipments": 51,
    },
}  # fmt: skip


@pytest.fixture
def db(conn: sqlite3.Connection, store_path: Path) -> Path:
    add_shops(conn, *SHOPS)
    return store_path


def totals(conn: sqlite3.Connection) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for (shop, metric, _), value in stored(conn).items():
        out.setdefault(shop, {}).setdefault(metric, 0.0)
        out[shop][metric] += value
    return {s: {m: round(v, 2) for m, v in ms.items()} for s, ms in out.items()}


def test_long_file_totals(db: Path, conn: sqlite3.Connection, olist_dir: Path) -> None:
    result = cli(db, "import", olist_dir / "daily_long.csv")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "imported daily_long.csv as import 1 (long, utf-8, 17,400 rows):"
        " 17,400 new, 0 changed, 0 unchanged\n"
    )
    assert totals(conn) == TOTALS
    days = conn.execute("SELECT min(day), max(day), count(DISTINCT day) FROM observations")
    assert tuple(days.fetchone()) == ("2016-09-04", "2018-08-29", 725)
    # No visitors in this data: conversion has nothing to be computed from.
    assert (
        conn.execute(
            "SELECT count(*) FROM observations o JOIN metrics m ON m.id = o.metric_id"
            " WHERE m.key = 'visitors'"
        ).fetchone()[0]
        == 0
    )


def test_wide_chinese_file_equals_the_long_files_sp_rows(
    db: Path, conn: sqlite3.Connection, olist_dir: Path
) -> None:
    result = cli(db, "import", olist_dir / "daily_wide_zh.csv", "--shop", "olist-sp")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "imported daily_wide_zh.csv as import 1 (wide, gb18030, 725 rows):"
        " 5,800 new, 0 changed, 0 unchanged\n"
    )
    wide = stored(conn)
    assert totals(conn) == {"olist-sp": TOTALS["olist-sp"]}  # the 合计 row was skipped
    long_plan = parse_file(olist_dir / "daily_long.csv", imports.read_catalogue(conn))
    ids = {v: k for k, v in imports.read_catalogue(conn).metric_ids.items()}
    sp = imports.read_catalogue(conn).shop_ids["olist-sp"]
    long_sp = {
        ("olist-sp", ids[mid], day): value
        for (sid, mid, day), value in long_plan.values.items()
        if sid == sp
    }
    assert len(wide) == 5800
    assert wide == long_sp


def test_importing_both_shapes_overlaps_exactly(
    db: Path, conn: sqlite3.Connection, olist_dir: Path
) -> None:
    assert cli(db, "import", olist_dir / "daily_long.csv").exit_code == 0
    result = cli(db, "import", olist_dir / "daily_wide_zh.csv", "--shop", "olist-sp")
    assert result.output == (
        "daily_wide_zh.csv (wide, gb18030, 725 rows): 0 new, 0 changed, 5,800 unchanged;"
        " nothing changed, not recorded\n"
    )
    assert totals(conn) == TOTALS
