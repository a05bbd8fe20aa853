"""The search read model: each hit with the object it belongs to, who wrote it and when (in the
store's timezone), for `opsdesk search` and the app's search dialog alike."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from opsdesk.domain.checklists import local_label
from opsdesk.store import settings
from opsdesk.store.search import Hit, search

Ident = tuple[object, object, object]
"""A hit's identity: source, object id, part."""
Labeller = Callable[[sqlite3.Connection, Sequence[Hit]], dict[Ident, tuple[str, object]]]
"""Names the hits of one object type: identity -> (label, what opening it takes: run id,
risk key…)."""


@dataclass(frozen=True)
class SearchRow:
    kind: str
    object_type: str
    object_id: int | str
    part: int | str
    object_label: str  # "Daily shop check · jd-home · 2026-11-20 · item 3: Reply to …"
    opens: object  # what opening the object takes: a run id, a risk key
    body: str
    spans: tuple[tuple[int, int], ...]
    who: str  # "—" when unknown
    when: str  # store-local wall time
    at: datetime
    score: float


def _sop_runs(conn: sqlite3.Connection, hits: Sequence[Hit]) -> dict[Ident, tuple[str, object]]:
    ids = sorted({int(h.object_id) for h in hits})
    runs = {
        r[0]: f"{r[1]} · {r[2] or 'store'} · {r[3]}"
        for r in conn.execute(
            "SELECT r.id, v.title, s.key, r.run_day FROM sop_runs r"  # noqa: S608 (placeholders)
            " JOIN sop_template_versions v ON v.id = r.version_id"
            f" LEFT JOIN shops s ON s.id = r.shop_id WHERE r.id IN ({', '.join('?' * len(ids))})",
            ids,
        )
    }
    items = {
        (r[0], r[1]): r[2]
        for r in conn.execute(
            "SELECT run_id, position, text FROM sop_run_items"  # noqa: S608 (placeholders)
            f" WHERE run_id IN ({', '.join('?' * len(ids))})",
            ids,
        )
    }
    out: dict[Ident, tuple[str, object]] = {}
    for h in hits:
        run = runs.get(int(h.object_id), f"checklist run {h.object_id}")
        if h.part in ("", None):
            out[(h.source, h.object_id, h.part)] = (run, h.object_id)
        else:
            text = items.get((int(h.object_id), int(h.part)), "")
            out[(h.source, h.object_id, h.part)] = (f"{run} · item {h.part}: {text}", h.object_id)
    return out


def _risks(conn: sqlite3.Connection, hits: Sequence[Hit]) -> dict[Ident, tuple[str, object]]:
    """Risk fields (object: the risk key) and review notes (object: the risk id)."""
    by_key = {h.object_id for h in hits if h.object_type == "risk"}
    by_id = {h.object_id for h in hits if h.object_type == "risk_review"}
    rows = conn.execute(
        "SELECT id, key, title FROM risks"  # noqa: S608 (placeholders)
        f" WHERE key IN ({', '.join('?' * len(by_key))}) OR id IN ({', '.join('?' * len(by_id))})",
        [*by_key, *by_id],
    ).fetchall()
    out: dict[Ident, tuple[str, object]] = {}
    for h in hits:
        for rid, key, title in rows:
            if h.object_type == "risk" and h.object_id == key:
                field = h.source.removeprefix("risk_")
                out[(h.source, h.object_id, h.part)] = (f"Risk {key} · {title} · {field}", key)
            elif h.object_type == "risk_review" and h.object_id == rid:
                out[(h.source, h.object_id, h.part)] = (f"Risk {key} · {title} · review", key)
    return out


def _marks(ids: Sequence[object]) -> str:
    return ", ".join("?" * len(ids))


def _by_id(
    conn: sqlite3.Connection, table: str, columns: str, hits: Sequence[Hit]
) -> dict[int, tuple[Any, ...]]:
    """The hits' rows of `table` (object id = its id): id -> `columns` (names from the code)."""
    ids = sorted({int(h.object_id) for h in hits})
    sql = f"SELECT id, {columns} FROM {table} WHERE id IN ({_marks(ids)})"  # noqa: S608
    return {r[0]: tuple(r[1:]) for r in conn.execute(sql, ids)}


def _cycles(conn: sqlite3.Connection, hits: Sequence[Hit]) -> dict[Ident, tuple[str, object]]:
    """A cycle's fields and stage moves (object: the cycle id; opens the cycle)."""
    ids = sorted({int(h.object_id) for h in hits})
    titles = dict(
        conn.execute(f"SELECT id, title FROM pdca_cycles WHERE id IN ({_marks(ids)})", ids)  # noqa: S608
    )
    out: dict[Ident, tuple[str, object]] = {}
    for h in hits:
        cid = int(h.object_id)
        field = "stage move" if h.source == "pdca_stage_reason" else h.source[5:]
        label = f"PDCA #{cid} · {titles.get(cid, '?')} · {field.replace('_', ' ')}"
        out[(h.source, h.object_id, h.part)] = (label, cid)
    return out


