"""Reporting periods: a day, an ISO week or a calendar month, with their neighbours.

Keys are `2026-11-21` (day), `2026-W47` (ISO week, Monday to Sunday; week 1 is the week
holding the year's first Thursday, so 2026-W01 starts on 2025-12-29) and `2026-11` (month).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

KINDS = ("day", "week", "month")

_WEEK_KEY = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH_KEY = re.compile(r"^(\d{4})-(\d{2})$")
_DAY_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Period:
    """A closed range of days [start, end] of one kind, named by its key."""

    kind: str
    key: str
    start: date
    end: date

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        return containing(self.kind, self.start - timedelta(days=1))

    def next(self) -> Period:
        return containing(self.kind, self.end + timedelta(days=1))

    def last_year(self) -> Period:
        """The same period a year earlier: same date, same ISO week number, same month.

        29 February maps to 28 February; ISO week 53 maps to week 52 of a year without one.
        """
        if self.kind == "day":
            return day(_minus_one_year(self.start))
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            weeks = date(year - 1, 12, 28).isocalendar()[1]
            return _iso_week(year - 1, min(week, weeks))
        return month_of(date(self.start.year - 1, self.start.month, 1))

    def days(self) -> list[date]:
        n = (self.end - self.start).days + 1
        return [self.start + timedelta(days=i) for i in range(n)]

    def __contains__(self, d: object) -> bool:
        return isinstance(d, date) and self.start <= d <= self.end

    def __len__(self) -> int:
        return (self.end - self.start).days + 1


def _minus_one_year(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def _iso_week(year: int, week: int) -> Period:
    start = date.fromisocalendar(year, week, 1)
    return Period("week", f"{year:04d}-W{week:02d}", start, start + timedelta(days=6))


def day(d: date) -> Period:
    return Period("day", d.isoformat(), d, d)


def week_of(d: date) -> Period:
    """The ISO week (Monday to Sunday) holding `d`."""
    year, week, _ = d.isocalendar()
    return _iso_week(year, week)


def month_of(d: date) -> Period:
    start = d.replace(day=1)
    following = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return Period("month", f"{d.year:04d}-{d.month:02d}", start, following - timedelta(days=1))


def containing(kind: str, d: date) -> Period:
    """The period of `kind` that holds the day `d`."""
    if kind == "day":
        return day(d)
    if kind == "week":
        return week_of(d)
    if kind == "month":
        return month_of(d)
    raise ValueError(f"period kind {kind!r}: one of {', '.join(KINDS)}")


def parse(kind: str, key: str) -> Period:
    """The period named `key`; ValueError with a message saying what a good key looks like."""
    key = key.strip()
    if kind == "day":
        if _DAY_KEY.match(key):
            try:
                return day(date.fromisoformat(key))
            except ValueError:
                pass
        raise ValueError(f"day {key!r}: expected a date like 2026-11-21")
    if kind == "week":
        m = _WEEK_KEY.match(key.upper())
        if m:
            try:
                return _iso_week(int(m.group(1)), int(m.group(2)))
            except ValueError:
                pass
        raise ValueError(
            f"week {key!r}: expected an ISO week like 2026-W47 (weeks 01-52, or 53 in long years)"
        )
    if kind == "month":
        m = _MONTH_KEY.match(key)
        if m and 1 <= int(m.group(2)) <= 12 and int(m.group(1)) >= 1:
            return month_of(date(int(m.group(1)), int(m.group(2)), 1))
        raise ValueError(f"month {key!r}: expected a month like 2026-11")
    raise ValueError(f"period kind {kind!r}: one of {', '.join(KINDS)}")
