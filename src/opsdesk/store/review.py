"""The weekly review's records: meetings (reviews and stand-ups), their decisions, owners'
notes on a metric, shop and week, and the frozen review packs.

Every change is audited (objects `meeting`, `metric_note`, `review_pack`). A closed review is
frozen: notes, decisions, actions and "clear the rest" on its week are refused until it is
reopened (explicit, audited). Stand-ups keep the same record (kind `standup`, period = the ops
day): attendees, notes, decisions and action items (source `standup`).

Two people editing the same review or stand-up: each write names what it was based on (a
note's or meeting's version; the last decision or action number the writer saw); a write based
on something older is refused with a ConflictError carrying theirs and yours (the screen shows
old → theirs → yours and lets the writer choose), never a silent overwrite.

Searchable text (for frames/search): `meetings.notes`, `meetings.attendees`,
`meeting_decisions.text`, `metric_notes.note` (with `metric_key`, `shop_key`, `week`).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass, replace
from datetime import date

from opsdesk.clock import Clock
from opsdesk.domain.text import refuse_control
from opsdesk.domain.times import local_label
from opsdesk.store import actions, audit, settings
from opsdesk.store.actions import ActionItem
from opsdesk.store.connection import current_user, now_iso, write_transaction
from opsdesk.store.versioning import Conflict

MAX_TEXT = 2000
_LOGIN = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}$")


def _wall_time(conn: sqlite3.Connection, at: str | None) -> str:
    """An instant as the store's wall time, for a conflict shown to a person."""
    from opsdesk.domain.times import local_label
    from opsdesk.store import settings

    return local_label(at, settings.read(conn).timezone) if at else ""


class ConflictError(ValueError):
    """Someone else changed the record since it was read. `theirs`: what is stored now (by
    `by` at `at`); `yours`: what this write would have stored; `version`: what to base a
    write on that replaces theirs (or, for decisions and actions, adds to them)."""

    def __init__(
        self,
        message: str,
        *,
        what: str = "",
        theirs: str = "",
        yours: str = "",
        by: str = "",
        at: str = "",
        version: int = 0,
    ) -> None:
        super().__init__(message)
        self.what, self.theirs, self.yours = what, theirs, yours
        self.by, self.at, self.version = by, at, version

    def as_conflict(self, old: str) -> Conflict:
        """As the edit-conflict record every screen's dialog shows (`old`: what the writer
        read; for decisions and actions, theirs are added ones and old is empty)."""
        field = self.what.split(" ", 1)[0]  # note, attendees, notes, decisions, actions
        return Conflict(
            "meeting",
            self.what,
            (field,),
            {field: old},
            {field: self.theirs},
            {field: self.yours},
            self.by,
            self.at,
            self.version,
        )


@dataclass(frozen=True)
class Meeting:
    id: int
    kind: str
    period: str
    held_on: date
    attendees: tuple[str, ...]
    notes: str
    version: int
    updated_by: str
    updated_at: str
    cleared_by: str | None = None
    """Who cleared every metric that was not an exception ("clear the rest"), and when."""
    cleared_at: str | None = None
    changed: bool = True
    """False when the write that returned it changed nothing (nothing stored, no audit)."""


@dataclass(frozen=True)
class Decision:
    number: int
    text: str
    decided_by: str
    decided_at: str


@dataclass(frozen=True)
class MetricNote:
    metric_key: str
    shop_key: str
    week: str
    note: str
    investigating: bool
    written_by: str
    written_at: str
    version: int
    changed: bool = True
    """False when the write that returned it changed nothing (nothing stored, no audit)."""

    def text(self) -> str:
        if self.investigating and not self.note:
            return "investigating"
        return f"investigating: {self.note}" if self.investigating else self.note


@dataclass(frozen=True)
class Pack:
    week: str
    payload: str
    sha256: str
    closed_by: str
    closed_at: str


