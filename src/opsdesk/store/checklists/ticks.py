"""Ticking, unticking, skipping and notes: one short write transaction each, with who and when."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from opsdesk.store import audit, versioning
from opsdesk.store.checklists._common import _iso, _now, _parse_time
from opsdesk.store.connection import current_user, write_transaction


@dataclass(frozen=True)
class ItemChange:
    run_id: int
    position: int
    state: str
    changed: bool
    by: str | None
    at: datetime | None
    run_status: str


def _set_item(
    conn: sqlite3.Connection,
    run_id: int,
    position: int,
    state: str,
    *,
    note: str | None = None,
    reason: str | None = None,
    now: datetime | None = None,
    based_on: int | None = None,
) -> ItemChange:
    if state == "skipped" and not (reason or "").strip():
        raise ValueError("skipping an item needs a reason (--reason '…')")
    actor = current_user()
    moment = _iso(_now(now))
    with write_transaction(conn):
        run = conn.execute(
            "SELECT id, slot, status FROM sop_runs WHERE id = ?", (run_id,)
        ).fetchone()
        if run is None:
            raise ValueError(f"no checklist run {run_id} (see `opsdesk checklists today`)")
        if run["status"] in ("missed", "skipped"):
            raise ValueError(f"run {run_id} is closed ({run['status']}); it cannot be changed")
        item = conn.execute(
            "SELECT * FROM sop_run_items WHERE run_id = ? AND position = ?", (run_id, position)
        ).fetchone()
        if item is None:
            total = conn.execute(
                "SELECT count(*) FROM sop_run_items WHERE run_id = ?", (run_id,)
            ).fetchone()[0]
            raise ValueError(f"run {run_id} has no item {position} (items 1–{total})")
        key = f"{run_id}/{position}"
        if note is not None:
            versioning.check(
                conn,
                "sop_run_item",
                key,
                based_on,
                theirs={"note": item["note"]},
                yours={"note": note},
                scalar={"note": "note"},
            )
        changed = item["state"] != state or (state == "skipped" and item["skip_reason"] != reason)
        by, at = item["changed_by"], item["changed_at"]
        if changed:
            by, at = actor, moment
            conn.execute(
                "UPDATE sop_run_items SET state = ?, changed_at = ?, changed_by = ?,"
                " skip_reason = ? WHERE run_id = ? AND position = ?",
                (state, moment, actor, reason if state == "skipped" else None, run_id, position),
            )
            audit.record(
                conn,
                "sop_run_item",
                key,
                {"done": "tick", "open": "untick", "skipped": "skip"}[state],
                item["state"],
                state if state != "skipped" else {"state": state, "reason": reason},
                actor=actor,
            )
        if note is not None and note != item["note"]:
            conn.execute(
                "UPDATE sop_run_items SET note = ? WHERE run_id = ? AND position = ?",
                (note, run_id, position),
            )
            audit.record(conn, "sop_run_item", key, "note", item["note"], note, actor=actor)
        status = _settle_run(conn, run, moment, actor)
    return ItemChange(run_id, position, state, changed, by, _parse_time(at), status)


def _settle_run(conn: sqlite3.Connection, run: sqlite3.Row, moment: str, actor: str) -> str:
    """Done when no item is open; reopened when an item of a done run is unticked."""
    open_items = conn.execute(
        "SELECT count(*) FROM sop_run_items WHERE run_id = ? AND state = 'open'", (run["id"],)
    ).fetchone()[0]
    if open_items == 0 and run["status"] == "open":
        conn.execute(
            "UPDATE sop_runs SET status = 'done', completed_at = ? WHERE id = ?",
            (moment, run["id"]),
        )
        audit.record(conn, "sop_run", run["slot"], "done", "open", "done", actor=actor)
        return "done"
    if open_items and run["status"] == "done":
        conn.execute(
            "UPDATE sop_runs SET status = 'open', completed_at = NULL WHERE id = ?", (run["id"],)
        )
        audit.record(conn, "sop_run", run["slot"], "reopen", "done", "open", actor=actor)
        return "open"
    return str(run["status"])


def tick(
    conn: sqlite3.Connection,
    run_id: int,
    position: int,
    *,
    note: str | None = None,
    now: datetime | None = None,
) -> ItemChange:
    """Tick an item; ticking a ticked item changes nothing (the first tick's who/when stay)."""
    return _set_item(conn, run_id, position, "done", note=note, now=now)


def untick(
    conn: sqlite3.Connection, run_id: int, position: int, *, now: datetime | None = None
) -> ItemChange:
    return _set_item(conn, run_id, position, "open", now=now)


def skip_item(
    conn: sqlite3.Connection,
    run_id: int,
    position: int,
    reason: str,
    *,
    now: datetime | None = None,
) -> ItemChange:
    """Skip an item with a reason (it counts as resolved for the run's completion)."""
    return _set_item(conn, run_id, position, "skipped", reason=reason.strip(), now=now)


def set_state(
    conn: sqlite3.Connection, run_id: int, position: int, state: str, *, reason: str | None = None
) -> ItemChange:
    """Put an item back in `state` (open, done, or skipped with `reason`): what undo does."""
    return _set_item(conn, run_id, position, state, reason=reason)


def set_note(
    conn: sqlite3.Connection,
    run_id: int,
    position: int,
    note: str,
    *,
    based_on: int | None = None,
) -> ItemChange:
    """Set an item's note, leaving its state as it is. `based_on`: the item's version when
    the note was read (`store.versioning`); a note changed since is refused, not overwritten."""
    row = conn.execute(
        "SELECT state, skip_reason FROM sop_run_items WHERE run_id = ? AND position = ?",
        (run_id, position),
    ).fetchone()
    state = row["state"] if row else "open"
    reason = row["skip_reason"] if row else None
    return _set_item(conn, run_id, position, state, note=note, reason=reason, based_on=based_on)


def skip_run(
    conn: sqlite3.Connection, run_id: int, reason: str, *, now: datetime | None = None
) -> None:
    """Skip a whole open run with a reason: it is excused (not due) and closed."""
    if not reason.strip():
        raise ValueError("skipping a run needs a reason (--reason '…')")
    actor = current_user()
    with write_transaction(conn):
        run = conn.execute("SELECT slot, status FROM sop_runs WHERE id = ?", (run_id,)).fetchone()
        if run is None:
            raise ValueError(f"no checklist run {run_id} (see `opsdesk checklists today`)")
        if run["status"] != "open":
            raise ValueError(f"run {run_id} is {run['status']}; only an open run can be skipped")
        conn.execute(
            "UPDATE sop_runs SET status = 'skipped', skip_reason = ?, closed_at = ?,"
            " closed_by = ? WHERE id = ?",
            (reason.strip(), _iso(_now(now)), actor, run_id),
        )
        audit.record(
            conn, "sop_run", run["slot"], "skip", "open", {"reason": reason.strip()}, actor=actor
        )
