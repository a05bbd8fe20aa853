"""Undo: take back one change (`opsdesk undo`, ctrl+z in the app), recorded as a change.

A change is the audit events one write transaction recorded (`audit_events.change_id`): the
values of one manual entry, a tick and the run it completed, an import as a whole. Undo
replays the object's own store write with the old values (so the same checks run and the undo
is audited like any write, its events marked `undoes`), all in one transaction, and only when:

- nothing newer touched the same object: a later change (by anyone) that is not itself undone
  is *in the way*, and is named (`#41 2026-11-30 20:04 li.na target 3 update`);
- the object still holds what the change wrote (an import or another tool may have written
  without an event on that object): otherwise it says what it holds now, and who wrote it.

"Your last change" is the newest change by the login (or by the app's session, for ctrl+z)
that is not an undo and was not undone, so repeating an undo walks back through your changes.
Changes the program makes by itself (runs created or missed, alerts raised, KRI triggers) and
what `opsdesk init` loads (the catalogue, checklist templates, seed risks) are never "your last
change". Plain undo passes over changes of a kind that cannot be undone (marking an action item
done, closing a review: `domain.change_labels` words them) to the last one that can, and says
which it passed over (once).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from opsdesk.clock import Clock
from opsdesk.domain.change_labels import cannot_undo, change_label
from opsdesk.store import audit
from opsdesk.store.audit import AuditEvent
from opsdesk.store.connection import write_transaction

AUTOMATIC = (
    ("sop_run", "create"),
    ("sop_run", "missed"),
    ("alert", "raise"),
    ("alert", "update"),
    ("risk", "trigger"),
)
"""Events the program records by itself: never a person's "last change"."""
FOLLOWS: tuple[tuple[str, str], ...] = (("sop_run", "done"), ("sop_run", "reopen"))
FOLLOWS += tuple(("risk", a) for a in ("drill-done", "run-done", "drill-reopen", "run-reopen"))
"""Events that follow from another one of the same change (the run a tick completed, and the
risk that run was a drill or contingency of: `store.risk_runs`): undoing that one undoes them."""

_NOT_UNDONE = (
    "undoes IS NULL AND coalesce(change_id, id) NOT IN"
    " (SELECT undoes FROM audit_events WHERE undoes IS NOT NULL)"
)

_LATER = (
    "SELECT id FROM audit_events WHERE object_type = ? AND object_key = ? AND id > ?"  # noqa: S608
    f" AND coalesce(change_id, id) != ? AND {_NOT_UNDONE} ORDER BY id"
)


class UndoRefused(ValueError):
    """The change cannot be undone (something newer is in the way, or it is not undoable)."""


@dataclass(frozen=True)
class UndoResult:
    change: int
    undone: list[AuditEvent]
    """The events of the change taken back."""
    recorded: list[AuditEvent]
    """The events the undo recorded (each `undoes` = `change`)."""
    skipped: list[AuditEvent] = field(default_factory=list)
    """The first event of each newer change of yours that cannot be undone, passed over
    (newest first; not those your last undo passed over already)."""

    def skipped_text(self) -> str:
        """`passed over what can't be undone: marking an action item done (#12)` (or "")."""
        if not self.skipped:
            return ""
        return f"passed over what can't be undone: {_passed_over(self.skipped)}"


def last_change(
    conn: sqlite3.Connection, *, actor: str | None = None, session: str | None = None
) -> int | None:
    """The newest change of `actor` (or of `session`) that is not an undo and not undone."""
    return next(iter(_changes(conn, actor=actor, session=session)), None)


def _changes(
    conn: sqlite3.Connection, *, actor: str | None = None, session: str | None = None
) -> Iterator[int]:
    """The changes of `actor` (or of `session`), newest first, that are not undos, not undone,
    not the program's own and not what `opsdesk init` loaded."""
    sql = (
        "SELECT coalesce(change_id, id) FROM audit_events WHERE "  # noqa: S608 (placeholders)
        + _NOT_UNDONE
        + f" AND object_type || ':' || action NOT IN ({', '.join('?' for _ in AUTOMATIC)})"
    )
    params: list[object] = [f"{t}:{a}" for t, a in AUTOMATIC]
    if actor is not None:
        sql += " AND actor = ?"
        params.append(actor)
    if session is not None:
        sql += " AND session = ?"
        params.append(session)
    sql += " AND " + _NOT_SETUP
    seen: set[int] = set()
    for (change,) in conn.execute(sql + " ORDER BY id DESC", params):
        if change not in seen:
            seen.add(change)
            yield int(change)


