"""The checklists area's history strip: one mark per day under its date, and the ruler of
Mondays' dates above it printed whole (issue 9 §5)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from opsdesk.store import shops
from opsdesk.views.checklist_strip import history_rows, week_ruler
from opsdesk.views.checklists import HISTORY_DAYS, build_checklists

TODAY = date(2026, 11, 30)  # a Monday
START = TODAY - timedelta(days=HISTORY_DAYS - 1)


@dataclass(frozen=True)
class R:
    shop_key: str | None
    run_day: date
    state: str


def test_the_ruler_prints_a_monday_30_on_the_last_day_whole() -> None:
    ruler = week_ruler(START, TODAY)
    assert ruler == "      9      16     23     30"
    assert ruler.index("30") == (TODAY - START).days  # starts over its day


def test_a_run_sits_under_its_own_day() -> None:
    rows = history_rows(
        [
            R("old-shop", START, "on_time"),
            R("old-shop", TODAY, "open"),
            R("new-shop", TODAY, "open"),
        ],
        START,
        TODAY,
    )
    assert rows == {
        "new-shop": "·" * 27 + "○",
        "old-shop": "●" + "·" * 26 + "○",
    }


def test_a_shop_added_today_has_its_run_under_today(conn: sqlite3.Connection) -> None:
    shops.add(conn, "jd-home", "JD home store", "jd")
    now = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    build_checklists(conn, TODAY - timedelta(days=3), now - timedelta(days=3))  # older runs
    shops.add(conn, "kuaishou-new", "Kuaishou new", "kuaishou")  # added today
    view = build_checklists(conn, TODAY, now)
    lines = view.history["daily-traffic-ads"].splitlines()
    ruler, strips = lines[1], {line.split()[0]: line for line in lines[2:-1]}
    column = ruler.index("30")  # today's column
    assert strips["kuaishou-new"][column] == "○"
    assert set(strips["kuaishou-new"][column - 27 : column]) == {"·"}
    assert strips["jd-home"][column] == "○"
