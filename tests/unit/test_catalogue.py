"""The shipped catalogue and users' own metric files."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from opsdesk.domain.metrics import FormulaError, format_value, parse_formula
from opsdesk.store.catalogue import CatalogueError, load_catalogue, load_metrics

DOMAIN_BASE = (
    "visitors paid_visitors buyers orders gmv ad_spend ad_clicks ad_impressions ad_gmv "
    "refund_amount repeat_buyers reviews negative_reviews cs_sessions cs_response_seconds "
    "aftersales_tickets aftersales_late shipped_orders late_shipments dsr active_skus "
    "stockout_skus stock_value slow_stock_value"
).split()
DOMAIN_DERIVED = {
    "conversion_rate": "buyers / visitors",
    "aov": "gmv / buyers",
    "paid_share": "paid_visitors / visitors",
    "ctr": "ad_clicks / ad_impressions",
    "cpc": "ad_spend / ad_clicks",
    "roas": "ad_gmv / ad_spend",
    "refund_rate": "refund_amount / gmv",
    "repurchase_rate": "repeat_buyers / buyers",
    "negative_review_rate": "negative_reviews / reviews",
    "cs_first_response_s": "cs_response_seconds / cs_sessions",
    "aftersales_late_rate": "aftersales_late / aftersales_tickets",
    "late_shipment_rate": "late_shipments / shipped_orders",
    "stockout_rate": "stockout_skus / active_skus",
    "slow_stock_share": "slow_stock_value / stock_value",
}


def test_every_domain_metric_ships(conn: sqlite3.Connection) -> None:
    metrics = load_metrics(conn)
    for key in DOMAIN_BASE:
        assert key in metrics and not metrics[key].is_derived, key
        assert metrics[key].name_zh, key
    for key, formula in DOMAIN_DERIVED.items():
        assert str(metrics[key].formula) == formula
    assert metrics["dsr"].aggregation == "last"
    assert metrics["stock_value"].aggregation == "last"
    assert metrics["gmv"].aggregation == "sum"
    assert metrics["conversion_rate"].name_zh == "支付转化率"
    assert metrics["paid_share"].direction == "down"


def test_default_targets_and_rules(conn: sqlite3.Connection) -> None:
    rows = conn.execute(
        "SELECT m.key, t.value, t.amber FROM targets t JOIN metrics m ON m.id = t.metric_id"
        " WHERE t.shop_id IS NULL"
    ).fetchall()
    targets = {r[0]: (r[1], r[2]) for r in rows}
    assert targets["conversion_rate"] == (0.05, 0.005)
    assert targets["roas"] == (3.0, 0.3)
    assert targets["paid_share"] == (0.30, 0.03)
    rule = conn.execute(
        "SELECT r.kind, r.baseline, r.threshold, m.key FROM alert_rules r"
        " JOIN metrics m ON m.id = r.metric_id WHERE r.key = 'conversion-drop'"
    ).fetchone()
    assert tuple(rule) == ("drop", "mean_7d", 0.02, "conversion_rate")


def test_reloading_is_idempotent_and_keeps_user_targets(conn: sqlite3.Connection) -> None:
    conn.execute(
        "UPDATE targets SET value = 0.045 WHERE metric_id ="
        " (SELECT id FROM metrics WHERE key = 'conversion_rate')"
    )
    result = load_catalogue(conn)
    assert (result.added, result.updated, result.rules_added, result.targets_added) == (
        [],
        [],
        [],
        [],
    )
    value = conn.execute(
        "SELECT value FROM targets t JOIN metrics m ON m.id = t.metric_id"
        " WHERE m.key = 'conversion_rate'"
    ).fetchone()[0]
    assert value == 0.045


def test_user_metrics_file(conn: sqlite3.Connection, tmp_path: Path) -> None:
    f = tmp_path / "mine.toml"
    f.write_text(
        '[[metric]]\nkey = "live_viewers"\nname_en = "Live viewers"\nunit = "count"\n'
        'aliases = ["观看人数"]\n\n'
        '[[metric]]\nkey = "net_roi"\nname_en = "Net ROI"\nunit = "x"\ndirection = "up"\n'
        'formula = "(ad_gmv - ad_spend) / ad_spend"\n\n'
        '[[metric]]\nkey = "viewer_conversion"\nname_en = "Viewer conversion"\nunit = "%"\n'
        'formula = "buyers / live_viewers"\n',
        encoding="utf-8",
    )
    result = load_catalogue(conn, f, source="mine.toml")
    assert result.added == ["live_viewers", "net_roi", "viewer_conversion"]
    metrics = load_metrics(conn)
    net = metrics["net_roi"].formula
    assert net is not None
    assert net.evaluate({"ad_gmv": 400.0, "ad_spend": 100.0}) == 3.0
    assert json.loads(
        conn.execute("SELECT aliases FROM metrics WHERE key = 'live_viewers'").fetchone()[0]
    ) == ["观看人数"]
    audit = conn.execute("SELECT actor, action FROM audit_events WHERE object_key = 'net_roi'")
    assert [tuple(r)[1] for r in audit] == ["create"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[metric]]\nname_en = "X"\n', "bad.toml:5: metric #2: field 'key' is required"),
        ('[[metric]]\nkey = "x"\nname_en = "X"\nunit = "bananas"\n', "field 'unit': 'bananas'"),
        (
            '[[metric]]\nkey = "x"\nname_en = "X"\nformula = "buyers / nope"\n',
            "field 'formula': 'buyers / nope': 'nope' is not a base metric",
        ),
        ('[[metric]]\nkey = "x"\nname_en = "X"\nformula = "buyers"\n', "exactly one /"),
        (
            '[[metric]]\nkey = "gmv"\nname_en = "X"\nformula = "buyers / visitors"\n',
            "'gmv' is already a base metric",
        ),
        ('[[metric]]\nkey = "x"\nname_en = "X"\ndirection = "sideways"\n', "not up or down"),
        ("[[metric]\nkey=", "not valid TOML"),
    ],
)
def test_malformed_metric_files_are_refused_whole(
    conn: sqlite3.Connection, tmp_path: Path, body: str, message: str
) -> None:
    f = tmp_path / "bad.toml"
    f.write_text('[[metric]]\nkey = "fine"\nname_en = "Fine"\n\n' + body, encoding="utf-8")
    before = conn.execute("SELECT count(*) FROM metrics").fetchone()[0]
    with pytest.raises(CatalogueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_catalogue(conn, f)
    assert conn.execute("SELECT count(*) FROM metrics").fetchone()[0] == before


def test_formula_ratio_of_sums_and_undefined() -> None:
    f = parse_formula("buyers / visitors")
    assert f.evaluate({"buyers": 38.0, "visitors": 1000.0}) == 0.038
    assert f.evaluate({"buyers": 3.0, "visitors": 0.0}) is None
    assert f.evaluate({"buyers": 3.0}) is None
    g = parse_formula("(gmv - 2 * refund_amount) / buyers")
    assert g.evaluate({"gmv": 100.0, "refund_amount": 10.0, "buyers": 4.0}) == 20.0
    assert str(g) == "(gmv - 2 * refund_amount) / buyers"
    with pytest.raises(FormulaError):
        parse_formula("buyers / / visitors")
    with pytest.raises(FormulaError):
        parse_formula("buyers visitors / x")


def test_format_value(conn: sqlite3.Connection) -> None:
    m = load_metrics(conn)
    assert format_value(m["conversion_rate"], 0.038) == "3.80%"
    assert format_value(m["conversion_rate"], None) == "—"
    assert format_value(m["gmv"], 1234567.8) == "1,234,568"
    assert format_value(m["aov"], 198.0) == "198.00"
    assert format_value(m["roas"], 3.0) == "3.00×"
    assert format_value(m["visitors"], 23000.0) == "23,000"
    assert format_value(m["conversion_rate"], 0.004, signed=True) == "+0.40%"
