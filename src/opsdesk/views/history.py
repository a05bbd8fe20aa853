"""What `opsdesk log`, `opsdesk undo` and the app's history view show of the audit trail.

One row per audit event, newest first: its id, when (the store's wall time), who, the object
(`target 3`, `observation jd-home/visitors/2026-11-20`), the action and what changed, old → new
(for a record, only the fields that changed: `value 0.05 → 0.06`). Every stored text is passed
through `visible` here, once, so every renderer shows it inert; JSON keeps the data as stored.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, time
from typing import Any

from opsdesk.domain.text import visible
from opsdesk.domain.times import local_label
from opsdesk.store import audit
from opsdesk.store.audit import AuditEvent
from opsdesk.store.versioning import versions

__all__ = ["HistoryRow", "ObjectHistory", "log", "object_history", "versions"]
"""`versions`: what a screen's save is based on (the edit conflict check, store.versioning)."""

MAX_VALUE = 60
"""Characters of one value shown in a text row (JSON keeps all of it)."""


@dataclass(frozen=True)
class HistoryRow:
    id: int
    when: str
    who: str
    object: str
    action: str
    change: str
    """old → new, made visible and shortened for a text row."""
    event: AuditEvent

    def line(self) -> str:
        """The row as one line of text (`opsdesk log`, toasts, refusals)."""
        return f"#{self.id}  {self.when}  {self.who}  {self.object}  {self.action}  {self.change}"

    def as_json(self) -> dict[str, Any]:
        e = self.event
        return {
            "id": e.id,
            "at": e.at,
            "when": self.when,
            "who": e.actor,
            "object": {"type": e.object_type, "key": e.object_key},
            "action": e.action,
            "old": e.old,
            "new": e.new,
            "change": e.change,
            "undoes": e.undoes,
        }


def _text(value: Any) -> str:
    """A stored value as text: strings made visible, numbers short, records and lists
    spelled out (never JSON escapes, which would hide a control character's picture); no
    value and an empty text both as `—`."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return visible(value).replace("\n", "⏎")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_text(k)}: {_text(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    return visible(str(value))


def _short(value: Any) -> str:
    text = _text(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _fields(record: dict[str, Any]) -> str:
    return "; ".join(f"{_text(k)} {_short(v)}" for k, v in sorted(record.items()) if v is not None)


def describe_change(old: Any, new: Any) -> str:
    """old → new; for records, each field that differs (`value 0.05 → 0.06`), in key order;
    a record that is new shows what it holds, one removed what it held."""
    if isinstance(old, dict) and isinstance(new, dict):
        return "; ".join(
            f"{_text(k)} {_short(old.get(k))} → {_short(new.get(k))}"
            for k in sorted(set(old) | set(new))
            if old.get(k) != new.get(k)
        )
    if old is None and isinstance(new, dict):
        return _fields(new)
    if new is None and isinstance(old, dict):
        return f"removed ({_fields(old)})"
    left = _fields(old) if isinstance(old, dict) else _short(old)
    right = _fields(new) if isinstance(new, dict) else _short(new)
    return f"{left} → {right}"


def row(event: AuditEvent, tz: str) -> HistoryRow:
    change = describe_change(event.old, event.new)
    if event.undoes is not None:
        change = f"{change} (undoes #{event.undoes})" if change else f"(undoes #{event.undoes})"
    return HistoryRow(
        id=event.id,
        when=local_label(event.at, tz),
        who=visible(event.actor),
        object=visible(f"{event.object_type} {event.object_key}"),
        action=visible(event.action),
        change=change,
        event=event,
    )


def _tz(conn: sqlite3.Connection) -> str:
    from opsdesk.store import settings

    return settings.read(conn).timezone


def describer(conn: sqlite3.Connection) -> Callable[[AuditEvent], str]:
    """A function wording one event as a line, in the store's timezone (for refusals)."""
    tz = _tz(conn)
    return lambda e: row(e, tz).line()


def parse_object(text: str) -> tuple[str, str | None]:
    """`TYPE[:ID]` as (type, key or None); ValueError naming the option when empty."""
    kind, _, key = text.partition(":")
    if not kind.strip():
        raise ValueError(f"--object: {text!r}: expected TYPE or TYPE:ID (e.g. target:3)")
    return kind.strip(), (key if key else None)


