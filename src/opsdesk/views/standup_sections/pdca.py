"""The stand-up section "PDCA steps due": open action items of cycles due by the day (with
their age), stages past their due date and follow-up checks of standardised cycles, overdue
first. No Textual here: the lines come from `views.pdca.steps_due`.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

from opsdesk.views.sections import Section, SectionLine


def load(conn: sqlite3.Connection, day: date) -> list[SectionLine]:
    """Steps due by the local today (the day after the ops day under review)."""
    from opsdesk.views.pdca import steps_due

    return [SectionLine(s.status, s.text) for s in steps_due(conn, day + timedelta(days=1))]


SECTION = Section(
    key="pdca", title="PDCA steps due", order=20, load=load, empty_text="no PDCA step due"
)
