"""XLSX workbooks as people make them: several sheets, formulas never computed, merged cells;
and the messages that name a line, a column or a sheet (decode failures, repeated headers,
thousands of ignored columns)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook
from test_import_support import add_shops, cli, file_hash, stored, write

from opsdesk.bootstrap import initialise

LONG = ["date", "shop", "metric", "value"]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "store.sqlite"
    conn = initialise(path)
    add_shops(conn, "jd-home", "tm-apparel")
    assert cli(path, "shop", "list").exit_code == 0  # makes today's checklist runs, as any command
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # so the file says it all
    conn.close()
    yield path


def book(path: Path, sheets: dict[str, list[list[object]]]) -> Workbook:
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return wb


def values(db: Path) -> dict[tuple[str, str, str], float]:
    conn = sqlite3.connect(db)
    try:
        return stored(conn)
    finally:
        conn.close()


def test_every_sheet_with_a_header_is_imported_and_the_others_are_named(
    db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "month.xlsx"
    book(
        path,
        {
            "jd-home": [
                ["日期", "访客数", "支付金额", "店铺"],
                ["2026-11-01", 100, 5000, "jd-home"],
            ],
            "tm-apparel": [
                ["京东商智导出"],
                ["日期", "访客数", "店铺"],
                ["2026-11-01", 80, "tm-apparel"],
                ["2026-11-02", 90, "tm-apparel"],
            ],
            "long": [LONG, ["2026-11-02", "jd-home", "gmv", 7000]],
            "notes": [["these numbers were checked by li.na"]],
            "empty": [],
        },
    )
    result = cli(db, "import", path)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:4] == [
        "imported month.xlsx as import 1 (long+wide, xlsx, 4 rows): 5 new, 0 changed, 0 unchanged",
        "sheets read: jd-home, tm-apparel, long",
        "sheet not read: notes (no header row in the first 50 rows)",
        "sheet not read: empty (empty)",
    ]
    assert values(db) == {
        ("jd-home", "visitors", "2026-11-01"): 100,
        ("jd-home", "gmv", "2026-11-01"): 5000,
        ("jd-home", "gmv", "2026-11-02"): 7000,
        ("tm-apparel", "visitors", "2026-11-01"): 80,
        ("tm-apparel", "visitors", "2026-11-02"): 90,
    }


def test_problems_name_the_sheet_when_there_are_several(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "two.xlsx"
    book(
        path,
        {
            "Oct": [LONG, ["2026-10-01", "jd-home", "visitors", 10]],
            "Nov": [
                ["title"],
                LONG,
                ["2026-11-01", "jd-home", "visitors", "abc"],
                ["2026-10-01", "jd-home", "visitors", 11],
            ],
        },
    )
    before = file_hash(db)
    result = cli(db, "import", path)
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"Error: {path}: rejected, 2 problems; nothing was imported",
        f"{path}[Nov]:3: column 'value': 'abc' is not a number",
        f"{path}[Nov]:4: column 'value': jd-home / visitors / 2026-10-01 appears more than once"
        " in the file: line 2 (sheet 'Oct') and line 4 (sheet 'Nov')",
    ]
    assert file_hash(db) == before


def test_a_value_given_in_a_wide_and_a_long_sheet_is_named_under_the_second_ones_column(
    db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "both.xlsx"
    wide = [["日期", "访客数", "店铺"], ["2026-11-01", 80, "jd-home"]]
    long = [LONG, ["2026-11-01", "jd-home", "visitors", 81]]
    book(path, {"wide": wide, "long": long})
    assert cli(db, "import", path).output.splitlines()[1] == (
        f"{path}[long]:2: column 'value': jd-home / visitors / 2026-11-01 appears more than once"
        " in the file: line 2 (sheet 'wide') and line 2 (sheet 'long')"
    )
    book(path, {"long": long, "wide": wide})
    assert cli(db, "import", path).output.splitlines()[1] == (
        f"{path}[wide]:2: column '访客数': jd-home / visitors / 2026-11-01 appears more than once"
        " in the file: line 2 (sheet 'long') and line 2 (sheet 'wide')"
    )


def test_one_sheet_files_keep_plain_line_numbers(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "one.xlsx"
    book(path, {"data": [LONG, ["2026-11-01", "jd-home", "visitors", "x"]]})
    result = cli(db, "import", path)
    assert result.output.splitlines()[1] == f"{path}:2: column 'value': 'x' is not a number"


def test_a_formula_without_a_computed_value_is_refused_with_its_address(
    db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "formula.xlsx"
    book(
        path,
        {
            "data": [
                ["=1+1"],  # a title cell above the header: not data, not refused
                LONG,
                ["2026-11-01", "jd-home", "visitors", 100],
                ["2026-11-01", "jd-home", "buyers", "=D3*0.04"],
            ]
        },
    )
    before = file_hash(db)
    result = cli(db, "import", path)
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"Error: {path}: rejected, 1 problem; nothing was imported",
        f"{path}:4: column 'value': cell D4: formula without a computed value — open and save"
        " the file in a spreadsheet first",
    ]
    assert file_hash(db) == before


def test_a_formula_with_its_cached_value_is_read(db: Path, tmp_path: Path) -> None:
    """A file saved by a spreadsheet keeps each formula's value: that value is imported."""
    path = tmp_path / "saved.xlsx"
    book(path, {"data": [LONG, ["2026-11-01", "jd-home", "visitors", "=50*2"]]})
    # what a spreadsheet does on save: the computed value beside the formula
    import zipfile

    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b"<f>50*2</f><v />", b"<f>50*2</f><v>100</v>")
    assert b"<v>100</v>" in parts[sheet]
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    result = cli(db, "import", path)
    assert result.exit_code == 0, result.output
    assert values(db) == {("jd-home", "visitors", "2026-11-01"): 100}