def check_text(field: str, text: str, *, required: bool = False) -> str:
    """Refuse control characters (terminal escapes, C1, bidi: domain.text) and over-long text;
    strip the ends."""
    refuse_control(text, field, multiline=True)
    text = text.strip()
    if required and not text:
        raise ValueError(f"{field}: may not be empty")
    if len(text) > MAX_TEXT:
        raise ValueError(f"{field}: at most {MAX_TEXT} characters")
    return text


def validate_login(login: str, field: str) -> str:
    """An OS login (as `useradd` accepts them)."""
    if not _LOGIN.match(login):
        raise ValueError(f"{field}: {login!r} is not a login name (like li.na or ops_lead)")
    return login


def _meeting(r: sqlite3.Row) -> Meeting:
    return Meeting(
        r["id"],
        r["kind"],
        r["period"],
        date.fromisoformat(r["held_on"]),
        tuple(a for a in r["attendees"].split(",") if a),
        r["notes"],
        r["version"],
        r["updated_by"],
        r["updated_at"],
        r["cleared_by"],
        r["cleared_at"],
    )


def get_meeting(conn: sqlite3.Connection, kind: str, period: str) -> Meeting | None:
    r = conn.execute(
        "SELECT * FROM meetings WHERE kind = ? AND period = ?", (kind, period)
    ).fetchone()
    return None if r is None else _meeting(r)


def meeting_in_transaction(
    conn: sqlite3.Connection, kind: str, period: str, held_on: date
) -> Meeting:
    """The meeting of `kind` for `period`, created (and audited) when there is none yet."""
    found = get_meeting(conn, kind, period)
    if found is not None:
        return found
    actor, at = current_user(), now_iso()
    conn.execute(
        "INSERT INTO meetings (kind, period, held_on, created_at, created_by, updated_at,"
        " updated_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (kind, period, held_on.isoformat(), at, actor, at, actor),
    )
    audit.record(conn, "meeting", f"{kind}/{period}", "create", None, {"held_on": str(held_on)})
    m = get_meeting(conn, kind, period)
    assert m is not None
    return m


def review_weeks(conn: sqlite3.Connection) -> list[str]:
    """The weeks that have a review meeting, oldest first."""
    return [r[0] for r in conn.execute("SELECT period FROM meetings WHERE kind = 'review'")]


def _refuse_if_closed(conn: sqlite3.Connection, week: str, kind: str = "review") -> None:
    if kind != "review":
        return  # stand-ups are not frozen
    pack = frozen_pack(conn, week)
    if pack is not None:
        from opsdesk.store import settings

        at = local_label(pack.closed_at, settings.read(conn).timezone)
        raise ValueError(
            f"review {week} was closed by {pack.closed_by} at {at}: it is frozen "
            f"(`opsdesk review reopen {week}` first)"
        )


def update_meeting(
    conn: sqlite3.Connection,
    kind: str,
    period: str,
    held_on: date,
    *,
    based_on: int | None,
    attendees: list[str] | None = None,
    notes: str | None = None,
) -> Meeting:
    """Set a meeting's attendees and/or notes. `based_on`: the version the user saw (0: no
    meeting yet; None: no check); a newer stored version is refused (ConflictError: theirs,
    yours), naming who changed what. Setting what is already there writes nothing (no
    meeting created, no audit event): the meeting comes back with `changed` False."""
    if attendees is not None:
        attendees = [validate_login(a.strip(), "attendees") for a in attendees if a.strip()]
    if notes is not None:
        notes = check_text("notes", notes)
    with write_transaction(conn):
        _refuse_if_closed(conn, period, kind)
        found = get_meeting(conn, kind, period)
        had = Meeting(0, kind, period, held_on, (), "", 0, "", "") if found is None else found
        if (attendees is None or tuple(attendees) == had.attendees) and (
            notes is None or notes == had.notes
        ):
            return replace(had, changed=False)
        m = meeting_in_transaction(conn, kind, period, held_on)
        new_att = ",".join(attendees) if attendees is not None else ",".join(m.attendees)
        new_notes = notes if notes is not None else m.notes
        # version 1: created (by a decision, an action or this write), never edited; 0: the
        # writer saw no meeting — the same thing
        if based_on is not None and max(m.version, 1) != max(based_on, 1):
            field = "notes" if notes is not None else "attendees"
            theirs = m.notes if notes is not None else ", ".join(m.attendees)
            yours = new_notes if notes is not None else ", ".join(attendees or [])
            raise ConflictError(
                f"meeting {kind}/{period} was changed by {m.updated_by}"
                f" at {_wall_time(conn, m.updated_at)} "
                f"(version {based_on} → {m.version}): {field} now {theirs!r}, yours {yours!r};"
                " reload and retry",
                what=f"{field} of {kind} {period}",
                theirs=theirs,
                yours=yours,
                by=m.updated_by,
                at=_wall_time(conn, m.updated_at),
                version=m.version,
            )
        actor, at = current_user(), now_iso()
        conn.execute(
            "UPDATE meetings SET attendees = ?, notes = ?, version = version + 1,"
            " updated_at = ?, updated_by = ? WHERE id = ?",
            (new_att, new_notes, at, actor, m.id),
        )
        audit.record(
            conn,
            "meeting",
            f"{kind}/{period}",
            "update",
            {"attendees": ",".join(m.attendees), "notes": m.notes},
            {"attendees": new_att, "notes": new_notes},
        )
        out = get_meeting(conn, kind, period)
    assert out is not None
    return out


