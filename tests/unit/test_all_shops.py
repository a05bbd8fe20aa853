"""The one all-shops rule on hand-built data: which days count, like for like, derived targets.

The target numbers are the README's worked example (section "All shops").
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from opsdesk.domain import all_shops
from opsdesk.domain.coverage import (
    MISSING,
    PARTIAL,
    REPORTED,
    coverage,
    day_state,
    day_states,
    missing_headline,
    reported_only,
    summary_name,
)
from opsdesk.domain.kpis import PeriodTarget, Target, Targets
from opsdesk.domain.metrics import Metric, parse_formula

BASE = {"visitors", "buyers", "gmv", "dsr", "cs_sessions", "cs_response_seconds", "active_skus"}
M = {
    "visitors": Metric("visitors", "Visitors", direction="up"),
    "buyers": Metric("buyers", "Buyers", direction="up"),
    "gmv": Metric("gmv", "GMV", unit="CNY", direction="up"),
    "dsr": Metric("dsr", "DSR", unit="score", direction="up", aggregation="last"),
    "active_skus": Metric("active_skus", "Active SKUs", aggregation="last"),
    "cs_sessions": Metric("cs_sessions", "Chats"),
    "cs_response_seconds": Metric("cs_response_seconds", "Response time"),
    "conversion_rate": Metric(
        "conversion_rate",
        "Conversion",
        unit="%",
        direction="up",
        formula=parse_formula("buyers / visitors", BASE),
    ),
    "cs_first_response_s": Metric(
        "cs_first_response_s",
        "First response",
        unit="s",
        direction="down",
        formula=parse_formula("cs_response_seconds / cs_sessions", BASE),
    ),
}
D = date(2026, 11, 29)
D1 = D - timedelta(days=1)
D7 = D - timedelta(days=7)


def _row(visitors: float, buyers: float, gmv: float, **more: float) -> dict[str, float]:
    return {"visitors": visitors, "buyers": buyers, "gmv": gmv, **more}


# -- which days count -----------------------------------------------------------------------


def test_a_day_counts_when_the_headline_metrics_the_shop_records_are_there() -> None:
    daily = {
        D - timedelta(days=2): _row(100, 5, 500, dsr=4.8),
        D1: {"gmv": 400.0, "dsr": 4.7, "buyers": 4.0},  # no visitors: partial
        D: _row(120, 6, 600),  # no DSR: still reported (DSR is not a headline metric)
    }
    assert day_states(daily) == {D - timedelta(days=2): REPORTED, D1: PARTIAL, D: REPORTED}
    assert day_state(daily, D + timedelta(days=1)) == MISSING
    assert missing_headline(daily, D1) == ["visitors"]
    assert missing_headline(daily, D) == []
    assert reported_only(daily).keys() == {D - timedelta(days=2), D}


def test_a_shop_that_never_records_visitors_is_not_held_to_them() -> None:
    # the olist data has GMV and buyers but no visitor counts
    daily = {D1: {"gmv": 400.0, "buyers": 4.0}, D: {"gmv": 300.0, "buyers": 3.0}}
    assert day_states(daily) == {D1: REPORTED, D: REPORTED}
    # the first day with data has no earlier reported day to go by: it counts
    assert day_states({D: {"dsr": 4.8}}) == {D: REPORTED}


def test_coverage_names_the_shops_and_says_n_of_m_reporting() -> None:
    history = {D1: _row(100, 5, 500)}
    cov = coverage(
        {
            "a": {**history, D: _row(100, 5, 500)},
            "b": {**history, D: {"gmv": 450.0}},
            "c": history,
        },
        D,
    )
    assert (cov.reporting, cov.partial, cov.missing) == (("a",), ("b",), ("c",))
    assert (cov.state, cov.label) == ("partial", "1 of 3 reporting")
    assert cov.not_reporting == "c missing, b partial"
    assert summary_name(cov) == "All shops (1 of 3 reporting)"
    every = coverage({"a": {D: _row(1, 1, 1)}}, D)
    assert (every.state, every.label, summary_name(every)) == ("complete", "", "All shops")
    assert coverage({"a": history}, D).state == "missing"


# -- like for like ----------------------------------------------------------------------------


def test_a_shop_missing_today_is_left_out_of_yesterday_too() -> None:
    a = {D1: _row(1000, 40, 8000), D: _row(1100, 44, 8800)}
    b = {D1: _row(3000, 60, 9000)}  # no export for D
    dailies = [reported_only(a), reported_only(b)]
    gmv = all_shops.like_for_like(M["gmv"], M, dailies, dailies, [D], [D1])
    assert (gmv.current, gmv.reference, gmv.shops) == (8800.0, 8000.0, 1)
    assert gmv.change == pytest.approx(0.10)  # not 8,800 vs 17,000 = -48%
    conv = all_shops.like_for_like(M["conversion_rate"], M, dailies, dailies, [D], [D1])
    assert (conv.current, conv.reference) == (0.04, 0.04)
    assert conv.change == 0.0


def test_one_shops_dsr_missing_today_does_not_move_the_all_shops_dsr() -> None:
    a = {D1: _row(1000, 40, 8000, dsr=4.8), D: _row(1000, 40, 8000, dsr=4.8)}
    b = {D1: _row(1000, 40, 8000, dsr=4.6), D: _row(1000, 40, 8000)}  # DSR missing on D
    dailies = [reported_only(a), reported_only(b)]
    dsr = all_shops.like_for_like(M["dsr"], M, dailies, dailies, [D], [D1])
    # the mixed sets would say 4.8 vs mean(4.8, 4.6) = 4.7: +2.1%
    assert (dsr.current, dsr.reference, dsr.shops, dsr.change) == (4.8, 4.8, 1, 0.0)


def test_periods_pair_the_nth_days_and_drop_a_pair_reported_on_one_side_only() -> None:
    week = [D - timedelta(days=i) for i in range(6, -1, -1)]
    before = [d - timedelta(days=7) for d in week]
    a = {d: _row(100, 10, 1000) for d in week + before}
    b = {d: _row(100, 10, 1000) for d in week + before if d != week[-1]}  # b misses D
    dailies = [reported_only(a), reported_only(b)]
    gmv = all_shops.like_for_like(M["gmv"], M, dailies, dailies, week, before)
    # b's last day is dropped from the week before too: 13 shop-days on each side
    assert (gmv.current, gmv.reference, gmv.change) == (13000.0, 13000.0, 0.0)


def test_gmv_split_compares_the_same_shops() -> None:
    a = {D1: _row(1000, 40, 8000), D: _row(1100, 44, 8800)}
    b = {D1: _row(3000, 60, 9000)}
    dailies = [reported_only(a), reported_only(b)]
    before, now = all_shops.split_factors(M, dailies, dailies, [D], [D1])
    assert before is not None and now is not None
    assert (before.visitors, before.buyers, before.gmv) == (1000.0, 40.0, 8000.0)
    assert (now.visitors, now.buyers, now.gmv) == (1100.0, 44.0, 8800.0)


# -- targets: the README's worked example ------------------------------------------------------


def _t(id_: int, metric: str, value: float, shop: str | None = None, **kw: object) -> Target:
    return Target(id_, metric, shop, None, None, value, **kw)  # type: ignore[arg-type,unused-ignore]


SHOP_TARGETS = [
    _t(1, "conversion_rate", 0.05, amber=0.005),  # the catalogue default: each shop's fallback
    _t(2, "conversion_rate", 0.04, "tmall", amber=0.004),
    _t(3, "conversion_rate", 0.03, "jd", amber=0.002),
    _t(4, "gmv", 300_000.0, "tmall", amber=30_000.0),
    _t(5, "gmv", 50_000.0, "jd", amber=5_000.0),
    _t(6, "dsr", 4.8, "tmall"),
    _t(7, "dsr", 4.6, "jd"),
    _t(8, "cs_first_response_s", 4.5, "tmall"),
    _t(9, "cs_first_response_s", 5.5, "jd"),
    _t(10, "active_skus", 3200.0, "tmall"),
    _t(11, "active_skus", 1200.0, "jd"),
]
COUNTED = {
    "tmall": {
        D: _row(40_000, 1_560, 290_000, dsr=4.82, cs_sessions=2_000, cs_response_seconds=8_800)
    },
    "jd": {D: _row(10_000, 310, 52_000, dsr=4.71, cs_sessions=500, cs_response_seconds=2_600)},
}


def test_all_shops_targets_derive_from_the_shops_targets() -> None:
    targets = Targets(SHOP_TARGETS)

    def target(key: str) -> PeriodTarget | None:
        return all_shops.target(targets, M[key], M, COUNTED, [D])

    # summed: 300,000 + 50,000
    assert target("gmv") == PeriodTarget(350_000.0, 35_000.0)
    # a ratio, weighted by each shop's visitors: (4% x 40,000 + 3% x 10,000) / 50,000 = 3.8%
    conv = target("conversion_rate")
    assert conv is not None
    assert conv.value == pytest.approx(0.038, abs=1e-15)  # not the catalogue's 5%
    assert conv.amber == pytest.approx((0.004 * 40_000 + 0.002 * 10_000) / 50_000)  # 0.36%
    # first response, weighted by chats: (4.5 x 2,000 + 5.5 x 500) / 2,500 = 4.7 s
    first_response, dsr = target("cs_first_response_s"), target("dsr")
    assert first_response is not None and dsr is not None
    assert (first_response.value, first_response.amber) == (pytest.approx(4.7), 0.0)
    assert (dsr.value, dsr.amber) == (pytest.approx(4.7), 0.0)
    assert target("active_skus") == PeriodTarget(4400.0, 0.0)  # levels that add up: 3,200 + 1,200


def test_a_shop_without_its_own_target_uses_the_every_shop_one_in_the_blend() -> None:
    targets = Targets([t for t in SHOP_TARGETS if t.id != 3])  # jd falls back to 5%
    conv = all_shops.target(targets, M["conversion_rate"], M, COUNTED, [D])
    assert conv is not None
    assert conv.value == pytest.approx((0.04 * 40_000 + 0.05 * 10_000) / 50_000)  # 4.2%


def test_an_explicit_all_shops_target_wins_for_ratios_and_scores() -> None:
    targets = Targets(
        [*SHOP_TARGETS, _t(12, "conversion_rate", 0.035, explicit=True), _t(13, "gmv", 9.0)]
    )
    assert all_shops.target(targets, M["conversion_rate"], M, COUNTED, [D]) == PeriodTarget(
        0.035, 0.0
    )
    # for a summed metric an every-shop target is per shop: the total still adds up
    gmv = all_shops.target(targets, M["gmv"], M, COUNTED, [D])
    assert gmv == PeriodTarget(350_000.0, 35_000.0)


def test_only_the_counted_shops_targets_count_and_a_gap_gives_none() -> None:
    targets = Targets(SHOP_TARGETS)
    only_tmall = {"tmall": COUNTED["tmall"], "jd": {}}  # jd did not report the day
    assert all_shops.target(targets, M["gmv"], M, only_tmall, [D]) == PeriodTarget(
        300_000.0, 30_000.0
    )
    conv = all_shops.target(targets, M["conversion_rate"], M, only_tmall, [D])
    assert conv == PeriodTarget(0.04, 0.004)
    # a counted shop without any GMV target: no all-shops GMV target
    with_c = {**COUNTED, "c": {D: _row(1, 1, 1)}}
    assert all_shops.target(targets, M["gmv"], M, with_c, [D]) is None
    # no denominators at all (no visitor counts, as in the olist data): the plain mean
    no_visitors = {k: {D: {"buyers": 1.0, "gmv": 1.0}} for k in COUNTED}
    conv = all_shops.target(targets, M["conversion_rate"], M, no_visitors, [D])
    assert conv is not None and conv.value == pytest.approx(0.035)
