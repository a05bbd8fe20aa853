"""The ops day a store's people review: yesterday by the store's timezone and day cutoff."""

from __future__ import annotations

import sqlite3
from datetime import date

from opsdesk.clock import Clock, ops_day
from opsdesk.store.settings import read


def store_ops_day(conn: sqlite3.Connection, clock: Clock) -> date:
    """The ops day by the store's settings (timezone, cutoff) on `clock`."""
    settings = read(conn)
    return ops_day(clock, settings.timezone, settings.day_cutoff_hour)
