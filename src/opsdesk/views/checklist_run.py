"""A checklist run's read model: its items with who ticked them and when, notes and skip
reasons, deadlines passed marked OVERDUE (the run screen renders it). No Textual here.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from opsdesk.domain.checklists import STATE_LABELS, local_label
from opsdesk.store import checklists, settings

MARKS = {"open": "[ ]", "done": "[x]", "skipped": "[-]"}


@dataclass(frozen=True)
class ItemRow:
    position: int
    state: str
    mark: str
    step: str
    who: str
    note: str
    overdue: bool


@dataclass(frozen=True)
class RunView:
    run_id: int
    title: str
    summary: str
    closed: bool
    rows: tuple[ItemRow, ...]


def build_run(conn: sqlite3.Connection, run_id: int, now: datetime) -> RunView:
    """The run as the screen shows it (runs in a worker)."""
    tz = settings.read(conn).timezone
    run = checklists.get_run(conn, run_id, now=now)
    rows = []
    for i in run.items:
        step = f"{i.section}: {i.text}" if i.section else i.text
        who = f"{i.changed_by} {local_label(i.changed_at, tz)}" if i.state != "open" else ""
        note = "; ".join(
            x for x in (f"skipped: {i.skip_reason}" if i.skip_reason else "", i.note) if x
        )
        if i.overdue:
            who = f"OVERDUE (due {local_label(i.due_at, tz)})"
        rows.append(ItemRow(i.position, i.state, MARKS[i.state], step, who, note, i.overdue))
    summary = (
        f"{run.done}/{run.total} done · {STATE_LABELS[run.state]}"
        + (" · overdue" if run.overdue else "")
        + f" · due {local_label(run.due_at, tz)} · v{run.version} · owner {run.owner}"
        + (f" · skipped: {run.skip_reason}" if run.skip_reason else "")
    )
    return RunView(run.id, run.label, summary, run.status in ("missed", "skipped"), tuple(rows))
