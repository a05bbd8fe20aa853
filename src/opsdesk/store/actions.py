"""Action items (DOMAIN.md §2): one table for every source — a PDCA cycle, a risk, a review,
a stand-up.

An item is named by its source and its number within it (`pdca` 3, item 2): what the command
line prints and takes. Statuses: open → done or dropped (a dropped item keeps its row and says
why). Every change is audited with the OS login (object `action_item`, key `pdca/3/2`).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import date

from opsdesk.domain.action_line import MEETING_KINDS, drop_reason
from opsdesk.domain.text import refuse_control
from opsdesk.store import audit
from opsdesk.store.connection import current_user, now_iso, write_transaction

SOURCE_KINDS = ("pdca", "risk", "review", "standup", "alert")
_LOGIN = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}$")


@dataclass(frozen=True)
class ActionItem:
    id: int
    source_kind: str
    source_id: int
    number: int
    text: str
    owner: str
    due: date | None
    status: str
    created_at: str
    created_by: str
    closed_at: str | None
    closed_by: str | None
    note: str

    @property
    def key(self) -> str:
        return f"{self.source_kind}/{self.source_id}/{self.number}"

    def days_overdue(self, day: date) -> int | None:
        """Days past its due date on `day` (0: due that day); None when not open or not due."""
        if self.status != "open" or self.due is None or self.due > day:
            return None
        return (day - self.due).days


def validate_login(login: str, field: str = "--owner") -> str:
    """An OS login: lower-case letters, digits, `_ . -` (as `useradd` accepts them)."""
    if not _LOGIN.match(login):
        raise ValueError(f"{field}: {login!r} is not a login name (like li.na or ops_lead)")
    return login


def _item(r: sqlite3.Row) -> ActionItem:
    return ActionItem(
        id=r["id"],
        source_kind=r["source_kind"],
        source_id=r["source_id"],
        number=r["number"],
        text=r["text"],
        owner=r["owner"],
        due=None if r["due"] is None else date.fromisoformat(r["due"]),
        status=r["status"],
        created_at=r["created_at"],
        created_by=r["created_by"],
        closed_at=r["closed_at"],
        closed_by=r["closed_by"],
        note=r["note"],
    )


def _dict(item: ActionItem) -> dict[str, object]:
    return {
        "text": item.text,
        "owner": item.owner,
        "due": None if item.due is None else item.due.isoformat(),
        "status": item.status,
        "note": item.note,
    }


def add_in_transaction(
    conn: sqlite3.Connection,
    source_kind: str,
    source_id: int,
    text: str,
    owner: str,
    due: date | None,
    *,
    actor: str | None = None,
    at: str | None = None,
) -> ActionItem:
    """Add an item inside the caller's transaction; the next number of its source."""
    if source_kind not in SOURCE_KINDS:
        raise ValueError(f"source: unknown kind {source_kind!r} (one of {', '.join(SOURCE_KINDS)})")
    if not text.strip():
        raise ValueError("text: an action item needs a text")
    refuse_control(text, "text")
    validate_login(owner)
    actor = actor or current_user()
    at = at or now_iso()
    number = int(
        conn.execute(
            "SELECT coalesce(max(number), 0) + 1 FROM action_items"
            " WHERE source_kind = ? AND source_id = ?",
            (source_kind, source_id),
        ).fetchone()[0]
    )
    cur = conn.execute(
        "INSERT INTO action_items (source_kind, source_id, number, text, owner, due, status,"
        " created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)",
        (source_kind, source_id, number, text, owner, due and due.isoformat(), at, actor),
    )
    item = get_by_id(conn, int(cur.lastrowid or 0))
    audit.record(conn, "action_item", item.key, "create", None, _dict(item), actor=actor)
    return item


def add(
    conn: sqlite3.Connection,
    source_kind: str,
    source_id: int,
    text: str,
    owner: str,
    due: date | None,
) -> ActionItem:
    with write_transaction(conn):
        return add_in_transaction(conn, source_kind, source_id, text, owner, due)


