"""The review read model on hand-built data: 6-12 values, the summary row through the KPI
engine (ratio of sums), all shops and one shop, a month with no data, the exception filter,
notes, and the bad weeks (future, no data, unknown shop)."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from review_data import fill

from opsdesk.domain import periods
from opsdesk.store import review as store
from opsdesk.views.review import NoData, agenda, build_review, resolve_week

W47 = periods.parse("week", "2026-W47")  # 2026-11-16 .. 2026-11-22
OPS_DAY = date(2026, 11, 23)


@pytest.fixture
def review_store(conn: sqlite3.Connection) -> sqlite3.Connection:
    return fill(conn)


def test_deck_weeks_months_and_summary_exact(review_store: sqlite3.Connection) -> None:
    r = build_review(review_store, W47, OPS_DAY)
    gmv = r.entry("gmv", "tmall-apparel")
    assert [(p.key, p.value, p.last_year) for p in gmv.weeks] == [
        ("2026-W42", None, None),
        ("2026-W43", None, None),
        ("2026-W44", 8000.0, None),  # Sunday 2026-11-01 only
        ("2026-W45", 56000.0, 50.0),  # 2025-11-03 = 2026-11-02 - 364 days
        ("2026-W46", 56000.0, None),
        ("2026-W47", 67760.0, 2000.0),
    ]
    # 12 complete months before 2026-11: 2025-11 .. 2026-10; a month with no data is None
    assert [p.key for p in gmv.months] == [f"2025-{m}" for m in (11, 12)] + [
        f"2026-{m:02d}" for m in range(1, 11)
    ]
    assert gmv.months[0].value == 2050.0 and gmv.months[0].last_year is None
    assert gmv.months[1].value is None and gmv.months[-1].value == 600.0
    assert gmv.summary == {
        "week": 67760.0,
        "week_prev": 56000.0,
        "week_ly": 2000.0,
        "mtd": 15 * 8000.0 + 67760.0,
        "mtd_ly": 2050.0,  # 2025-11-01..22, like for like
        "qtd": 600.0 + 15 * 8000.0 + 67760.0,
        "qtd_ly": 2050.0,
        "ytd": 600.0 + 15 * 8000.0 + 67760.0,
        "ytd_ly": 2050.0,
    }
    assert gmv.change("wow").text() == "+21.0%"
    assert (gmv.target, gmv.status) == (63000.0, "green")
    # on target, yet a stop: W47's days all sit above the 15 days before (PDCA rule engine)
    assert gmv.exception and gmv.signals == [
        "shift: 7 days above the baseline median (2026-11-16..2026-11-22)",
        "limits: 7 days above the upper limit (2026-11-16, 2026-11-17, 2026-11-18, 2026-11-19,"
        " 2026-11-20, 2026-11-21, 2026-11-22)",
    ]
    jd = r.entry("gmv", "jd-home")
    assert jd.signals == [] and not jd.exception  # no baseline days: no rule applied


def test_all_shops_ratio_of_sums_and_rates_in_points(review_store: sqlite3.Connection) -> None:
    r = build_review(review_store, W47, OPS_DAY)
    conv = r.entry("conversion_rate")  # all shops: (44 + 10) * 7 / ((1100 + 100) * 7)
    assert conv.summary["week"] == pytest.approx(54 / 1200)
    assert conv.summary["week_prev"] == pytest.approx(0.04)
    # like for like (domain.all_shops): jd-home has no W46, so WoW compares tmall only
    # (4% vs 4%), and last year's one day (2025-11-17) pairs with W47's Monday only
    assert conv.change("wow").text() == "+0.00pp"
    assert conv.compared["wow"] == (pytest.approx(0.04), pytest.approx(0.04))
    assert conv.summary["week_ly"] == pytest.approx(0.02)
    assert conv.change("yoy").text() == "+2.00pp"  # tmall's Monday 44 / 1100 vs 10 / 500
    assert conv.status == "red" and conv.exception  # 4.5% < 5% - 0.4% amber band
    jd = r.entry("conversion_rate", "jd-home")
    assert jd.summary["week"] == pytest.approx(0.1) and jd.status == "green" and not jd.exception
    assert [e.metric.key for e in r.exceptions if e.shop == "all"] == ["conversion_rate"]
    assert r.deck[0].metric.key == "visitors"  # inputs first
    split = next(s for s in r.splits if s.shop == "tmall-apparel").decomposition
    assert split is not None and str(split.change) == "11760.00"


def test_one_shop_has_no_all_entry(review_store: sqlite3.Connection) -> None:
    r = build_review(review_store, W47, OPS_DAY, shop_keys=["jd-home"])
    assert {e.shop for e in r.deck} == {"jd-home"}
    assert r.entry("gmv", "jd-home").summary["week_prev"] is None


def test_bad_weeks(review_store: sqlite3.Connection) -> None:
    with pytest.raises(ValueError, match="2026-W48: not over yet"):
        resolve_week("2026-W48", OPS_DAY)
    with pytest.raises(ValueError, match="expected an ISO week like 2026-W47"):
        resolve_week("2026-47", OPS_DAY)
    assert resolve_week(None, OPS_DAY).key == "2026-W47"
    with pytest.raises(NoData, match="week 2026-W40 .*: no data for any shop"):
        build_review(review_store, periods.parse("week", "2026-W40"), OPS_DAY)
    with pytest.raises(ValueError, match="unknown shop 'nope'"):
        build_review(review_store, W47, OPS_DAY, shop_keys=["nope"])


def test_notes_shown_on_the_week_and_later_charts(review_store: sqlite3.Connection) -> None:
    store.set_note(review_store, "gmv", "all", "2026-W46", "11.11 warm-up")
    store.set_note(review_store, "conversion_rate", "all", "2026-W47", "", investigating=True)
    r = build_review(review_store, W47, OPS_DAY)
    assert r.entry("gmv").earlier_notes == {"2026-W46": "11.11 warm-up"}
    note = r.entry("conversion_rate").note
    assert note is not None and note.text() == "investigating"
    assert [n.week for n in store.search_notes(review_store, "WARM")] == ["2026-W46"]


def test_quick_first_model_shows_what_the_full_one_does(review_store: sqlite3.Connection) -> None:
    """The agenda area 7 shows first (a few weeks of data) has the full model's items, titles,
    statuses, signals and week-over-week changes; only the 6-12 windows and the other summary
    cells are still to come."""
    store.set_note(review_store, "gmv", "all", "2026-W47", "warm-up")
    quick = build_review(review_store, W47, OPS_DAY, windows=False)
    full = build_review(review_store, W47, OPS_DAY)
    assert not quick.windows and full.windows
    assert [i.title for i in agenda(quick)] == [i.title for i in agenda(full)]
    for q, f in zip(quick.deck, full.deck, strict=True):
        assert (q.metric, q.shop, q.status, q.signals, q.target) == (
            f.metric,
            f.shop,
            f.status,
            f.signals,
            f.target,
        )
        assert q.change("wow") == f.change("wow")
        assert q.summary["week"] == f.summary["week"] and q.weeks == [] and q.months == []
        assert q.summary["ytd"] is None
    gmv = next(i for i in agenda(quick) if i.kind == "deck").lines[3]
    assert gmv == "GMV all: 74,760 · WoW +21.0% · YoY … · MTD … (…) · QTD YoY … · YTD YoY …"
