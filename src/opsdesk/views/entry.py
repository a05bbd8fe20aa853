"""Area 3's read model: the form of a shop's base metrics for one day, with the values stored.

The shop is the one asked for when it exists, else the first shop (None: no shops yet).
No Textual here.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from opsdesk.domain.metrics import Metric
from opsdesk.domain.validation import not_entered
from opsdesk.store.catalogue import load_metrics
from opsdesk.store.observations import load_daily
from opsdesk.store.shops import list_shops


@dataclass(frozen=True)
class EntryData:
    shop_keys: list[str]
    shop_key: str | None
    day: date
    metrics: list[Metric]
    """The metrics a person can type (derived and computed ones are not: `not_entered`)."""
    values: dict[str, float]
    """metric key -> the value stored for the shop and day."""


def build_entry(conn: sqlite3.Connection, day: date, shop_key: str | None) -> EntryData:
    """The entry form for `shop_key` (or the first shop) on `day`."""
    keys = [s.key for s in list_shops(conn)]
    shop = shop_key if shop_key in keys else (keys[0] if keys else None)
    metrics = [m for m in load_metrics(conn).values() if not_entered(m) is None]
    values = {} if shop is None else load_daily(conn, day, day, [shop]).get((shop, day), {})
    return EntryData(keys, shop, day, metrics, dict(values))