def get_by_id(conn: sqlite3.Connection, item_id: int) -> ActionItem:
    row = conn.execute("SELECT * FROM action_items WHERE id = ?", (item_id,)).fetchone()
    if row is None:
        raise ValueError(f"action item {item_id} does not exist")
    return _item(row)


class NoSuchItem(ValueError):
    """The item named is not there, or not open any more (the caller names its argument)."""


def source_label(conn: sqlite3.Connection, source_kind: str, source_id: int) -> str:
    """How a person names an item's source: `stand-up 2026-11-30`, `review 2026-W48`,
    `cycle 3` (a meeting by its period, never its internal id)."""
    if source_kind in MEETING_KINDS:
        row = conn.execute("SELECT period FROM meetings WHERE id = ?", (source_id,)).fetchone()
        name = "stand-up" if source_kind == "standup" else "review"
        return f"{name} {row[0] if row else source_id}"
    if source_kind == "pdca":
        return f"cycle {source_id}"
    return f"{source_kind} {source_id}"


def get(conn: sqlite3.Connection, source_kind: str, source_id: int, number: int) -> ActionItem:
    row = conn.execute(
        "SELECT * FROM action_items WHERE source_kind = ? AND source_id = ? AND number = ?",
        (source_kind, source_id, number),
    ).fetchone()
    if row is None:
        where = source_label(conn, source_kind, source_id)
        raise NoSuchItem(f"{where} has no action item {number}")
    return _item(row)


def for_source(conn: sqlite3.Connection, source_kind: str, source_id: int) -> list[ActionItem]:
    rows = conn.execute(
        "SELECT * FROM action_items WHERE source_kind = ? AND source_id = ? ORDER BY number",
        (source_kind, source_id),
    )
    return [_item(r) for r in rows]


def close(
    conn: sqlite3.Connection,
    source_kind: str,
    source_id: int,
    number: int,
    status: str,
    note: str = "",
) -> ActionItem:
    """Mark an open item done or dropped; refused when it is not open any more, and a
    meeting's item dropped without a reason (`note`)."""
    if status not in ("done", "dropped"):
        raise ValueError(f"status: {status!r} must be done or dropped")
    if status == "dropped" and source_kind in MEETING_KINDS:
        note = drop_reason(note)
    actor, at = current_user(), now_iso()
    with write_transaction(conn):
        item = get(conn, source_kind, source_id, number)
        if item.status != "open":
            by = f" by {item.closed_by}" if item.closed_by else ""
            where = source_label(conn, source_kind, source_id)
            raise NoSuchItem(f"{where}: action item {number} is already {item.status}{by}")
        conn.execute(
            "UPDATE action_items SET status = ?, closed_at = ?, closed_by = ?, note = ?"
            " WHERE id = ? AND status = 'open'",
            (status, at, actor, note, item.id),
        )
        new = get_by_id(conn, item.id)
        audit.record(conn, "action_item", item.key, status, _dict(item), _dict(new), actor=actor)
    return new


def open_due(
    conn: sqlite3.Connection, day: date, source_kind: str | None = None
) -> list[ActionItem]:
    """Open items due on `day` or before, oldest due first."""
    sql = "SELECT * FROM action_items WHERE status = 'open' AND due <= ?"
    params: list[object] = [day.isoformat()]
    if source_kind is not None:
        sql += " AND source_kind = ?"
        params.append(source_kind)
    return [_item(r) for r in conn.execute(sql + " ORDER BY due, id", params)]


def list_items(
    conn: sqlite3.Connection, *, status: str | None = None, open_only: bool | None = None
) -> list[ActionItem]:
    """Every action item (of every source), by source and number; `open_only` True: the open
    ones, False: the closed ones (done or dropped); `status` one status."""
    sql, params = "SELECT * FROM action_items WHERE 1 = 1", list[object]()
    if status is not None:
        sql += " AND status = ?"
        params.append(status)
    if open_only is not None:
        sql += " AND status = 'open'" if open_only else " AND status != 'open'"
    return [
        _item(r) for r in conn.execute(sql + " ORDER BY source_kind, source_id, number", params)
    ]


def from_row(row: sqlite3.Row) -> ActionItem:
    """An item from a row holding `action_items.*` (another store's join, e.g. the meetings')."""
    return _item(row)
