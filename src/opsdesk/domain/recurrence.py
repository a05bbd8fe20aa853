"""When a checklist is due: recurrence rules, deadlines and the ops-day arithmetic behind them.

Rules are written as text in a template (`cadence:`) and parsed here:

- `daily`: every day.
- `weekdays`: Monday to Friday.
- `weekly on <weekday>`: e.g. `weekly on monday` (or `mon`).
- `monthly on <day>`: day 1–31; in a month without that day the run falls on the month's
  last day (`monthly on 31` is 30 April, 28 or 29 February).
- `quarterly on <day>`: in January, April, July and October, clamped like `monthly`.
- `campaign T-<n>`: one run per campaign (618 on 2026-06-18…), starting n days before the
  campaign day (`campaign T-90`: planning starts three months ahead).
- `on demand`: only when someone starts it (crisis response, platform rule change).

A run belongs to the ops day it is due on. It stays open until its window closes: the day
before the next occurrence (a daily run closes at the end of its own day, a Monday review on
Sunday), or for a campaign 14 days after its deadline. An unfinished run whose window has closed
is *missed*: one record per due date, never a backlog of open copies.

Deadlines (`due:` and `{by …}`) are `HH:MM` on the anchor day, `+Nd [HH:MM]` days after the run
day, or `T-N`/`T+N [HH:MM]` relative to the campaign day. Without a time a deadline is the end
of that ops day: the next calendar day at the store's cutoff hour, local time. Times are wall
clock in the store's timezone and converted to UTC through zoneinfo, so no fixed offset is
assumed anywhere.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
KINDS = ("daily", "weekdays", "weekly", "monthly", "quarterly", "campaign", "on_demand")
QUARTER_MONTHS = (1, 4, 7, 10)
CAMPAIGN_GRACE_DAYS = 14
"""A campaign run stays open (and can finish late) this many days after its deadline."""


class RecurrenceError(ValueError):
    """A rule or deadline that cannot be parsed; the message says what is accepted."""


@dataclass(frozen=True)
class Rule:
    kind: str
    weekday: int | None = None  # 0 = Monday, for weekly
    day: int | None = None  # 1-31, for monthly and quarterly
    lead_days: int = 0  # for campaign: the run starts this many days before the campaign day

    @property
    def recurring(self) -> bool:
        return self.kind not in ("campaign", "on_demand")

    def __str__(self) -> str:
        if self.kind == "weekly":
            return f"weekly on {WEEKDAYS[self.weekday or 0]}"
        if self.kind in ("monthly", "quarterly"):
            return f"{self.kind} on {self.day}"
        if self.kind == "campaign":
            return f"campaign T-{self.lead_days}"
        if self.kind == "on_demand":
            return "on demand"
        return self.kind


def parse_rule(text: str) -> Rule:
    """A rule from its text form (case and extra spaces ignored)."""
    words = text.strip().lower().split()
    joined = " ".join(words)
    if joined in ("daily", "weekdays"):
        return Rule(joined)
    if joined in ("on demand", "on-demand", "on event"):
        return Rule("on_demand")
    if len(words) == 3 and words[0] == "weekly" and words[1] == "on":
        return Rule("weekly", weekday=parse_weekday(words[2]))
    if len(words) == 3 and words[0] in ("monthly", "quarterly") and words[1] == "on":
        if not words[2].isdigit() or not 1 <= int(words[2]) <= 31:
            raise RecurrenceError(f"{words[0]} rule: day {words[2]!r} must be 1 to 31")
        return Rule(words[0], day=int(words[2]))
    if len(words) == 2 and words[0] == "campaign":
        m = re.fullmatch(r"t-(\d{1,3})", words[1])
        if not m:
            raise RecurrenceError(
                f"campaign rule: {words[1]!r} must be T-<days>, e.g. 'campaign T-90'"
            )
        return Rule("campaign", lead_days=int(m.group(1)))
    raise RecurrenceError(
        f"unknown cadence {text.strip()!r}: use daily, weekdays, 'weekly on monday', "
        "'monthly on 31', 'quarterly on 15', 'campaign T-90' or 'on demand'"
    )


def parse_weekday(word: str) -> int:
    w = word.strip().lower()
    for i, name in enumerate(WEEKDAYS):
        if w in (name, name[:3]):
            return i
    raise RecurrenceError(f"weekday {word!r}: use monday … sunday (or mon … sun)")


def day_in_month(year: int, month: int, day: int) -> date:
    """`day` of the month, or the month's last day when the month is shorter."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def occurs_on(rule: Rule, d: date) -> bool:
    """Whether a recurring rule has a run due on day `d` (never for campaign / on demand)."""
    if rule.kind == "daily":
        return True
    if rule.kind == "weekdays":
        return d.weekday() < 5
    if rule.kind == "weekly":
        return d.weekday() == rule.weekday
    if rule.kind == "monthly":
        return d == day_in_month(d.year, d.month, rule.day or 1)
    if rule.kind == "quarterly":
        return d.month in QUARTER_MONTHS and d == day_in_month(d.year, d.month, rule.day or 1)
    return False


