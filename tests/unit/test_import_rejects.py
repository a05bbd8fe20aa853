"""Bad files are rejected whole: exit status 2, every problem as file:line: column: reason, and
the store left byte-for-byte as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from test_import_support import add_shops, cli, file_hash, stored, write, write_xlsx

HEADER = "date,shop,metric,value\n"


@pytest.fixture
def db(conn: sqlite3.Connection, store_path: Path, tmp_path: Path) -> Path:
    """A store with two shops and one earlier import, checkpointed so the file says it all."""
    add_shops(conn, "tm-apparel", "jd-home")
    good = write(tmp_path / "good.csv", HEADER + "2026-11-20,jd-home,orders,5\n")
    assert cli(store_path, "import", good).exit_code == 0
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return store_path


def rejected(db: Path, path: Path, *options: str) -> list[str]:
    """Import `path`, expecting a rejection that leaves the store untouched; the message lines."""
    before = file_hash(db)
    result = cli(db, "import", path, *options)
    assert result.exit_code == 2, result.output
    assert file_hash(db) == before
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT count(*) FROM imports").fetchone()[0] == 1
        assert c.execute("SELECT count(*) FROM observations").fetchone()[0] == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("Error: ")
    return [lines[0].removeprefix("Error: "), *lines[1:]]


def test_every_problem_of_a_long_file_is_listed(db: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.csv",
        HEADER
        + "2026-11-20,tm-apparel,visitors,100\n"  # 2: fine
        + "2026-11-20,tm-apparel,page_views,7\n"  # 3: unknown metric
        + "2026-11-20,tmall-x,visitors,7\n"  # 4: unknown shop
        + "2026-11-20,tm-apparel,conversion_rate,3.8%\n"  # 5: derived metric as input
        + "2026-11-31,tm-apparel,buyers,3\n"  # 6: bad date
        + "2026-11-20,tm-apparel,gmv,abc\n"  # 7: unparsable value
        + "2026-11-20,tm-apparel,orders,-2\n"  # 8: negative
        + "2026-11-20,tm-apparel,ad_spend,inf\n"  # 9: not finite
        + "2026-11-20,tm-apparel,visitors,100\n"  # 10: duplicate of line 2
        + "2026-11-20,tm-apparel\n"  # 11: short row
        + "20261120,,  ,\n",  # 12: no shop, no metric, no value
    )
    assert rejected(db, path) == [
        f"{path}: rejected, 12 problems; nothing was imported",
        f"{path}:3: column 'metric': unknown metric 'page_views' (see `opsdesk metrics`)",
        f"{path}:4: column 'shop': unknown shop 'tmall-x' (add it with `opsdesk shop add`)",
        f"{path}:5: column 'metric': conversion_rate is a derived metric (buyers / visitors):"
        " opsdesk computes it; give its base metrics instead",
        f"{path}:6: column 'date': '2026-11-31' is not a calendar date",
        f"{path}:7: column 'value': 'abc' is not a number",
        f"{path}:8: column 'value': '-2' is negative",
        f"{path}:9: column 'value': 'inf' is not a number",
        f"{path}:10: column 'value': tm-apparel / visitors / 2026-11-20 appears more than once"
        " in the file: lines 2 and 10",
        f"{path}:11: 2 fields, but the header has 4",
        f"{path}:12: column 'shop': no shop",
        f"{path}:12: column 'metric': no metric",
        f"{path}:12: column 'value': no value",
    ]


def test_the_list_is_capped_at_50_with_a_count_of_the_rest(db: Path, tmp_path: Path) -> None:
    rows = "".join(f"2026-11-20,jd-home,orders,x{i}\n" for i in range(120))
    path = write(tmp_path / "many.csv", HEADER + rows)
    lines = rejected(db, path)
    assert lines[0] == f"{path}: rejected, 120 problems; nothing was imported"
    assert lines[1] == f"{path}:2: column 'value': 'x0' is not a number"
    assert lines[50] == f"{path}:51: column 'value': 'x49' is not a number"
    assert lines[51:] == ["… and 70 more"]


def test_a_bad_row_among_good_ones_rejects_the_file(
    db: Path, conn: sqlite3.Connection, tmp_path: Path
) -> None:
    rows = "".join(f"2026-10-{d:02d},jd-home,orders,{d}\n" for d in range(1, 31))
    path = write(tmp_path / "one-bad.csv", HEADER + rows + "2026-10-31,jd-home,orders,1O\n")
    assert rejected(db, path) == [
        f"{path}: rejected, 1 problem; nothing was imported",
        f"{path}:32: column 'value': '1O' is not a number",
    ]
    assert stored(conn) == {("jd-home", "orders", "2026-11-20"): 5.0}


def test_wide_file_problems(db: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path / "wide.csv",
        "店铺日报\n"
        "日期,访客数,支付金额,成交额,跳失率\n"
        "2026/11/1,100,¥5.00,5,abc\n"
        "2026/11/2,-1,¥5.00,5,\n"
        "2026/11/32,100,5,5,\n"
        "2026/11/1,100,5,5,\n"
        "2026/11/3,1..2,5,5,\n",
    )
    assert rejected(db, path, "--shop", "jd-home") == [
        f"{path}: rejected, 5 problems; nothing was imported",
        f"{path}:2: column '成交额': columns 3 and 4 ('支付金额', '成交额') both name the"
        " metric gmv: keep one",
        f"{path}:4: column '访客数': '-1' is negative",
        f"{path}:5: column '日期': '2026/11/32' is not a calendar date",
        f"{path}:6: column '日期': 2026-11-01 appears more than once in the file: lines 3 and 6",
        f"{path}:7: column '访客数': '1..2' is not a number",
    ]


def test_wide_file_without_shop_column_needs_shop(db: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "w.csv", "日期,访客数\n2026-11-01,100\n")
    assert rejected(db, path) == [
        f"{path}: rejected, 1 problem; nothing was imported",
        f"{path}:1: a wide file needs --shop KEY (no shop column)",
    ]
    assert rejected(db, path, "--shop", "nope") == [
        f"{path}: rejected, 1 problem; nothing was imported",
        f"{path}: --shop: unknown shop 'nope' (see `opsdesk shop list`)",
    ]


def test_shop_option_with_a_long_file_must_match_every_row(db: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "l.csv", HEADER + "2026-11-01,tm-apparel,orders,1\n")
    assert rejected(db, path, "--shop", "jd-home") == [
        f"{path}: rejected, 1 problem; nothing was imported",
        f"{path}:2: column 'shop': shop 'tm-apparel' is not the --shop 'jd-home'",
    ]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        (
            "t.csv",
            "report\nfoo,bar\n1,2\n",
            "no header row in the first 50 rows: expected"
            " date,shop,metric,value or a date column (日期/date) and metric columns",
        ),
        ("h.csv", HEADER, "no data rows below the header"),
        ("h.csv", HEADER + "合计,,,\n", "no data rows below the header"),
        ("x.csv", b"date,shop\n\xff\xfe\xff\n", "cannot decode the file as UTF-8 or GB18030/GBK"),
        ("x.xlsx", "not a zip", "not a readable XLSX workbook (BadZipFile)"),
        ("x.json", "{}", "not a CSV or XLSX file (expected .csv or .xlsx)"),
    ],
)
def test_unreadable_files(
    db: Path, tmp_path: Path, name: str, content: str | bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    lines = rejected(db, path)
    assert reason in "\n".join(lines)
    assert str(path) in lines[0]


def test_missing_file(db: Path, tmp_path: Path) -> None:
    assert rejected(db, tmp_path / "nope.csv") == [
        f"{tmp_path / 'nope.csv'}: no such file; nothing was imported"
    ]


def test_xlsx_problems_name_the_sheet_row(db: Path, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "bad.xlsx",
        [["title"], ["date", "shop", "metric", "value"], ["2026-11-01", "jd-home", "orders", -3]],
    )
    assert rejected(db, path) == [
        f"{path}: rejected, 1 problem; nothing was imported",
        f"{path}:3: column 'value': '-3' is negative",
    ]
