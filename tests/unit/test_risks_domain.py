"""Risk rules: scores and levels at their boundaries, validation, acceptance, reviews, KRIs."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from opsdesk.domain import risk_kris, risks
from opsdesk.domain.kpis import Target, Targets
from opsdesk.domain.metrics import Metric, parse_formula
from opsdesk.domain.risk_kris import Kri

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("likelihood", "impact", "value", "level"),
    [
        (1, 1, 1, "low"),
        (1, 5, 5, "low"),
        (2, 3, 6, "medium"),
        (3, 4, 12, "medium"),
        (3, 5, 15, "high"),
        (5, 5, 25, "high"),
    ],
)
def test_score_and_level_at_each_boundary(
    likelihood: int, impact: int, value: int, level: str
) -> None:
    s = risks.Score(likelihood, impact)
    assert (s.value, s.level) == (value, level)


def test_level_edges_and_out_of_range() -> None:
    assert [risks.level(v) for v in (5, 6, 12, 13, 15)] == [
        "low",
        "medium",
        "medium",
        "high",
        "high",
    ]
    with pytest.raises(ValueError, match="1–25"):
        risks.level(26)


def _entry(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "key": "stockout-bestseller",
        "title": "Stock-out of a bestseller during 双11",
        "category": "supply-chain",
        "owner": "supply-chain",
        "likelihood": 4,
        "impact": 5,
        "residual_likelihood": 2,
        "residual_impact": 5,
    }
    base.update(over)
    return base


def _validate(**over: object) -> tuple[risks.Risk | None, list[tuple[str, str]]]:
    return risks.validate_risk(
        _entry(**over), TODAY, metrics={"stockout_rate", "refund_rate"}, sops={"crisis-response"}
    )


def test_valid_risk_gets_defaults() -> None:
    risk, problems = _validate()
    assert problems == []
    assert risk is not None
    assert (risk.inherent.value, risk.residual.value, risk.residual.level) == (20, 10, "medium")
    assert risk.response == "mitigate"
    assert risk.next_review == date(2026, 12, 23)  # today + 30 days


def test_residual_above_inherent_is_refused_with_the_reason() -> None:
    risk, problems = _validate(likelihood=2, impact=2, residual_likelihood=3, residual_impact=2)
    assert risk is None
    assert problems == [
        (
            "residual",
            "residual score 6 (3×2) is higher than the inherent score 4 (2×2): "
            "mitigation cannot raise a risk",
        )
    ]


def test_every_problem_is_listed() -> None:
    _, problems = _validate(
        likelihood=6,
        category="weather",
        owner="Zhang Wei",
        response="accept",
        contingency_sop="nope",
        kri=[{"metric": "nosuch", "kind": "above", "threshold": 1}],
    )
    fields = [f for f, _ in problems]
    assert fields == [
        "category",
        "owner",
        "likelihood",
        "accept_until",
        "contingency_sop",
        "kri #1 metric",
    ]


def test_acceptance_needs_an_expiry_and_lapses() -> None:
    _, problems = _validate(response="accept")
    assert problems == [("accept_until", "an acceptance needs an expiry date (accept_until)")]
    risk, _ = _validate(response="accept", accept_until="2026-11-30", next_review="2026-12-20")
    assert risk is not None
    assert risks.acceptance_state(risk, TODAY) == "active"
    assert not risks.review_due(risk, TODAY)
    assert risks.acceptance_state(risk, date(2026, 11, 30)) == "active"
    assert risks.acceptance_state(risk, date(2026, 12, 1)) == "expired"
    assert risks.review_due(risk, date(2026, 12, 1))
    assert risks.review_overdue(risk, date(2026, 12, 1))


def test_review_scheduling() -> None:
    risk, _ = _validate(next_review="2026-11-23", review_days=14)
    assert risk is not None
    assert risks.review_due(risk, TODAY) and not risks.review_overdue(risk, TODAY)
    assert risks.review_overdue(risk, TODAY + timedelta(days=1))
    assert not risks.review_due(risk, TODAY - timedelta(days=1))
    assert risks.next_review_after(TODAY, 14) == date(2026, 12, 7)
    assert risks.pulled_review(date(2026, 12, 7), TODAY) == TODAY
    assert risks.pulled_review(date(2026, 11, 20), TODAY) == date(2026, 11, 20)
    closed, _ = _validate(next_review="2026-11-01", status="closed")
    assert closed is not None and not risks.review_overdue(closed, TODAY)


def test_movement() -> None:
    assert [risks.movement(None, 6), risks.movement(6, 6), risks.movement(6, 9)] == ["", "", "up"]
    assert risks.movement(9, 4) == "down"


# ---- KRIs ---------------------------------------------------------------------------------

STOCKOUT = Metric(
    key="stockout_rate",
    name_en="Stock-out rate",
    name_zh="缺货率",
    unit="%",
    direction="down",
    aggregation="sum",
    formula=parse_formula("stockout_skus / active_skus"),
)
METRICS = {
    "stockout_skus": Metric("stockout_skus", "Stock-out SKUs", "", "count", None, "last"),
    "active_skus": Metric("active_skus", "Active SKUs", "", "count", None, "last"),
    "stockout_rate": STOCKOUT,
}


def _daily(rates: list[float]) -> dict[date, dict[str, float]]:
    """Stock-out rates for the days ending on TODAY, oldest first (1,000 SKUs)."""
    n = len(rates)
    return {
        TODAY - timedelta(days=n - 1 - i): {"stockout_skus": r * 1000, "active_skus": 1000.0}
        for i, r in enumerate(rates)
    }


def test_kri_above_threshold_for_days_in_a_row() -> None:
    kri = Kri("above", "stockout_rate", threshold=0.03, days=3)
    dailies = {"a": _daily([0.02, 0.035, 0.04, 0.05]), "b": _daily([0.04, 0.04, 0.02, 0.05])}
    readings = risk_kris.evaluate(kri, METRICS, dailies, TODAY, Targets([]))
    assert [(r.shop_key, r.value, r.breached) for r in readings] == [
        ("a", 0.05, True),
        ("b", 0.05, False),  # the day before was under 3%: not three days in a row
    ]
    assert readings[0].message == (
        "a: Stock-out rate 5.00% on 2026-11-23 (breaches above 3.00%); 3 days in a row"
    )


def test_kri_exactly_at_threshold_does_not_fire() -> None:
    kri = Kri("above", "stockout_rate", threshold=0.03)
    readings = risk_kris.evaluate(kri, METRICS, {"a": _daily([0.03])}, TODAY, Targets([]))
    assert [r.breached for r in readings] == [False]


def test_kri_all_shops_is_a_ratio_of_sums_and_one_shop_only_that_shop() -> None:
    dailies = {"a": _daily([0.05]), "b": _daily([0.01])}
    total = risk_kris.evaluate(
        Kri("above", "stockout_rate", threshold=0.03, shop_key="all"),
        METRICS,
        dailies,
        TODAY,
        Targets([]),
    )
    assert [(r.shop_key, r.value, r.breached) for r in total] == [("all", 0.03, False)]
    one = risk_kris.evaluate(
        Kri("above", "stockout_rate", threshold=0.03, shop_key="b"),
        METRICS,
        dailies,
        TODAY,
        Targets([]),
    )
    assert [(r.shop_key, r.breached) for r in one] == [("b", False)]


def test_kri_target_drop_and_stale() -> None:
    targets = Targets([Target(1, "stockout_rate", None, None, None, 0.03, 0.0)])
    dailies = {"a": _daily([0.02, 0.04])}
    red = risk_kris.evaluate(Kri("target", "stockout_rate"), METRICS, dailies, TODAY, targets)
    assert [(r.value, r.breached) for r in red] == [(0.04, True)]
    rise = risk_kris.evaluate(
        Kri("rise", "stockout_rate", threshold=0.5, baseline="previous_day"),
        METRICS,
        dailies,
        TODAY,
        targets,
    )
    assert [r.breached for r in rise] == [True]  # +100% against the previous day
    assert rise[0].message.endswith("is 100.0% above the previous day 2.00%")
    stale = risk_kris.evaluate(
        Kri("stale"), METRICS, {"a": _daily([0.02]), "b": {}}, TODAY, targets
    )
    assert [(r.shop_key, r.breached) for r in stale] == [("a", False), ("b", True)]


def test_kri_without_value_never_fires() -> None:
    readings = risk_kris.evaluate(
        Kri("below", "stockout_rate", threshold=0.5), METRICS, {"a": {}}, TODAY, Targets([])
    )
    assert [(r.value, r.breached) for r in readings] == [(None, False)]


def test_parse_kri_lists_every_problem() -> None:
    with pytest.raises(risk_kris.KriError) as e:
        risk_kris.parse_kri(
            {"metric": "stockout_rate", "kind": "drop", "days": 0, "colour": "red"},
            {"stockout_rate"},
        )
    assert [f for f, _ in e.value.problems] == ["colour", "threshold", "baseline", "days"]
    kri = risk_kris.parse_kri(
        {"metric": "stockout_rate", "kind": "above", "threshold": 0.03, "days": 3},
        {"stockout_rate"},
    )
    assert kri.describe({"stockout_rate": STOCKOUT}) == (
        "stockout_rate above 3.00% for 3 days in a row (any shop)"
    )
    assert risk_kris.kri_dict(kri) == {
        "kind": "above",
        "metric": "stockout_rate",
        "threshold": 0.03,
        "days": 3,
    }


def test_kri_text_round_trip() -> None:
    kri = Kri("drop", "stockout_rate", threshold=0.3, baseline="same_weekday", days=2)
    text = risk_kris.kri_text(kri)
    assert text == "kind=drop metric=stockout_rate threshold=0.3 baseline=same_weekday days=2"
    assert risk_kris.parse_kri_text(text, {"stockout_rate"}) == kri
    assert risk_kris.parse_kri_text(
        "kind=above metric=stockout_rate threshold=3% shop=all", {"stockout_rate"}
    ) == Kri("above", "stockout_rate", threshold=0.03, shop_key="all")
    with pytest.raises(risk_kris.KriError) as e:
        risk_kris.parse_kri_text("kind=above metric=gmv threshold=lots", {"gmv"})
    assert e.value.problems == [("threshold", "'lots' is not a number")]


def test_drill_dates_and_cadence() -> None:
    assert risks.after_drill(None, TODAY, 90) == (TODAY, date(2027, 2, 21))
    later = date(2026, 12, 1)  # a later date typed by hand is kept
    assert risks.after_drill(later, TODAY, 30) == (later, date(2026, 12, 31))
    risk, _ = _validate(next_drill="2026-11-22", drill_days=182)
    assert risk is not None and risk.drill_days == 182
    assert risks.drill_overdue(risk, TODAY) and not risks.drill_overdue(risk, date(2026, 11, 22))
    never, _ = _validate()
    assert never is not None
    assert (never.drill_days, risks.drill_overdue(never, TODAY)) == (90, False)
    _, problems = _validate(drill_days=0)
    assert problems == [("drill_days", "0 is not a number of days (1 or more)")]
