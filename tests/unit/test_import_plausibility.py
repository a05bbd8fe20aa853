"""Imports refuse what would store a wrong value: rows split by an unquoted thousands separator,
computed metrics, days after the ops day, cross-metric rules broken (with what is stored);
and read what exports write: `-` for no value, note lines under the data."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from test_import_rejects import rejected
from test_import_support import add_shops, cli, stored, write

from opsdesk.io.importer import ImportRejected, parse_file
from opsdesk.store import imports

HEADER = "date,shop,metric,value\n"


@pytest.fixture
def db(conn: sqlite3.Connection, store_path: Path, tmp_path: Path) -> Path:
    """Two shops, jd-home's visitors stored for 2026-11-20 (one import), checkpointed, so
    `rejected` can check the store is left byte for byte."""
    add_shops(conn, "tm-apparel", "jd-home")
    good = write(tmp_path / "good.csv", HEADER + "2026-11-20,jd-home,visitors,100\n")
    assert cli(store_path, "import", good).exit_code == 0
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return store_path


def test_a_long_row_split_by_a_thousands_separator_is_refused(db: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path / "split.csv",
        HEADER + "2026-10-16,jd-home,gmv,9,131.00\n2026-10-16,jd-home,orders,7\n",
    )
    assert rejected(db, path) == [
        f"{path}: rejected, 1 problem; nothing was imported",
        f"{path}:2: column 'value': 5 fields, but the header has 4: is '9,131.00' a number"
        ' written with an unquoted thousands separator? quote it ("9,131.00") or write it'
        " without separators",
    ]


def test_a_wide_row_with_more_fields_than_the_header_is_refused(db: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path / "wide.csv",
        "日期,访客数,支付金额,支付买家数\n"
        "2026/10/15,1000,8000.00,40\n"
        "2026/10/16,1200,9,131.00,45\n"
        "2026/10/17,1300,9000.00\n",
    )
    assert rejected(db, path, "--shop", "jd-home") == [
        f"{path}: rejected, 2 problems; nothing was imported",
        f"{path}:3: column '支付金额': 5 fields, but the header has 4: is '9,131.00' a number"
        ' written with an unquoted thousands separator? quote it ("9,131.00") or write it'
        " without separators",
        f"{path}:4: 3 fields, but the header has 4",
    ]


def test_extra_empty_fields_and_unread_columns_missing_at_the_end_are_harmless(
    db: Path, conn: sqlite3.Connection, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "loose.csv",
        "date,shop,metric,value,note\n2026-11-19,jd-home,orders,5,,,\n2026-11-19,jd-home,gmv,9\n",
    )
    assert cli(db, "import", path).exit_code == 0
    assert stored(conn, "jd-home")[("jd-home", "gmv", "2026-11-19")] == 9.0


def test_dashes_are_no_value_and_note_lines_are_skipped_and_named(
    db: Path, conn: sqlite3.Connection, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "export.csv",
        "生意参谋 - 店铺整体数据\n"
        "日期,访客数,支付买家数,支付金额\n"
        "2026/11/18,1000,-,8000.00\n"
        "2026/11/19,1100,44,--\n"
        "合计,2100,44,8000.00\n"
        "数据来源：生意参谋\n"
        "注：数据有延迟,,,\n",
    )
    result = cli(db, "import", path, "--shop", "tm-apparel")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-2:] == [
        "skipped note line 6: 数据来源：生意参谋",
        "skipped note line 7: 注：数据有延迟",
    ]
    assert stored(conn, "tm-apparel") == {
        ("tm-apparel", "visitors", "2026-11-18"): 1000.0,
        ("tm-apparel", "gmv", "2026-11-18"): 8000.0,
        ("tm-apparel", "visitors", "2026-11-19"): 1100.0,
        ("tm-apparel", "buyers", "2026-11-19"): 44.0,
    }


def test_a_duplicate_names_both_lines(db: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path / "dup.csv",
        HEADER
        + "2026-11-18,jd-home,orders,5\n"
        + "2026-11-18,jd-home,gmv,50\n"
        + "2026-11-18,jd-home,orders,6\n"
        + "2026-11-18,jd-home,orders,7\n",
    )
    assert rejected(db, path) == [
        f"{path}: rejected, 1 problem; nothing was imported",
        f"{path}:4: column 'value': jd-home / orders / 2026-11-18 appears more than once in the"
        " file: lines 2, 4 and 5",
    ]


def test_computed_metrics_are_refused_in_long_and_wide_files(db: Path, tmp_path: Path) -> None:
    long = write(tmp_path / "sop.csv", HEADER + "2026-11-18,jd-home,sop_due,9\n")
    reason = "sop_due (SOP runs due) is computed by opsdesk from other records, not entered"
    assert rejected(db, long)[1:] == [f"{long}:2: column 'metric': {reason}"]
    wide = write(tmp_path / "sopw.csv", "date,visitors,SOP runs due\n2026-11-18,10,9\n")
    assert rejected(db, wide, "--shop", "jd-home")[1:] == [
        f"{wide}:1: column 'SOP runs due': {reason}"
    ]


def test_no_values_after_the_ops_day(db: Path, conn: sqlite3.Connection, tmp_path: Path) -> None:
    path = write(tmp_path / "future.csv", HEADER + "2026-11-22,jd-home,orders,5\n")
    catalogue = imports.read_catalogue(conn)
    catalogue = type(catalogue)(
        catalogue.metrics, catalogue.metric_ids, catalogue.shop_ids, date(2026, 11, 21)
    )
    with pytest.raises(ImportRejected) as refused:
        parse_file(path, catalogue)
    assert [p.render(str(path)) for p in refused.value.problems] == [
        f"{path}:2: column 'date': 2026-11-22 is after the ops day 2026-11-21: no values for"
        " a day that has not been reviewed yet"
    ]
    far = write(tmp_path / "far.csv", HEADER + "2099-01-01,jd-home,orders,5\n")  # by the clock
    assert "2099-01-01 is after the ops day" in rejected(db, far)[1]


def test_cross_metric_rules_meet_stored_values_and_the_file(db: Path, tmp_path: Path) -> None:
    # stored: jd-home visitors 100 on 2026-11-20
    path = write(
        tmp_path / "cross.csv",
        HEADER
        + "2026-11-20,jd-home,buyers,120\n"  # against the stored visitors
        + "2026-11-19,jd-home,ad_clicks,50\n"
        + "2026-11-19,jd-home,ad_impressions,40\n",  # against line 3 of the file too
    )
    assert rejected(db, path) == [
        f"{path}: rejected, 2 problems; nothing was imported",
        f"{path}:2: column 'value': Buyers 120 is more than Visitors 100 (buyers ≤ visitors)"
        " (jd-home 2026-11-20; visitors is stored)",
        f"{path}:3: column 'value': Ad clicks 50 is more than Ad impressions 40"
        " (ad_clicks ≤ ad_impressions) (jd-home 2026-11-19; ad_impressions is on line 4)",
    ]
    wide = write(
        tmp_path / "cross-wide.csv",
        "date,shop,visitors,buyers\n2026-11-19,tm-apparel,10,12\n2026-11-20,jd-home,,101\n",
    )
    assert rejected(db, wide) == [
        f"{wide}: rejected, 2 problems; nothing was imported",
        f"{wide}:2: column 'buyers': Buyers 12 is more than Visitors 10 (buyers ≤ visitors)"
        " (tm-apparel)",
        f"{wide}:3: column 'buyers': Buyers 101 is more than Visitors 100 (buyers ≤ visitors)"
        " (jd-home)",
    ]


def test_a_correction_that_keeps_the_rules_is_imported(
    db: Path, conn: sqlite3.Connection, tmp_path: Path
) -> None:
    path = write(tmp_path / "ok.csv", HEADER + "2026-11-20,jd-home,buyers,100\n")
    assert cli(db, "import", path).exit_code == 0
    assert stored(conn, "jd-home")[("jd-home", "buyers", "2026-11-20")] == 100.0