_NOT_SETUP = (
    "object_type NOT IN ('metric', 'alert_rule', 'sop_template')"
    " AND NOT (object_type = 'risk' AND action = 'create'"
    " AND json_extract(new, '$.source') = 'seed')"
)
"""What `opsdesk init` loads (the catalogue, checklist templates, the seed risks): nobody's
change to undo."""


def undoable(events: Sequence[AuditEvent]) -> AuditEvent | None:
    """None when undo can take the change of `events` back by kind; else its first event
    that cannot be undone."""
    for e in events:
        if (e.object_type, e.action) in FOLLOWS:
            continue
        if (e.object_type, e.action) not in HANDLERS:
            return e
        if e.object_type == "pdca" and e.action == "edit":
            if any(name not in _CYCLE_FIELDS for name in e.new):
                return e
    return None


def _walk(
    conn: sqlite3.Connection, actor: str | None, session: str | None
) -> tuple[int, list[AuditEvent]]:
    """The last change of `actor`/`session` that can be undone, and the newer ones of kinds
    that cannot (their first non-undoable event, newest first)."""
    passed: list[AuditEvent] = []
    for change in _changes(conn, actor=actor, session=session):
        blocker = undoable(audit.change_events(conn, change))
        if blocker is None:
            return change, passed
        passed.append(blocker)
    if not passed:
        raise UndoRefused("nothing of yours to undo")
    raise UndoRefused(f"nothing of yours to undo: {_passed_over(passed)} can't be undone")


def _not_told(
    conn: sqlite3.Connection, events: list[AuditEvent], actor: str | None, session: str | None
) -> list[AuditEvent]:
    """`events` the last undo of `actor`/`session` did not pass over already (those between
    the change it undid and the undo itself)."""
    sql = "SELECT id, undoes FROM audit_events WHERE undoes IS NOT NULL"
    params: list[object] = []
    if actor is not None:
        sql += " AND actor = ?"
        params.append(actor)
    if session is not None:
        sql += " AND session = ?"
        params.append(session)
    last = conn.execute(sql + " ORDER BY id DESC LIMIT 1", params).fetchone()
    if last is None:
        return events
    return [e for e in events if not last[1] < e.id < last[0]]


def _passed_over(events: Sequence[AuditEvent]) -> str:
    """`marking an action item done (#12, #14), closing a weekly review (#9)`: the newest
    three kinds, three changes each (short enough for a toast)."""
    kinds: dict[str, list[int]] = {}
    for e in events:
        kinds.setdefault(change_label(e.object_type, e.action), []).append(e.change)
    words = [
        f"{label} (#{', #'.join(str(c) for c in changes[:3])}{', …' if len(changes) > 3 else ''})"
        for label, changes in kinds.items()
    ]
    return ", ".join(words[:3]) + (", …" if len(words) > 3 else "")


def is_undone(conn: sqlite3.Connection, change: int) -> AuditEvent | None:
    """The first event of the undo that took `change` back, if one did."""
    row = conn.execute(
        "SELECT id FROM audit_events WHERE undoes = ? ORDER BY id LIMIT 1", (change,)
    ).fetchone()
    return None if row is None else audit.get_event(conn, int(row[0]))


def in_the_way(conn: sqlite3.Connection, events: Sequence[AuditEvent]) -> list[AuditEvent]:
    """Later changes to the objects of `events` (their change excluded) not undone since; the
    events that only follow from the change (the run a tick completed) are not looked at: a
    later tick of another item of that run is not in the way."""
    change = events[0].change
    found: dict[int, AuditEvent] = {}
    for e in events:
        if (e.object_type, e.action) in FOLLOWS:
            continue
        rows = conn.execute(
            _LATER,
            (e.object_type, e.object_key, e.id, change),
        )
        for (event_id,) in rows:
            found.setdefault(event_id, audit.get_event(conn, event_id))
    return [found[k] for k in sorted(found)]


