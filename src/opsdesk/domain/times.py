"""How an instant is shown to a person: in the store's timezone, by this one function.

Every `*_at` column holds UTC ISO 8601 (`2026-11-30T12:04:00+00:00`); every time a person sees
— acknowledgements, ticks, due times, imports, undos — goes through `local_label` with the
store's timezone (`opsdesk settings`), so the stand-up, the checklists and the command line
agree: `2026-11-30 20:04` in Asia/Shanghai, never `12:04` or `+00:00`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def parse_instant(text: str | None) -> datetime | None:
    """A stored `*_at` value as an aware datetime (naive text is taken as UTC)."""
    if not text:
        return None
    t = datetime.fromisoformat(text)
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def local_label(t: datetime | str | None, tz_name: str, *, time_only: bool = False) -> str:
    """An instant as the store's wall time, `2026-11-23 09:12` (`09:12` with `time_only`);
    midnight (the end of a day without a cutoff) as `24:00` of the day before; None as `—`."""
    if isinstance(t, str):
        t = parse_instant(t)
    if t is None:
        return "—"
    local = t.astimezone(ZoneInfo(tz_name))
    if (local.hour, local.minute) == (0, 0):
        day, clock = local - timedelta(days=1), "24:00"
    else:
        day, clock = local, f"{local:%H:%M}"
    return clock if time_only else f"{day:%Y-%m-%d} {clock}"
