"""Per-store settings: the store's timezone and ops-day cutoff hour, shared by every session."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opsdesk.clock import Clock
from opsdesk.store import audit
from opsdesk.store.connection import write_transaction

DEFAULTS = {"timezone": "Asia/Shanghai", "day_cutoff_hour": "0"}


@dataclass(frozen=True)
class StoreSettings:
    timezone: str = DEFAULTS["timezone"]
    day_cutoff_hour: int = 0


def read(conn: sqlite3.Connection) -> StoreSettings:
    values = dict(DEFAULTS)
    values.update({r[0]: r[1] for r in conn.execute("SELECT key, value FROM settings")})
    return StoreSettings(values["timezone"], int(values["day_cutoff_hour"]))


def store_today(conn: sqlite3.Connection, clock: Clock | None = None) -> date:
    """The one "today" of due dates, action ages and overdue days: the store's local calendar
    day (its timezone and cutoff hour; the ops day under review is the day before). `clock`:
    the system clock, looked up at call time so tests can fix it."""
    from opsdesk import clock as clocks

    s = read(conn)
    return clocks.local_today(clock or clocks.system_clock, s.timezone, s.day_cutoff_hour)


def validate(key: str, value: str) -> str:
    if key == "timezone":
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone: {value!r} is not a known IANA timezone") from None
    elif key == "day_cutoff_hour":
        if not value.isdigit() or not 0 <= int(value) <= 12:
            raise ValueError(f"day_cutoff_hour: {value!r} must be a whole hour from 0 to 12")
    else:
        raise ValueError(f"unknown setting {key!r} (known: {', '.join(DEFAULTS)})")
    return value


def write(conn: sqlite3.Connection, key: str, value: str) -> None:
    validate(key, value)
    with write_transaction(conn):
        old = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
        audit.record(conn, "setting", key, "set", old[0] if old else None, value)
