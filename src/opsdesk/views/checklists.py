"""Area 4's read model: today's checklist runs with their progress, and each of their
templates' run history as a calendar-like strip per shop (the last 28 days).

"Today" is the local today of the store: the day after the ops day the stand-up reviews. The
runs due today are created here too if no command has created them yet. No Textual here.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from opsdesk.domain.checklists import STATE_LABELS, local_label, progress_bar
from opsdesk.store import checklists, settings
from opsdesk.views.checklist_strip import history_rows, legend, week_ruler
from opsdesk.views.standup_sections.checklists import BAR_WIDTH, line_status

HISTORY_DAYS = 28


@dataclass(frozen=True)
class RunRow:
    run_id: int
    template_key: str
    status: str  # a section status: overdue, due, ok, info
    title: str
    shop: str
    due: str
    progress: str
    state: str


@dataclass(frozen=True)
class ChecklistsView:
    today: date
    rows: tuple[RunRow, ...]
    history: dict[str, str]
    """template key -> the strip text (ruler, one line per shop, legend)."""


def today_rows(
    conn: sqlite3.Connection,
    today: date,
    now: datetime | None = None,
    *,
    shop_key: str | None = None,
    bar_width: int = BAR_WIDTH,
) -> tuple[RunRow, ...]:
    """Today's runs in the store's order (creating those due by today if no one has yet); with
    `shop_key` only that shop's and the store-wide ones. `checklists today` prints these."""
    try:
        checklists.ensure_runs(conn, today, now=now)
    except sqlite3.OperationalError:
        pass  # read-only or busy: show what exists
    tz = settings.read(conn).timezone
    return tuple(
        RunRow(
            r.id,
            r.template_key,
            line_status(r.state, r.overdue),
            r.title + (f" {r.campaign}" if r.campaign else ""),
            r.shop_key or "store",
            local_label(r.due_at, tz),
            f"{progress_bar(r.done, r.total, bar_width)} {r.done}/{r.total}",
            STATE_LABELS[r.state] + (" · overdue" if r.overdue else ""),
        )
        for r in checklists.today_runs(conn, today, now=now, shop_key=shop_key)
    )


def build_checklists(conn: sqlite3.Connection, today: date, now: datetime) -> ChecklistsView:
    """Today's runs and each of their templates' history (runs in a worker)."""
    rows = today_rows(conn, today, now)
    start = today - timedelta(days=HISTORY_DAYS - 1)
    history = {}
    for key in dict.fromkeys(r.template_key for r in rows):
        strips = history_rows(checklists.history(conn, key, start, today, now=now), start, today)
        width = max(len(k) for k in strips) if strips else 5
        lines = [f"{'':<{width}}  {week_ruler(start, today)}"]
        lines += [f"{shop:<{width}}  {strip}" for shop, strip in strips.items()]
        history[key] = "\n".join(
            [f"{key}: the last {HISTORY_DAYS} days to {today}", *lines, legend()]
        )
    return ChecklistsView(today, rows, history)