def log(
    conn: sqlite3.Connection,
    *,
    user: str | None = None,
    object_type: str | None = None,
    object_key: str | None = None,
    since: date | None = None,
    limit: int | None = None,
) -> list[HistoryRow]:
    """Audit events, newest first, filtered; `since` is a day in the store's timezone."""
    from opsdesk.domain.recurrence import local_instant

    tz = _tz(conn)
    bound = None
    if since is not None:
        bound = local_instant(since, time(0), tz).astimezone(UTC).isoformat()
    events = audit.events(
        conn,
        actor=user,
        object_type=object_type,
        object_key=object_key,
        since=bound,
        limit=limit,
    )
    return [row(e, tz) for e in events]


@dataclass(frozen=True)
class ObjectHistory:
    """What the app's history view shows for one object."""

    title: str
    rows: list[HistoryRow]
    origins: tuple[str, ...] = ()
    """For a KPI value: where each base value no recorded change explains came from
    (`stockouts 12: from the demo build #81 (2026-12-01 01:07, root)`)."""


def object_history(
    conn: sqlite3.Connection, object_type: str, object_key: str, title: str
) -> ObjectHistory:
    """One object's events, newest first. A KPI value (`kpi`, key shop/metric/day) is the
    history of the base values it is computed from (itself for a base metric), each with the
    imports that wrote or replaced it (an import records one event for the whole file)."""
    if object_type != "kpi":
        return ObjectHistory(
            visible(title), log(conn, object_type=object_type, object_key=object_key)
        )
    from opsdesk.store.catalogue import load_metrics

    shop, metric_key, day = object_key.rsplit("/", 2)
    metric = load_metrics(conn).get(metric_key)
    bases = sorted(metric.formula.inputs) if metric and metric.formula else [metric_key]
    found: dict[int, HistoryRow] = {}
    origins: list[str] = []
    for base in bases:
        key = f"{shop}/{base}/{day}"
        rows = [
            *log(conn, object_type="observation", object_key=key),
            *_imports_of_value(conn, key),
        ]
        for r in rows:
            found[r.id] = r
        if not rows:
            origins.append(_origin(conn, shop, base, day))
    return ObjectHistory(
        visible(title), [found[i] for i in sorted(found, reverse=True)], tuple(origins)
    )


def _origin(conn: sqlite3.Connection, shop: str, metric: str, day: str) -> str:
    """Where a value no audit event explains came from: its import (an import stored before
    imports were audited), the demo build (`opsdesk demo` writes values without an event per
    value), or nowhere recorded."""
    value = conn.execute(
        "SELECT o.value, i.id, i.file_name, i.imported_by, i.imported_at FROM observations o"
        " JOIN shops s ON s.id = o.shop_id JOIN metrics m ON m.id = o.metric_id"
        " LEFT JOIN imports i ON i.id = o.import_id WHERE s.key = ? AND m.key = ? AND o.day = ?",
        (shop, metric, day),
    ).fetchone()
    if value is None:
        return f"{metric}: no value"
    head = f"{metric} {value[0]:.10g}"
    tz = _tz(conn)
    if value[1] is not None:
        when = local_label(value[4], tz)
        return (
            f"{head}: from import {value[1]} ({visible(value[2])}) by {visible(value[3])}, {when}"
        )
    demo = conn.execute(
        "SELECT id FROM audit_events WHERE object_type = 'demo' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if demo is not None:
        e = audit.get_event(conn, int(demo[0]))
        return f"{head}: from the demo build #{e.id} ({local_label(e.at, tz)}, {visible(e.actor)})"
    return f"{head}: written without a recorded change"


def _imports_of_value(conn: sqlite3.Connection, key: str) -> list[HistoryRow]:
    shop, metric, day = key.rsplit("/", 2)
    found = conn.execute(
        "SELECT c.import_id FROM import_changes c JOIN shops s ON s.id = c.shop_id"
        " JOIN metrics m ON m.id = c.metric_id WHERE s.key = ? AND m.key = ? AND c.day = ?"
        " UNION SELECT o.import_id FROM observations o JOIN shops s ON s.id = o.shop_id"
        " JOIN metrics m ON m.id = o.metric_id WHERE s.key = ? AND m.key = ? AND o.day = ?"
        " AND o.import_id IS NOT NULL",
        (shop, metric, day, shop, metric, day),
    ).fetchall()
    tz = _tz(conn)
    out: list[HistoryRow] = []
    for (import_id,) in found:
        out += [
            row(e, tz) for e in audit.events(conn, object_type="import", object_key=str(import_id))
        ]
    return out