def _meeting_period(conn: sqlite3.Connection, ids: Sequence[object]) -> dict[int, tuple[str, str]]:
    """Meeting id -> (kind, period)."""
    rows = conn.execute(
        f"SELECT id, kind, period FROM meetings WHERE id IN ({_marks(ids)})",  # noqa: S608
        list(ids),
    )
    return {r[0]: (r[1], r[2]) for r in rows}


def _meeting_name(kind: str, period: str) -> str:
    return f"Weekly review {period}" if kind == "review" else f"Stand-up {period}"


def _actions(conn: sqlite3.Connection, hits: Sequence[Hit]) -> dict[Ident, tuple[str, object]]:
    """Action items of every source (opens: (source kind, cycle id / risk key / meeting's
    kind and period))."""
    items = _by_id(conn, "action_items", "source_kind, source_id, number", hits)
    meetings = _meeting_period(
        conn, [i[1] for i in items.values() if i[0] in ("review", "standup")]
    )
    risk_ids = [i[1] for i in items.values() if i[0] == "risk"]
    risks = dict(
        conn.execute(f"SELECT id, key FROM risks WHERE id IN ({_marks(risk_ids)})", risk_ids)  # noqa: S608
    )
    out: dict[Ident, tuple[str, object]] = {}
    for h in hits:
        kind, source_id, number = items.get(int(h.object_id), ("?", 0, 0))
        what = "drop note" if h.source == "action_note" else "action"
        opens: object = (kind, source_id)
        where = f"{kind} {source_id}"
        if kind == "pdca":
            where = f"PDCA #{source_id}"
        elif kind == "review" and source_id in meetings:
            where = _meeting_name(*meetings[source_id])
            opens = ("review", *meetings[source_id])
        elif kind == "standup" and source_id in meetings:
            where = _meeting_name(*meetings[source_id])
            opens = meetings[source_id]  # ("standup", its day): the record of that stand-up
        elif kind == "risk" and source_id in risks:
            where, opens = f"Risk {risks[source_id]}", ("risk", risks[source_id])
        out[(h.source, h.object_id, h.part)] = (f"{where} · {what} {number}", opens)
    return out


def _meetings(conn: sqlite3.Connection, hits: Sequence[Hit]) -> dict[Ident, tuple[str, object]]:
    """Meeting notes and decisions (opens: (kind, period))."""
    meetings = _meeting_period(conn, sorted({int(h.object_id) for h in hits}))
    out: dict[Ident, tuple[str, object]] = {}
    for h in hits:
        kind, period = meetings.get(int(h.object_id), ("review", "?"))
        what = f"decision {h.part}" if h.source == "meeting_decision" else "notes"
        out[(h.source, h.object_id, h.part)] = (
            f"{_meeting_name(kind, period)} · {what}",
            (kind, period),
        )
    return out


def _metric_notes(conn: sqlite3.Connection, hits: Sequence[Hit]) -> dict[Ident, tuple[str, object]]:
    """Owners' notes on a metric and week (opens: the weekly review of that week)."""
    notes = _by_id(conn, "metric_notes", "metric_key, shop_key, week", hits)
    out: dict[Ident, tuple[str, object]] = {}
    for h in hits:
        metric, shop, week = notes.get(int(h.object_id), ("?", "?", "?"))
        out[(h.source, h.object_id, h.part)] = (
            f"Note on {metric} · {shop} · {week}",
            ("review", week),
        )
    return out


LABELLERS: dict[str, Labeller] = {
    "sop_run": _sop_runs,
    "risk": _risks,
    "risk_review": _risks,
    "pdca_cycle": _cycles,
    "action_item": _actions,
    "meeting": _meetings,
    "metric_note": _metric_notes,
}
"""Object type -> how its hits are named (one entry per object type sources link to)."""


def since_instant(day: date, tz_name: str) -> datetime:
    """The start of the store-local `day`, as the instant search filters on."""
    from opsdesk.domain.recurrence import local_instant

    return local_instant(day, time(0), tz_name)


def find(
    conn: sqlite3.Connection,
    query: str,
    *,
    kinds: Sequence[str] | None = None,
    since: date | None = None,
    limit: int = 50,
) -> list[SearchRow]:
    tz = settings.read(conn).timezone
    hits = search(
        conn,
        query,
        kinds=kinds,
        since=None if since is None else since_instant(since, tz),
        limit=limit,
    )
    labels: dict[Ident, tuple[str, object]] = {}
    for otype in {h.object_type for h in hits}:
        labeller = LABELLERS.get(otype)
        if labeller is not None:
            labels.update(labeller(conn, [h for h in hits if h.object_type == otype]))
    rows = []
    for h in hits:
        label, opens = labels.get(
            (h.source, h.object_id, h.part), (f"{h.object_type} {h.object_id}", h.object_id)
        )
        rows.append(
            SearchRow(
                h.kind,
                h.object_type,
                h.object_id,
                h.part,
                label,
                opens,
                h.body,
                h.spans,
                h.who or "—",
                local_label(h.at, tz),
                h.at,
                h.score,
            )
        )
    return rows
