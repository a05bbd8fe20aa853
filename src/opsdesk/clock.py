"""The ops day: the store's timezone and day cutoff decide which calendar day "yesterday" is.

A stand-up held at 08:00 reviews the previous day. Before the cutoff hour (say 04:00 for a
team that works late) the previous day is still "today", so the ops day is two days back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

Clock = Callable[[], datetime]
"""Returns the current instant as an aware datetime. Tests inject a fixed one."""


def system_clock() -> datetime:
    return datetime.now(UTC)


def fixed_clock(at: datetime) -> Clock:
    """A clock that always says `at` (naive datetimes are taken as UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return lambda: at


def local_today(clock: Clock, tz_name: str, cutoff_hour: int = 0) -> date:
    """The calendar day the team is living in: local time minus the cutoff hours."""
    from zoneinfo import ZoneInfo  # not at import: the app's UI process needs a clock only

    local = clock().astimezone(ZoneInfo(tz_name))
    return (local - timedelta(hours=cutoff_hour)).date()


def ops_day(clock: Clock, tz_name: str, cutoff_hour: int = 0) -> date:
    """The day under review: yesterday of `local_today`."""
    return local_today(clock, tz_name, cutoff_hour) - timedelta(days=1)
