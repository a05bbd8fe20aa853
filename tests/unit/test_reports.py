"""Reports on hand-built data: values, comparisons, blended targets, to-date cuts, the GMV
split, the JSON/CSV/Markdown writers and the report, check and target commands."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from opsdesk.cli import main
from opsdesk.domain import periods
from opsdesk.reports.writers import render_csv, render_json, render_markdown, render_text, to_dict
from opsdesk.store import shops
from opsdesk.store.db import open_store
from opsdesk.store.targets import set_target
from opsdesk.views.report import build_report

W47 = periods.parse("week", "2026-W47")  # 2026-11-16 .. 2026-11-22
W46 = W47.previous()


def _put(conn: sqlite3.Connection, shop: str, day: date, values: dict[str, float]) -> None:
    ids = {r[0]: r[1] for r in conn.execute("SELECT key, id FROM metrics")}
    sid = conn.execute("SELECT id FROM shops WHERE key = ?", (shop,)).fetchone()[0]
    conn.executemany(
        "INSERT OR REPLACE INTO observations (shop_id, metric_id, day, value) VALUES (?, ?, ?, ?)",
        [(sid, ids[k], day.isoformat(), v) for k, v in values.items()],
    )


@pytest.fixture
def filled(conn: sqlite3.Connection) -> sqlite3.Connection:
    shops.add(conn, "tmall-apparel", "Tmall apparel flagship", "tmall")
    shops.add(conn, "jd-home", "JD home | store", "jd")
    for d in W46.days():
        _put(conn, "tmall-apparel", d, {"visitors": 1000, "buyers": 40, "gmv": 8000})
        _put(conn, "jd-home", d, {"buyers": 5, "gmv": 500})
    for d in W47.days():
        _put(conn, "tmall-apparel", d, {"visitors": 1100, "buyers": 44, "gmv": 9680})
        _put(conn, "jd-home", d, {"buyers": 10, "gmv": 1000})
    _put(conn, "tmall-apparel", date(2025, 11, 17), {"visitors": 500, "buyers": 10, "gmv": 2000})
    set_target(conn, "gmv", 9000, shop_key="tmall-apparel", valid_to=date(2026, 11, 18))
    set_target(conn, "gmv", 10000, shop_key="tmall-apparel", valid_from=date(2026, 11, 19))
    return conn


def test_weekly_report_values_targets_and_split(filled: sqlite3.Connection) -> None:
    r = build_report(filled, W47, as_of=date(2026, 11, 23))
    assert r.complete and [s.shop_key for s in r.shops] == ["jd-home", "tmall-apparel"]
    tmall = r.shops[1]
    gmv = tmall.kpi("gmv")
    assert (gmv.value, gmv.previous, gmv.last_year, gmv.target) == (
        67760.0,
        56000.0,
        2000.0,
        67000.0,
    )
    assert gmv.change == pytest.approx(0.21) and gmv.status == "green"
    conv = tmall.kpi("conversion_rate")
    assert (conv.value, conv.previous, conv.target, conv.status) == (0.04, 0.04, 0.05, "red")
    assert conv.change == 0.0 and conv.change_year == pytest.approx(1.0)
    d = tmall.decomposition
    assert d is not None
    assert (d.change, d.visitors_effect, d.conversion_effect, d.aov_effect) == (
        Decimal("11760.00"),
        Decimal("5880.00"),
        Decimal("0.00"),
        Decimal("5880.00"),
    )
    jd = r.shops[0]
    assert jd.kpi("conversion_rate").value is None and jd.kpi("conversion_rate").status == "none"
    assert jd.kpi("aov").value == 100.0 and jd.decomposition is None
    assert jd.kpi("gmv").last_year is None and jd.kpi("gmv").change_year is None
    total = r.total
    assert total.kpi("gmv").value == 74760.0
    assert total.kpi("conversion_rate").value == 0.04  # jd has no visitors: left out
    assert total.kpi("gmv").target is None  # jd-home has no GMV target: no sum of targets


def test_running_week_is_compared_to_date(filled: sqlite3.Connection) -> None:
    r = build_report(filled, W47, as_of=date(2026, 11, 18))
    assert not r.complete
    assert (r.current.start, r.current.end) == (date(2026, 11, 16), date(2026, 11, 18))
    assert (r.previous.start, r.previous.end) == (date(2026, 11, 9), date(2026, 11, 11))
    gmv = r.shops[1].kpi("gmv")
    assert (gmv.value, gmv.previous, gmv.target) == (29040.0, 24000.0, 27000.0)


def test_stale_when_the_last_day_has_no_data(filled: sqlite3.Connection) -> None:
    r = build_report(filled, periods.parse("day", "2026-11-23"))
    assert [s.has_data for s in r.shops] == [False, False]
    assert {k.status for k in r.shops[1].kpis} == {"stale"}


def test_json_shape(filled: sqlite3.Connection) -> None:
    doc = json.loads(render_json(build_report(filled, W47, as_of=date(2026, 11, 30))))
    assert doc["period"] == {
        "kind": "week",
        "key": "2026-W47",
        "start": "2026-11-16",
        "end": "2026-11-22",
        "to_date": "2026-11-22",
        "complete": True,
    }
    assert doc["previous"] == {"key": "2026-W46", "start": "2026-11-09", "end": "2026-11-15"}
    assert doc["last_year"]["key"] == "2025-W47"
    assert [s["shop"] for s in doc["shops"]] == ["jd-home", "tmall-apparel"]
    tmall = {m["key"]: m for m in doc["shops"][1]["metrics"]}
    assert tmall["conversion_rate"] == {
        "key": "conversion_rate",
        "name": "Conversion",
        "unit": "%",
        "value": 0.04,
        "previous": 0.04,
        "change": 0.0,
        "last_year": 0.02,
        "change_year": 1.0,
        "target": 0.05,
        "status": "red",
    }
    assert tmall["orders"]["value"] is None and tmall["orders"]["status"] == "none"
    jd = {m["key"]: m for m in doc["shops"][0]["metrics"]}
    assert jd["conversion_rate"]["value"] is None
    assert doc["shops"][0]["gmv_decomposition"] is None
    assert doc["shops"][1]["gmv_decomposition"] == {
        "method": "LMDI-I (additive log-mean Divisia index)",
        "gmv_previous": 56000.0,
        "gmv_current": 67760.0,
        "change": 11760.0,
        "visitors_effect": 5880.0,
        "conversion_effect": 0.0,
        "aov_effect": 5880.0,
    }
    assert doc["total"]["shop"] == "all" and doc["total"]["gmv_decomposition"] is None
    assert to_dict(build_report(filled, W47))["period"]["complete"] is True


def test_csv_and_markdown(filled: sqlite3.Connection) -> None:
    r = build_report(filled, W47)
    rows = list(csv.DictReader(io.StringIO(render_csv(r))))
    n_metrics = filled.execute("SELECT count(*) FROM metrics").fetchone()[0]
    assert len(rows) == 3 * n_metrics
    conv = next(
        x for x in rows if x["shop"] == "tmall-apparel" and x["metric"] == "conversion_rate"
    )
    assert conv == {
        "period_kind": "week",
        "period_key": "2026-W47",
        "shop": "tmall-apparel",
        "metric": "conversion_rate",
        "unit": "%",
        "value": "0.04",
        "previous": "0.04",
        "change": "0.0",
        "last_year": "0.02",
        "change_year": "1.0",
        "target": "0.05",
        "status": "red",
    }
    assert (
        next(x for x in rows if x["shop"] == "jd-home" and x["metric"] == "conversion_rate")[
            "value"
        ]
        == ""
    )
    md = render_markdown(r)
    assert "## JD home \\| store (`jd-home`)" in md
    assert "| Conversion | 4.00% | 4.00% | +0.0% | 2.00% | 5.00% | red |" in md
    assert "| GMV | 67,760 | 56,000 | +21.0% | 2,000 | 67,000 | green |" in md
    assert "  visitors +5,880.00 · conversion +0.00 · AOV +5,880.00" in md
    assert md.count("GMV split vs 2026-W46: undefined") == 2  # jd-home and all shops
    assert len(render_text(r)) == 2 + 3 * 3


def _cli(store_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", str(store_path), *args])
    return result.exit_code, result.output


def test_report_commands(filled: sqlite3.Connection, store_path: Path) -> None:
    code, out = _cli(store_path, "report", "weekly", "--week", "2026-W47", "--format", "json")
    assert code == 0
    assert json.loads(out)["shops"][1]["metrics"][4]["key"] == "gmv"
    code, out = _cli(
        store_path,
        "report",
        "daily",
        "--date",
        "2026-11-22",
        "--format",
        "csv",
        "--shop",
        "jd-home",
    )
    assert code == 0 and {row.split(",")[2] for row in out.splitlines()[1:]} == {"jd-home", "all"}
    code, out = _cli(store_path, "report", "monthly", "--month", "2026-11", "--format", "md")
    assert code == 0 and out.startswith("# Month report 2026-11: 2026-11-01 – 2026-11-30")
    code, out = _cli(store_path, "report", "weekly", "--week", "2026-W47")
    assert code == 0 and "Tmall apparel flagship (tmall-apparel)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "weekly", "--week", "2026-47"], "expected an ISO week like 2026-W47"),
        (["report", "monthly", "--month", "2026-13"], "expected a month like 2026-11"),
        (["report", "daily", "--date", "2026-11-31"], "expected a date like 2026-11-21"),
        (["report", "daily", "--date", "2026-11-21", "--shop", "nope"], "unknown shop 'nope'"),
        (["check", "--date", "yesterday"], "expected a date like 2026-11-21"),
    ],
)
def test_bad_report_arguments(
    filled: sqlite3.Connection, store_path: Path, args: list[str], message: str
) -> None:
    code, out = _cli(store_path, *args)
    assert code == 1 and message in out


def test_check_exit_codes_and_persisted_alerts(conn: sqlite3.Connection, store_path: Path) -> None:
    shops.add(conn, "jd-home", "JD home store", "jd")
    day = date(2026, 11, 21)
    for i in range(8):
        _put(conn, "jd-home", day - timedelta(days=i), {"gmv": 1000})
    code, out = _cli(store_path, "check", "--date", "2026-11-21")
    assert (code, out) == (0, "2026-11-21: no alerts\n")

    # conversion 4.8% against 5% (amber to 4.5%): amber, no target alert; 4% below its
    # 7-day mean: a warning only
    for i in range(8):
        conv = 48 if i == 0 else 50
        _put(conn, "jd-home", day - timedelta(days=i), {"visitors": 1000, "buyers": conv})
    code, out = _cli(store_path, "check", "--date", "2026-11-21")
    assert code == 1
    assert out.splitlines()[-1] == "2026-11-21: 0 red, 1 warning"

    # 4.4%: red in the KPI table, so its target alert is red too; 12% below its 7-day mean
    _put(conn, "jd-home", day, {"visitors": 1000, "buyers": 44})
    code, out = _cli(store_path, "check", "--date", "2026-11-21")
    assert code == 2
    assert out.splitlines()[-1] == "2026-11-21: 1 red, 1 warning"
    assert "jd-home: Conversion 4.40% is 12.0% below its 7-day mean 5.00%" in out

    shops.add(conn, "douyin-beauty", "Douyin beauty", "douyin")
    code, out = _cli(store_path, "check", "--date", "2026-11-21")
    assert code == 2
    assert out.splitlines()[0].startswith("RED     stale-data")
    stored = conn.execute(
        "SELECT rule_key, severity FROM alerts WHERE day = '2026-11-21' ORDER BY rule_key"
    ).fetchall()
    assert [tuple(r) for r in stored] == [
        ("conversion-below-target", "red"),
        ("conversion-drop", "warning"),
        ("stale-data", "red"),
    ]
    code, _ = _cli(store_path, "check", "--date", "2026-11-21")
    assert code == 2 and conn.execute("SELECT count(*) FROM alerts").fetchone()[0] == 3


def test_target_commands(conn: sqlite3.Connection, store_path: Path) -> None:
    shops.add(conn, "jd-home", "JD home store", "jd")
    code, out = _cli(
        store_path,
        "target",
        "set",
        "conversion_rate",
        "5.5%",
        "--shop",
        "jd-home",
        "--from",
        "2026-11-19",
        "--amber",
        "0.5%",
    )
    assert code == 0, out
    assert "conversion_rate 5.50% (amber 0.50%) for jd-home, 2026-11-19 to …" in out
    c2 = open_store(store_path)
    row = c2.execute(
        "SELECT t.value, t.amber, t.valid_from FROM targets t JOIN shops s ON s.id = t.shop_id"
    ).fetchone()
    c2.close()
    assert tuple(row) == (0.055, 0.005, "2026-11-19")
    code, out = _cli(store_path, "target", "set", "gmv", "¥12,000", "--shop", "jd-home")
    assert code == 0 and "gmv 12,000 per day (amber 0.00) for jd-home" in out
    code, out = _cli(store_path, "target", "list", "--metric", "conversion_rate")
    assert code == 0 and "jd-home" in out and "5.50%" in out and "(all)" in out

    before = conn.execute("SELECT count(*) FROM targets").fetchone()[0]
    for args, message in [
        (["conversion_rate", "5"], "write 5% or 0.05"),
        (["conversion_rate", "abc"], "VALUE: 'abc' is not a number"),
        (["nope", "1"], "unknown metric 'nope'"),
        (["gmv", "1", "--to", "2026-02-30"], "--to: day '2026-02-30'"),
        (["gmv", "1", "--shop", "x"], "unknown shop 'x'"),
    ]:
        code, out = _cli(store_path, "target", "set", *args)
        assert code == 1 and message in out, (args, out)
    assert conn.execute("SELECT count(*) FROM targets").fetchone()[0] == before