def add_decision(
    conn: sqlite3.Connection,
    week: str,
    held_on: date,
    text: str,
    *,
    based_on: int | None = None,
) -> Decision:
    """A decision of the review of `week` (see add_meeting_decision)."""
    return add_meeting_decision(conn, "review", week, held_on, text, based_on=based_on)


def add_meeting_decision(
    conn: sqlite3.Connection,
    kind: str,
    period: str,
    held_on: date,
    text: str,
    *,
    based_on: int | None = None,
) -> Decision:
    """A decision of a meeting, numbered within it. `based_on`: the number of the last
    decision the writer saw (None: no check); when someone has added decisions since, the
    write is refused (ConflictError naming theirs) so that the writer can check that theirs
    does not already say it, then add theirs anyway with based_on=error.version."""
    text = check_text("decision", text, required=True)
    actor, at = current_user(), now_iso()
    with write_transaction(conn):
        _refuse_if_closed(conn, period, kind)
        m = meeting_in_transaction(conn, kind, period, held_on)
        added = conn.execute(
            "SELECT number, text, decided_by, decided_at FROM meeting_decisions"
            " WHERE meeting_id = ? AND number > ? ORDER BY number",
            (m.id, based_on or 0),
        ).fetchall()
        if based_on is not None and added:
            last = added[-1]
            theirs = "; ".join(f"{r[0]}. {r[1]}" for r in added)
            raise ConflictError(
                f"{kind} {period}: {last[2]} added decision(s) since you looked: {theirs}"
                f" — yours {text!r} not added; reload and retry",
                what=f"decisions of {kind} {period}",
                theirs=theirs,
                yours=text,
                by=last[2],
                at=_wall_time(conn, last[3]),
                version=int(last[0]),
            )
        number = int(
            conn.execute(
                "SELECT coalesce(max(number), 0) + 1 FROM meeting_decisions WHERE meeting_id = ?",
                (m.id,),
            ).fetchone()[0]
        )
        conn.execute(
            "INSERT INTO meeting_decisions (meeting_id, number, text, decided_at, decided_by)"
            " VALUES (?, ?, ?, ?, ?)",
            (m.id, number, text, at, actor),
        )
        audit.record(conn, "meeting", f"{kind}/{period}", "decision", None, {str(number): text})
    return Decision(number, text, actor, at)


def clear_rest(conn: sqlite3.Connection, week: str, held_on: date) -> Meeting:
    """Record "clear the rest" on the review of `week`: every metric that is not an exception
    was looked at and had nothing to say (who and when; audited; refused once closed)."""
    actor, at = current_user(), now_iso()
    with write_transaction(conn):
        _refuse_if_closed(conn, week)
        m = meeting_in_transaction(conn, "review", week, held_on)
        conn.execute(
            "UPDATE meetings SET cleared_by = ?, cleared_at = ? WHERE id = ?", (actor, at, m.id)
        )
        audit.record(
            conn,
            "meeting",
            f"review/{week}",
            "clear",
            None if m.cleared_by is None else {"by": m.cleared_by, "at": m.cleared_at},
            {"by": actor, "at": at},
        )
        out = get_meeting(conn, "review", week)
    assert out is not None
    return out


