"""Edit conflicts: one check that a record did not change since a person read it.

The version of any audited object is the id of the newest audit event on it (0: none yet).
Every change records its event in the same transaction, whoever makes it, so the version moves
with every write, from any session, with no column to add per table. A screen (or a command)
reads the version with the record; its save passes it as `based_on`; the store compares it
inside its write transaction. When it moved and a field being saved was changed meanwhile, the
save is refused with `EditConflict`: old (what the person read) → theirs (stored now) → yours
(what was typed), who changed it and when, and the version to base a "keep mine" save on.
A change to other fields of the record is not a conflict: those fields are not overwritten.

(PDCA cycles and review meetings/notes keep their own `version` column from before; the
check reads the same way: `based_on` the version read, a refusal naming who changed it.)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any


class EditConflict(ValueError):
    """The record changed since it was read; nothing was written."""

    def __init__(self, conflict: Conflict) -> None:
        self.conflict = conflict
        super().__init__(conflict.message())


@dataclass(frozen=True)
class Conflict:
    object_type: str
    object_key: str
    fields: tuple[str, ...]
    old: dict[str, Any]
    theirs: dict[str, Any]
    yours: dict[str, Any]
    by: str
    at: str
    version: int
    """The version now stored: a "keep mine" save passes it as `based_on`."""

    def message(self) -> str:
        parts = [
            f"{f}: {self.old[f]!r} → theirs {self.theirs[f]!r} → yours {self.yours[f]!r}"
            for f in self.fields
        ]
        return (
            f"{self.object_type} {self.object_key} was changed by {self.by} at {self.at} since "
            f"you read it (nothing saved): {'; '.join(parts)}"
        )


def version(conn: sqlite3.Connection, object_type: str, object_key: str) -> int:
    """The object's version: its newest audit event's id (0: no event yet)."""
    row = conn.execute(
        "SELECT max(id) FROM audit_events WHERE object_type = ? AND object_key = ?",
        (object_type, object_key),
    ).fetchone()
    return int(row[0] or 0)


def versions(conn: sqlite3.Connection, object_type: str, keys: Iterable[str]) -> dict[str, int]:
    """Several objects' versions at once (a screen reading a list of records)."""
    wanted = list(keys)
    out = dict.fromkeys(wanted, 0)
    if not wanted:
        return out
    rows = conn.execute(
        "SELECT object_key, max(id) FROM audit_events WHERE object_type = ?"  # noqa: S608
        f" AND object_key IN ({', '.join('?' for _ in wanted)}) GROUP BY object_key",
        (object_type, *wanted),
    )
    out.update({k: int(v) for k, v in rows})
    return out


def check_counted(
    conn: sqlite3.Connection,
    object_type: str,
    object_key: str,
    *,
    based_on: int | None,
    now: int,
    record: object,
    fields: Mapping[str, Any],
) -> None:
    """The same check for a record that keeps its own version column, bumped once per audited
    change (a PDCA cycle: version n is its n-th event). Raises EditConflict (its `version`: the
    record's own, to base "keep mine" on) when a field of `fields` (attributes of `record`)
    was changed since version `based_on`; returns quietly when none was, or when the versions
    and the events do not line up (the record's own refusal then speaks)."""
    if based_on is None or based_on == now or based_on < 1:
        return
    if not all(hasattr(record, f) for f in fields):
        return
    ids = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM audit_events WHERE object_type = ? AND object_key = ? ORDER BY id",
            (object_type, object_key),
        )
    ]
    if len(ids) != now:
        return
    theirs = {f: _plain(getattr(record, f)) for f in fields}
    yours = {f: _plain(v) for f, v in fields.items()}
    try:
        check(conn, object_type, object_key, ids[based_on - 1], theirs=theirs, yours=yours)
    except EditConflict as e:
        raise EditConflict(replace(e.conflict, version=now)) from None


def _plain(value: Any) -> Any:
    """A value as the audit trail keeps it (dates as ISO text)."""
    from datetime import date

    return value.isoformat() if isinstance(value, date) else value


def check(
    conn: sqlite3.Connection,
    object_type: str,
    object_key: str,
    based_on: int | None,
    *,
    theirs: Mapping[str, Any],
    yours: Mapping[str, Any],
    scalar: Mapping[str, str] | None = None,
) -> None:
    """Refuse (EditConflict) a save based on version `based_on` when a field in `yours` was
    changed since by someone; `theirs` holds the stored values of those fields. None: no
    check (a command with nothing read before). `scalar`: field -> the action whose events
    hold that one field's value as old/new (a checklist item's `note`), not a record."""
    if based_on is None:
        return
    now = version(conn, object_type, object_key)
    if now == based_on:
        return
    import json

    later = conn.execute(
        "SELECT actor, at, action, old FROM audit_events WHERE object_type = ?"
        " AND object_key = ? AND id > ? ORDER BY id",
        (object_type, object_key, based_on),
    ).fetchall()
    old: dict[str, Any] = {}
    for field in yours:
        old[field] = theirs.get(field)
        for _, _, action, before in later:  # the first later change of the field: what was read
            value = None if before is None else json.loads(before)
            if (scalar or {}).get(field) == action:
                old[field] = value
                break
            if isinstance(value, dict) and field in value:
                old[field] = value[field]
                break
    fields = tuple(f for f in yours if old[f] != theirs.get(f))
    if not fields:
        return
    by, at = later[-1][0], later[-1][1]
    from opsdesk.domain.times import local_label
    from opsdesk.store import settings

    raise EditConflict(
        Conflict(
            object_type,
            object_key,
            fields,
            {f: old[f] for f in fields},
            {f: theirs.get(f) for f in fields},
            {f: yours[f] for f in fields},
            by,
            local_label(at, settings.read(conn).timezone),
            now,
        )
    )
