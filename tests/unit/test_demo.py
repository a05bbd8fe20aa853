"""The demo store: deterministic, complete, consistent, incidents where demo.toml puts them."""

from __future__ import annotations

import math
import sqlite3
import tomllib
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from opsdesk import shipped
from opsdesk.bootstrap import initialise
from opsdesk.cli import main as cli_main
from opsdesk.clock import ops_day, system_clock
from opsdesk.demo import BASE_METRICS, DemoError, build_demo, load_params
from opsdesk.demo.params import DemoParams
from opsdesk.demo.seasons import day_factors, target_periods, windows
from opsdesk.store.db import open_store

END = date(2026, 11, 22)  # a Sunday, eleven days after 双11
PARAMS = load_params()
INCIDENTS = {i.key: i for i in PARAMS.incidents}

Day = dict[str, float]


def build(path: Path, **kwargs: object) -> None:
    conn = open_store(path)
    try:
        build_demo(conn, **kwargs)  # type: ignore[arg-type]
    finally:
        conn.close()


def table_rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Observations, targets and events by shop and metric key (ids and timestamps left out)."""
    conn = open_store(path)
    try:
        return {
            "observations": conn.execute(
                "SELECT s.key, m.key, o.day, o.value, o.import_id FROM observations o"
                " JOIN shops s ON s.id = o.shop_id JOIN metrics m ON m.id = o.metric_id"
                " ORDER BY 1, 2, 3"
            ).fetchall(),
            "targets": conn.execute(
                "SELECT s.key, m.key, t.valid_from, t.valid_to, t.value, t.amber FROM targets t"
                " JOIN metrics m ON m.id = t.metric_id LEFT JOIN shops s ON s.id = t.shop_id"
                " ORDER BY 1, 2, 3"
            ).fetchall(),
            "events": conn.execute(
                "SELECT s.key, e.day, e.kind, e.title FROM events e"
                " LEFT JOIN shops s ON s.id = e.shop_id ORDER BY 2, 1, 3, 4"
            ).fetchall(),
            "shops": conn.execute("SELECT key, name, platform FROM shops ORDER BY id").fetchall(),
        }
    finally:
        conn.close()


def as_tuples(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    return [tuple(r) for r in rows]


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default demo (3 shops x 1096 days, seed from demo.toml) ending on END."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    conn = initialise(path)
    build_demo(conn, end=END)
    conn.close()
    return path


@pytest.fixture(scope="module")
def days_by_shop(demo_path: Path) -> dict[str, dict[date, Day]]:
    conn = open_store(demo_path)
    out: dict[str, dict[date, Day]] = {}
    for shop, metric, day, value in conn.execute(
        "SELECT s.key, m.key, o.day, o.value FROM observations o"
        " JOIN shops s ON s.id = o.shop_id JOIN metrics m ON m.id = o.metric_id"
    ):
        out.setdefault(shop, {}).setdefault(date.fromisoformat(day), {})[metric] = value
    conn.close()
    return out


@pytest.fixture
def demo_conn(demo_path: Path) -> Iterator[sqlite3.Connection]:
    conn = open_store(demo_path)
    yield conn
    conn.close()


# ---- determinism ---------------------------------------------------------------------------


def test_same_arguments_give_identical_rows_and_another_seed_differs(tmp_path: Path) -> None:
    paths = [tmp_path / f"{name}.sqlite" for name in ("a", "b", "c")]
    for path, seed in zip(paths, (7, 7, 8), strict=True):
        initialise(path).close()
        build(path, shops=3, days=120, end=END, seed=seed)
    a, b, c = (table_rows(p) for p in paths)
    assert len(a["observations"]) == 3 * 120 * 24 - 24
    for table in ("observations", "targets", "events", "shops"):
        assert as_tuples(a[table]) == as_tuples(b[table])
    # Another seed: the same rows (shop, metric, day), other values.
    assert [r[:3] for r in a["observations"]] == [r[:3] for r in c["observations"]]
    changed = sum(1 for x, y in zip(a["observations"], c["observations"], strict=True) if x != y)
    assert changed > len(a["observations"]) // 2


def test_a_shop_series_does_not_depend_on_the_other_shops(store_path: Path, tmp_path: Path) -> None:
    """Each shop has its own random stream: the one-shop demo is the first shop of three."""
    one = tmp_path / "one.sqlite"
    initialise(one).close()
    build(one, shops=1, days=60, end=END, seed=5)
    build(store_path, shops=3, days=60, end=END, seed=5)
    tmall = [r for r in table_rows(store_path)["observations"] if r[0] == "tmall-apparel"]
    assert as_tuples(table_rows(one)["observations"]) == as_tuples(tmall)


def test_pinned_values_of_the_default_demo(days_by_shop: dict[str, dict[date, Day]]) -> None:
    """A guard on the generator itself: editing demo.toml or kpis.py changes these."""
    assert days_by_shop["tmall-apparel"][END]["visitors"] == 48071
    assert days_by_shop["jd-home"][END]["buyers"] == 164
    assert days_by_shop["douyin-beauty"][END - timedelta(days=1)]["gmv"] == 53238.85


# ---- coverage and counts -------------------------------------------------------------------


def test_every_base_metric_of_the_shipped_catalogue_is_generated() -> None:
    with shipped.catalogue_file().open("rb") as fh:
        catalogue = tomllib.load(fh)
    base = [m["key"] for m in catalogue["metric"] if "formula" not in m]
    assert sorted(BASE_METRICS) == sorted(base)
    assert len(BASE_METRICS) == 24


def test_row_counts_are_shops_times_days_times_metrics_minus_the_missing_day(
    demo_conn: sqlite3.Connection,
) -> None:
    assert demo_conn.execute("SELECT count(*) FROM observations").fetchone()[0] == 78_888
    per_shop = dict(
        demo_conn.execute(
            "SELECT s.key, count(*) FROM observations o JOIN shops s ON s.id = o.shop_id"
            " GROUP BY s.key"
        ).fetchall()
    )
    assert per_shop == {"tmall-apparel": 26_304, "jd-home": 26_304, "douyin-beauty": 26_280}
    first, last, days = demo_conn.execute(
        "SELECT min(day), max(day), count(DISTINCT day) FROM observations"
    ).fetchone()
    assert (first, last, days) == ("2023-11-23", "2026-11-22", 1096)
    assert (
        demo_conn.execute(
            "SELECT count(*) FROM observations WHERE import_id IS NOT NULL"
        ).fetchone()[0]
        == 0
    )
    shops = demo_conn.execute("SELECT key, platform FROM shops ORDER BY id").fetchall()
    assert as_tuples(shops) == [
        ("tmall-apparel", "tmall"),
        ("jd-home", "jd"),
        ("douyin-beauty", "douyin"),
    ]
    # Derived metrics are never stored.
    assert (
        demo_conn.execute(
            "SELECT count(*) FROM observations o JOIN metrics m ON m.id = o.metric_id"
            " WHERE m.kind = 'derived'"
        ).fetchone()[0]
        == 0
    )


def test_more_shops_than_profiles_cycle_with_distinct_keys(store_path: Path) -> None:
    build(store_path, shops=8, days=30, end=END)
    rows = table_rows(store_path)
    keys = [r[0] for r in rows["shops"]]
    assert keys == [
        "tmall-apparel",
        "jd-home",
        "douyin-beauty",
        "taobao-tea",
        "pdd-kitchen",
        "kuaishou-fresh",
        "tmall-apparel-2",
        "jd-home-2",
    ]
    assert as_tuples(rows["shops"])[6] == ("tmall-apparel-2", "Tmall apparel flagship 2", "tmall")
    assert len(rows["observations"]) == 8 * 30 * 24 - 24
    visitors: dict[object, float] = {
        r[0]: float(r[3])  # type: ignore[arg-type]
        for r in rows["observations"]
        if r[1] == "visitors" and r[2] == "2026-11-20"
    }
    # The second cycle runs at cycle_scale (0.6) of the first.
    assert 0.4 < visitors["tmall-apparel-2"] / visitors["tmall-apparel"] < 0.8


# ---- consistency ---------------------------------------------------------------------------

COUNTS = [
    m
    for m in BASE_METRICS
    if m not in ("gmv", "ad_spend", "ad_gmv", "refund_amount", "dsr", "stock_value")
    and m != "slow_stock_value"
]


def test_invariants_hold_on_every_day_of_every_shop(
    days_by_shop: dict[str, dict[date, Day]],
) -> None:
    checked = 0
    for shop, days in days_by_shop.items():
        for day, v in days.items():
            where = f"{shop} {day}"
            assert sorted(v) == sorted(BASE_METRICS), where
            assert all(x >= 0 for x in v.values()), where
            for m in COUNTS:
                assert float(v[m]).is_integer(), f"{where} {m}={v[m]}"
            for m in ("gmv", "ad_spend", "ad_gmv", "refund_amount", "stock_value"):
                assert round(v[m], 2) == v[m], f"{where} {m}={v[m]}"
            assert v["visitors"] >= 1
            assert v["buyers"] <= v["visitors"], where
            assert v["orders"] >= v["buyers"], where
            assert v["paid_visitors"] <= v["visitors"], where
            assert v["repeat_buyers"] <= v["buyers"], where
            assert v["negative_reviews"] <= v["reviews"], where
            assert v["aftersales_late"] <= v["aftersales_tickets"], where
            assert v["late_shipments"] <= v["shipped_orders"], where
            assert v["stockout_skus"] <= v["active_skus"], where
            assert v["slow_stock_value"] <= v["stock_value"], where
            assert v["ad_gmv"] <= v["gmv"] and v["refund_amount"] <= v["gmv"], where
            assert v["ad_clicks"] <= v["ad_impressions"], where
            assert 1.0 <= v["dsr"] <= 5.0, where
            checked += 1
    assert checked == 3 * 1096 - 1


def _ratio(days: dict[date, Day], num: str, den: str, first: date, last: date) -> float:
    window = [v for d, v in days.items() if first <= d <= last]
    return sum(v[num] for v in window) / sum(v[den] for v in window)


def test_levels_follow_the_plans(days_by_shop: dict[str, dict[date, Day]]) -> None:
    year = (END - timedelta(days=364), END)
    tmall, jd, douyin = (days_by_shop[k] for k in ("tmall-apparel", "jd-home", "douyin-beauty"))
    # The flagship's 618 peak: about 500,000 visitors at 5.8 % conversion.
    peak = tmall[date(2026, 6, 18)]
    assert 400_000 < peak["visitors"] < 600_000
    assert 0.05 < peak["buyers"] / peak["visitors"] < 0.065
    # An ordinary year: conversion, AOV, paid share, ROAS, first response, negative reviews.
    assert 0.037 < _ratio(tmall, "buyers", "visitors", *year) < 0.043
    assert 250 < _ratio(tmall, "gmv", "buyers", *year) < 290
    for shop in (tmall, jd, douyin):
        assert 0.22 < _ratio(shop, "paid_visitors", "visitors", *year) < 0.37
        assert 2.8 < _ratio(shop, "ad_gmv", "ad_spend", *year) < 4.0
        assert 4.0 < _ratio(shop, "cs_response_seconds", "cs_sessions", *year) < 5.8
        assert 0.008 < _ratio(shop, "negative_reviews", "reviews", *year) < 0.018
        assert 0.20 < _ratio(shop, "slow_stock_value", "stock_value", *year) < 0.32
        assert all(4.2 <= v["dsr"] <= 4.95 for v in shop.values())
    # Sales grow about 25 % a year: the last year against the one before.
    for shop in (tmall, jd, douyin):
        this = sum(v["gmv"] for d, v in shop.items() if d > END - timedelta(days=365))
        before = sum(
            v["gmv"]
            for d, v in shop.items()
            if END - timedelta(days=730) < d <= END - timedelta(days=365)
        )
        assert 1.15 < this / before < 1.35


# ---- incidents -----------------------------------------------------------------------------


def test_the_missing_export_is_the_end_day_of_its_shop(
    days_by_shop: dict[str, dict[date, Day]],
) -> None:
    missing = INCIDENTS["missing-export"]
    assert (missing.shop, missing.days_before_end) == ("douyin-beauty", 0)
    assert END not in days_by_shop["douyin-beauty"]
    assert END - timedelta(days=1) in days_by_shop["douyin-beauty"]
    assert END in days_by_shop["tmall-apparel"] and END in days_by_shop["jd-home"]


def test_the_conversion_slide_falls_over_2_percent_a_day_against_its_7_day_mean(
    days_by_shop: dict[str, dict[date, Day]],
) -> None:
    slide = INCIDENTS["conversion-slide"]
    days = days_by_shop[slide.shop]
    assert (slide.shop, slide.days, slide.factor) == ("jd-home", 5, 0.94)
    for back in range(slide.days):
        day = END - timedelta(days=back)
        value = days[day]["buyers"] / days[day]["visitors"]
        trailing = _ratio(days, "buyers", "visitors", day - timedelta(days=7), day - timedelta(1))
        assert value <= trailing * slide.factor, day
    # The ops day: 164 buyers of 6,477 visitors, 2.53 % against a 7-day mean of 2.70 %.
    assert (days[END]["buyers"], days[END]["visitors"]) == (164, 6477)


def test_the_chat_spike_sits_at_the_last_peak(days_by_shop: dict[str, dict[date, Day]]) -> None:
    spike = INCIDENTS["chat-spike"]
    days = days_by_shop[spike.shop]
    peak = date(2026, 11, 11)  # the most recent major peak before END: 双11
    for i, seconds in enumerate(spike.first_response_s):
        v = days[peak + timedelta(days=spike.offset + i)]
        ratio = v["cs_response_seconds"] / v["cs_sessions"]
        assert abs(ratio - seconds) <= 0.5 / v["cs_sessions"]
        assert ratio > 8
    before = days[peak + timedelta(days=spike.offset - 1)]
    assert before["cs_response_seconds"] / before["cs_sessions"] < 8


def test_the_stockout_streak_runs_up_to_the_ops_day(
    days_by_shop: dict[str, dict[date, Day]],
) -> None:
    streak = INCIDENTS["stockout-streak"]
    days = days_by_shop[streak.shop]
    for i in range(streak.days):
        v = days[END - timedelta(days=streak.days - 1 - i)]
        rate = streak.rate_from + (streak.rate_to - streak.rate_from) * i / (streak.days - 1)
        assert v["stockout_skus"] == math.ceil(v["active_skus"] * rate)
        assert v["stockout_skus"] / v["active_skus"] >= 0.03
    # Outside the streak the stock-out rate stays under 3 %, at every shop, every day.
    start = END - timedelta(days=streak.days - 1)
    for shop, shop_days in days_by_shop.items():
        for day, v in shop_days.items():
            if shop == streak.shop and day >= start:
                continue
            assert v["stockout_skus"] / v["active_skus"] < 0.03, (shop, day)


def test_targets_and_events(demo_conn: sqlite3.Connection) -> None:
    gmv = demo_conn.execute(
        "SELECT valid_from, valid_to, value, amber FROM targets t"
        " JOIN metrics m ON m.id = t.metric_id JOIN shops s ON s.id = t.shop_id"
        " WHERE m.key = 'gmv' AND s.key = 'jd-home' ORDER BY valid_from"
    ).fetchall()
    periods = [(r[0], r[1]) for r in gmv]
    assert periods[0] == ("2023-11-23", "2024-05-31")
    assert ("2026-10-20", "2026-11-11") in periods  # 双11 warm-up and peak
    assert periods[-1] == ("2026-11-12", None)  # open-ended
    by_from = {r[0]: r[2] for r in gmv}
    assert by_from["2026-10-20"] > 1.5 * by_from["2026-06-19"]  # higher in the 双11 weeks
    assert by_from["2025-06-19"] > by_from["2024-06-19"]  # and growing with the shop
    assert all(r[3] == round(r[2] * 0.1) for r in gmv)
    conversion = demo_conn.execute(
        "SELECT s.key, t.value, t.amber FROM targets t JOIN metrics m ON m.id = t.metric_id"
        " JOIN shops s ON s.id = t.shop_id WHERE m.key = 'conversion_rate' ORDER BY s.id"
    ).fetchall()
    assert as_tuples(conversion) == [
        ("tmall-apparel", 0.040, 0.004),
        ("jd-home", 0.029, 0.003),
        ("douyin-beauty", 0.021, 0.002),
    ]
    events = as_tuples(
        demo_conn.execute(
            "SELECT e.day, s.key, e.kind, e.title FROM events e"
            " LEFT JOIN shops s ON s.id = e.shop_id"
            " WHERE e.day >= '2026-10-01' AND e.kind != 'pdca' ORDER BY e.day"
        ).fetchall()
    )
    assert events == [
        ("2026-10-20", None, "campaign", "双11 warm-up starts"),
        ("2026-11-10", "tmall-apparel", "incident", "Chat first response over 8 s at the peak"),
        ("2026-11-11", None, "campaign", "双11 peak"),
        ("2026-11-17", "tmall-apparel", "incident", "Stock-outs above 3 % of active SKUs"),
        ("2026-11-18", "jd-home", "incident", "Conversion sliding for 5 days"),
        ("2026-11-22", "douyin-beauty", "incident", "Daily export missing"),
    ]


def test_one_audit_event_records_the_build(demo_conn: sqlite3.Connection) -> None:
    rows = demo_conn.execute(
        "SELECT object_key, action, old, new, actor FROM audit_events WHERE object_type = 'demo'"
    ).fetchall()
    assert len(rows) == 1
    assert (rows[0]["object_key"], rows[0]["action"], rows[0]["old"]) == ("store", "build", None)
    assert '"values": 78888' in rows[0]["new"]
    assert '"seed": 618' in rows[0]["new"]


def test_the_ops_day_raises_stale_conversion_drop_and_stockout_alerts(
    demo_conn: sqlite3.Connection,
) -> None:
    standup = pytest.importorskip("opsdesk.views.standup")
    alerts = {(a.rule_key, a.shop_key) for a in standup.build_standup(demo_conn, END).alerts}
    assert ("stale-data", "douyin-beauty") in alerts
    assert ("conversion-drop", "jd-home") in alerts
    assert ("stockout-rate", "tmall-apparel") in alerts
    peak = {
        (a.rule_key, a.shop_key)
        for a in standup.build_standup(demo_conn, date(2026, 11, 11)).alerts
    }
    assert ("cs-response", "tmall-apparel") in peak


# ---- refusing and replacing ------------------------------------------------------------------


def _counts(conn: sqlite3.Connection) -> tuple[int, ...]:
    tables = ("shops", "observations", "targets", "events", "alerts", "audit_events")
    return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)  # noqa: S608


def test_refuses_a_store_with_shops_or_values_unless_replace(store_path: Path) -> None:
    conn = open_store(store_path)
    build_demo(conn, days=40, end=END, seed=1)
    conn.execute(
        "INSERT INTO alerts (rule_key, shop_id, metric_key, day, severity, message, raised_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        ("stale-data", 3, None, END.isoformat(), "red", "no data", "2026-11-23T00:00:00+00:00"),
    )
    before = _counts(conn)
    with pytest.raises(DemoError, match=r"already has 3 shop\(s\) and 2,856 value\(s\)"):
        build_demo(conn, days=40, end=END, seed=2)
    assert _counts(conn) == before

    summary = build_demo(conn, days=40, end=END, seed=1, replace=True)
    assert summary.values == 2_856
    # Alerts gone, the same demo rebuilt; the catalogue's all-shop targets stay.
    assert _counts(conn)[:5] == (before[0], before[1], before[2], before[3], 0)
    global_targets = conn.execute("SELECT count(*) FROM targets WHERE shop_id IS NULL").fetchone()
    assert global_targets[0] > 0
    audit = conn.execute(
        "SELECT action, old FROM audit_events WHERE object_type = 'demo' ORDER BY id"
    ).fetchall()
    assert [a["action"] for a in audit] == ["build", "replace"]
    assert '"alerts": 1' in audit[1]["old"] and '"observations": 2856' in audit[1]["old"]
    conn.close()


def test_refuses_a_store_with_a_shop_of_its_own(store_path: Path) -> None:
    from opsdesk.store import shops

    conn = open_store(store_path)
    shops.add(conn, "my-shop", "My shop", "taobao")
    with pytest.raises(DemoError, match="already has 1 shop"):
        build_demo(conn, days=30, end=END)
    assert conn.execute("SELECT count(*) FROM observations").fetchone()[0] == 0
    conn.close()


def test_bad_arguments_and_bad_parameter_files(store_path: Path, tmp_path: Path) -> None:
    conn = open_store(store_path)
    with pytest.raises(DemoError, match="--days: 5 is not between 28"):
        build_demo(conn, days=5, end=END)
    with pytest.raises(DemoError, match="--shops: 0 is not between 1"):
        build_demo(conn, shops=0, end=END)
    conn.close()
    bad = tmp_path / "demo.toml"
    text = (
        shipped.demo_file()
        .read_text(encoding="utf-8")
        .replace("conversion = 0.040", "conversion = 'x'")
    )
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(DemoError, match=r"profile #1 \(tmall-apparel\): field 'conversion'"):
        load_params(bad)


# ---- seasons ---------------------------------------------------------------------------------


def test_seasons_cross_the_new_year_and_ramp_their_warm_up() -> None:
    found = windows(PARAMS.seasons, date(2025, 12, 20), date(2026, 1, 10))
    new_year = [w for w in found if w.season.key == "new-year"]
    assert [(w.start, w.peak, w.end) for w in new_year] == [
        (date(2025, 12, 29), date(2026, 1, 1), date(2026, 1, 3))
    ]
    first, last = date(2026, 5, 1), date(2026, 7, 1)
    june = windows(PARAMS.seasons, first, last)
    factors = day_factors(june, first, last)
    assert factors[date(2026, 6, 1)]["visitors"] == pytest.approx(1 + 0.9 / 17)
    assert factors[date(2026, 6, 17)]["visitors"] == pytest.approx(1.9)
    assert factors[date(2026, 6, 18)]["visitors"] == 6.5
    assert factors[date(2026, 6, 19)]["visitors"] == 0.8
    assert date(2026, 6, 22) not in factors
    assert target_periods(june, first, last) == [
        (date(2026, 5, 1), date(2026, 5, 31), ""),
        (date(2026, 6, 1), date(2026, 6, 18), "618"),
        (date(2026, 6, 19), date(2026, 7, 1), ""),
    ]


# ---- command line ----------------------------------------------------------------------------


def test_cli_builds_refuses_and_replaces(tmp_path: Path) -> None:
    db = tmp_path / "cli.sqlite"
    runner = CliRunner()
    args = ["--db", str(db), "demo", "--days", "30", "--end", "2026-11-22", "--seed", "3"]
    first = runner.invoke(cli_main, args)
    assert first.exit_code == 0, first.output
    assert first.output.startswith(
        "demo: 3 shops (tmall-apparel, jd-home, douyin-beauty), 30 days 2026-10-24..2026-11-22, "
        "2,136 values, 4 incidents (conversion-slide at jd-home, chat-spike at tmall-apparel, "
        "stockout-streak at tmall-apparel, missing-export at douyin-beauty), seed 3"
    )
    again = runner.invoke(cli_main, args)
    assert again.exit_code == 1
    assert "already has 3 shop(s) and 2,136 value(s); use --replace" in again.output
    # --replace rebuilds the SOP checklist history with the demo: its runs do not pin the shops.
    fewer = runner.invoke(cli_main, [*args, "--replace", "--shops", "1"])
    assert fewer.exit_code == 0, fewer.output
    assert fewer.output.startswith("demo: 1 shops (tmall-apparel), 30 days")
    replaced = runner.invoke(cli_main, [*args, "--replace", "--seed", "4"])
    assert replaced.exit_code == 0, replaced.output
    assert "3 shops (tmall-apparel, jd-home, douyin-beauty)" in replaced.output
    assert replaced.output.rstrip().endswith(f"seed 4 -> {db}")
    too_short = runner.invoke(cli_main, [*args, "--replace", "--days", "7"])
    assert too_short.exit_code == 1
    assert "--days: 7 is not between 28 and 7320" in too_short.output


def test_cli_ends_on_the_ops_day_by_default(tmp_path: Path) -> None:
    db = tmp_path / "default-end.sqlite"
    before = ops_day(system_clock, "Asia/Shanghai")
    result = CliRunner().invoke(cli_main, ["--db", str(db), "demo", "--days", "28"])
    after = ops_day(system_clock, "Asia/Shanghai")
    assert result.exit_code == 0, result.output
    conn = open_store(db)
    last = conn.execute("SELECT max(day) FROM observations").fetchone()[0]
    conn.close()
    assert last in (before.isoformat(), after.isoformat())


def test_replace_keeps_the_shops_it_still_has_and_removes_the_others(store_path: Path) -> None:
    conn = open_store(store_path)
    build_demo(conn, days=30, end=END)
    ids = dict(conn.execute("SELECT key, id FROM shops").fetchall())
    build_demo(conn, shops=1, days=30, end=END, replace=True)
    assert as_tuples(conn.execute("SELECT key, id FROM shops").fetchall()) == [
        ("tmall-apparel", ids["tmall-apparel"])
    ]
    old = conn.execute(
        "SELECT old FROM audit_events WHERE object_type = 'demo' ORDER BY id DESC LIMIT 1"
    ).fetchone()[0]
    assert '"shops": 2' in old
    # A shop-specific alert rule refers to the shop: it cannot be removed, nothing changes.
    conn.execute(
        "INSERT INTO alert_rules (key, shop_id, kind, severity) VALUES (?, ?, ?, ?)",
        ("tmall-stale", ids["tmall-apparel"], "stale", "red"),
    )
    before = _counts(conn)
    with pytest.raises(DemoError, match=r"cannot remove shop\(s\) tmall-apparel: alert_rules \(1"):
        build_demo(conn, shops=2, days=30, end=END, seed=9, replace=True, params=_jd_first())
    assert _counts(conn) == before
    conn.close()


def _jd_first() -> DemoParams:
    """The demo parameters with the profiles in another order (JD first, no Tmall)."""
    from dataclasses import replace

    return replace(PARAMS, profiles=PARAMS.profiles[1:])


def test_the_demo_is_not_imported_at_start_up() -> None:
    import subprocess
    import sys

    code = (
        "import sys, opsdesk.entry, opsdesk.cli; "
        "print(sorted(m for m in sys.modules if m.startswith('opsdesk.demo')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
