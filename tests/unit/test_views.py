"""The stand-up read model on a real store: values, targets, status order, stale, alerts."""

from __future__ import annotations

import sqlite3
import sys
from dataclasses import replace
from datetime import date, timedelta

import pytest

from opsdesk.domain.times import local_label
from opsdesk.store import shops
from opsdesk.store.alerts import acknowledge, alerts_for_day
from opsdesk.store.audit import events_for
from opsdesk.store.observations import set_value
from opsdesk.views.standup import build_standup

DAY = date(2026, 11, 21)  # a Saturday


def _fill(conn: sqlite3.Connection, shop: str, day: date, **values: float) -> None:
    for key, value in values.items():
        set_value(conn, shop, key, day, value)


@pytest.fixture
def two_shops(conn: sqlite3.Connection) -> sqlite3.Connection:
    shops.add(conn, "tmall-apparel", "Tmall apparel flagship", "tmall")
    shops.add(conn, "jd-home", "JD home store", "jd")
    for i in range(1, 15):
        d = DAY - timedelta(days=i)
        _fill(conn, "tmall-apparel", d, visitors=1000, buyers=40, gmv=8000, dsr=4.9)
        _fill(conn, "jd-home", d, visitors=500, buyers=30, gmv=6000)
    # The day under review: tmall converts worse, jd has no visitors recorded.
    _fill(conn, "tmall-apparel", DAY, visitors=1000, buyers=34, gmv=6800, dsr=4.75)
    _fill(conn, "jd-home", DAY, buyers=30, gmv=6000)
    return conn


def _line(standup_shop: object, key: str) -> object:
    return next(line for line in standup_shop.lines if line.metric.key == key)  # type: ignore[attr-defined]


def test_shop_lines_values_changes_targets_and_status(two_shops: sqlite3.Connection) -> None:
    s = build_standup(two_shops, DAY)
    assert [sh.shop_key for sh in s.shops] == ["jd-home", "tmall-apparel"]
    tmall = s.shops[1]
    assert tmall.has_data is True
    conv = _line(tmall, "conversion_rate")
    assert conv.value == pytest.approx(0.034)
    assert (conv.target, conv.amber, conv.status) == (0.05, 0.005, "red")
    assert conv.previous_day == pytest.approx(0.04)
    assert conv.change_day == pytest.approx(-0.15)
    assert conv.same_weekday == pytest.approx(0.04)
    assert len(conv.spark) == 14 and conv.spark[0] == pytest.approx(0.04)
    dsr = _line(tmall, "dsr")
    assert (dsr.value, dsr.target, dsr.status) == (4.75, 4.8, "amber")
    aov = _line(tmall, "aov")
    assert (aov.value, aov.status) == (200.0, "none")
    # red first, then amber, then none; catalogue order within a group
    statuses = [line.status for line in tmall.lines]
    assert statuses == sorted(statuses, key=["red", "amber", "stale", "green", "none"].index)
    nones = [line.metric.key for line in tmall.lines if line.status == "none"]
    assert nones[:4] == ["visitors", "buyers", "orders", "gmv"]


def test_missing_inputs_are_none_not_zero(two_shops: sqlite3.Connection) -> None:
    jd = build_standup(two_shops, DAY).shops[0]
    # jd-home recorded visitors every day before: without them its day is partial, not full
    assert (jd.has_data, jd.state, jd.note) == (False, "partial", "partial: visitors missing")
    conv = _line(jd, "conversion_rate")
    assert (conv.value, conv.status, conv.change_day) == (None, "stale", None)
    assert conv.previous_day == pytest.approx(0.06)
    gmv = _line(jd, "gmv")  # a value that is there keeps its own status
    assert (gmv.value, gmv.status) == (6000.0, "none")


