"""The audit trail: every change records who (the OS login), when, what object, old -> new."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from opsdesk.store.connection import current_user, now_iso


def record(
    conn: sqlite3.Connection,
    object_type: str,
    object_key: str,
    action: str,
    old: Any = None,
    new: Any = None,
    *,
    actor: str | None = None,
) -> None:
    """Append one audit event, inside the caller's transaction."""
    conn.execute(
        "INSERT INTO audit_events (at, actor, object_type, object_key, action, old, new)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            now_iso(),
            actor or current_user(),
            object_type,
            object_key,
            action,
            None if old is None else json.dumps(old, ensure_ascii=False, sort_keys=True),
            None if new is None else json.dumps(new, ensure_ascii=False, sort_keys=True),
        ),
    )


def events_for(conn: sqlite3.Connection, object_type: str, object_key: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM audit_events WHERE object_type = ? AND object_key = ? ORDER BY id",
        (object_type, object_key),
    ).fetchall()
