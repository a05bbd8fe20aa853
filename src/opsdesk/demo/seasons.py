"""Campaigns and holidays over a date range: which days they cover and how they scale a day.

A season recurs every year: a warm-up ramping from `start` to the day before the peak, the
peak day, and an after-period to `end` (a season may cross the new year, like New Year's Day).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from opsdesk.demo.params import Season

DayFactors = Mapping[str, float]
NO_FACTORS: DayFactors = {}


@dataclass(frozen=True)
class Window:
    """One year's occurrence of a season."""

    season: Season
    start: date
    peak: date
    end: date


def windows(seasons: tuple[Season, ...], first: date, last: date) -> list[Window]:
    """Every occurrence of every season that touches [first, last], by start date."""
    found = []
    for s in seasons:
        for year in range(first.year - 1, last.year + 2):
            peak = date(year, *s.peak)
            start = date(year if s.start <= s.peak else year - 1, *s.start)
            end = date(year if s.end >= s.peak else year + 1, *s.end)
            if end >= first and start <= last:
                found.append(Window(s, start, peak, end))
    return sorted(found, key=lambda w: (w.start, w.season.key))


def day_factors(found: list[Window], first: date, last: date) -> dict[date, dict[str, float]]:
    """The factors in force on each season day in [first, last] (overlaps multiply)."""
    out: dict[date, dict[str, float]] = {}
    for w in found:
        ramp_days = (w.peak - w.start).days
        day = max(w.start, first)
        while day <= min(w.end, last):
            if day < w.peak:
                ramp = ((day - w.start).days + 1) / ramp_days
                phase = 0
            elif day == w.peak:
                ramp, phase = 1.0, 1
            else:
                ramp, phase = 1.0, 2
            slot = out.setdefault(day, {})
            for name, triple in w.season.factors.items():
                factor = 1.0 + (triple[phase] - 1.0) * ramp
                slot[name] = slot.get(name, 1.0) * factor
            day += timedelta(days=1)
    return out


def latest_major_peak(found: list[Window], first: date, end: date) -> Window | None:
    """The most recent major campaign whose peak lies in [first, end]."""
    peaks = [w for w in found if w.season.major and first <= w.peak <= end]
    return max(peaks, key=lambda w: w.peak) if peaks else None


def target_periods(found: list[Window], first: date, end: date) -> list[tuple[date, date, str]]:
    """Consecutive periods covering [first, end]: each target season's warm-up and peak,
    and the ordinary stretches between them (label "")."""
    periods: list[tuple[date, date, str]] = []
    cursor = first
    for w in found:
        if not w.season.target or w.peak < cursor or w.start > end:
            continue
        start = max(w.start, cursor)
        stop = min(w.peak, end)
        if start > cursor:
            periods.append((cursor, start - timedelta(days=1), ""))
        periods.append((start, stop, w.season.title))
        cursor = stop + timedelta(days=1)
    if cursor <= end:
        periods.append((cursor, end, ""))
    return periods
