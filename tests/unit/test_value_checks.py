"""The store's write API checks values like every other path (opsdesk.domain.validation):
computed metrics, days after the ops day, units and scales, cross-metric rules with the
stored day; all values of a save or none."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

import pytest

from opsdesk.clock import fixed_clock
from opsdesk.domain.metrics import Metric
from opsdesk.domain.validation import ValueRefused, check_cross, check_value
from opsdesk.io.values import parse_number
from opsdesk.store import shops
from opsdesk.store.observations import get_value, set_values

DAY = date(2026, 11, 21)
CLOCK = fixed_clock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))  # ops day 2026-11-21 in Shanghai


@pytest.fixture
def shop(conn: sqlite3.Connection) -> sqlite3.Connection:
    shops.add(conn, "jd-home", "JD home", "jd")
    set_values(conn, "jd-home", DAY, {"visitors": 100, "buyers": 10}, clock=CLOCK)
    return conn


def dump(conn: sqlite3.Connection) -> list[str]:
    return list(conn.iterdump())


@pytest.mark.parametrize(
    ("values", "day", "message"),
    [
        (
            {"sop_due": 9},
            DAY,
            "sop_due: sop_due (SOP runs due) is computed by opsdesk from other records,"
            " not entered",
        ),
        (
            {"orders": 5},
            date(2026, 11, 22),
            "day: 2026-11-22 is after the ops day 2026-11-21: no values for a day that has not"
            " been reviewed yet",
        ),
        ({"buyers": 12.5}, DAY, "buyers: Buyers is a count: 12.5 is not a whole number"),
        ({"dsr": 7}, DAY, "dsr: DSR score is a score from 0 to 5: 7 is off the scale"),
        (
            {"gmv": 1e300},
            DAY,
            "gmv: GMV: 1e+300 is beyond any plausible value for an amount in CNY"
            " (at most 100,000,000,000)",
        ),
        (
            {"orders": 3, "buyers": 101},
            DAY,
            "buyers: Buyers 101 is more than Visitors 100 (buyers ≤ visitors)",
        ),
        (
            {"visitors": 9},
            DAY,
            "visitors: Buyers 10 is more than Visitors 9 (buyers ≤ visitors)",
        ),
    ],
)
def test_a_refused_save_names_the_field_and_writes_nothing(
    shop: sqlite3.Connection, values: dict[str, float], day: date, message: str
) -> None:
    before = dump(shop)
    with pytest.raises(ValueRefused) as refused:
        set_values(shop, "jd-home", day, values, clock=CLOCK)
    assert str(refused.value) == message
    assert dump(shop) == before  # not even the good value of the same save (orders 3)


def test_a_save_that_keeps_the_rules_is_written_whole(shop: sqlite3.Connection) -> None:
    assert set_values(shop, "jd-home", DAY, {"visitors": 50, "buyers": 50}, clock=CLOCK) == 2
    assert get_value(shop, "jd-home", "visitors", DAY) == 50.0
    assert get_value(shop, "jd-home", "buyers", DAY) == 50.0
    # a day stored against a rule (written before the rule existed) does not block an
    # unrelated correction, only a change to one of the two metrics
    shop.execute(
        "UPDATE observations SET value = 70 WHERE day = ?"
        " AND metric_id = (SELECT id FROM metrics WHERE key = 'buyers')",
        (DAY.isoformat(),),
    )
    assert set_values(shop, "jd-home", DAY, {"orders": 65}, clock=CLOCK) == 1
    with pytest.raises(ValueRefused, match="Buyers 70 is more than Visitors 60"):
        set_values(shop, "jd-home", DAY, {"visitors": 60}, clock=CLOCK)


def test_parse_number_refuses_a_sign_alone() -> None:
    for text in ("¥", "￥", "%", "¥%", " ¥ ", "-", "+", "-¥"):
        with pytest.raises(ValueError) as refused:
            parse_number(text)
        assert str(refused.value) == f"{text.strip()!r} is not a number"


def test_unit_rules_and_cross_rules() -> None:
    share = Metric("paid_share_in", "Paid share", unit="%")
    hours = Metric("late_hours", "Late hours", unit="h")
    assert check_value(share, 0.3) is None
    assert check_value(share, 1.2) == (
        "Paid share is a fraction from 0 to 1 (0% to 100%): 1.2 is off the scale"
    )
    assert check_value(hours, 1.5) is None
    assert check_value(hours, 1e9) == (
        "Late hours: 1e+09 is beyond any plausible value for a duration in hours"
        " (at most 100,000,000)"
    )
    metrics = {
        "reviews": Metric("reviews", "Reviews"),
        "negative_reviews": Metric("negative_reviews", "Negative reviews"),
    }
    day = {"reviews": 5.0, "negative_reviews": 6.0}
    assert [(r.field, r.other, r.reason) for r in check_cross(day, ["reviews"], metrics)] == [
        (
            "reviews",
            "negative_reviews",
            "Negative reviews 6 is more than Reviews 5 (negative_reviews ≤ reviews)",
        )
    ]
    assert check_cross(day, ["gmv"], metrics) == []  # broken before, not by this change
