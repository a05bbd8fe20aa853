"""The stand-up section "Actions open": the action items that carry over, at a glance.

Every stand-up's and review's action item still open from an earlier meeting (carried over,
with its age), this stand-up's own open items due by today, and the risks' (and alerts') open
items due by today — flagged ones (carried through three reviews or more without being done)
first, marked `DECIDE`, then overdue, due today, the rest; oldest first within each. The
PDCA cycles' action items stay in "PDCA steps due" (one list each, never both). The lines
come from the meeting record's read model (`views.meetings`) and `domain.review.action_text`;
`r` on the stand-up opens the record, where `space` and `x` close them. No Textual here.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

from opsdesk.views.sections import Section, SectionLine

MEETING_KINDS = ("standup", "review")
OTHER_KINDS_SKIPPED = ("pdca", *MEETING_KINDS)
"""PDCA items are listed by "PDCA steps due"; meeting items come from the read model."""

_RANK = {"overdue": 1, "due": 2, "todo": 3}


def _status(due: date | None, today: date) -> str:
    if due is not None and due < today:
        return "overdue"
    return "due" if due == today else "todo"


def load(conn: sqlite3.Connection, day: date) -> list[SectionLine]:
    """Open items as of the local today (the day after the ops day under review)."""
    from opsdesk.domain.review import action_text, age_days
    from opsdesk.store.actions import open_due
    from opsdesk.store.risks import list_risks
    from opsdesk.store.settings import read as read_settings
    from opsdesk.views.meetings import build_standup_meeting, store_day

    today = day + timedelta(days=1)
    record = build_standup_meeting(conn, day, today)
    ranked: list[tuple[int, SectionLine]] = []
    mine = [a for a in record.actions if a.status == "open" and a.item.due and a.item.due <= today]
    for a in [*record.carried, *mine]:
        status = "overdue" if a.flagged else _status(a.item.due, today)
        text = f"DECIDE · {a.line()}" if a.flagged else a.line()
        ranked.append((0 if a.flagged else _RANK[status], SectionLine(status, text)))
    others = [i for i in open_due(conn, today) if i.source_kind not in OTHER_KINDS_SKIPPED]
    if others:
        tz = read_settings(conn).timezone
        risk_keys = (
            {r.id: r.risk.key for r in list_risks(conn)}
            if any(i.source_kind == "risk" for i in others)
            else {}
        )
        for i in others:
            where = risk_keys.get(i.source_id, str(i.source_id))
            age = age_days(store_day(i.created_at, tz), today)
            text = action_text(
                i.key, "open", i.text, i.owner, origin=f"{i.source_kind} {where}", due=i.due,
                age=age,
            )  # fmt: skip
            status = _status(i.due, today)
            ranked.append((_RANK[status], SectionLine(status, text)))
    ranked.sort(key=lambda x: x[0])  # stable: oldest first within a rank
    return [line for _, line in ranked]


SECTION = Section(
    key="actions",
    title="Actions open (r: the record, to close them)",
    order=40,
    load=load,
    empty_text="no action open",
)