def undo(
    conn: sqlite3.Connection,
    event_id: int | None = None,
    *,
    actor: str | None = None,
    session: str | None = None,
    clock: Clock | None = None,
    describe: Callable[[AuditEvent], str] = lambda e: f"#{e.id}",
) -> UndoResult:
    """Undo the change of audit event `event_id`, or the last change of `actor`/`session`.

    `clock` gives the store's local today (PDCA and risk rules need it); `describe` words an
    event in refusals (the caller's one formatter, in the store's timezone). Raises
    UndoRefused.
    """
    from opsdesk.clock import local_today, system_clock
    from opsdesk.store import settings

    s = settings.read(conn)
    today = local_today(clock or system_clock, s.timezone, s.day_cutoff_hour)
    with write_transaction(conn):
        passed: list[AuditEvent] = []
        if event_id is None:
            change, passed = _walk(conn, actor, session)
            passed = _not_told(conn, passed, actor, session)
        else:
            change = audit.get_event(conn, event_id).change
        events = audit.change_events(conn, change)
        first = events[0]
        if first.undoes is not None:
            raise UndoRefused(
                f"{describe(first)} is itself an undo (of change #{first.undoes}): "
                "make the change again instead"
            )
        done = is_undone(conn, change)
        if done is not None:
            raise UndoRefused(f"change #{change} was undone already: {describe(done)}")
        blocking = in_the_way(conn, events)
        if blocking:
            raise UndoRefused(
                f"cannot undo change #{change}: newer changes to the same object are in the "
                "way (undo them first): " + "; ".join(describe(e) for e in blocking)
            )
        todo = [e for e in events if (e.object_type, e.action) not in FOLLOWS]
        blocker = undoable(events)
        if blocker is not None:
            raise UndoRefused(
                f"change #{change}: {cannot_undo(blocker.object_type, blocker.action)}"
            )
        with audit.undoing(change):
            by_handler: dict[Callable[..., None], list[AuditEvent]] = {}
            for e in todo:
                by_handler.setdefault(HANDLERS[(e.object_type, e.action)], []).append(e)
            for handler, group in by_handler.items():
                handler(Undoing(conn, today, describe), group)
            recorded = _recorded(conn, change)
            if not recorded:
                audit.record(conn, "change", str(change), "undo", None, None)
                recorded = _recorded(conn, change)
    return UndoResult(change, events, recorded, passed)


def _recorded(conn: sqlite3.Connection, change: int) -> list[AuditEvent]:
    rows = conn.execute("SELECT id FROM audit_events WHERE undoes = ? ORDER BY id", (change,))
    return [audit.get_event(conn, r[0]) for r in rows.fetchall()]


# ---- one handler per kind of object ---------------------------------------------------------


@dataclass(frozen=True)
class Undoing:
    """What every handler works with: the connection (inside the undo's transaction), the
    store's local today, and the caller's wording of an event."""

    conn: sqlite3.Connection
    today: date
    describe: Callable[[AuditEvent], str]


Handler = Callable[[Undoing, list[AuditEvent]], None]


def _observations(u: Undoing, events: list[AuditEvent]) -> None:
    """Values typed by hand: put back the old ones (a shop's day at once: the cross-metric
    rules see the whole day)."""
    conn = u.conn
    from opsdesk.domain.times import local_label
    from opsdesk.store import observations, settings

    days: dict[tuple[str, str], dict[str, float | None]] = {}
    for e in events:
        shop, metric, day = e.object_key.rsplit("/", 2)
        row = conn.execute(
            "SELECT o.value, i.id, i.file_name, i.imported_by, i.imported_at"
            " FROM observations o JOIN shops s ON s.id = o.shop_id"
            " JOIN metrics m ON m.id = o.metric_id LEFT JOIN imports i ON i.id = o.import_id"
            " WHERE s.key = ? AND m.key = ? AND o.day = ?",
            (shop, metric, day),
        ).fetchone()
        wrote = None if e.new is None else float(e.new)
        if row is not None and row[1] is not None:
            when = local_label(row[4], settings.read(conn).timezone)
            raise UndoRefused(
                f"{e.object_key} was replaced by import {row[1]} ({row[2]}) by {row[3]} at "
                f"{when}: undo that import first"
            )
        now = None if row is None else float(row[0])
        if now != wrote:
            raise UndoRefused(f"{e.object_key} is now {_value(now)}, not {_value(wrote)}")
        days.setdefault((shop, day), {})[metric] = None if e.old is None else float(e.old)
    for (shop, day), values in days.items():
        observations.set_values(conn, shop, date.fromisoformat(day), values)


def _value(v: float | None) -> str:
    return "no value" if v is None else f"{v:g}"


