"""The KPI engine on hand-built data: rollups, targets in force, status (exact numbers)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from opsdesk.domain import all_shops, periods
from opsdesk.domain.kpis import (
    PeriodTarget,
    Target,
    Targets,
    aggregate,
    assess,
    relative_change,
    rollup,
    status,
)
from opsdesk.domain.metrics import Metric, parse_formula

BASE = {"visitors", "buyers", "gmv", "stockout_skus", "active_skus", "dsr"}
M = {
    "visitors": Metric("visitors", "Visitors", direction="up"),
    "buyers": Metric("buyers", "Buyers", direction="up"),
    "gmv": Metric("gmv", "GMV", unit="CNY", direction="up"),
    "dsr": Metric("dsr", "DSR", unit="score", direction="up", aggregation="last"),
    "stockout_skus": Metric("stockout_skus", "Stock-out SKUs", aggregation="last"),
    "active_skus": Metric("active_skus", "Active SKUs", aggregation="last"),
    "conversion_rate": Metric(
        "conversion_rate",
        "Conversion",
        unit="%",
        direction="up",
        formula=parse_formula("buyers / visitors", BASE),
    ),
    "stockout_rate": Metric(
        "stockout_rate",
        "Stock-out rate",
        unit="%",
        direction="down",
        formula=parse_formula("stockout_skus / active_skus", BASE),
    ),
}
MON = date(2026, 11, 16)
DAYS = [MON + timedelta(days=i) for i in range(7)]


def test_ratio_of_sums_not_mean_of_ratios() -> None:
    daily = {
        DAYS[0]: {"visitors": 100.0, "buyers": 10.0},  # 10%
        DAYS[1]: {"visitors": 900.0, "buyers": 9.0},  # 1%
    }
    conv = aggregate(M["conversion_rate"], M, [daily], DAYS)
    assert conv == 19 / 1000  # 1.9%, where the mean of the daily rates would be 5.5%
    assert aggregate(M["visitors"], M, [daily], DAYS) == 1000.0


def test_days_missing_an_input_do_not_count_for_a_ratio() -> None:
    daily = {
        DAYS[0]: {"visitors": 100.0, "buyers": 5.0},
        DAYS[1]: {"buyers": 50.0},  # visitors not recorded that day
    }
    assert aggregate(M["conversion_rate"], M, [daily], DAYS) == 0.05
    assert aggregate(M["buyers"], M, [daily], DAYS) == 55.0


def test_zero_or_missing_denominator_is_none_never_zero() -> None:
    zero = {DAYS[0]: {"visitors": 0.0, "buyers": 0.0}}
    assert aggregate(M["conversion_rate"], M, [zero], DAYS) is None
    no_visitors = {DAYS[0]: {"buyers": 7.0, "gmv": 700.0}}
    assert aggregate(M["conversion_rate"], M, [no_visitors], DAYS) is None
    assert aggregate(M["visitors"], M, [no_visitors], DAYS) is None
    assert aggregate(M["visitors"], M, [zero], DAYS) == 0.0


def test_last_is_the_value_on_the_latest_day_with_data() -> None:
    daily = {
        DAYS[0]: {"dsr": 4.9, "stockout_skus": 10.0, "active_skus": 200.0},
        DAYS[2]: {"dsr": 4.7, "stockout_skus": 30.0, "active_skus": 600.0},
        DAYS[4]: {"visitors": 5.0},
    }
    values = rollup(M, [daily], DAYS)
    assert values["dsr"] == 4.7
    assert values["stockout_rate"] == 30 / 600  # levels: last over last, not summed
    assert values["active_skus"] == 600.0


def test_across_shops_sums_counts_and_averages_scores() -> None:
    a = {DAYS[0]: {"visitors": 1000.0, "buyers": 40.0, "dsr": 4.8, "active_skus": 100.0}}
    b = {DAYS[0]: {"visitors": 500.0, "buyers": 30.0, "dsr": 4.6, "active_skus": 50.0}}
    c = {DAYS[0]: {"buyers": 99.0}}  # no visitors: left out of the ratio
    values = rollup(M, [a, b, c], DAYS[:1])
    assert values["conversion_rate"] == 70 / 1500
    assert values["buyers"] == 169.0
    assert values["dsr"] == pytest.approx(4.7)
    assert values["active_skus"] == 150.0


def test_iso_week_across_a_year_end_rolls_up_its_seven_days() -> None:
    w = periods.parse("week", "2026-W01")
    daily = {date(2025, 12, 28): {"gmv": 1.0}}  # Sunday of 2025-W52
    daily.update({d: {"gmv": 10.0} for d in w.days()})
    daily[date(2026, 1, 5)] = {"gmv": 1000.0}  # Monday of 2026-W02
    assert aggregate(M["gmv"], M, [daily], w.days()) == 70.0


def _t(
    i: int,
    key: str,
    value: float,
    shop: str | None = None,
    frm: date | None = None,
    to: date | None = None,
    amber: float = 0.0,
) -> Target:
    return Target(i, key, shop, frm, to, value, amber)


def test_shop_target_beats_all_shops_and_latest_valid_from_wins() -> None:
    t = Targets(
        [
            _t(1, "conversion_rate", 0.05),
            _t(2, "conversion_rate", 0.06, frm=DAYS[3]),
            _t(3, "conversion_rate", 0.04, shop="jd-home"),
            _t(4, "conversion_rate", 0.03, shop="jd-home", frm=DAYS[5], to=DAYS[5]),
            _t(5, "conversion_rate", 0.07, frm=DAYS[3]),  # same scope, set later: wins the tie
        ]
    )
    assert t.in_force("conversion_rate", "tmall", DAYS[0]).value == 0.05  # type: ignore[union-attr]
    assert t.in_force("conversion_rate", "tmall", DAYS[3]).value == 0.07  # type: ignore[union-attr]
    assert t.in_force("conversion_rate", "jd-home", DAYS[4]).value == 0.04  # type: ignore[union-attr]
    assert t.in_force("conversion_rate", "jd-home", DAYS[5]).value == 0.03  # type: ignore[union-attr]
    assert t.in_force("conversion_rate", "jd-home", DAYS[6]).value == 0.04  # type: ignore[union-attr]
    assert t.in_force("conversion_rate", None, DAYS[6]).value == 0.07  # type: ignore[union-attr]
    assert t.in_force("gmv", "tmall", DAYS[0]) is None


def test_target_changing_mid_week_blends_exactly() -> None:
    t = Targets(
        [
            _t(1, "gmv", 10000.0, amber=1000.0, to=DAYS[2]),
            _t(2, "gmv", 12000.0, amber=500.0, frm=DAYS[3]),
            _t(3, "conversion_rate", 0.04, amber=0.007, to=DAYS[2]),
            _t(4, "conversion_rate", 0.05, amber=0.0, frm=DAYS[3]),
        ]
    )
    gmv = t.for_period(M["gmv"], "tmall", DAYS)
    assert gmv == PeriodTarget(3 * 10000 + 4 * 12000, 3 * 1000 + 4 * 500)  # 78,000 / 5,000
    conv = t.for_period(M["conversion_rate"], "tmall", DAYS)
    assert conv is not None
    assert conv.value == pytest.approx((3 * 0.04 + 4 * 0.05) / 7)  # 4.571%
    assert conv.amber == pytest.approx(0.003)
    # a summed target missing on some days of the period is no target at all
    partial = Targets([_t(1, "gmv", 10000.0, frm=DAYS[3])])
    assert partial.for_period(M["gmv"], "tmall", DAYS) is None
    assert partial.for_period(M["gmv"], "tmall", DAYS[3:]) == PeriodTarget(40000.0, 0.0)
    # all shops: summed targets add up per shop (domain.all_shops; tested in test_all_shops)
    shops = Targets([_t(1, "gmv", 100.0, shop="a"), _t(2, "gmv", 50.0, shop="b")])
    row = {"visitors": 1.0, "buyers": 1.0, "gmv": 1.0}
    counted = {k: {d: row for d in DAYS[:2]} for k in ("a", "b")}
    assert all_shops.target(shops, M["gmv"], M, counted, DAYS[:2]) == PeriodTarget(300.0, 0.0)
    counted["c"] = {DAYS[0]: row}
    assert all_shops.target(shops, M["gmv"], M, counted, DAYS[:2]) is None


@pytest.mark.parametrize(
    ("direction", "value", "expected"),
    [
        ("up", 0.05, "green"),
        ("up", 0.051, "green"),
        ("up", 0.045, "amber"),
        ("up", 0.0449, "red"),
        ("down", 0.30, "green"),
        ("down", 0.33, "amber"),
        ("down", 0.3301, "red"),
        (None, 0.9, "none"),
        ("up", None, "none"),
    ],
)
def test_status_by_direction_and_amber_band(
    direction: str | None, value: float | None, expected: str
) -> None:
    target = PeriodTarget(0.05, 0.005) if direction == "up" else PeriodTarget(0.30, 0.03)
    assert status(direction, value, target) == expected


def test_stale_is_never_green_and_no_target_is_none() -> None:
    assert status("up", 0.09, PeriodTarget(0.05, 0.0), data=False) == "stale"
    assert status("up", 0.09, None) == "none"
    assert status("down", 0.0, PeriodTarget(0.0, 0.0)) == "green"
    assert status("down", 0.01, PeriodTarget(0.0, 0.0)) == "red"


def test_assess_and_relative_change() -> None:
    assert relative_change(105.0, 100.0) == pytest.approx(0.05)
    assert relative_change(-5.0, -10.0) == pytest.approx(0.5)
    assert relative_change(5.0, 0.0) is None
    assert relative_change(None, 3.0) is None
    k = assess(M["gmv"], 90.0, 100.0, 60.0, PeriodTarget(100.0, 20.0))
    assert (k.value, k.previous, k.last_year, k.target, k.amber, k.status) == (
        90.0,
        100.0,
        60.0,
        100.0,
        20.0,
        "amber",
    )
    assert k.change == pytest.approx(-0.1)
    assert k.change_year == pytest.approx(0.5)