def test_all_shops_summary_is_ratio_of_sums(two_shops: sqlite3.Connection) -> None:
    _fill(two_shops, "jd-home", DAY, visitors=600)
    s = build_standup(two_shops, DAY)
    assert s.summary.shop_key == "all" and s.summary.has_data is True
    assert s.summary.shop_name == "All shops" and s.summary.state == "complete"
    # (34 + 30) / (1000 + 600), not the mean of 3.4% and 5%
    assert _line(s.summary, "conversion_rate").value == pytest.approx(64 / 1600)
    # the day before: (40 + 30) / (1000 + 500), not the mean of 4% and 6%
    assert _line(s.summary, "conversion_rate").previous_day == pytest.approx(70 / 1500)
    assert _line(s.summary, "gmv").value == 12800.0
    assert _line(s.summary, "aov").value == pytest.approx(12800 / 64)
    assert _line(s.summary, "dsr").value == 4.75  # a score is averaged, jd has none


def test_a_shop_without_data_for_the_day_is_stale_never_green(
    two_shops: sqlite3.Connection,
) -> None:
    shops.add(two_shops, "douyin-beauty", "Douyin beauty", "douyin")
    _fill(two_shops, "douyin-beauty", DAY - timedelta(days=1), visitors=100, buyers=10, dsr=4.9)
    _fill(two_shops, "jd-home", DAY, visitors=500)
    s = build_standup(two_shops, DAY)
    douyin = next(sh for sh in s.shops if sh.shop_key == "douyin-beauty")
    assert douyin.has_data is False
    assert {line.status for line in douyin.lines} == {"stale"}
    assert _line(douyin, "dsr").previous_day == 4.9
    # The all-shops summary covers the shops that reported, on every day it shows: douyin's
    # day before (100 visitors, 10 buyers) is left out too, so the comparison is like for like.
    assert s.summary.has_data is True
    assert s.summary.shop_name == "All shops (2 of 3 reporting)"
    assert (s.summary.state, s.summary.note) == ("partial", "douyin-beauty missing")
    conv = _line(s.summary, "conversion_rate")
    assert conv.value == pytest.approx(64 / 1500)
    assert conv.previous_day == pytest.approx(70 / 1500)
    assert conv.status == "red"
    assert _line(s.summary, "visitors").previous_day == 1500
    # when no shop reported at all, the summary is stale
    nothing = build_standup(two_shops, DAY + timedelta(days=1)).summary
    assert nothing.has_data is False and {line.status for line in nothing.lines} == {"stale"}
    assert nothing.shop_name == "All shops (0 of 3 reporting)"
    stale = [a for a in s.alerts if a.rule_key == "stale-data"]
    assert [(a.shop_key, a.severity) for a in stale] == [("douyin-beauty", "red")]
    assert s.alerts[0].severity == "red"


def test_alerts_and_acknowledgement(two_shops: sqlite3.Connection) -> None:
    s = build_standup(two_shops, DAY)
    got = {(a.rule_key, a.shop_key) for a in s.alerts}
    assert got == {
        ("conversion-below-target", "tmall-apparel"),
        ("conversion-drop", "tmall-apparel"),
        ("stale-data", "jd-home"),  # visitors missing: a partial day is not a full day
    }
    stale = next(a for a in s.alerts if a.rule_key == "stale-data")
    assert stale.message == "jd-home: partial data for 2026-11-21: no visitors (not all imported?)"
    drop = next(a for a in s.alerts if a.rule_key == "conversion-drop")
    assert drop.message == "tmall-apparel: Conversion 3.40% is 15.0% below its 7-day mean 4.00%"
    assert drop.acked_by is None
    acknowledge(two_shops, drop)  # the alert record the view holds, stored as it is
    again = next(a for a in build_standup(two_shops, DAY).alerts if a.rule_key == "conversion-drop")
    assert again.acked_by is not None and again.acked_at is not None
    label = local_label(again.acked_at, "Asia/Shanghai", time_only=True)  # the store's time
    assert again == drop.with_ack(again.acked_by, again.acked_at, label)
    stored = alerts_for_day(two_shops, DAY)
    assert stored == [replace(again, acked_label=None)]  # the store keeps the instant
    events = events_for(
        two_shops, "alert", "conversion-drop/tmall-apparel/conversion_rate/2026-11-21"
    )
    assert [e["action"] for e in events] == ["acknowledge"]