def occurrences(rule: Rule, start: date, end: date) -> list[date]:
    """Every due day of a recurring rule from `start` to `end`, both included."""
    if not rule.recurring or end < start:
        return []
    out = []
    d = start
    while d <= end:
        if occurs_on(rule, d):
            out.append(d)
        d += timedelta(days=1)
    return out


def next_occurrence(rule: Rule, after: date) -> date:
    """The first due day strictly after `after` (recurring rules only)."""
    if not rule.recurring:
        raise RecurrenceError(f"{rule} has no next occurrence")
    d = after + timedelta(days=1)
    while not occurs_on(rule, d):
        d += timedelta(days=1)
    return d


def previous_occurrence(rule: Rule, on_or_before: date) -> date | None:
    """The latest due day on or before a day (recurring rules only; None if none in 400 days)."""
    d = on_or_before
    for _ in range(400):
        if occurs_on(rule, d):
            return d
        d -= timedelta(days=1)
    return None


def closes_on(rule: Rule, run_day: date, deadline_day: date | None = None) -> date | None:
    """The last ops day a run due on `run_day` can still be worked; None: never closes."""
    if rule.recurring:
        return next_occurrence(rule, run_day) - timedelta(days=1)
    if rule.kind == "campaign":
        return max(run_day, deadline_day or run_day) + timedelta(days=CAMPAIGN_GRACE_DAYS)
    return None


def campaign_start(rule: Rule, campaign_day: date) -> date:
    """The day a campaign run starts: T minus the rule's lead days."""
    return campaign_day - timedelta(days=rule.lead_days)


@dataclass(frozen=True)
class Deadline:
    """A deadline relative to an anchor day: the run day, or the campaign day (T)."""

    days: int = 0
    at: time | None = None  # None: the end of that ops day
    anchor: str = "run"  # "run" or "campaign"

    def __str__(self) -> str:
        clock = f" {self.at:%H:%M}" if self.at else ""
        if self.anchor == "campaign":
            return f"T{self.days:+d}{clock}"
        if self.days:
            return f"+{self.days}d{clock}"
        return f"{self.at:%H:%M}" if self.at else "end of day"


_OFFSET = re.compile(r"^(?:(?P<t>[tT])(?P<sign>[+-])(?P<tdays>\d{1,3})|\+(?P<days>\d{1,3})d)$")
_TIME = re.compile(r"^(?P<hh>\d{1,2}):(?P<mm>\d{2})$")


def parse_deadline(text: str) -> Deadline:
    """`10:30`, `+2d`, `+2d 18:00`, `T-30`, `T+7 12:00`."""
    s = text.strip()
    usage = f"deadline {s!r}: use HH:MM, +Nd, +Nd HH:MM, T-N or T+N (campaigns)"
    parts = s.split()
    if not 1 <= len(parts) <= 2:
        raise RecurrenceError(usage)
    offset = _OFFSET.match(parts[0])
    clock = _TIME.match(parts[-1])
    if (len(parts) == 2 and not (offset and clock)) or (len(parts) == 1 and not (offset or clock)):
        raise RecurrenceError(usage)
    at = None
    if clock:
        hh, mm = int(clock["hh"]), int(clock["mm"])
        if hh > 23 or mm > 59:
            raise RecurrenceError(f"deadline {s!r}: {hh:02d}:{mm:02d} is not a time of day")
        at = time(hh, mm)
    if offset and offset["t"]:
        n = int(offset["tdays"])
        return Deadline(n if offset["sign"] == "+" else -n, at, "campaign")
    return Deadline(int(offset["days"]) if offset else 0, at, "run")


def deadline_day(deadline: Deadline, run_day: date, campaign_day: date | None) -> date:
    """The calendar day a deadline falls on."""
    if deadline.anchor == "campaign":
        if campaign_day is None:
            raise RecurrenceError(f"deadline {deadline} is relative to a campaign day (T)")
        return campaign_day + timedelta(days=deadline.days)
    return run_day + timedelta(days=deadline.days)


def deadline_at(
    deadline: Deadline,
    run_day: date,
    tz_name: str,
    cutoff_hour: int = 0,
    campaign_day: date | None = None,
) -> datetime:
    """The instant (UTC) a deadline falls on, in the store's timezone and cutoff."""
    day = deadline_day(deadline, run_day, campaign_day)
    return local_instant(day, deadline.at, tz_name, cutoff_hour)


def local_instant(day: date, at: time | None, tz_name: str, cutoff_hour: int = 0) -> datetime:
    """Wall-clock `at` on `day` in the store's timezone as UTC; `None`: the end of the ops day."""
    tz = ZoneInfo(tz_name)
    if at is None:
        local = datetime.combine(day + timedelta(days=1), time(cutoff_hour), tzinfo=tz)
    else:
        local = datetime.combine(day, at, tzinfo=tz)
    return local.astimezone(UTC)
