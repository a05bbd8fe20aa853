"""What the checklist store modules share: the store-wide shop id, times."""

from __future__ import annotations

from datetime import UTC, datetime

STORE_WIDE = 0
"""shop_id of store-wide schedules (templates with scope 'store')."""


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).replace(microsecond=0).isoformat()


def _parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)