def _imports(u: Undoing, events: list[AuditEvent]) -> None:
    """An import as a whole, when every value it wrote is still its own."""
    conn = u.conn
    from opsdesk.store import imports

    for e in events:
        import_id = int(e.object_key)
        record = imports.get(conn, import_id)
        if record.undone_at is not None:
            raise UndoRefused(f"import {import_id} was undone already (`opsdesk import list`)")
        still = conn.execute(
            "SELECT count(*) FROM observations WHERE import_id = ?", (import_id,)
        ).fetchone()[0]
        written = record.rows_new + record.rows_changed
        if still < written:
            later = [
                f"import {r[0]} ({r[1]}) by {r[2]}"
                for r in conn.execute(
                    "SELECT DISTINCT i.id, i.file_name, i.imported_by FROM import_changes c"
                    " JOIN imports i ON i.id = c.import_id"
                    " WHERE c.old_import_id = ? AND i.undone_at IS NULL ORDER BY i.id",
                    (import_id,),
                )
            ]
            raise UndoRefused(
                f"import {import_id}: {written - still} of its {written} values were changed "
                f"since ({', '.join(later) or 'by hand'}); undo those first, or "
                f"`opsdesk import undo {import_id}` to undo the rest"
            )
        imports.undo(conn, import_id)


def _targets(u: Undoing, events: list[AuditEvent]) -> None:
    """A target set or changed: its old value and amber back (a new one removed)."""
    conn = u.conn
    from opsdesk.store import targets

    for e in events:
        target_id = int(e.object_key)
        row = conn.execute("SELECT value, amber FROM targets WHERE id = ?", (target_id,)).fetchone()
        if row is None or (row[0], row[1]) != (e.new["value"], e.new["amber"]):
            now = "removed" if row is None else f"value {row[0]:g}, amber {row[1]:g}"
            raise UndoRefused(f"target {target_id} is now {now}")
        if e.action == "create":
            targets.delete_target(conn, target_id)
            continue
        old = e.old
        targets.set_target(
            conn,
            old["metric"],
            old["value"],
            shop_key=old["shop"],
            valid_from=None if old["valid_from"] is None else date.fromisoformat(old["valid_from"]),
            valid_to=None if old["valid_to"] is None else date.fromisoformat(old["valid_to"]),
            amber=old["amber"],
        )


def _checklist_items(u: Undoing, events: list[AuditEvent]) -> None:
    """A tick, untick, skip or note on a checklist item: the item's state (or note) back."""
    conn = u.conn
    from opsdesk.store.checklists import ticks

    for e in reversed(events):
        run_id, position = (int(p) for p in e.object_key.split("/"))
        item = conn.execute(
            "SELECT state, note FROM sop_run_items WHERE run_id = ? AND position = ?",
            (run_id, position),
        ).fetchone()
        if item is None:
            raise UndoRefused(f"checklist item {e.object_key} no longer exists")
        if e.action == "note":
            if item["note"] != e.new:
                raise UndoRefused(f"the note on item {e.object_key} is now {item['note']!r}")
            ticks.set_note(conn, run_id, position, e.old or "")
            continue
        wrote = e.new["state"] if isinstance(e.new, dict) else e.new
        if item["state"] != wrote:
            raise UndoRefused(f"checklist item {e.object_key} is now {item['state']}")
        reason = None
        if e.old == "skipped":  # the reason of the skip this change replaced
            before = conn.execute(
                "SELECT new FROM audit_events WHERE object_type = 'sop_run_item'"
                " AND object_key = ? AND action = 'skip' AND id < ? ORDER BY id DESC LIMIT 1",
                (e.object_key, e.id),
            ).fetchone()
            reason = _json_field(before, "reason") or "(reason not recorded)"
        ticks.set_state(conn, run_id, position, e.old, reason=reason)


def _json_field(row: sqlite3.Row | None, name: str) -> Any:
    import json

    if row is None or row[0] is None:
        return None
    value = json.loads(row[0])
    return value.get(name) if isinstance(value, dict) else None