def test_a_target_alert_has_the_severity_of_the_table_status(
    two_shops: sqlite3.Connection,
) -> None:
    """One source for both: a line red in the KPI table never has a mere warning (the shipped
    `conversion-below-target` rule says "warning"; tmall's conversion 3.40% is red)."""
    s = build_standup(two_shops, DAY)
    tmall = s.shops[1]
    assert _line(tmall, "conversion_rate").status == "red"
    target = next(a for a in s.alerts if a.rule_key == "conversion-below-target")
    assert (target.shop_key, target.severity) == ("tmall-apparel", "red")
    kinds = {r[0]: r[1] for r in two_shops.execute("SELECT key, kind FROM alert_rules")}
    for a in s.alerts:
        if kinds[a.rule_key] == "target":
            page = next(p for p in s.shops if p.shop_key == a.shop_key)
            assert _line(page, a.metric_key).status == a.severity == "red"


def test_the_alert_record_crosses_the_process_boundary_whole(two_shops: sqlite3.Connection) -> None:
    import marshal

    from opsdesk.views.standup_model import StandupModel, build

    model = build(two_shops, DAY)
    assert len(model.alerts) == 3  # jd-home's partial day (no visitors) is stale too
    again = StandupModel.from_wire(marshal.loads(marshal.dumps(model.to_wire())))
    assert again == model
    assert [a.key for a in again.alerts[:2]] == [
        "stale-data/jd-home/-/2026-11-21",
        "conversion-below-target/tmall-apparel/conversion_rate/2026-11-21",
    ]


def test_standup_with_no_shops(conn: sqlite3.Connection) -> None:
    s = build_standup(conn, DAY)
    assert s.shops == [] and s.alerts == [] and s.summary.has_data is False