def decisions(conn: sqlite3.Connection, kind: str, period: str) -> list[Decision]:
    rows = conn.execute(
        "SELECT d.* FROM meeting_decisions d JOIN meetings m ON m.id = d.meeting_id"
        " WHERE m.kind = ? AND m.period = ? ORDER BY d.number",
        (kind, period),
    )
    return [Decision(r["number"], r["text"], r["decided_by"], r["decided_at"]) for r in rows]


def _note(r: sqlite3.Row) -> MetricNote:
    return MetricNote(
        r["metric_key"],
        r["shop_key"],
        r["week"],
        r["note"],
        bool(r["investigating"]),
        r["written_by"],
        r["written_at"],
        r["version"],
    )


def get_note(conn: sqlite3.Connection, metric: str, shop: str, week: str) -> MetricNote | None:
    r = conn.execute(
        "SELECT * FROM metric_notes WHERE metric_key = ? AND shop_key = ? AND week = ?",
        (metric, shop, week),
    ).fetchone()
    return None if r is None else _note(r)


def set_note(
    conn: sqlite3.Connection,
    metric: str,
    shop: str,
    week: str,
    note: str,
    *,
    investigating: bool = False,
    based_on: int | None = 0,
) -> MetricNote:
    """Write the owner's note on a metric, shop and week. `based_on`: the version the writer
    saw (0: there was no note; None: no check). Someone else's newer note is never silently
    overwritten: ConflictError says old → theirs → yours. The same note again writes nothing
    (`changed` False)."""
    note = check_text("note", note, required=not investigating)
    actor, at = current_user(), now_iso()
    with write_transaction(conn):
        _refuse_if_closed(conn, week)
        old = get_note(conn, metric, shop, week)
        if based_on is not None and (old.version if old else 0) != based_on:
            theirs = old.text() if old else "(none)"
            who = f"{old.written_by} at {_wall_time(conn, old.written_at)}" if old else "someone"
            yours = MetricNote(metric, shop, week, note, investigating, "", "", 0).text()
            raise ConflictError(
                f"note on {metric}/{shop}/{week} was changed by {who}: "
                f"version {based_on} → {theirs!r} → yours {yours!r}; reload to see it and retry",
                what=f"note on {metric} ({shop}) {week}",
                theirs=theirs,
                yours=yours,
                by=old.written_by if old else "",
                at=_wall_time(conn, old.written_at if old else ""),
                version=old.version if old else 0,
            )
        if old is not None and (old.note, old.investigating) == (note, investigating):
            return replace(old, changed=False)  # the same note again: nothing to record
        if old is None:
            conn.execute(
                "INSERT INTO metric_notes (metric_key, shop_key, week, note, investigating,"
                " written_by, written_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (metric, shop, week, note, int(investigating), actor, at),
            )
        else:
            conn.execute(
                "UPDATE metric_notes SET note = ?, investigating = ?, written_by = ?,"
                " written_at = ?, version = version + 1 WHERE metric_key = ? AND shop_key = ?"
                " AND week = ?",
                (note, int(investigating), actor, at, metric, shop, week),
            )
        audit.record(
            conn,
            "metric_note",
            f"{metric}/{shop}/{week}",
            "update" if old else "create",
            None if old is None else {"note": old.note, "investigating": old.investigating},
            {"note": note, "investigating": investigating},
        )
        out = get_note(conn, metric, shop, week)
    assert out is not None
    return out


def notes_for_week(conn: sqlite3.Connection, week: str) -> list[MetricNote]:
    rows = conn.execute(
        "SELECT * FROM metric_notes WHERE week = ? ORDER BY metric_key, shop_key", (week,)
    )
    return [_note(r) for r in rows]


