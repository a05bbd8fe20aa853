"""One number everywhere: on one demo store (douyin-beauty's export missing for the ops day)
the stand-up model, the JSON report, the explorer series and `check` say the same thing, cell
by cell; typing part of the missing day in changes none of the all-shops figures."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from opsdesk.cli import main
from opsdesk.demo import build_demo
from opsdesk.domain import periods
from opsdesk.domain.metrics import format_value
from opsdesk.reports.writers import to_dict
from opsdesk.store.observations import set_value
from opsdesk.views.explorer import load_explorer
from opsdesk.views.report import build_report
from opsdesk.views.standup import build_standup
from opsdesk.views.standup_model import StandupModel, change_text, present, sparkline

E = date(2026, 11, 29)  # a Sunday: the ops week 2026-W48 is complete


@pytest.fixture
def demo(conn: sqlite3.Connection) -> sqlite3.Connection:
    build_demo(conn, days=60, end=E)
    return conn


def _json_total(conn: sqlite3.Connection, kind: str, key: str) -> dict[str, object]:
    report = build_report(conn, periods.parse(kind, key), as_of=E)
    total = to_dict(report)["total"]
    assert isinstance(total, dict)
    return total


def test_standup_json_report_and_explorer_agree_cell_by_cell(demo: sqlite3.Connection) -> None:
    standup = build_standup(demo, E)
    model = StandupModel.from_wire(present(standup).to_wire())  # what the screen gets
    total = _json_total(demo, "day", E.isoformat())
    assert total["name"] == standup.summary.shop_name == model.pages[0].name
    assert total["name"] == "All shops (2 of 3 reporting)"
    assert (total["state"], total["has_data"]) == ("partial", True)
    assert total["reporting"] == ["jd-home", "tmall-apparel"]
    assert model.missing() == ["douyin-beauty"]

    by_key = {m["key"]: m for m in total["metrics"]}  # type: ignore[attr-defined]
    rows = {r.metric_key: r for r in model.pages[0].rows}
    assert len(standup.summary.lines) == len(rows) > 15
    for line in standup.summary.lines:
        m, j, row = line.metric, by_key[line.metric.key], rows[line.metric.key]
        where = m.key
        # the read model and the JSON report: the same numbers
        assert j["value"] == _round(line.value), where
        assert j["previous"] == _round(line.previous_day), where
        assert j["change"] == _round(line.change_day), where
        assert j["target"] == _round(line.target), where
        assert j["status"] == line.status, where
        # the screen's cells are those numbers, formatted
        assert row.value == format_value(m, j["value"]), where
        assert row.target == format_value(m, j["target"]), where
        assert row.status == j["status"], where
        assert row.vs_day == change_text(line.change_day, m.direction)[0], where
        # the explorer's all-shops daily series ends on the same day, with the same values
        chart = load_explorer(demo, E, m.key, None, "day")
        assert chart.series[0].label == "all shops"
        assert chart.series[0].values[-14:] == list(line.spark), where
        assert _round(chart.series[0].values[-1]) == j["value"], where
        assert _round(chart.target[-1]) == j["target"], where
        assert row.spark == sparkline(chart.series[0].values[-14:]), where


def test_the_fresh_demo_morning_numbers(demo: sqlite3.Connection) -> None:
    """The issue's numbers: GMV and conversion of the two shops that reported, against their
    own targets, like for like (douyin-beauty left out of the day before as well)."""
    s = build_standup(demo, E)
    line = {x.metric.key: x for x in s.summary.lines}
    tmall_jd = [sh for sh in s.shops if sh.shop_key != "douyin-beauty"]
    day_before = build_standup(demo, E - timedelta(days=1))
    shops_before = {sh.shop_key: {x.metric.key: x for x in sh.lines} for sh in day_before.shops}
    shops_now = {sh.shop_key: {x.metric.key: x for x in sh.lines} for sh in tmall_jd}
    gmv_now = sum(shops_now[k]["gmv"].value or 0 for k in shops_now)
    gmv_before = sum(shops_before[k]["gmv"].value or 0 for k in shops_now)
    assert line["gmv"].value == pytest.approx(gmv_now)
    assert line["gmv"].previous_day == pytest.approx(gmv_before)
    # the GMV target adds up the two reporting shops' targets
    assert line["gmv"].target == sum(shops_now[k]["gmv"].target or 0 for k in shops_now)
    # conversion's target is the shops' own, weighted by visitors (not the catalogue's 5%)
    visitors = {k: shops_now[k]["visitors"].value or 0 for k in shops_now}
    expected = sum((shops_now[k]["conversion_rate"].target or 0) * v for k, v in visitors.items())
    assert line["conversion_rate"].target == pytest.approx(expected / sum(visitors.values()))
    assert line["conversion_rate"].target != 0.05


def test_weekly_gmv_split_is_the_explorers(demo: sqlite3.Connection) -> None:
    total = _json_total(demo, "week", "2026-W48")
    split = total["gmv_decomposition"]
    chart = load_explorer(demo, E, "gmv", None, "day").decomposition
    assert chart is not None and isinstance(split, dict)
    assert split["gmv_current"] == float(chart.gmv_current)
    assert split["gmv_previous"] == float(chart.gmv_previous)
    assert split["visitors_effect"] == float(chart.visitors_effect)
    assert split["conversion_effect"] == float(chart.conversion_effect)
    # the same shops and days on both sides: douyin-beauty's Sunday is left out of both weeks
    gmv = {m["key"]: m for m in total["metrics"]}["gmv"]  # type: ignore[attr-defined]
    assert split["gmv_current"] == round(gmv["value"], 2)
    assert split["gmv_previous"] == round(gmv["previous"], 2)
    # the explorer's weekly all-shops series ends on the same week's figures and targets
    for m in total["metrics"]:  # type: ignore[attr-defined]
        chart = load_explorer(demo, E, m["key"], None, "week")
        assert chart.periods[-1].key == "2026-W48"
        assert _round(chart.series[0].values[-1]) == m["value"], m["key"]
        assert _round(chart.target[-1]) == m["target"], m["key"]


def test_a_partial_day_changes_no_all_shops_number(demo: sqlite3.Connection) -> None:
    before = build_standup(demo, E)
    # five of the missing day's values typed by hand, visitors not among them
    for key, value in {
        "gmv": 40000,
        "buyers": 300,
        "dsr": 4.5,
        "reviews": 80,
        "orders": 320,
    }.items():
        set_value(demo, "douyin-beauty", key, E, value)
    after = build_standup(demo, E)
    douyin = next(s for s in after.shops if s.shop_key == "douyin-beauty")
    assert (douyin.has_data, douyin.state, douyin.note) == (
        False,
        "partial",
        "partial: visitors missing",
    )
    dsr = next(x for x in douyin.lines if x.metric.key == "dsr")
    assert (dsr.value, dsr.status) == (4.5, "red")  # a value that is there has its status
    conv = next(x for x in douyin.lines if x.metric.key == "conversion_rate")
    assert (conv.value, conv.status) == (None, "stale")
    assert after.summary.lines == before.summary.lines  # every value and comparison
    assert after.summary.shop_name == "All shops (2 of 3 reporting)"
    assert after.summary.note == "douyin-beauty partial"
    stale = [a for a in after.alerts if a.rule_key == "stale-data"]
    assert [a.message for a in stale] == [
        "douyin-beauty: partial data for 2026-11-29: no visitors (not all imported?)"
    ]
    banners = present(after).banners()
    assert banners == [
        "✗ douyin-beauty: partial data for 2026-11-29 (visitors missing) — "
        "import it or type it in (m)"
    ]
    # the visitors too: the day counts, and the summary covers 3 of 3
    set_value(demo, "douyin-beauty", "visitors", E, 15000)
    full = build_standup(demo, E)
    assert full.summary.shop_name == "All shops" and full.summary.state == "complete"
    assert not [a for a in full.alerts if a.rule_key == "stale-data"]
    assert present(full).banners() == []


def test_check_and_the_text_report_say_who_reported(
    demo: sqlite3.Connection, store_path: Path
) -> None:
    out = CliRunner().invoke(main, ["--db", str(store_path), "check", "--date", "2026-11-29"])
    assert out.exit_code == 2
    assert out.output.splitlines()[-1] == (
        "2026-11-29: 3 red, 2 warning; 5 triggered risks (3 major); "
        "All shops (2 of 3 reporting): douyin-beauty missing"
    )
    md = CliRunner().invoke(
        main, ["--db", str(store_path), "report", "daily", "--date", "2026-11-29", "--format", "md"]
    )
    assert md.exit_code == 0
    assert "## All shops (2 of 3 reporting) (`all`)" in md.output
    assert (
        "2 of 3 reporting on 2026-11-29 (douyin-beauty missing): the shops that reported, "
        "compared like for like." in md.output
    )
    js = CliRunner().invoke(
        main,
        ["--db", str(store_path), "report", "daily", "--date", "2026-11-29", "--format", "json"],
    )
    assert json.loads(js.output)["total"]["reporting"] == ["jd-home", "tmall-apparel"]


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def test_an_all_shops_target_set_by_a_person_wins_the_catalogues_does_not(
    demo: sqlite3.Connection,
) -> None:
    from opsdesk.store.targets import load_targets, set_target

    catalogue = load_targets(demo).in_force("conversion_rate", None, E)
    assert catalogue is not None and (catalogue.value, catalogue.explicit) == (0.05, False)

    def total_target(key: str) -> object:
        total = _json_total(demo, "day", E.isoformat())
        return {m["key"]: m for m in total["metrics"]}[key]["target"]  # type: ignore[attr-defined]

    derived = total_target("conversion_rate")
    assert derived != 0.05
    set_target(demo, "conversion_rate", 0.035, amber=0.002)  # every shop, by a person
    mine = load_targets(demo).in_force("conversion_rate", None, E)
    assert mine is not None and mine.explicit
    assert total_target("conversion_rate") == 0.035
    line = next(
        x for x in build_standup(demo, E).summary.lines if x.metric.key == "conversion_rate"
    )
    assert (line.target, line.amber) == (0.035, 0.002)
    # a GMV target without --shop is each shop's: the all-shops one still adds up
    before = total_target("gmv")
    set_target(demo, "gmv", 1.0)
    assert total_target("gmv") == before
