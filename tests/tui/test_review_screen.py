"""The weekly review in the app (area 7), walked with keys only on the tiny store (ops day
2026-11-21, so the review week is 2026-W46): expand an item, note an exception, mark one
'investigating', clear the rest, add a decision, close — and what the store then holds."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Static

from conftest import make_app, wait_for
from opsdesk.clock import Clock
from opsdesk.store.connection import current_user
from opsdesk.store.db import open_store
from opsdesk.store.targets import set_target
from opsdesk.tui.screens.review import ReviewScreen
from opsdesk.tui.widgets.chart import SixTwelveChart


@pytest.fixture
def review_app(tiny_store: Path, clock: Clock) -> Any:
    conn = open_store(tiny_store)
    set_target(conn, "conversion_rate", 0.05, amber=0.005)  # ~4.1%: red in every group
    conn.close()
    return make_app(tiny_store, clock)


def _rows(screen: ReviewScreen) -> list[str]:
    table = screen.query_one("#review-agenda", DataTable)
    return [str(table.get_row_at(i)[1]) for i in range(table.row_count)]


def _db(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as c:
        return [tuple(r) for r in c.execute(sql)]


async def test_walk_a_review_with_keys_only(review_app: Any, tiny_store: Path) -> None:
    app = review_app
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("7")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        await wait_for(pilot, lambda: screen.review is not None and screen.review.windows)
        assert screen.sub_title.startswith("2026-W46 (2026-11-09 … 2026-11-15)")
        rows = _rows(screen)
        assert rows[0] == "Review 2026-W46 (open): no attendees yet (t)"
        assert rows[1].startswith("Metric deck: ") and "3 exceptions" in rows[1]
        assert rows[2] == "Conversion (all) 4.27% vs 5.00%: red — no note yet"
        assert [r.split(" ")[0] for r in rows[5:]] == [
            "GMV",
            "Traffic",
            "SOP",
            "PDCA",
            "Risks:",
            "Action",
            "Decisions:",
        ]
        detail = screen.query_one("#review-detail", Static)
        # attendees first
        await pilot.press("t", *"li.na wang.wei", "enter")
        await wait_for(pilot, lambda: _rows(screen)[0].endswith("(open): li.na, wang.wei"))
        # tab to the first exception, expand it: the 6-12 data and the summary row
        await pilot.press("tab", "tab", "enter")
        chart = screen.query_one("#review-chart", SixTwelveChart)
        await wait_for(pilot, lambda: chart.display and chart.size.height == 10)
        drawn = "\n".join(chart.render_line(y).text for y in range(chart.size.height))
        assert "Conversion (all): 6 weeks | 12 months" in drawn
        assert "W46" in drawn  # the tiny store has no month before November: weeks only
        shown = str(detail.render())
        assert shown.startswith("Conversion all: 4.27% · WoW +0.39pp · YoY — · MTD 4.22%")
        # the owner's note, typed (markup is text)
        await pilot.press("n")
        await pilot.press(*"promo [b]ended[/b]", "enter")
        await wait_for(pilot, lambda: "note: promo [b]ended[/b]" in _rows(screen)[2])
        # the next exception: investigating
        await pilot.press("tab", "i")
        await wait_for(pilot, lambda: "note: investigating" in _rows(screen)[3])
        # clear the rest of the deck in one key: the cursor moves on to the GMV split
        await pilot.press("c")
        table = screen.query_one("#review-agenda", DataTable)
        assert table.cursor_row == 5 and "nothing to see here" in _rows(screen)[1]
        # a decision, then close (freeze)
        await pilot.press("d", *"more budget to search", "enter")
        await wait_for(pilot, lambda: "1. more budget to search" in " ".join(_rows(screen)) or
                       bool(_db(tiny_store, "SELECT 1 FROM meeting_decisions")))  # fmt: skip
        await pilot.press("a", *"call the carrier @li.na 2026-12-04", "enter")
        await wait_for(pilot, lambda: bool(_db(tiny_store, "SELECT 1 FROM action_items")))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(_db(tiny_store, "SELECT 1 FROM review_packs")))
        await wait_for(pilot, lambda: "closed by" in screen.sub_title)
        # the deck's line says who cleared the rest, as stored (not just "you")
        who = f"· rest cleared by {current_user()} "
        await wait_for(pilot, lambda: who in _rows(screen)[1])
    assert _db(
        tiny_store,
        "SELECT metric_key, shop_key, week, note, investigating FROM metric_notes ORDER BY id",
    ) == [  # fmt: skip
        ("conversion_rate", "all", "2026-W46", "promo [b]ended[/b]", 0),
        ("conversion_rate", "jd-home", "2026-W46", "", 1),
    ]
    assert _db(tiny_store, "SELECT text FROM meeting_decisions") == [("more budget to search",)]
    assert _db(tiny_store, "SELECT week FROM review_packs") == [("2026-W46",)]
    assert _db(tiny_store, "SELECT source_kind, text, owner, due FROM action_items") == [
        ("review", "call the carrier", "li.na", "2026-12-04")
    ]
    assert _db(tiny_store, "SELECT attendees FROM meetings") == [("li.na,wang.wei",)]
    # "clear the rest" is stored (who, when) and frozen with the review
    me = current_user()
    assert _db(tiny_store, "SELECT cleared_by FROM meetings") == [(me,)]
    frozen = json.loads(_db(tiny_store, "SELECT payload FROM review_packs")[0][0])
    assert frozen["meeting"]["cleared"]["by"] == me
    assert (
        frozen["meeting"]["cleared"]["at"]
        == _db(tiny_store, "SELECT cleared_at FROM meetings")[0][0]
    )


async def test_weeks_move_with_brackets_and_stop_at_the_last_complete(review_app: Any) -> None:
    app = review_app
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("7")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        await wait_for(pilot, lambda: screen.review is not None)
        await pilot.press("right_square_bracket")
        await pilot.pause(0.2)
        assert screen.week is not None and screen.week.key == "2026-W46"
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: screen.sub_title.startswith("2026-W45"))
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: screen.sub_title.startswith("2026-W44"))
        assert _rows(screen)[0].startswith("week 2026-W44 (2026-10-26…2026-11-01): no data")


async def test_a_refused_action_is_worded_for_the_app(review_app: Any, tiny_store: Path) -> None:
    """The store's refusal, written for the CLI (`--due: …`), reaches the toast without the
    option's label, titled as a refused change; nothing is written. The clock's local today
    (2026-11-22) is the today of the due check, not the ops day."""
    from conftest import toasts

    app = review_app
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.press("7")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        await wait_for(pilot, lambda: screen.review is not None and screen.review.windows)
        await pilot.press("a", *"call the carrier @li.na 2026-11-21", "enter")
        shown = "Not saved\n2026-11-21 is in the past (today is 2026-11-22)"
        await wait_for(pilot, lambda: shown in toasts(app))
    assert _db(tiny_store, "SELECT count(*) FROM action_items") == [(0,)]