def notes_for_metric(conn: sqlite3.Connection, metric: str, shop: str) -> list[MetricNote]:
    """Every week's note on a metric and shop (shown at its point on later weeks' charts)."""
    rows = conn.execute(
        "SELECT * FROM metric_notes WHERE metric_key = ? AND shop_key = ? ORDER BY week",
        (metric, shop),
    )
    return [_note(r) for r in rows]


def notes_in_weeks(conn: sqlite3.Connection, weeks: list[str]) -> list[MetricNote]:
    """The notes of the given weeks (the earlier points of a 6-12 chart)."""
    if not weeks:
        return []
    marks = ", ".join("?" for _ in weeks)
    rows = conn.execute(
        f"SELECT * FROM metric_notes WHERE week IN ({marks}) ORDER BY week",  # noqa: S608
        weeks,
    )
    return [_note(r) for r in rows]


def notes_between(
    conn: sqlite3.Connection, first: str, last: str, metric: str | None = None
) -> list[MetricNote]:
    """The notes of the ISO weeks `first`…`last` (keys sort in time order), optionally of
    one metric, oldest week first."""
    sql = "SELECT * FROM metric_notes WHERE week BETWEEN ? AND ?"
    params = [first, last]
    if metric is not None:
        sql += " AND metric_key = ?"
        params.append(metric)
    return [_note(r) for r in conn.execute(sql + " ORDER BY week, metric_key, shop_key", params)]


def search_notes(conn: sqlite3.Connection, words: str) -> list[MetricNote]:
    """Notes whose text contains `words` (case-insensitive), newest week first."""
    pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = conn.execute(
        "SELECT * FROM metric_notes WHERE note LIKE ? ESCAPE '\\' ORDER BY week DESC, metric_key",
        (pattern,),
    )
    return [_note(r) for r in rows]


def frozen_pack(conn: sqlite3.Connection, week: str) -> Pack | None:
    r = conn.execute(
        "SELECT * FROM review_packs WHERE week = ? AND reopened_at IS NULL", (week,)
    ).fetchone()
    if r is None:
        return None
    return Pack(r["week"], r["payload"], r["sha256"], r["closed_by"], r["closed_at"])


def digest(payload: str) -> str:
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def close_review(conn: sqlite3.Connection, week: str, payload: str) -> Pack:
    """Freeze the review of `week` with its pack payload (JSON text) and its hash."""
    actor, at = current_user(), now_iso()
    sha = digest(payload)
    with write_transaction(conn):
        _refuse_if_closed(conn, week)
        conn.execute(
            "INSERT INTO review_packs (week, payload, sha256, closed_at, closed_by)"
            " VALUES (?, ?, ?, ?, ?)",
            (week, payload, sha, at, actor),
        )
        audit.record(conn, "review_pack", week, "close", None, {"sha256": sha})
    return Pack(week, payload, sha, actor, at)


def reopen_review(conn: sqlite3.Connection, week: str) -> None:
    """Unfreeze a closed review (the frozen copy is kept, marked reopened)."""
    actor, at = current_user(), now_iso()
    with write_transaction(conn):
        pack = frozen_pack(conn, week)
        if pack is None:
            raise ValueError(f"review {week} is not closed")
        conn.execute(
            "UPDATE review_packs SET reopened_at = ?, reopened_by = ? WHERE week = ?"
            " AND reopened_at IS NULL",
            (at, actor, week),
        )
        audit.record(conn, "review_pack", week, "reopen", {"sha256": pack.sha256}, None)


def missed_runs(conn: sqlite3.Connection, start: date, end: date) -> list[tuple[str, str, date]]:
    """(template key, shop key or '', run day) of every missed checklist run in the range."""
    rows = conn.execute(
        "SELECT t.key, coalesce(s.key, ''), r.run_day FROM sop_runs r"
        " JOIN sop_templates t ON t.id = r.template_id LEFT JOIN shops s ON s.id = r.shop_id"
        " WHERE r.run_day BETWEEN ? AND ? AND r.status = 'missed' ORDER BY r.run_day, t.key",
        (start.isoformat(), end.isoformat()),
    )
    return [(r[0], r[1], date.fromisoformat(r[2])) for r in rows]