def test_views_do_not_import_pandas_or_sqlite_utils() -> None:
    import subprocess

    code = (
        "import sys, opsdesk.views.standup, opsdesk.views.report, opsdesk.reports.writers; "
        "bad = [m for m in ('pandas', 'sqlite_utils', 'textual', 'plotext') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_standup_reads_only_the_days_it_needs(two_shops: sqlite3.Connection) -> None:
    statements: list[str] = []
    two_shops.set_trace_callback(statements.append)
    build_standup(two_shops, DAY)
    two_shops.set_trace_callback(None)
    reads = [s for s in statements if "FROM observations" in s]
    assert len(reads) == 1 and "'2026-11-07' AND '2026-11-21'" in reads[0]
    plan = " ".join(r[3] for r in two_shops.execute("EXPLAIN QUERY PLAN " + reads[0]))
    # a primary-key seek per shop and metric to the 15 days, never a scan of the history
    assert plan == (
        "SEARCH observations USING PRIMARY KEY (shop_id=? AND metric_id=? AND day>? AND day<?)"
    )


def test_load_daily_for_some_shops_seeks_by_key(two_shops: sqlite3.Connection) -> None:
    from opsdesk.store.observations import load_daily

    statements: list[str] = []
    two_shops.set_trace_callback(statements.append)
    got = load_daily(two_shops, DAY - timedelta(days=1), DAY, ["jd-home"])
    two_shops.set_trace_callback(None)
    assert got == {
        ("jd-home", DAY - timedelta(days=1)): {"visitors": 500.0, "buyers": 30.0, "gmv": 6000.0},
        ("jd-home", DAY): {"buyers": 30.0, "gmv": 6000.0},
    }
    [read] = [s for s in statements if "FROM observations" in s]
    plan = " ".join(r[3] for r in two_shops.execute("EXPLAIN QUERY PLAN " + read))
    assert "USING PRIMARY KEY (shop_id=? AND metric_id=? AND day>? AND day<?)" in plan
    assert "'2026-11-20' AND '2026-11-21'" in read


def test_daily_providers_are_merged(two_shops: sqlite3.Connection) -> None:
    from opsdesk.store import observations
    from opsdesk.store.computed import Provider

    def provider(conn: sqlite3.Connection, start: date, end: date) -> observations.DailyValues:
        return {
            ("jd-home", DAY): {"sop_due": 4.0, "sop_on_time": 3.0},
            ("jd-home", DAY - timedelta(days=30)): {"sop_due": 1.0},
        }

    computed = [Provider(frozenset({"sop_due", "sop_on_time"}), provider)]
    got = observations.load_daily(two_shops, DAY, DAY, computed=computed)
    assert got[("jd-home", DAY)] == {
        "buyers": 30.0,
        "gmv": 6000.0,
        "sop_due": 4.0,
        "sop_on_time": 3.0,
    }
    assert set(got) == {("jd-home", DAY), ("tmall-apparel", DAY)}


def test_set_value_validates_and_audits(two_shops: sqlite3.Connection) -> None:
    from opsdesk.store.observations import get_value

    set_value(two_shops, "jd-home", "visitors", DAY, 480)
    set_value(two_shops, "jd-home", "visitors", DAY, 490)
    set_value(two_shops, "jd-home", "visitors", DAY, 490)  # unchanged: no event
    assert get_value(two_shops, "jd-home", "visitors", DAY) == 490.0
    events = events_for(two_shops, "observation", "jd-home/visitors/2026-11-21")
    assert [(e["action"], e["old"], e["new"]) for e in events] == [
        ("set", None, "480.0"),
        ("set", "480.0", "490.0"),
    ]
    set_value(two_shops, "jd-home", "visitors", DAY, None)
    assert get_value(two_shops, "jd-home", "visitors", DAY) is None
    for args, message in [
        (("nope", "visitors", DAY, 1.0), "shop: unknown shop 'nope'"),
        (("jd-home", "nope", DAY, 1.0), "metric: unknown metric 'nope'"),
        (
            ("jd-home", "conversion_rate", DAY, 0.1),
            "conversion_rate: conversion_rate is a derived metric (buyers / visitors): "
            "opsdesk computes it; give its base metrics instead",
        ),
        (("jd-home", "visitors", DAY, -1.0), "visitors: Visitors: -1 is negative"),
        (("jd-home", "visitors", DAY, float("inf")), "visitors: Visitors: inf is not a finite"),
        (("jd-home", "visitors", DAY, "x"), "visitors: 'x' is not a number"),
    ]:
        with pytest.raises(ValueError) as refused:
            set_value(two_shops, *args)  # type: ignore[arg-type]
        assert str(refused.value).startswith(message)


def test_load_events(two_shops: sqlite3.Connection) -> None:
    from opsdesk.store.observations import load_events

    jd = two_shops.execute("SELECT id FROM shops WHERE key = 'jd-home'").fetchone()[0]
    two_shops.executemany(
        "INSERT INTO events (shop_id, day, kind, title, created_at, created_by)"
        " VALUES (?, ?, ?, ?, '2026-11-01T00:00:00+00:00', 'test')",
        [
            (None, "2026-11-11", "campaign", "双11"),
            (jd, "2026-11-12", "incident", "outage"),
            (jd, "2026-12-01", "incident", "later"),
        ],
    )
    got = load_events(two_shops, date(2026, 11, 1), date(2026, 11, 30), "jd-home")
    assert [(e.day.isoformat(), e.shop_key, e.kind, e.title) for e in got] == [
        ("2026-11-11", None, "campaign", "双11"),
        ("2026-11-12", "jd-home", "incident", "outage"),
    ]
    other = load_events(two_shops, date(2026, 11, 1), date(2026, 11, 30), "tmall-apparel")
    assert [e.title for e in other] == ["双11"]
