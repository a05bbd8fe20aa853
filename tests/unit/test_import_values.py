"""Cell values: every number and date form an export writes, and the reasons for bad ones."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from opsdesk.io.values import DayCache, is_total_marker, parse_day, parse_number


@pytest.mark.parametrize(
    ("cell", "value", "decimals"),
    [
        ("1234", 1234.0, 0),
        ("1,234", 1234.0, 0),
        ("1,234.50", 1234.5, 2),
        ("1,194,746.75", 1194746.75, 2),
        ("¥198", 198.0, 0),
        ("￥198.5", 198.5, 1),
        ("  42 ", 42.0, 0),
        ("3.8%", 0.038, 3),
        ("12.34 %", 0.1234, 4),
        ("0", 0.0, 0),
        ("0.00", 0.0, 2),
        (17, 17.0, 0),
        (0.0385, 0.0385, 4),
    ],
)
def test_numbers_as_exports_write_them(cell: object, value: float, decimals: int) -> None:
    got, got_decimals = parse_number(cell)
    assert got == pytest.approx(value, abs=1e-12)
    assert got_decimals == decimals


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("abc", "'abc' is not a number"),
        ("12,34", "'12,34' is not a number (misplaced thousands separator)"),
        ("1.2.3", "'1.2.3' is not a number"),
        ("-5", "'-5' is negative"),
        ("¥-5", "'¥-5' is negative"),
        ("nan", "'nan' is not a number"),
        ("inf", "'inf' is not a number"),
        (float("nan"), "'nan' is not a finite number"),
        ("", "no value"),
        ("   ", "no value"),
        (None, "no value"),
    ],
)
def test_bad_numbers_say_why(cell: object, reason: str) -> None:
    with pytest.raises(ValueError) as e:
        parse_number(cell)
    assert str(e.value) == reason


@pytest.mark.parametrize(
    ("cell", "day"),
    [
        ("2026-11-21", "2026-11-21"),
        ("2026/11/21", "2026-11-21"),
        ("2026/3/5", "2026-03-05"),
        ("20261121", "2026-11-21"),
        (" 2026-11-21 ", "2026-11-21"),
        ("2026-11-21 00:00:00", "2026-11-21"),
        (datetime(2026, 11, 21, 0, 0), "2026-11-21"),
        (date(2024, 2, 29), "2024-02-29"),
        (20261121, "2026-11-21"),
    ],
)
def test_dates_in_every_form(cell: object, day: str) -> None:
    assert parse_day(cell) == day


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("2026-13-01", "'2026-13-01' is not a calendar date"),
        ("2025-02-29", "'2025-02-29' is not a calendar date"),
        ("21/11/2026", "'21/11/2026' is not a date (use 2026-11-21, 2026/11/21 or 20261121)"),
        ("2026-11/21", "'2026-11/21' is not a date (use 2026-11-21, 2026/11/21 or 20261121)"),
        ("", "no date"),
        (None, "no date"),
        (3.5, "3.5 is not a date"),
    ],
)
def test_bad_dates_say_why(cell: object, reason: str) -> None:
    with pytest.raises(ValueError) as e:
        parse_day(cell)
    assert str(e.value) == reason


def test_day_cache_remembers_good_and_bad_cells() -> None:
    days = DayCache()
    assert days("2026/3/5") == "2026-03-05"
    assert days.known == {"2026/3/5": "2026-03-05"}
    for _ in range(2):
        with pytest.raises(ValueError, match="not a calendar date"):
            days("2026/2/30")


@pytest.mark.parametrize(
    "cell", ["合计", "总计", "汇总", "Total", " TOTAL ", "合计：", "Grand total"]
)
def test_totals_markers(cell: str) -> None:
    assert is_total_marker(cell)


@pytest.mark.parametrize("cell", ["2026-11-21", "", None, 3, "subtotal x"])
def test_not_totals_markers(cell: object) -> None:
    assert not is_total_marker(cell)
