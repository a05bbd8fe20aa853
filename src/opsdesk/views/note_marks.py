"""Owners' notes shown at their point on later charts: the weekly review's 6-12 chart (a note
of one of the 6 weeks at its week, an older one at the month that holds its week's Sunday)
and the KPI explorer's chart of that metric and shop (as a marker like an event's).

A note belongs to a metric, a shop (or `all`) and an ISO week (opsdesk.store.review).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import date

from opsdesk.domain.periods import Period, month_of, parse, week_of
from opsdesk.store import review as store
from opsdesk.store.observations import Event

ALL = "all"
NOTE_KIND = "note"


def _week(key: str) -> Period:
    return parse("week", key)


def six_twelve_marks(
    conn: sqlite3.Connection, week: str, weeks: Sequence[str], months: Sequence[str]
) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(metric, shop) → [(point key, note text)] for the notes of the weeks before `week` on
    its 6-12 chart: at the week among `weeks`, else at the month among `months` that holds
    the week's Sunday (several notes of one month are joined)."""
    if not months and not weeks:
        return {}
    first = weeks[0] if weeks else week
    if months:
        first = min(first, _week_key(parse("month", months[0]).start))
    previous = _week(week).previous().key
    out: dict[tuple[str, str], dict[str, list[str]]] = {}
    for n in store.notes_between(conn, first, previous):
        if n.week in weeks:
            point = n.week
        else:
            point = month_of(_week(n.week).end).key
            if point not in months:
                continue
        out.setdefault((n.metric_key, n.shop_key), {}).setdefault(point, []).append(n.text())
    return {k: [(p, "; ".join(t)) for p, t in v.items()] for k, v in out.items()}


def note_events(
    conn: sqlite3.Connection, metric: str, shop_key: str | None, start: date, end: date
) -> list[Event]:
    """The notes on `metric` for the shop (None: all shops) in the weeks of `start`…`end`,
    as chart events on their week's Sunday (kind `note`, id = minus the week's position)."""
    shop = shop_key or ALL
    first, last = _week_key(start), _week_key(end)
    notes = [n for n in store.notes_between(conn, first, last, metric) if n.shop_key == shop]
    return [
        Event(-(i + 1), _week(n.week).end, shop_key, NOTE_KIND, f"{n.week[5:]}: {n.text()}")
        for i, n in enumerate(notes)
        if start <= _week(n.week).end <= end
    ]


def _week_key(d: date) -> str:
    return week_of(d).key
