"""SOP adherence as inputs of the KPI engine: `sop_due` and `sop_on_time` per shop and run
day, counted from the stored checklist runs (a provider listed in `opsdesk.store.computed`).

Apart from `opsdesk.store.checklists` (which re-exports it) so that what the stand-up's first
paint loads does not import the whole checklist store.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import date, datetime

from opsdesk.domain.checklists import run_state

KEYS = frozenset({"sop_due", "sop_on_time"})


def _parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def daily_adherence(
    conn: sqlite3.Connection, start: date, end: date
) -> dict[tuple[str, date], dict[str, float]]:
    """`sop_due` and `sop_on_time` per shop and run day (per-shop runs with a final state).

    Store-wide runs (weekly review prep, budget) belong to no shop; they count in the
    per-template adherence of `adherence_by_template`, not in a shop's KPI.
    """
    out: dict[tuple[str, date], dict[str, float]] = {}
    counts: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0])
    for r in conn.execute(
        "SELECT s.key, r.run_day, r.status, r.completed_at, r.due_at FROM sop_runs r"
        " JOIN shops s ON s.id = r.shop_id"
        " WHERE r.run_day BETWEEN ? AND ? AND r.status IN ('done', 'missed')",
        (start.isoformat(), end.isoformat()),
    ):
        c = counts[(r[0], date.fromisoformat(r[1]))]
        c[0] += 1
        if run_state(r[2], _parse_time(r[3]), _parse_time(r[4])) == "on_time":
            c[1] += 1
    for k, (due, on_time) in counts.items():
        out[k] = {"sop_due": float(due), "sop_on_time": float(on_time)}
    return out
