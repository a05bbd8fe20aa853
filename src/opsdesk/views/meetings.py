"""The meeting record's read models: a stand-up's meeting (date, attendees, notes, decisions,
its action items and every earlier meeting's action still open, with its age), and "what was
open as of" any past day or week.

Action items of meetings (stand-ups and reviews) carry over to the next stand-up and review
until they are done or dropped. Their history is kept: an item closed after the day asked
for shows as open on that day, an item written after it is not shown. An open item carried
through three reviews (or more) without being done is flagged for a decision.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from opsdesk.clock import Clock
from opsdesk.domain import review as rules
from opsdesk.domain.periods import week_of
from opsdesk.domain.times import local_label, parse_instant
from opsdesk.store import review as store
from opsdesk.store.actions import ActionItem
from opsdesk.store.settings import read as read_settings
from opsdesk.store.settings import store_today

KIND_NAMES = {"standup": "stand-up", "review": "review"}


@dataclass(frozen=True)
class MeetingAction:
    """A meeting's action item as it stood on a day (`status` as of then)."""

    item: ActionItem
    kind: str  # standup / review
    period: str  # the stand-up's day or the review's ISO week
    status: str  # open / done / dropped, as of the day asked for
    age_days: int | None  # open: days since it was written
    carried: int  # reviews held since the meeting it came from, while open
    flagged: bool  # carried through three reviews or more: needs a decision

    @property
    def key(self) -> str:
        return self.item.key

    @property
    def origin(self) -> str:
        return f"{KIND_NAMES[self.kind]} {self.period}"

    @property
    def origin_week(self) -> str:
        """The ISO week the item was written for (a stand-up's: the week of its day)."""
        return (
            self.period if self.kind == "review" else week_of(date.fromisoformat(self.period)).key
        )

    def line(self) -> str:
        """`standup/3/1 [open 9 days] call the carrier — li.na, due 2026-12-04 (stand-up …)`."""
        return rules.action_text(
            self.key,
            self.status,
            self.item.text,
            self.item.owner,
            origin=self.origin,
            due=self.item.due,
            age=self.age_days,
            carried=self.carried,
            flagged=self.flagged,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.key,
            "from": self.origin,
            "from_week": self.origin_week,
            "text": self.item.text,
            "owner": self.item.owner,
            "due": None if self.item.due is None else self.item.due.isoformat(),
            "status": self.status,
            "age_days": self.age_days,
            "carried": self.carried,
            "flagged": self.flagged,
        }


def store_day(at: str, tz: str) -> date:
    """The store-timezone day of a stored UTC instant."""
    instant = parse_instant(at)
    assert instant is not None
    return instant.astimezone(ZoneInfo(tz)).date()


def _reviews_held(conn: sqlite3.Connection, as_of: date) -> list[str]:
    """The review weeks held by `as_of`: a week's review is held after its Sunday."""
    return [k for k in store.review_weeks(conn) if rules.parse_week(k).end < as_of]


def as_of(
    conn: sqlite3.Connection,
    day: date,
    *,
    current: bool = False,
    kinds: tuple[str, ...] = ("standup", "review"),
) -> list[MeetingAction]:
    """Every meeting action item with its status and age on `day`, oldest first. For a past
    day (`current` False) only the items written by then, and an item done or dropped later
    shows open; `current`: every item in its present state (ages still counted to `day`)."""
    held = _reviews_held(conn, day)
    tz = read_settings(conn).timezone
    out = []
    for kind, period, item in store.meeting_actions(conn):
        if kind not in kinds or (not current and store_day(item.created_at, tz) > day):
            continue
        closed = current or (item.closed_at is not None and store_day(item.closed_at, tz) <= day)
        status = item.status if closed else "open"
        origin = period if kind == "review" else week_of(date.fromisoformat(period)).key
        carried = rules.reviews_carried(held, origin, "9999-W99") if status == "open" else 0
        age = rules.age_days(store_day(item.created_at, tz), day) if status == "open" else None
        out.append(MeetingAction(item, kind, period, status, age, carried, rules.flagged(carried)))
    return out


def open_as_of(
    conn: sqlite3.Connection, day: date, *, current: bool = False
) -> list[MeetingAction]:
    """What was open at the end of `day` (a past week: its Sunday), from every meeting;
    `current`: what is open now (ages counted to `day`)."""
    return [a for a in as_of(conn, day, current=current) if a.status == "open"]


