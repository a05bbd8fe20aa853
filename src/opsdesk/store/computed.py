"""Computed base metrics: daily values the store derives from other tables instead of
recording them (SOP adherence: `sop_due`, `sop_on_time` per shop and run day).

`PROVIDERS` lists every provider explicitly; `observations.load_daily` merges their values in
as if they had been recorded, whatever modules a process happens to have imported. An area
that computes a metric adds its provider here (and its keys to
`opsdesk.domain.kpis.COMPUTED_METRICS`, which a test checks).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from opsdesk.store import sop_adherence

DailyValues = dict[tuple[str, date], dict[str, float]]
"""(shop key, day) -> metric key -> value."""


@dataclass(frozen=True)
class Provider:
    """A source of computed daily values: the metric keys it gives, and its loader."""

    keys: frozenset[str]
    load: Callable[[sqlite3.Connection, date, date], DailyValues]
    """(conn, start, end) -> the values from `start` to `end` inclusive."""


PROVIDERS: tuple[Provider, ...] = (Provider(sop_adherence.KEYS, sop_adherence.daily_adherence),)
