"""Alert rules: each kind and baseline on hand-built data, and alerts kept in the store."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta

import pytest

from opsdesk.domain.alerts import Alert, Rule, baseline_value, evaluate
from opsdesk.domain.kpis import Target, Targets
from opsdesk.domain.metrics import Metric, parse_formula
from opsdesk.store import shops
from opsdesk.store.alerts import acknowledge, alerts_for_day, load_rules, persist
from opsdesk.store.audit import events_for

DAY = date(2026, 11, 21)
M = {
    "visitors": Metric("visitors", "Visitors", direction="up"),
    "buyers": Metric("buyers", "Buyers", direction="up"),
    "ad_gmv": Metric("ad_gmv", "Ad GMV", unit="CNY"),
    "ad_spend": Metric("ad_spend", "Ad spend", unit="CNY"),
    "conversion_rate": Metric(
        "conversion_rate",
        "Conversion",
        unit="%",
        direction="up",
        formula=parse_formula("buyers / visitors"),
    ),
    "roas": Metric(
        "roas", "ROAS", unit="x", direction="up", formula=parse_formula("ad_gmv / ad_spend")
    ),
}


def _history(conv_by_offset: dict[int, float]) -> dict[date, dict[str, float]]:
    """10,000 visitors a day; buyers from the conversion given per days-before-DAY."""
    return {
        DAY - timedelta(days=i): {"visitors": 10000.0, "buyers": round(c * 10000)}
        for i, c in conv_by_offset.items()
    }


def _rule(
    kind: str,
    baseline: str | None = None,
    threshold: float | None = None,
    metric: str | None = "conversion_rate",
    severity: str = "warning",
) -> Rule:
    return Rule(f"r-{kind}-{baseline}", kind, metric, None, baseline, threshold, severity)


NO_TARGETS = Targets([])


def test_drop_against_each_baseline() -> None:
    # the day 3.4%; previous day 4.0%; same weekday 3.5%; the 7 days before average 3.8%
    conv = {0: 0.034, 1: 0.040, 2: 0.038, 3: 0.038, 4: 0.037, 5: 0.039, 6: 0.037, 7: 0.035}
    daily = _history(conv)
    assert baseline_value(M["conversion_rate"], M, daily, DAY, "previous_day") == 0.04
    assert baseline_value(M["conversion_rate"], M, daily, DAY, "same_weekday") == 0.035
    assert baseline_value(M["conversion_rate"], M, daily, DAY, "mean_7d") == pytest.approx(
        0.264 / 7
    )
    rules = [_rule("drop", b, 0.02) for b in ("previous_day", "same_weekday", "mean_7d")]
    got = evaluate(rules, M, "tmall-apparel", daily, DAY, NO_TARGETS)
    assert [a.message for a in got] == [
        "tmall-apparel: Conversion 3.40% is 9.8% below its 7-day mean 3.77%",
        "tmall-apparel: Conversion 3.40% is 15.0% below the previous day 4.00%",
        "tmall-apparel: Conversion 3.40% is 2.9% below the same weekday last week 3.50%",
    ]
    assert [a.reference for a in got] == [pytest.approx(0.264 / 7), 0.04, 0.035]
    # 2.9% below the same weekday: a 5% threshold stays quiet
    assert evaluate([_rule("drop", "same_weekday", 0.05)], M, "s", daily, DAY, NO_TARGETS) == []


def test_threshold_is_more_than_not_equal() -> None:
    daily = _history({0: 0.049, 1: 0.050})  # exactly 2% down
    assert evaluate([_rule("drop", "previous_day", 0.02)], M, "s", daily, DAY, NO_TARGETS) == []
    daily = _history({0: 0.0489, 1: 0.050})  # 2.2% down
    [a] = evaluate([_rule("drop", "previous_day", 0.02)], M, "s", daily, DAY, NO_TARGETS)
    assert (a.value, a.reference) == (0.0489, 0.05)
    assert a.message == "s: Conversion 4.89% is 2.2% below the previous day 5.00%"


def test_rise_on_a_base_metric_uses_the_mean_of_daily_values() -> None:
    daily = {DAY - timedelta(days=i): {"visitors": 1000.0 + 100 * i} for i in range(1, 8)}
    daily[DAY] = {"visitors": 2000.0}
    rule = _rule("rise", "mean_7d", 0.4, metric="visitors", severity="red")
    [a] = evaluate([rule], M, "jd-home", daily, DAY, NO_TARGETS)
    assert (a.severity, a.value, a.reference) == ("red", 2000.0, 1400.0)
    assert a.message == "jd-home: Visitors 2,000 is 42.9% above its 7-day mean 1,400"
    assert (
        evaluate([_rule("drop", "mean_7d", 0.1, "visitors")], M, "x", daily, DAY, NO_TARGETS) == []
    )


def test_target_rule_fires_outside_the_amber_band_only() -> None:
    targets = Targets([Target(1, "roas", None, None, None, 3.0, 0.3)])
    rule = _rule("target", metric="roas", severity="red")
    amber = {DAY: {"ad_gmv": 2800.0, "ad_spend": 1000.0}}
    assert evaluate([rule], M, "jd-home", amber, DAY, targets) == []
    red = {DAY: {"ad_gmv": 2400.0, "ad_spend": 1000.0}}
    [a] = evaluate([rule], M, "jd-home", red, DAY, targets)
    assert a == Alert(
        "r-target-None",
        "jd-home",
        "roas",
        DAY,
        "red",
        "jd-home: ROAS 2.40× is below its target 3.00× (amber band down to 2.70×)",
        2.4,
        3.0,
    )
    # no target in force: nothing to compare with
    assert evaluate([rule], M, "jd-home", red, DAY, NO_TARGETS) == []


def test_stale_shop_raises_only_the_stale_rule() -> None:
    rules = [_rule("stale", metric=None, severity="red"), _rule("drop", "previous_day", 0.02)]
    daily = _history({1: 0.05, 2: 0.05})
    [a] = evaluate(rules, M, "douyin-beauty", daily, DAY, NO_TARGETS)
    assert (a.rule_key, a.metric_key, a.severity, a.message) == (
        "r-stale-None",
        None,
        "red",
        "douyin-beauty: no data for 2026-11-21 (an export not imported?)",
    )
    disabled = Rule("s", "stale", enabled=False)
    assert evaluate([disabled], M, "douyin-beauty", daily, DAY, NO_TARGETS) == []
    other_shop = Rule("s", "stale", shop_key="jd-home")
    assert evaluate([other_shop], M, "douyin-beauty", daily, DAY, NO_TARGETS) == []


def test_undefined_values_raise_nothing() -> None:
    no_visitors = {DAY: {"buyers": 10.0}, DAY - timedelta(days=1): {"buyers": 50.0}}
    rules = [_rule("drop", "previous_day", 0.02), _rule("target")]
    targets = Targets([Target(1, "conversion_rate", None, None, None, 0.05, 0.0)])
    assert evaluate(rules, M, "olist", no_visitors, DAY, targets) == []
    zero_before = {
        DAY: {"visitors": 10.0, "buyers": 1.0},
        DAY - timedelta(days=1): {"visitors": 0.0, "buyers": 0.0},
    }
    assert evaluate(rules[:1], M, "s", zero_before, DAY, NO_TARGETS) == []


def test_shipped_rules_load(conn: sqlite3.Connection) -> None:
    rules = {r.key: r for r in load_rules(conn)}
    drop = rules["conversion-drop"]
    assert (drop.kind, drop.metric_key, drop.baseline, drop.threshold, drop.severity) == (
        "drop",
        "conversion_rate",
        "mean_7d",
        0.02,
        "warning",
    )
    assert rules["stale-data"].metric_key is None and rules["stale-data"].severity == "red"


def test_persist_is_idempotent_keeps_the_ack_and_audits(conn: sqlite3.Connection) -> None:
    shops.add(conn, "jd-home", "JD home store", "jd")
    stale = Alert("stale-data", "jd-home", None, DAY, "red", "jd-home: no data", None, None)
    drop = Alert("conversion-drop", "jd-home", "conversion_rate", DAY, "warning", "m1", 0.03, 0.04)
    assert persist(conn, [stale, drop]) == 2
    assert persist(conn, [stale, drop]) == 0  # metric NULL is still the same alert
    assert conn.execute("SELECT count(*) FROM alerts").fetchone()[0] == 2
    acknowledge(conn, ("stale-data", "jd-home", None, DAY))
    changed = Alert(
        "conversion-drop", "jd-home", "conversion_rate", DAY, "warning", "m2", 0.02, 0.04
    )
    assert persist(conn, [stale, changed]) == 0
    stored = {s.rule_key: s for s in alerts_for_day(conn, DAY)}
    assert stored["stale-data"].acked_by is not None
    assert stored["conversion-drop"].message == "m2"
    assert stored["conversion-drop"].acked_by is None
    key = "conversion-drop/jd-home/conversion_rate/2026-11-21"
    events = events_for(conn, "alert", key)
    assert [e["action"] for e in events] == ["raise", "update"]
    assert json.loads(events[1]["old"])["value"] == 0.03
    assert [e["action"] for e in events_for(conn, "alert", "stale-data/jd-home/-/2026-11-21")] == [
        "raise",
        "acknowledge",
    ]


def test_acknowledge_before_check_stores_the_alert(conn: sqlite3.Connection) -> None:
    shops.add(conn, "jd-home", "JD home store", "jd")
    acknowledge(conn, ("roas-below-target", "jd-home", "roas", DAY))
    [s] = alerts_for_day(conn, DAY)
    assert (s.severity, s.message) == ("red", "jd-home: ROAS must be above 3.")
    assert s.acked_by is not None
    a = Alert("roas-below-target", "jd-home", "roas", DAY, "red", "jd-home: ROAS 2.40×", 2.4, 3.0)
    persist(conn, [a])
    [s] = alerts_for_day(conn, DAY)
    assert s == a.with_ack(s.acked_by, s.acked_at) and s.acked_by is not None
    with pytest.raises(ValueError, match="alert rule 'nope' is unknown"):
        acknowledge(conn, ("nope", "jd-home", None, DAY))
    with pytest.raises(ValueError, match="unknown shop 'x'"):
        acknowledge(conn, ("stale-data", "x", None, DAY))