def risks_created(conn: sqlite3.Connection, start: date, end: date) -> list[str]:
    """Keys of the risks created on `start`…`end` (UTC dates of `created_at`)."""
    rows = conn.execute(
        "SELECT key FROM risks WHERE substr(created_at, 1, 10) BETWEEN ? AND ? ORDER BY key",
        (start.isoformat(), end.isoformat()),
    )
    return [r[0] for r in rows]


def seen_logins(conn: sqlite3.Connection, limit: int = 12) -> list[str]:
    """Logins seen in the store (the audit trail's actors), most active first."""
    rows = conn.execute(
        "SELECT actor FROM audit_events GROUP BY actor ORDER BY count(*) DESC, actor LIMIT ?",
        (limit,),
    )
    return [r[0] for r in rows if _LOGIN.match(r[0])]


def review_meetings_until(conn: sqlite3.Connection, week: str) -> list[tuple[int, str]]:
    """(meeting id, week) of every review held up to and including `week`, oldest first."""
    rows = conn.execute(
        "SELECT id, period FROM meetings WHERE kind = 'review' AND period <= ? ORDER BY period",
        (week,),
    )
    return [(r[0], r[1]) for r in rows]


def add_action(
    conn: sqlite3.Connection,
    week: str,
    held_on: date,
    text: str,
    owner: str,
    due: date | None,
    *,
    based_on: int | None = None,
    clock: Clock | None = None,
) -> ActionItem:
    """A new action item of the review of `week` (see add_meeting_action)."""
    return add_meeting_action(
        conn, "review", week, held_on, text, owner, due, based_on=based_on, clock=clock
    )


def add_meeting_action(
    conn: sqlite3.Connection,
    kind: str,
    period: str,
    held_on: date,
    text: str,
    owner: str,
    due: date | None,
    *,
    based_on: int | None = None,
    clock: Clock | None = None,
) -> ActionItem:
    """A new action item of a meeting (the general action-items table, source `review` or
    `standup`, source id = the meeting's id); refused without an owner, with a due date before
    the store's local today (settings.store_today; `clock` fixes it), or on a closed review.
    `based_on`: the number of the meeting's last action the writer saw (None: no check);
    someone else's newer ones raise ConflictError."""
    if not owner.strip():
        raise ValueError("--owner: an action item needs an owner (a login)")
    if due is not None and due < (today := settings.store_today(conn, clock)):
        raise ValueError(f"--due: {due} is in the past (today is {today})")
    text = check_text("text", text, required=True)
    with write_transaction(conn):
        _refuse_if_closed(conn, period, kind)
        m = meeting_in_transaction(conn, kind, period, held_on)
        added = [i for i in actions.for_source(conn, kind, m.id) if i.number > (based_on or 0)]
        if based_on is not None and added:
            theirs = "; ".join(f"{i.number}. {i.text} @{i.owner}" for i in added)
            raise ConflictError(
                f"{kind} {period}: {added[-1].created_by} added action(s) since you looked:"
                f" {theirs} — yours {text!r} not added; reload and retry",
                what=f"actions of {kind} {period}",
                theirs=theirs,
                yours=f"{text} @{owner.strip()}" + (f" {due}" if due else ""),
                by=added[-1].created_by,
                at=_wall_time(conn, added[-1].created_at),
                version=added[-1].number,
            )
        return actions.add_in_transaction(conn, kind, m.id, text, owner.strip(), due)


def meeting_actions(conn: sqlite3.Connection) -> list[tuple[str, str, ActionItem]]:
    """(meeting kind, period, item) of every meeting's action item, oldest first."""
    rows = conn.execute(
        "SELECT m.kind AS meeting_kind, m.period AS meeting_period, a.* FROM action_items a"
        " JOIN meetings m ON m.id = a.source_id AND m.kind = a.source_kind"
        " ORDER BY a.created_at, a.id"
    )
    return [(r["meeting_kind"], r["meeting_period"], actions.from_row(r)) for r in rows]
