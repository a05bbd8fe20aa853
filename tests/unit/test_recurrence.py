"""Recurrence rules, deadlines and ops-day arithmetic (opsdesk.domain.recurrence)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from opsdesk.clock import fixed_clock, local_today
from opsdesk.domain.recurrence import (
    Deadline,
    RecurrenceError,
    Rule,
    campaign_start,
    closes_on,
    day_in_month,
    deadline_at,
    next_occurrence,
    occurrences,
    occurs_on,
    parse_deadline,
    parse_rule,
    previous_occurrence,
)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("daily", Rule("daily")),
        ("  Weekdays ", Rule("weekdays")),
        ("weekly on monday", Rule("weekly", weekday=0)),
        ("weekly on Thu", Rule("weekly", weekday=3)),
        ("monthly on 31", Rule("monthly", day=31)),
        ("quarterly on 15", Rule("quarterly", day=15)),
        ("campaign T-90", Rule("campaign", lead_days=90)),
        ("on demand", Rule("on_demand")),
    ],
)
def test_parse_rule(text: str, rule: Rule) -> None:
    assert parse_rule(text) == rule
    assert parse_rule(str(rule)) == rule  # the text form round-trips


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hourly", "unknown cadence 'hourly'"),
        ("weekly on funday", "weekday 'funday'"),
        ("monthly on 32", "day '32' must be 1 to 31"),
        ("monthly on 0", "day '0' must be 1 to 31"),
        ("campaign 30", "must be T-<days>"),
    ],
)
def test_parse_rule_errors(text: str, message: str) -> None:
    with pytest.raises(RecurrenceError, match=message):
        parse_rule(text)


def test_monthly_on_31_falls_on_the_last_day_of_shorter_months() -> None:
    rule = parse_rule("monthly on 31")
    assert occurrences(rule, date(2026, 1, 1), date(2026, 6, 30)) == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
        date(2026, 6, 30),
    ]


def test_leap_years_give_february_29() -> None:
    rule = parse_rule("monthly on 29")
    assert occurrences(rule, date(2028, 1, 1), date(2028, 3, 31)) == [
        date(2028, 1, 29),
        date(2028, 2, 29),
        date(2028, 3, 29),
    ]
    assert occurrences(rule, date(2027, 1, 1), date(2027, 3, 31)) == [
        date(2027, 1, 29),
        date(2027, 2, 28),
        date(2027, 3, 29),
    ]
    assert day_in_month(2028, 2, 31) == date(2028, 2, 29)
    assert day_in_month(2100, 2, 29) == date(2100, 2, 28)  # 2100 is not a leap year
    daily = parse_rule("daily")
    assert next_occurrence(daily, date(2028, 2, 28)) == date(2028, 2, 29)
    assert closes_on(daily, date(2028, 2, 29)) == date(2028, 2, 29)


def test_quarterly_runs_in_january_april_july_october() -> None:
    rule = parse_rule("quarterly on 31")
    assert occurrences(rule, date(2026, 1, 1), date(2026, 12, 31)) == [
        date(2026, 1, 31),
        date(2026, 4, 30),
        date(2026, 7, 31),
        date(2026, 10, 31),
    ]
    assert closes_on(rule, date(2026, 4, 30)) == date(2026, 7, 30)


def test_weekdays_and_weekly() -> None:
    # 2026-11-23 is a Monday
    assert occurrences(parse_rule("weekdays"), date(2026, 11, 21), date(2026, 11, 29)) == [
        date(2026, 11, 23),
        date(2026, 11, 24),
        date(2026, 11, 25),
        date(2026, 11, 26),
        date(2026, 11, 27),
    ]
    monday = parse_rule("weekly on monday")
    assert occurs_on(monday, date(2026, 11, 23)) and not occurs_on(monday, date(2026, 11, 24))
    assert next_occurrence(monday, date(2026, 11, 23)) == date(2026, 11, 30)
    assert previous_occurrence(monday, date(2026, 11, 26)) == date(2026, 11, 23)
    # a Monday run stays open through Sunday; a Friday weekday run through the weekend
    assert closes_on(monday, date(2026, 11, 23)) == date(2026, 11, 29)
    assert closes_on(parse_rule("weekdays"), date(2026, 11, 27)) == date(2026, 11, 29)


def test_campaign_offsets_count_back_from_the_campaign_day() -> None:
    # "warm-up starts 30 days before 618"
    assert campaign_start(parse_rule("campaign T-30"), date(2026, 6, 18)) == date(2026, 5, 19)
    assert campaign_start(parse_rule("campaign T-90"), date(2026, 11, 11)) == date(2026, 8, 13)
    rule = parse_rule("campaign T-90")
    assert occurrences(rule, date(2026, 1, 1), date(2026, 12, 31)) == []  # only per campaign
    # open until 14 days after the deadline day (T+7 for 双11 is 11-18)
    assert closes_on(rule, date(2026, 8, 13), date(2026, 11, 18)) == date(2026, 12, 2)
    assert closes_on(parse_rule("on demand"), date(2026, 8, 13)) is None
    with pytest.raises(RecurrenceError):
        next_occurrence(rule, date(2026, 1, 1))


@pytest.mark.parametrize(
    ("text", "deadline"),
    [
        ("10:30", Deadline(0, time(10, 30), "run")),
        ("+2d", Deadline(2, None, "run")),
        ("+2d 18:00", Deadline(2, time(18, 0), "run")),
        ("T-30", Deadline(-30, None, "campaign")),
        ("t+7 12:00", Deadline(7, time(12, 0), "campaign")),
        ("T+0", Deadline(0, None, "campaign")),
    ],
)
def test_parse_deadline(text: str, deadline: Deadline) -> None:
    assert parse_deadline(text) == deadline
    assert parse_deadline(str(deadline)) == deadline  # the text form round-trips


@pytest.mark.parametrize("text", ["25:00", "10:75", "tomorrow", "+2", "T-x", "10:00 +2d", ""])
def test_parse_deadline_errors(text: str) -> None:
    with pytest.raises(RecurrenceError, match="deadline"):
        parse_deadline(text)


def test_deadlines_are_wall_clock_in_the_store_timezone() -> None:
    shanghai = "Asia/Shanghai"  # UTC+8, no DST
    day = date(2026, 11, 23)
    assert deadline_at(parse_deadline("11:00"), day, shanghai) == datetime(
        2026, 11, 23, 3, 0, tzinfo=UTC
    )
    # no time: the end of the ops day, i.e. the next calendar day at the cutoff hour
    assert deadline_at(parse_deadline("+0d"), day, shanghai) == datetime(
        2026, 11, 23, 16, 0, tzinfo=UTC
    )
    assert deadline_at(parse_deadline("+0d"), day, shanghai, cutoff_hour=4) == datetime(
        2026, 11, 23, 20, 0, tzinfo=UTC
    )
    assert deadline_at(
        parse_deadline("T-60"), date(2026, 3, 20), shanghai, 0, campaign_day=date(2026, 6, 18)
    ) == datetime(2026, 4, 19, 16, 0, tzinfo=UTC)
    with pytest.raises(RecurrenceError, match="campaign day"):
        deadline_at(parse_deadline("T-60"), day, shanghai)


def test_a_daylight_saving_change_does_not_shift_deadlines() -> None:
    ny = "America/New_York"  # clocks go forward on 2026-03-08 02:00
    nine = parse_deadline("09:00")
    assert deadline_at(nine, date(2026, 3, 7), ny) == datetime(2026, 3, 7, 14, 0, tzinfo=UTC)
    assert deadline_at(nine, date(2026, 3, 8), ny) == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)
    end = parse_deadline("+0d")  # a 23-hour ops day still ends at local midnight
    assert deadline_at(end, date(2026, 3, 8), ny) == datetime(2026, 3, 9, 4, 0, tzinfo=UTC)
    assert deadline_at(end, date(2026, 3, 7), ny) == datetime(2026, 3, 8, 5, 0, tzinfo=UTC)


def test_the_ops_day_follows_the_store_timezone_and_cutoff() -> None:
    # 19:30 UTC on the 22nd is 03:30 on the 23rd in Shanghai
    clock = fixed_clock(datetime(2026, 11, 22, 19, 30))
    assert local_today(clock, "Asia/Shanghai") == date(2026, 11, 23)
    assert local_today(clock, "Asia/Shanghai", cutoff_hour=4) == date(2026, 11, 22)
    assert local_today(clock, "UTC") == date(2026, 11, 22)
