"""The stand-up section "Today's checklists": today's runs with their progress, worst first.

The stand-up passes the ops day under review (yesterday); checklists are for the local today,
the day after it. Opening the app is one of the moments runs are created (no daemon), so the
loader first creates the runs due today (`ensure_runs`: a 1 ms read-only check once they exist;
a locked store is left for the next session). No Textual here: only store functions.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

from opsdesk.views.sections import Section, SectionLine

BAR_WIDTH = 8


def line_status(state: str, overdue: bool) -> str:
    """The section symbol of a run: overdue ✗, open ▲, done ✓, closed otherwise ·."""
    if overdue:
        return "overdue"
    if state == "open":
        return "due"
    if state in ("on_time", "late"):
        return "ok"
    return "info"


_RANK = {"overdue": 0, "due": 1, "info": 2, "ok": 3}


def load(conn: sqlite3.Connection, day: date) -> list[SectionLine]:
    """Today's runs; "overdue" means due before today began, so the stand-up of a given day
    reads the same whenever it is opened (the run screen marks deadlines by the clock)."""
    from opsdesk.domain.checklists import progress_bar
    from opsdesk.domain.recurrence import local_instant
    from opsdesk.store import checklists, settings

    today = day + timedelta(days=1)
    try:
        checklists.ensure_runs(conn, today)
    except sqlite3.OperationalError:
        pass  # read-only or busy: show what exists
    s = settings.read(conn)
    start_of_today = local_instant(day, None, s.timezone, s.day_cutoff_hour)
    runs = checklists.today_runs(conn, today, now=start_of_today)
    lines = []
    for r in runs:
        status = line_status(r.state, r.overdue)
        where = r.shop_key or "store"
        text = (
            f"{r.title} · {where} · {progress_bar(r.done, r.total, BAR_WIDTH)} {r.done}/{r.total}"
            + (" · overdue" if r.overdue else "")
        )
        lines.append((_RANK[status], r.id, SectionLine(status, text)))
    lines.sort(key=lambda x: (x[0], x[1]))
    return [line for _, _, line in lines]


SECTION = Section(
    key="checklists",
    title="Today's checklists (4: open them and tick)",
    order=10,
    load=load,
    empty_text="no checklist runs today",
)
