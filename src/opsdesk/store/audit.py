"""The audit trail: every change records who (the OS login), when, what object, old -> new.

Each event also says which change it belongs to (`change_id`: the first event of the same
write transaction, so a tick and the run it completed are one change), which session made it
(`session`: one CLI command or one app session; ctrl+z takes back the session's own last
change) and, for the events an undo wrote, which change they took back (`undoes`).
`events` reads the trail for `opsdesk log` and the app's history view.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from opsdesk.store.connection import CHANGE, current_user, now_iso

OBJECT_TYPES = (
    "action_item",
    "alert",
    "alert_rule",
    "campaign",
    "change",
    "demo",
    "demo_checklists",
    "import",
    "meeting",
    "metric",
    "metric_note",
    "observation",
    "pdca",
    "review_pack",
    "risk",
    "risk_demo",
    "setting",
    "shop",
    "sop_run",
    "sop_run_item",
    "sop_template",
    "target",
)
"""Every kind of object an audit event is about (`opsdesk log --object TYPE[:ID]`)."""
NUMBERED_TYPES = frozenset({"change", "import", "pdca", "target"})
"""The object types whose key is a number (`target:3`)."""

_session = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
_undoing: ContextVar[int | None] = ContextVar("opsdesk_undoing", default=None)


def session() -> str:
    """This process's session id (the app starts a new one with `new_session`)."""
    return _session


def new_session() -> str:
    """Start a new session (the app does, once per run): ctrl+z undoes only its changes."""
    global _session
    _session = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    return _session


@contextmanager
def undoing(change_id: int) -> Iterator[None]:
    """Every event recorded inside is marked as undoing change `change_id`."""
    token = _undoing.set(change_id)
    try:
        yield
    finally:
        _undoing.reset(token)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def record(
    conn: sqlite3.Connection,
    object_type: str,
    object_key: str,
    action: str,
    old: Any = None,
    new: Any = None,
    *,
    actor: str | None = None,
) -> int:
    """Append one audit event, inside the caller's transaction; returns its id."""
    change = CHANGE.get()
    first = None if change is None else change.get("first")
    cur = conn.execute(
        "INSERT INTO audit_events (at, actor, object_type, object_key, action, old, new,"
        " change_id, session, undoes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            now_iso(),
            actor or current_user(),
            object_type,
            object_key,
            action,
            _json(old),
            _json(new),
            first,
            _session,
            _undoing.get(),
        ),
    )
    event_id = int(cur.lastrowid or 0)
    if change is not None and first is None:
        change["first"] = event_id
    return event_id


def events_for(conn: sqlite3.Connection, object_type: str, object_key: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM audit_events WHERE object_type = ? AND object_key = ? ORDER BY id",
        (object_type, object_key),
    ).fetchall()


@dataclass(frozen=True)
class AuditEvent:
    """One stored audit event; `old`/`new` decoded from JSON; `change` the change it is part
    of (the id of its transaction's first event)."""

    id: int
    at: str
    actor: str
    object_type: str
    object_key: str
    action: str
    old: Any
    new: Any
    change: int
    session: str | None
    undoes: int | None


def _event(r: sqlite3.Row) -> AuditEvent:
    return AuditEvent(
        id=r["id"],
        at=r["at"],
        actor=r["actor"],
        object_type=r["object_type"],
        object_key=r["object_key"],
        action=r["action"],
        old=None if r["old"] is None else json.loads(r["old"]),
        new=None if r["new"] is None else json.loads(r["new"]),
        change=r["change_id"] if r["change_id"] is not None else r["id"],
        session=r["session"],
        undoes=r["undoes"],
    )


def events(
    conn: sqlite3.Connection,
    *,
    actor: str | None = None,
    object_type: str | None = None,
    object_key: str | None = None,
    since: str | None = None,
    limit: int | None = None,
) -> list[AuditEvent]:
    """Audit events, newest first: by `actor`, on one object type (and key), at or after the
    UTC instant `since`."""
    sql = "SELECT * FROM audit_events WHERE 1 = 1"
    params: list[object] = []
    for column, value in (("actor", actor), ("object_type", object_type)):
        if value is not None:
            sql += f" AND {column} = ?"
            params.append(value)
    if object_key is not None:
        sql += " AND object_key = ?"
        params.append(object_key)
    if since is not None:
        sql += " AND at >= ?"
        params.append(since)
    sql += " ORDER BY id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [_event(r) for r in conn.execute(sql, params)]


def get_event(conn: sqlite3.Connection, event_id: int) -> AuditEvent:
    row = conn.execute("SELECT * FROM audit_events WHERE id = ?", (event_id,)).fetchone()
    if row is None:
        raise ValueError(f"ID: there is no audit event {event_id} (see `opsdesk log`)")
    return _event(row)


def change_events(conn: sqlite3.Connection, change: int) -> list[AuditEvent]:
    """The events of one change, in the order they were recorded."""
    rows = conn.execute(
        "SELECT * FROM audit_events WHERE id = ? OR change_id = ? ORDER BY id", (change, change)
    )
    return [_event(r) for r in rows]
