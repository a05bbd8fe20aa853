"""The stand-up section "Risks": triggered risks first (major before general), then the
reviews due today or overdue.

Opening the stand-up is one of the evaluations of the key risk indicators: the loader
evaluates them for the ops day under review, recording new triggers (once per KRI, shop and
day). A read-only or locked store is left as it is and the register is shown as stored. No
Textual here: only store and views functions.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

from opsdesk.views.sections import Section, SectionLine


def load(conn: sqlite3.Connection, day: date) -> list[SectionLine]:
    from opsdesk.store.connection import StoreError, brief_wait
    from opsdesk.views import risks as views

    today = day + timedelta(days=1)
    try:
        with brief_wait(conn):  # a colleague's import holds the lock: show what is stored
            standup = views.build_standup_risks(conn, day, today)
    except (sqlite3.OperationalError, StoreError):  # read-only or busy: what is stored
        rows = views.build_register(conn, today).rows
        standup = views.StandupRisks(
            [r for r in rows if r.risk.status == "triggered"],
            [r for r in rows if r.due and r.risk.status != "triggered"],
            0,
        )
    lines = []
    for r in standup.triggered:
        what = r.last_trigger.message if r.last_trigger else ""
        lines.append(
            SectionLine(
                "overdue",
                f"TRIGGERED {r.risk.response_level} · {r.key} · {r.risk.title} · {what}",
            )
        )
    for r in standup.due:
        when = "review overdue" if r.overdue else "review due today"
        if r.acceptance in ("expired", "void"):
            when = f"acceptance {r.acceptance}"
        lines.append(
            SectionLine(
                "overdue" if r.overdue else "due",
                f"{when} ({r.risk.next_review}) · {r.key} · {r.risk.title} · {r.risk.owner}",
            )
        )
    return lines


SECTION = Section(
    key="risks",
    title="Risks (6: the register)",
    order=30,
    load=load,
    empty_text="no triggered risk, no review due",
)
