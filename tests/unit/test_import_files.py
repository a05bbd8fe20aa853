"""Import formats: CSV (UTF-8, BOM, GBK) and XLSX, long and wide, as exports really look."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from test_import_support import add_shops, cli, stored, write, write_xlsx

from opsdesk.io.importer import parse_file
from opsdesk.store import imports

LONG = (
    "date,shop,metric,value\n"
    '2026-11-20,tm-apparel,visitors,"1,234"\n'
    '2026-11-20,tm-apparel,gmv,"¥9,876.50"\n'
    "2026/11/21,tm-apparel,visitors,1300\n"
    "20261121,tm-apparel,gmv,￥10000\n"
    "2026/3/5,jd-home,buyers, 7 \n"
)
LONG_STORED = {
    ("tm-apparel", "visitors", "2026-11-20"): 1234.0,
    ("tm-apparel", "gmv", "2026-11-20"): 9876.5,
    ("tm-apparel", "visitors", "2026-11-21"): 1300.0,
    ("tm-apparel", "gmv", "2026-11-21"): 10000.0,
    ("jd-home", "buyers", "2026-03-05"): 7.0,
}


@pytest.fixture
def db(conn: sqlite3.Connection, store_path: Path) -> Path:
    add_shops(conn, "tm-apparel", "jd-home")
    return store_path


@pytest.mark.parametrize(
    ("encoding", "shown"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8 with BOM"), ("gbk", "gb18030")]
)
def test_long_csv_in_each_encoding(
    db: Path, conn: sqlite3.Connection, tmp_path: Path, encoding: str, shown: str
) -> None:
    # GBK has the full-width ￥ only; a Chinese column the importer does not need rides along.
    text = LONG if encoding != "gbk" else LONG.replace("¥", "￥").replace("value\n", "value,备注\n")
    path = write(tmp_path / "long.csv", text.replace("\n", "\r\n"), encoding)
    result = cli(db, "import", path)
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"imported long.csv as import 1 (long, {shown}, 5 rows): 5 new, 0 changed, 0 unchanged\n"
    )
    assert stored(conn) == LONG_STORED
    row = conn.execute("SELECT file_name, shape, rows_new, imported_by FROM imports").fetchone()
    assert tuple(row) == ("long.csv", "long", 5, imports.current_user())


def test_long_header_in_chinese_and_metric_names_for_keys(
    db: Path, conn: sqlite3.Connection, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "zh.csv",
        "日期,店铺,指标,数值\n2026-11-20,jd-home,访客数,100\n2026-11-20,jd-home, GMV ,2.5\n",
        "gb18030",
    )
    assert cli(db, "import", path).exit_code == 0
    assert stored(conn) == {
        ("jd-home", "visitors", "2026-11-20"): 100.0,
        ("jd-home", "gmv", "2026-11-20"): 2.5,
    }


WIDE_GBK = (
    "生意参谋 店铺整体看板\r\n"
    "统计时间：2026-11-01 ~ 2026-11-03,,,,,,\r\n"
    "\r\n"
    "日期, 访客数 ,支付买家数,支付金额,浏览量,跳失率,支付转化率,客单价\r\n"
    '2026/11/1,"1,000",38,"￥7,524.00","3,050",41.2%,3.80%,198.00\r\n'
    '2026/11/2,1200,,"8,000.00",3300,40.0%,4.00%,\r\n'
    '2026/11/3,800,40,"8,100.50",2800,39.9%,5.10%,200.00\r\n'
    '合计,"3,000",78,"23,624.50","9,150",,,\r\n'
)


def test_wide_gbk_export_with_title_lines_totals_ignored_and_derived_columns(
    db: Path, conn: sqlite3.Connection, tmp_path: Path
) -> None:
    path = write(tmp_path / "看板.csv", WIDE_GBK, "gbk")
    result = cli(db, "import", path, "--shop", "tm-apparel")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "imported 看板.csv as import 1 (wide, gb18030, 3 rows): 8 new, 0 changed, 0 unchanged",
        "ignored columns (not recorded by opsdesk): 浏览量, 跳失率",
        "derived column '支付转化率' (conversion_rate = buyers / visitors): not imported;"
        " checked 2 rows, 1 mismatch",
        "derived column '客单价' (aov = gmv / buyers): not imported; checked 2 rows, 1 mismatch",
        f"warning: {path}:7: column '支付转化率': 5.10% in the file, but buyers / visitors"
        " gives 5.00%",
        f"warning: {path}:7: column '客单价': 200.00 in the file, but gmv / buyers gives 202.51",
    ]
    # The empty 支付买家数 cell of 11-02 is no value (not a zero); the 合计 row is not a day.
    assert stored(conn) == {
        ("tm-apparel", "visitors", "2026-11-01"): 1000.0,
        ("tm-apparel", "buyers", "2026-11-01"): 38.0,
        ("tm-apparel", "gmv", "2026-11-01"): 7524.0,
        ("tm-apparel", "visitors", "2026-11-02"): 1200.0,
        ("tm-apparel", "gmv", "2026-11-02"): 8000.0,
        ("tm-apparel", "visitors", "2026-11-03"): 800.0,
        ("tm-apparel", "buyers", "2026-11-03"): 40.0,
        ("tm-apparel", "gmv", "2026-11-03"): 8100.5,
    }


def test_wide_headers_match_key_name_alias_in_any_case_and_spacing(
    db: Path, conn: sqlite3.Connection, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "en.csv",
        " Date ,shop,  VISITORS ,gmv,uv ignored?,Buyers\n"
        "2026-11-20,jd-home,10,20.5,x,2\n"
        "2026-11-20,tm-apparel,11,0,y,0\n",
    )
    result = cli(db, "import", path)
    assert result.exit_code == 0, result.output
    assert "ignored columns (not recorded by opsdesk): uv ignored?" in result.output
    assert stored(conn) == {
        ("jd-home", "visitors", "2026-11-20"): 10.0,
        ("jd-home", "gmv", "2026-11-20"): 20.5,
        ("jd-home", "buyers", "2026-11-20"): 2.0,
        ("tm-apparel", "visitors", "2026-11-20"): 11.0,
        ("tm-apparel", "gmv", "2026-11-20"): 0.0,
        ("tm-apparel", "buyers", "2026-11-20"): 0.0,
    }


def test_wide_derived_within_rounding_is_no_warning(
    db: Path, conn: sqlite3.Connection, tmp_path: Path
) -> None:
    # 38 / 1000 = 3.8% exactly; 7 / 180 = 3.888…% written as 3.9% (1 decimal) is rounding.
    path = write(
        tmp_path / "ok.csv",
        "日期,访客数,支付买家数,支付转化率\n2026-11-01,1000,38,3.8%\n2026-11-02,180,7,3.9%\n"
        "2026-11-03,0,0,0.00%\n",
    )
    plan = parse_file(path, imports.read_catalogue(conn), "jd-home")
    assert plan.warnings == []
    assert [(d.header, d.checked, d.mismatches) for d in plan.derived] == [("支付转化率", 2, 0)]


def test_xlsx_long_with_excel_dates_and_numbers(
    db: Path, conn: sqlite3.Connection, tmp_path: Path
) -> None:
    path = write_xlsx(
        tmp_path / "long.xlsx",
        [
            ["date", "shop", "metric", "value"],
            [datetime(2026, 11, 20), "jd-home", "orders", 12],
            ["2026/11/21", "jd-home", "gmv", "1,234.50"],
            [20261122, "jd-home", "dsr", 4.8],
        ],
    )
    result = cli(db, "import", path)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("imported long.xlsx as import 1 (long, xlsx, 3 rows)")
    assert stored(conn) == {
        ("jd-home", "orders", "2026-11-20"): 12.0,
        ("jd-home", "gmv", "2026-11-21"): 1234.5,
        ("jd-home", "dsr", "2026-11-22"): 4.8,
    }


def test_xlsx_wide_with_title_rows_totals_and_percent_cells(
    db: Path, conn: sqlite3.Connection, tmp_path: Path
) -> None:
    path = write_xlsx(
        tmp_path / "export.xlsx",
        [
            ["京东商智 - 店铺概况"],
            ["2026-11-01 至 2026-11-02"],
            [],
            ["日期", "访客数", "支付买家数", "成交额", "支付转化率", "跳失率"],
            [datetime(2026, 11, 1), 1000, 38, 7524, 0.038, 0.41],
            [datetime(2026, 11, 2), 500, 30, 6000.5, 0.05, 0.40],
            ["总计", 1500, 68, 13524.5, None, None],
        ],
    )
    result = cli(db, "import", path, "--shop", "jd-home")
    assert result.exit_code == 0, result.output
    assert "ignored columns (not recorded by opsdesk): 跳失率" in result.output
    assert "checked 2 rows, 1 mismatch" in result.output
    assert f"warning: {path}:6: column '支付转化率': 5.00% in the file," in result.output
    assert stored(conn) == {
        ("jd-home", "visitors", "2026-11-01"): 1000.0,
        ("jd-home", "buyers", "2026-11-01"): 38.0,
        ("jd-home", "gmv", "2026-11-01"): 7524.0,
        ("jd-home", "visitors", "2026-11-02"): 500.0,
        ("jd-home", "buyers", "2026-11-02"): 30.0,
        ("jd-home", "gmv", "2026-11-02"): 6000.5,
    }


def test_a_file_named_like_a_subcommand_is_given_with_a_path(
    db: Path, conn: sqlite3.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "list.csv", "date,shop,metric,value\n2026-11-20,jd-home,orders,3\n")
    (tmp_path / "list.csv").rename(tmp_path / "list")
    result = cli(db, "import", "./list")
    assert result.exit_code == 2
    assert "list: not a CSV or XLSX file (expected .csv or .xlsx)" in result.output
    assert cli(db, "import", "list").output == "no imports yet\n"
