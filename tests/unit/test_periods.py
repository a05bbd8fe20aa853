"""Periods: ISO weeks across year ends, months, previous / last year, parsing bad keys."""

from __future__ import annotations

from datetime import date

import pytest

from opsdesk.domain import periods
from opsdesk.domain.periods import Period


def test_iso_week_spanning_a_year_end_starts_in_the_previous_december() -> None:
    w = periods.parse("week", "2026-W01")
    assert w == Period("week", "2026-W01", date(2025, 12, 29), date(2026, 1, 4))
    assert periods.week_of(date(2025, 12, 31)) == w
    assert periods.week_of(date(2026, 1, 4)) == w
    assert w.previous() == Period("week", "2025-W52", date(2025, 12, 22), date(2025, 12, 28))
    assert len(w.days()) == 7 and w.days()[0] == date(2025, 12, 29)


def test_week_53_and_its_last_year() -> None:
    w = periods.parse("week", "2026-W53")
    assert (w.start, w.end) == (date(2026, 12, 28), date(2027, 1, 3))
    # 2025 has no week 53: the same period last year is its week 52.
    assert w.last_year().key == "2025-W52"
    assert periods.parse("week", "2026-W47").last_year() == Period(
        "week", "2025-W47", date(2025, 11, 17), date(2025, 11, 23)
    )
    assert periods.week_of(date(2027, 1, 1)).key == "2026-W53"


def test_months_and_days() -> None:
    m = periods.parse("month", "2026-11")
    assert (m.start, m.end, len(m)) == (date(2026, 11, 1), date(2026, 11, 30), 30)
    assert periods.month_of(date(2026, 12, 31)).end == date(2026, 12, 31)
    assert periods.parse("month", "2026-01").previous().key == "2025-12"
    assert periods.parse("month", "2024-02").end == date(2024, 2, 29)
    assert periods.parse("month", "2025-03").last_year().key == "2024-03"
    d = periods.parse("day", "2024-02-29")
    assert d.last_year() == periods.day(date(2023, 2, 28))
    assert d.previous().key == "2024-02-28"
    assert periods.day(date(2026, 11, 21)).days() == [date(2026, 11, 21)]
    assert date(2026, 11, 5) in m and date(2026, 12, 1) not in m


@pytest.mark.parametrize(
    ("kind", "key", "message"),
    [
        ("week", "2026-W54", "expected an ISO week like 2026-W47"),
        ("week", "2025-W53", "expected an ISO week like 2026-W47"),
        ("week", "2026-47", "expected an ISO week like 2026-W47"),
        ("month", "2026-13", "expected a month like 2026-11"),
        ("day", "2026-02-30", "expected a date like 2026-11-21"),
        ("day", "21/11/2026", "expected a date like 2026-11-21"),
        ("quarter", "2026-Q1", "one of day, week, month"),
    ],
)
def test_bad_keys_say_what_is_expected(kind: str, key: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        periods.parse(kind, key)