@dataclass(frozen=True)
class StandupMeeting:
    """The stand-up's meeting record for an ops day."""

    day: date
    meeting: store.Meeting | None
    decisions: list[store.Decision]
    actions: list[MeetingAction]  # this stand-up's, whatever their state
    carried: list[MeetingAction]  # earlier meetings' items still open (stand-ups, reviews)
    seen_logins: list[str]
    updated: str  # "wang.wei 09:12" (store time) or ""

    @property
    def version(self) -> int:
        return self.meeting.version if self.meeting else 0

    @property
    def decisions_seen(self) -> int:
        return self.decisions[-1].number if self.decisions else 0

    @property
    def actions_seen(self) -> int:
        return max((a.item.number for a in self.actions), default=0)

    def lines(self, keys: bool = True) -> list[tuple[str, str]]:
        """(row key, text) in the order shown: the meeting, notes, decisions, actions; `keys`:
        empty items name the app's key that fills them (`none yet (d)`)."""

        def hint(key: str) -> str:
            return f" ({key})" if keys else ""

        m = self.meeting
        who = ", ".join(m.attendees) if m and m.attendees else f"no attendees yet{hint('t')}"
        rows = [("meeting", f"Stand-up {self.day}: {who}")]
        rows.append(
            ("notes", f"Notes: {m.notes}" if m and m.notes else f"Notes: none yet{hint('w')}")
        )
        if not self.decisions:
            rows.append(("decisions", f"Decisions: none yet{hint('d')}"))
        rows += [(f"decision/{d.number}", f"Decision {d.number}. {d.text} ({d.decided_by})")
                 for d in self.decisions]  # fmt: skip
        if not self.actions:
            rows.append(("actions", f"Actions of this stand-up: none yet{hint('a')}"))
        rows += [(f"action/{a.key}", a.line()) for a in self.actions]
        flagged = sum(1 for a in self.carried if a.flagged)
        title = f"Carried over, still open: {len(self.carried)}"
        if flagged:
            title += f" ({flagged} carried 3+ reviews without progress: decide)"
        rows.append(("carried", title if self.carried else "Carried over: nothing open"))
        rows += [(f"action/{a.key}", a.line()) for a in self.carried]
        return rows

    def action(self, key: str) -> MeetingAction | None:
        return next((a for a in [*self.actions, *self.carried] if a.key == key), None)

    def as_dict(self) -> dict[str, Any]:
        m = self.meeting
        return {
            "day": self.day.isoformat(),
            "attendees": list(m.attendees) if m else [],
            "notes": m.notes if m else "",
            "decisions": [
                {"number": d.number, "text": d.text, "by": d.decided_by, "at": d.decided_at}
                for d in self.decisions
            ],
            "actions": [a.as_dict() for a in self.actions],
            "carried": [a.as_dict() for a in self.carried],
        }


def build_standup_meeting(conn: sqlite3.Connection, day: date, today: date) -> StandupMeeting:
    """The stand-up of the ops day `day`, looked at on `today` (the local date): its record
    and every earlier meeting's action item still open. The current stand-up (held today or
    yesterday) shows each item's present state; an older one shows them as they stood the
    day after `day`, when it was held."""
    period = day.isoformat()
    meeting = store.get_meeting(conn, "standup", period)
    current = today <= day + timedelta(days=1)
    every = as_of(conn, today if current else day + timedelta(days=1), current=current)
    mine = [a for a in every if a.kind == "standup" and a.period == period]
    carried = [
        a for a in every if a.status == "open" and not (a.kind == "standup" and a.period >= period)
    ]
    updated = ""
    if meeting is not None and meeting.version > 1:
        tz = read_settings(conn).timezone
        updated = f"{meeting.updated_by} {local_label(meeting.updated_at, tz)}"
    return StandupMeeting(
        day,
        meeting,
        store.decisions(conn, "standup", period),
        mine,
        carried,
        store.seen_logins(conn),
        updated,
    )


def standup_actions_for_review(
    conn: sqlite3.Connection, week_key: str, held: list[str], day: date, *, current: bool
) -> list[dict[str, Any]]:
    """The stand-ups' action items a review of `week_key` shows, as they stood on `day`
    (`current`: in their present state): every one still open (carried, with its age and
    the reviews `held` since its week) and those of the week's stand-ups done or dropped.
    Rows shaped like the review's `actions`."""
    week = rules.parse_week(week_key)
    out = []
    for a in as_of(conn, day, current=current, kinds=("standup",)):
        if date.fromisoformat(a.period) > week.end:
            continue
        if a.status != "open" and date.fromisoformat(a.period) not in week:
            continue
        carried = rules.reviews_carried(held, a.origin_week, week_key) if a.status == "open" else 0
        row = a.as_dict()
        row.pop("from")
        row.update(carried=carried, flagged=rules.flagged(carried))
        out.append(row)
    return out


def cleared_label(conn: sqlite3.Connection, meeting: store.Meeting | None) -> str:
    """Who cleared the rest of a review's deck and when (store time, no year:
    `li.na 11-23 10:05`), or ""."""
    if meeting is None or meeting.cleared_by is None:
        return ""
    at = local_label(meeting.cleared_at, read_settings(conn).timezone)
    return f"{meeting.cleared_by} {at[5:]}"


def standup_meeting_on(conn: sqlite3.Connection, day: date, clock: Clock) -> StandupMeeting:
    """The stand-up of `day` as it is looked at now (`clock`, in the store's timezone)."""
    today = store_today(conn, clock)
    return build_standup_meeting(conn, day, max(today, day))