def test_merged_cells_in_the_data_are_refused_naming_them(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "merged.xlsx"
    wb = book(
        path,
        {
            "data": [
                ["店铺日报", None, None],
                ["日期", "访客数", "支付金额"],
                ["2026-11-01", 100, 5000],
                ["2026-11-02", 120, None],
            ]
        },
    )
    ws = wb["data"]
    ws.merge_cells("A1:C1")  # the title: above the header, harmless
    ws.merge_cells("C3:C4")  # one GMV for two days: the second reads as empty
    wb.save(path)
    result = cli(db, "import", path, "--shop", "jd-home")
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"Error: {path}: rejected, 1 problem; nothing was imported",
        f"{path}:3: cells C3:C4 are merged: only C3 holds the value and the others read as"
        " empty — unmerge them and give each cell its value",
    ]
    assert values(db) == {}


def test_a_decode_failure_names_the_first_undecodable_line(db: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "mixed.csv", "date,shop,metric,value\n2026-11-01,jd-home,gmv,1\n")
    path.write_bytes(path.read_bytes() + b"2026-11-02,jd-home,gmv,\xff\xff\n")
    result = cli(db, "import", path)
    assert result.exit_code == 2
    assert result.output == (
        f"Error: {path}:3: cannot decode the file as UTF-8 or GB18030/GBK: line 3 is the first"
        " that is neither; nothing was imported\n"
    )
    mixed = tmp_path / "two-encodings.csv"
    mixed.write_bytes(
        b"date,shop,metric,value\n"
        + "2026-11-01,jd-home,gmv,1,你,\n".encode()  # UTF-8 that is not GB18030
        + "2026-11-02,jd-home,gmv,2,访客\n".encode("gbk")
    )
    result = cli(db, "import", mixed)
    assert result.output == (
        f"Error: {mixed}:3: cannot decode the file as UTF-8 or GB18030/GBK: it mixes them"
        " (line 3 is the first that is not UTF-8); save it in one encoding; nothing was"
        " imported\n"
    )


def test_a_metric_named_by_three_columns_is_one_message(db: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "dup.csv", "日期,访客数,visitors,gmv,UV\n2026-11-01,1,1,5,1\n")
    result = cli(db, "import", path, "--shop", "jd-home")
    lines = result.output.splitlines()
    assert lines[1:] == [
        f"{path}:1: column 'visitors': columns 2, 3 and 5 ('访客数', 'visitors', 'UV') all"
        " name the metric visitors: keep one",
    ]


def test_thousands_of_ignored_columns_are_summarised(db: Path, tmp_path: Path) -> None:
    extra = [f"x{i}" for i in range(100_000)]
    header = ",".join(["date", "visitors", *extra])
    row = ",".join(["2026-11-01", "7", *([""] * len(extra))])
    path = write(tmp_path / "wide.csv", f"{header}\n{row}\n")
    result = cli(db, "import", path, "--shop", "jd-home")
    assert result.exit_code == 0, result.output[:500]
    shown = ", ".join(extra[:20])
    assert result.output.splitlines()[1] == (
        f"ignored columns (not recorded by opsdesk): {shown} … and 99,980 more"
    )


def test_an_exported_workbook_with_a_sheet_per_shop_imports_back(tmp_path: Path) -> None:
    """`export observations --format xlsx --sheet-per-shop` gives one long sheet per shop: all
    of them are read, and the values come back as they were."""
    source = tmp_path / "demo.sqlite"
    demo = ("demo", "--shops", "2", "--days", "30", "--end", "2026-11-22", "--quiet")
    assert cli(source, *demo).exit_code == 0
    out = tmp_path / "obs.xlsx"
    args = ("export", "observations", "--format", "xlsx", "--sheet-per-shop", "--output", out)
    assert cli(source, *args).exit_code == 0
    target = tmp_path / "copy.sqlite"
    conn = initialise(target)
    add_shops(conn, "tmall-apparel", "jd-home")
    conn.close()
    result = cli(target, "import", out)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == "sheets read: jd-home, tmall-apparel"
    assert values(target) == values(source)
    assert len(values(target)) > 1_000
