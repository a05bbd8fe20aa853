"""The review read model on hand-built data: 6-12 values, the summary row through the KPI
engine (ratio of sums), all shops and one shop, a month with no data, the exception filter,
notes, and the bad weeks (future, no data, unknown shop)."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import pytest

from opsdesk.domain import periods
from opsdesk.store import review as store
from opsdesk.store import shops
from opsdesk.store.targets import set_target
from opsdesk.views.review import NoData, build_review, resolve_week

W47 = periods.parse("week", "2026-W47")  # 2026-11-16 .. 2026-11-22
OPS_DAY = date(2026, 11, 23)


def _put(conn: sqlite3.Connection, shop: str, day: date, values: dict[str, float]) -> None:
    ids = {r[0]: r[1] for r in conn.execute("SELECT key, id FROM metrics")}
    sid = conn.execute("SELECT id FROM shops WHERE key = ?", (shop,)).fetchone()[0]
    conn.executemany(
        "INSERT OR REPLACE INTO observations (shop_id, metric_id, day, value) VALUES (?, ?, ?, ?)",
        [(sid, ids[k], day.isoformat(), v) for k, v in values.items()],
    )


@pytest.fixture
def filled(conn: sqlite3.Connection) -> sqlite3.Connection:
    shops.add(conn, "tmall-apparel", "Tmall apparel", "tmall")
    shops.add(conn, "jd-home", "JD home", "jd")
    # 2026-11-01 .. 2026-11-22: tmall 1000 visitors, 40 buyers, 8000 GMV a day; W47 better
    d = date(2026, 11, 1)
    while d <= W47.end:
        if d in W47:
            _put(conn, "tmall-apparel", d, {"visitors": 1100, "buyers": 44, "gmv": 9680})
            _put(conn, "jd-home", d, {"visitors": 100, "buyers": 10, "gmv": 1000})
        else:
            _put(conn, "tmall-apparel", d, {"visitors": 1000, "buyers": 40, "gmv": 8000})
        d += timedelta(days=1)
    # last year's week (W47 - 364 days = 2025-11-17..23): one day only
    _put(conn, "tmall-apparel", date(2025, 11, 17), {"visitors": 500, "buyers": 10, "gmv": 2000})
    # one day in 2025-11 outside that week, and October 2026 (a complete month)
    _put(conn, "tmall-apparel", date(2025, 11, 3), {"visitors": 100, "buyers": 1, "gmv": 50})
    _put(conn, "tmall-apparel", date(2026, 10, 5), {"visitors": 300, "buyers": 6, "gmv": 600})
    set_target(conn, "conversion_rate", 0.05, amber=0.004)
    set_target(conn, "gmv", 9000, shop_key="tmall-apparel")
    return conn


def test_deck_weeks_months_and_summary_exact(filled: sqlite3.Connection) -> None:
    r = build_review(filled, W47, OPS_DAY)
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
    assert (gmv.target, gmv.status, gmv.exception) == (63000.0, "green", False)


def test_all_shops_ratio_of_sums_and_rates_in_points(filled: sqlite3.Connection) -> None:
    r = build_review(filled, W47, OPS_DAY)
    conv = r.entry("conversion_rate")  # all shops: (44 + 10) * 7 / ((1100 + 100) * 7)
    assert conv.summary["week"] == pytest.approx(54 / 1200)
    assert conv.summary["week_prev"] == pytest.approx(0.04)
    assert conv.change("wow").text() == "+0.50pp"
    assert conv.change("yoy").text() == "+2.50pp"  # 4.5% vs 10 / 500 = 2%
    assert conv.status == "red" and conv.exception  # 4.5% < 5% - 0.4% amber band
    jd = r.entry("conversion_rate", "jd-home")
    assert jd.summary["week"] == pytest.approx(0.1) and jd.status == "green" and not jd.exception
    assert [e.metric.key for e in r.exceptions if e.shop == "all"] == ["conversion_rate"]
    assert r.deck[0].metric.key == "visitors"  # inputs first
    split = next(s for s in r.splits if s.shop == "tmall-apparel").decomposition
    assert split is not None and str(split.change) == "11760.00"


def test_one_shop_has_no_all_entry(filled: sqlite3.Connection) -> None:
    r = build_review(filled, W47, OPS_DAY, shop_keys=["jd-home"])
    assert {e.shop for e in r.deck} == {"jd-home"}
    assert r.entry("gmv", "jd-home").summary["week_prev"] is None


def test_bad_weeks(filled: sqlite3.Connection) -> None:
    with pytest.raises(ValueError, match="2026-W48: not over yet"):
        resolve_week("2026-W48", OPS_DAY)
    with pytest.raises(ValueError, match="expected an ISO week like 2026-W47"):
        resolve_week("2026-47", OPS_DAY)
    assert resolve_week(None, OPS_DAY).key == "2026-W47"
    with pytest.raises(NoData, match="week 2026-W40 .*: no data for any shop"):
        build_review(filled, periods.parse("week", "2026-W40"), OPS_DAY)
    with pytest.raises(ValueError, match="unknown shop 'nope'"):
        build_review(filled, W47, OPS_DAY, shop_keys=["nope"])


def test_notes_shown_on_the_week_and_later_charts(filled: sqlite3.Connection) -> None:
    store.set_note(filled, "gmv", "all", "2026-W46", "11.11 warm-up")
    store.set_note(filled, "conversion_rate", "all", "2026-W47", "", investigating=True)
    r = build_review(filled, W47, OPS_DAY)
    assert r.entry("gmv").earlier_notes == {"2026-W46": "11.11 warm-up"}
    note = r.entry("conversion_rate").note
    assert note is not None and note.text() == "investigating"
    assert [n.week for n in store.search_notes(filled, "WARM")] == ["2026-W46"]
