"""Property tests of the importers (hypothesis): for any generated CSV or XLSX file, either the
whole file is rejected — every reason numbered by line, the store byte for byte as it was — or
every value stored equals the value written.

The files mix good rows with what goes wrong in real ones: unknown shops and metrics, derived
metrics, bad and future dates, values that are not numbers, negative, fractional counts, the
same value twice, buyers above visitors. Examples are few and the deadline off, so `make test`
stays fast (about 40 files in all).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from test_import_support import add_shops, cli, file_hash, stored

from opsdesk.bootstrap import initialise

SHOPS = ("jd-home", "tm-apparel")
COUNTS = ("visitors", "buyers", "orders")
MONEY = ("gmv",)
LAST_DAY = date(2026, 11, 20)
"""Well before any ops day the tests run on: every generated good day may be imported."""

Key = tuple[str, str, str]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("props") / "store.sqlite"
    conn = initialise(path)
    add_shops(conn, *SHOPS)
    assert cli(path, "shop", "list").exit_code == 0  # today's checklist runs, as any command
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    yield path


# -- rows: (date cell, shop cell, metric cell, value cell, the value if all is well) ----------

good_day = st.integers(0, 40).map(lambda n: LAST_DAY - timedelta(days=n))
day_cell = st.one_of(
    good_day.map(lambda d: (d.isoformat(), d)),
    good_day.map(lambda d: (f"{d.year}/{d.month}/{d.day}", d)),
    good_day.map(lambda d: (d.strftime("%Y%m%d"), d)),
    st.sampled_from(["2026-02-30", "yesterday", "", "2030-01-01"]).map(lambda t: (t, None)),
)
shop_cell = st.one_of(
    st.sampled_from(SHOPS).map(lambda s: (s, s)),
    st.sampled_from(["nope", ""]).map(lambda s: (s, None)),
)
count_value = st.integers(0, 2_000_000).flatmap(
    lambda n: st.sampled_from([str(n), f"{n:,}", f" {n} "]).map(lambda t: (t, float(n)))
)
money_value = st.integers(0, 10**9).flatmap(
    lambda c: st.sampled_from(
        [f"{c / 100:.2f}", f"{c / 100:,.2f}", f"¥{c / 100:.2f}", f"￥{c / 100:,.2f}"]
    ).map(lambda t: (t, c / 100))
)
bad_value = st.sampled_from(["abc", "-1", "1.5.2", "¥", "%", "inf", "12,5"]).map(
    lambda t: (t, None)
)


@st.composite
def a_row(
    draw: st.DrawFn, good: bool = False
) -> tuple[str, str, str, str, Key | None, float | None]:
    """A row of a long file; with `good`, every cell is fine on its own."""
    day_text, day = draw(day_cell.filter(lambda c: c[1] is not None) if good else day_cell)
    shop_text, shop = draw(st.sampled_from(SHOPS).map(lambda s: (s, s)) if good else shop_cell)
    kind = draw(st.sampled_from(["count", "money"] + ([] if good else ["unknown", "derived"])))
    if kind == "count":
        metric = draw(st.sampled_from(COUNTS))
        value_text, value = draw(
            count_value if good else st.one_of(count_value, bad_value, st.just(("2.5", None)))
        )
    elif kind == "money":
        metric = draw(st.sampled_from(MONEY))
        value_text, value = draw(money_value if good else st.one_of(money_value, bad_value))
    else:
        metric = "page_views" if kind == "unknown" else "conversion_rate"
        value_text, value = draw(count_value)
        value = None
    ok = day is not None and shop is not None and value is not None
    key = (shop, metric, day.isoformat()) if ok else None  # type: ignore[union-attr]
    return day_text, shop_text, metric, value_text, key, value


rows = st.lists(a_row(), min_size=1, max_size=12)


# -- the property ------------------------------------------------------------------------


def check(template: Path, name: str, write: object, generated: list) -> None:
    with tempfile.TemporaryDirectory(prefix="opsdesk-props-") as tmp:
        db = Path(tmp) / "store.sqlite"
        shutil.copyfile(template, db)
        path = Path(tmp) / name
        write(path, generated)  # type: ignore[operator]
        before = file_hash(db)
        result = cli(db, "import", path)
        expected: dict[Key, float] = {}
        for *_, key, value in generated:
            if key is not None and value is not None:
                expected[key] = value
        if result.exit_code == 0:
            conn = sqlite3.connect(db)
            try:
                assert stored(conn) == expected  # every value, exactly as written
            finally:
                conn.close()
            assert all(key is not None for *_, key, _ in generated)
            assert len(expected) == len(generated)
            return
        assert result.exit_code == 2, result.output
        lines = result.output.splitlines()
        assert re.fullmatch(
            rf"Error: {re.escape(str(path))}: rejected, \d+ problems?; nothing was imported",
            lines[0],
        ), lines[0]
        reasons = lines[1:]
        assert reasons
        numbered = re.compile(rf"{re.escape(str(path))}:(\d+): .+")
        for line in reasons:
            if line.startswith("… and "):
                continue
            m = numbered.fullmatch(line)
            assert m, line
            assert 2 <= int(m.group(1)) <= len(generated) + 1  # a data line of the file
        assert file_hash(db) == before  # byte for byte as it was
        conn = sqlite3.connect(db)
        try:
            assert conn.execute("SELECT count(*) FROM observations").fetchone() == (0,)
        finally:
            conn.close()


def write_csv(path: Path, generated: list) -> None:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["date", "shop", "metric", "value"])
    for day, shop, metric, value, *_ in generated:
        w.writerow([day, shop, metric, value])
    path.write_text(out.getvalue(), encoding="utf-8")


def write_xlsx(path: Path, generated: list) -> None:
    """Numbers as numbers and days as dates where they are good, as a spreadsheet keeps them."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["date", "shop", "metric", "value"])
    for day, shop, metric, value_text, key, value in generated:
        day_cell: object = date.fromisoformat(key[2]) if key is not None else day or None
        value_cell: object = value if value is not None else value_text or None
        ws.append([day_cell, shop or None, metric, value_cell])
    wb.save(path)


SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(generated=rows)
def test_a_csv_file_is_imported_whole_or_rejected_whole(template: Path, generated: list) -> None:
    check(template, "gen.csv", write_csv, generated)


@SETTINGS
@given(generated=rows)
def test_an_xlsx_file_is_imported_whole_or_rejected_whole(template: Path, generated: list) -> None:
    check(template, "gen.xlsx", write_xlsx, generated)


@SETTINGS
@given(generated=st.lists(a_row(good=True), min_size=1, max_size=12))
def test_good_files_are_stored_value_for_value(template: Path, generated: list) -> None:
    """Files with good rows only: imported unless a rule between them says no (a value twice,
    buyers above visitors), and then every value is what the file says."""
    check(template, "good.csv", write_csv, generated)
