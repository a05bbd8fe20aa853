"""The search read model: each hit with the object it belongs to, who wrote it and when (in the
store's timezone), for `opsdesk search` and the app's search dialog alike."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from opsdesk.domain.checklists import local_label
from opsdesk.store import settings
from opsdesk.store.search import Hit, search

Labeller = Callable[[sqlite3.Connection, Sequence[Hit]], dict[tuple[object, object], str]]


@dataclass(frozen=True)
class SearchRow:
    kind: str
    object_type: str
    object_id: int | str
    part: int | str
    object_label: str  # "Daily shop check · jd-home · 2026-11-20 · item 3: Reply to …"
    body: str
    spans: tuple[tuple[int, int], ...]
    who: str  # "—" when unknown
    when: str  # store-local wall time
    at: datetime
    score: float


def _sop_runs(conn: sqlite3.Connection, hits: Sequence[Hit]) -> dict[tuple[object, object], str]:
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
    out: dict[tuple[object, object], str] = {}
    for h in hits:
        run = runs.get(int(h.object_id), f"checklist run {h.object_id}")
        if h.part in ("", None):
            out[(h.object_id, h.part)] = run
        else:
            text = items.get((int(h.object_id), int(h.part)), "")
            out[(h.object_id, h.part)] = f"{run} · item {h.part}: {text}"
    return out


LABELLERS: dict[str, Labeller] = {"sop_run": _sop_runs}
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
    labels: dict[tuple[object, object], str] = {}
    for otype in {h.object_type for h in hits}:
        labeller = LABELLERS.get(otype)
        if labeller is not None:
            labels.update(labeller(conn, [h for h in hits if h.object_type == otype]))
    return [
        SearchRow(
            h.kind,
            h.object_type,
            h.object_id,
            h.part,
            labels.get((h.object_id, h.part), f"{h.object_type} {h.object_id}"),
            h.body,
            h.spans,
            h.who or "—",
            local_label(h.at, tz),
            h.at,
            h.score,
        )
        for h in hits
    ]
