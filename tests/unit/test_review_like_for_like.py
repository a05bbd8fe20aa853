"""The review's all-shops figures follow the one all-shops rule (domain.coverage, domain.all_shops)
when a shop is missing on some days: the review, `report weekly|monthly --format json` and the
stand-up agree. Also: the column engine gives exactly the KPI engine's values."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from review_data import fill, put_values

from opsdesk.cli import main
from opsdesk.cli import reports as reports_cli
from opsdesk.domain import columns, coverage, periods
from opsdesk.domain.kpis import aggregate
from opsdesk.store.catalogue import load_metrics
from opsdesk.store.observations import by_shop, load_columns, load_daily
from opsdesk.views.review import build_review
from opsdesk.views.standup import build_standup

W47 = periods.parse("week", "2026-W47")  # 2026-11-16 .. 2026-11-22
OPS_DAY = date(2026, 11, 23)
JD_W46 = {"visitors": 90.0, "buyers": 9.0, "gmv": 810.0}


@pytest.fixture
def gappy(conn: sqlite3.Connection) -> sqlite3.Connection:
    """The review store, with jd-home also in W46 and W45 but for two days, missing on W47's
    Wednesday and partial (GMV, no visitors) on its Thursday."""
    fill(conn)
    d = date(2026, 11, 2)
    while d < W47.start:
        if d not in (date(2026, 11, 10), date(2026, 11, 12)):
            put_values(conn, "jd-home", d, JD_W46)
        d += timedelta(days=1)
    conn.execute(
        "DELETE FROM observations WHERE day IN (?, ?)"
        " AND shop_id = (SELECT id FROM shops WHERE key = 'jd-home')",
        ("2026-11-18", "2026-11-19"),
    )
    put_values(conn, "jd-home", date(2026, 11, 19), {"gmv": 1000.0, "buyers": 10.0})
    conn.commit()
    return conn


def _report_json(store_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> dict:
    monkeypatch.setattr(reports_cli, "_ops_day", lambda conn: OPS_DAY)
    result = CliRunner().invoke(main, ["--db", str(store_path), "report", *args])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    return {k["key"]: k for k in data["total"]["metrics"]}


def test_review_agrees_with_report_json_and_the_standup(
    gappy: sqlite3.Connection, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    review = build_review(gappy, W47, OPS_DAY)
    week = _report_json(store_path, monkeypatch, "weekly", "--week", "2026-W47", "--format", "json")
    for key in ("visitors", "gmv", "conversion_rate", "aov"):
        e, k = review.entry(key), week[key]
        assert e.summary["week"] == pytest.approx(k["value"], abs=1e-6), key
        assert e.summary["week_prev"] == pytest.approx(k["previous"], abs=1e-6), key
        assert e.compared["wow"][1] == pytest.approx(k["previous"], abs=1e-6), key
        if e.metric.unit != "%":  # rates change in points in the review, relative in reports
            assert e.change("wow").value == pytest.approx(k["change"], abs=1e-6), key
    # the exact figures: jd-home's Wednesday (missing) and Thursday (partial) do not count,
    # and W46's Wednesday and Thursday are left out for jd-home too (like for like) — W46's
    # Tuesday 2026-11-10 is jd-home's missing day, so W47's Tuesday is left out as well
    gmv = review.entry("gmv")
    assert gmv.summary["week"] == 7 * 9680 + 5 * 1000
    assert gmv.compared["wow"] == (7 * 9680 + 4 * 1000, 7 * 8000 + 4 * 810)
    assert gmv.change("wow").text() == "+21.1%"  # 71,760 / 59,240 - 1: jd like for like
    # the GMV split pairs the same days as the report's
    split = next(s.decomposition for s in review.splits if s.shop == "all")
    report_split = json.loads(
        CliRunner()
        .invoke(
            main,
            ["--db", str(store_path), "report", "weekly", "--week", "2026-W47", "--format", "json"],
        )
        .output
    )["total"]["gmv_decomposition"]
    assert split is not None and float(split.change) == report_split["change"]
    # month to date (to the week's Sunday) against `report monthly` cut to that day
    monkeypatch.setattr(reports_cli, "_ops_day", lambda conn: W47.end)
    month = _report_json(
        store_path, monkeypatch, "monthly", "--month", "2026-11", "--format", "json"
    )
    for key in ("visitors", "gmv", "conversion_rate"):
        e, k = review.entry(key), month[key]
        assert e.summary["mtd"] == pytest.approx(k["value"], abs=1e-6), key
        assert e.summary["mtd_ly"] == pytest.approx(k["last_year"], abs=1e-6), key
    # the stand-up counts the same days: its all-shops GMV of each day of the week adds up
    days = [build_standup(gappy, d) for d in W47.days()]
    gmv_days = [
        next(line.value for line in s.summary.lines if line.metric.key == "gmv") for s in days
    ]
    assert sum(v or 0.0 for v in gmv_days) == gmv.summary["week"]
    assert [s.coverage.label if s.coverage else "" for s in days][2:4] == [
        "1 of 2 reporting",
        "1 of 2 reporting",
    ]


def test_columns_give_the_kpi_engines_values(gappy: sqlite3.Connection) -> None:
    """Every metric over assorted spans (one shop, both shops, with days left out) is the
    KPI engine's value to the last bit."""
    metrics = load_metrics(gappy)
    first = date(2025, 11, 1)
    data = by_shop(load_daily(gappy, first, W47.end))
    dailies = [data["tmall-apparel"], data["jd-home"]]
    n = (W47.end - first).days + 1
    cols = [columns.Columns(d, first, n) for d in dailies]
    spans = [
        (W47.start, W47.end),
        (date(2026, 11, 1), W47.end),
        (first, W47.end),
        (date(2026, 11, 19), date(2026, 11, 19)),
        (date(2025, 11, 17), date(2025, 11, 23)),
    ]
    for m in metrics.values():
        for start, end in spans:
            days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
            assert columns.value(m, metrics, cols, start, end) == aggregate(
                m, metrics, dailies, days
            )
            one = columns.value(m, metrics, cols[1:], start, end)
            assert one == aggregate(m, metrics, dailies[1:], days), (m.key, start)
            drop = {cols[0].index(W47.start + timedelta(days=2))}
            kept = {d: r for d, r in dailies[0].items() if d != W47.start + timedelta(days=2)}
            got = columns.value(m, metrics, cols[:1], start, end, [drop])
            assert got == aggregate(m, metrics, [kept], days), (m.key, start)


def test_columns_read_straight_from_the_store(gappy: sqlite3.Connection) -> None:
    """`load_columns` lays out what `load_daily` reads, and the day states from its bit sets
    are `coverage.day_states` (jd-home's Thursday partial, its Wednesday missing)."""
    first = date(2026, 10, 1)
    n = (W47.end - first).days + 1
    loaded = load_columns(gappy, first, W47.end, ["tmall-apparel", "jd-home"])
    data = by_shop(load_daily(gappy, first, W47.end))
    for shop in ("tmall-apparel", "jd-home"):
        laid = columns.Columns.laid_out(first, n, *loaded[shop])
        built = columns.Columns(data[shop], first, n)
        assert laid.values == built.values and laid.present == built.present
        assert laid.any == built.any and laid.daily(first, W47.end) == data[shop]
        recorded = 0
        for bits in laid.present.values():
            recorded |= bits
        assert coverage.day_states_of_bits(first, recorded, laid.present) == coverage.day_states(
            data[shop]
        )
    states = coverage.day_states(data["jd-home"])
    assert states[date(2026, 11, 19)] == coverage.PARTIAL and date(2026, 11, 18) not in states