_CYCLE_FIELDS = (
    "title",
    "problem",
    "root_cause",
    "hypothesis",
    "plan",
    "scope_note",
    "lesson",
    "owner",
    "target",
    "decision",
    "metric_key",
    "shop_key",
    "change_date",
    "due",
    "baseline_start",
    "baseline_end",
    "baseline_value",
)


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _cycles(u: Undoing, events: list[AuditEvent]) -> None:
    """A cycle's field edit: the old field values back, through the cycle's own edit (its
    rules run again: a baseline frozen since cannot be put back)."""
    conn = u.conn
    from opsdesk.store import pdca

    for e in events:
        cycle = pdca.get(conn, int(e.object_key))
        for name, wrote in e.new.items():
            if name not in _CYCLE_FIELDS:
                raise UndoRefused(f"change #{e.change}: {cannot_undo(e.object_type, e.action)}")
            if _plain(getattr(cycle, name)) != wrote:
                raise UndoRefused(
                    f"cycle {cycle.id}'s {name} is now {_plain(getattr(cycle, name))!r}"
                )
        fields: dict[str, Any] = {}
        for name, value in e.old.items():
            if name == "due":
                for stage, day in value.items():
                    fields[f"due_{stage}"] = None if day is None else date.fromisoformat(day)
            elif name in ("baseline_start", "baseline_end"):
                start = e.old.get("baseline_start", cycle.baseline_start)
                end = e.old.get("baseline_end", cycle.baseline_end)
                fields["baseline"] = (_day(start), _day(end))
            elif name == "change_date":
                fields[name] = None if value is None else date.fromisoformat(value)
            elif name != "baseline_value":  # computed again from the baseline
                fields[name] = value
        pdca.edit(conn, cycle.id, today=u.today, expected_version=cycle.version, **fields)


def _stage_moves(u: Undoing, events: list[AuditEvent]) -> None:
    """A stage move: the cycle moved back (with the undo as its reason), or a move back
    taken forward again through the gate (which may refuse, saying why)."""
    from opsdesk.store import pdca

    for e in events:
        cycle = pdca.get(u.conn, int(e.object_key))
        if cycle.stage != e.new.get("stage"):
            raise UndoRefused(f"cycle {cycle.id} is now at {cycle.stage}, not {e.new.get('stage')}")
        pdca.move(
            u.conn,
            cycle.id,
            e.old["stage"],
            today=u.today,
            reason=f"undo of change #{e.change}",
            expected_version=cycle.version,
        )


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _risks(u: Undoing, events: list[AuditEvent]) -> None:
    """A risk's edit, re-score or review: the old field values (and KRIs) back, checked like
    a file. The review record itself stays in the risk's history."""
    conn = u.conn
    from opsdesk.domain.risk_kris import kri_dict
    from opsdesk.store import risks

    for e in events:
        stored = risks.get_risk(conn, e.object_key)
        now = risks.field_values(stored.risk)
        for name, wrote in e.new.items():
            current = [kri_dict(k) for k in stored.risk.kris] if name == "kris" else now.get(name)
            if current != wrote:
                raise UndoRefused(f"risk {e.object_key}'s {name} is now {current!r}")
        changes = {("kri" if k == "kris" else k): v for k, v in e.old.items()}
        risks.update_fields(conn, e.object_key, changes, u.today)


def _metric_notes(u: Undoing, events: list[AuditEvent]) -> None:
    """An owner's note on a metric, shop and week: the old note back (a new one removed)."""
    conn = u.conn
    from opsdesk.store import review

    for e in events:
        metric, rest = e.object_key.split("/", 1)
        shop, week = rest.rsplit("/", 1)
        note = review.get_note(conn, metric, shop, week)
        if note is None or (note.note, note.investigating) != (
            e.new["note"],
            e.new["investigating"],
        ):
            raise UndoRefused(f"the note on {e.object_key} is now {_note_text(note)}")
        if e.action == "create":
            conn.execute(
                "DELETE FROM metric_notes WHERE metric_key = ? AND shop_key = ? AND week = ?",
                (metric, shop, week),
            )
            audit.record(conn, "metric_note", e.object_key, "delete", e.new, None)
            continue
        review.set_note(
            conn,
            metric,
            shop,
            week,
            e.old["note"],
            investigating=e.old["investigating"],
            based_on=None,
        )


def _note_text(note: Any) -> str:
    return "removed" if note is None else repr(note.note)


HANDLERS: dict[tuple[str, str], Handler] = {
    ("observation", "set"): _observations,
    ("observation", "delete"): _observations,
    ("import", "import"): _imports,
    ("target", "create"): _targets,
    ("target", "update"): _targets,
    ("sop_run_item", "tick"): _checklist_items,
    ("sop_run_item", "untick"): _checklist_items,
    ("sop_run_item", "skip"): _checklist_items,
    ("sop_run_item", "note"): _checklist_items,
    ("pdca", "edit"): _cycles,
    ("pdca", "move"): _stage_moves,
    ("pdca", "move_back"): _stage_moves,
    ("risk", "edit"): _risks,
    ("risk", "score"): _risks,
    ("risk", "review"): _risks,
    ("metric_note", "create"): _metric_notes,
    ("metric_note", "update"): _metric_notes,
}
