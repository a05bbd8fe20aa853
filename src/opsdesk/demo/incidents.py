"""Injected incidents: where each one of fixtures/demo.toml lands for a given end date.

Placing is separate from generating: `place` turns the configured incidents into per-shop,
per-day overrides (`ShopIncidents`) that the daily series applies, and a list of what was
placed (for the summary, the events table and the tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from opsdesk.demo.params import Incident
from opsdesk.demo.seasons import Window, latest_major_peak


@dataclass
class ShopIncidents:
    """What the incidents change at one shop, day by day."""

    conversion_cap: dict[date, float] = field(default_factory=dict)
    """Day -> at most this factor x the trailing 7-day conversion."""
    first_response_s: dict[date, float] = field(default_factory=dict)
    stockout_rate: dict[date, float] = field(default_factory=dict)
    missing: set[date] = field(default_factory=set)


@dataclass(frozen=True)
class Placed:
    """An incident as injected: which shop and which days."""

    key: str
    kind: str
    shop: str
    title: str
    days: tuple[date, ...]


def _last_days(end: date, n: int, first: date) -> list[date]:
    return [d for d in (end - timedelta(days=i) for i in range(n - 1, -1, -1)) if d >= first]


def place(
    incidents: tuple[Incident, ...],
    shop_keys: list[str],
    first: date,
    end: date,
    found: list[Window],
) -> tuple[dict[str, ShopIncidents], list[Placed]]:
    """Overrides per shop key and the incidents placed (those whose shop is in the demo)."""
    overrides = {key: ShopIncidents() for key in shop_keys}
    placed: list[Placed] = []
    for inc in incidents:
        if inc.shop not in overrides:
            continue
        target = overrides[inc.shop]
        days: list[date] = []
        if inc.kind == "conversion_slide":
            days = _last_days(end, inc.days, first)
            target.conversion_cap.update({d: inc.factor for d in days})
        elif inc.kind == "cs_spike":
            window = latest_major_peak(found, first, end)
            if window is not None:
                for i, seconds in enumerate(inc.first_response_s):
                    day = window.peak + timedelta(days=inc.offset + i)
                    if first <= day <= end:
                        target.first_response_s[day] = seconds
                        days.append(day)
        elif inc.kind == "stockout_streak":
            days = _last_days(end, inc.days, first)
            steps = max(1, len(days) - 1)
            for i, d in enumerate(days):
                target.stockout_rate[d] = inc.rate_from + (inc.rate_to - inc.rate_from) * i / steps
        elif inc.kind == "missing_day":
            day = end - timedelta(days=inc.days_before_end)
            if day >= first:
                target.missing.add(day)
                days = [day]
        if days:
            placed.append(Placed(inc.key, inc.kind, inc.shop, inc.title, tuple(days)))
    return overrides, placed
