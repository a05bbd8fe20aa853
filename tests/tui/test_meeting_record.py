"""The meeting record in the app, with keys only, on the tiny store (ops day 2026-11-21; the
review week 2026-W46): the stand-up's record (`r`), two sessions writing the same review
(old → theirs → yours, the second chooses), and a closed review refusing a note."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Label

from conftest import make_app, toasts, wait_for
from opsdesk.clock import Clock
from opsdesk.store import review as store
from opsdesk.store.db import open_store
from opsdesk.store.targets import set_target
from opsdesk.tui.screens.review import ReviewScreen
from opsdesk.tui.screens.standup import StandupScreen
from opsdesk.tui.screens.standup_meeting import StandupMeetingScreen
from opsdesk.tui.widgets.chart import SixTwelveChart
from opsdesk.tui.widgets.conflict_dialog import ConflictDialog

W46 = "2026-W46"
OPS_DAY = date(2026, 11, 21)


def _db(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as c:
        return [tuple(r) for r in c.execute(sql)]


def _rows(screen: Any, table_id: str) -> list[str]:
    table = screen.query_one(table_id, DataTable)
    return [str(table.get_row_at(i)[1]) for i in range(table.row_count)]


def _conflict_rows(app: Any) -> list[list[str]]:
    table = app.screen.query_one("#conflict-table", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def _other_session(db: Path) -> sqlite3.Connection:
    return open_store(db)


@pytest.fixture
def review_app(tiny_store: Path, clock: Clock) -> Any:
    conn = open_store(tiny_store)
    set_target(conn, "conversion_rate", 0.05, amber=0.005)  # red in every group: exceptions
    conn.close()
    return make_app(tiny_store, clock)


async def test_standup_record_with_keys_only(app: Any, tiny_store: Path) -> None:
    other = _other_session(tiny_store)  # last week's review left an action open
    older = store.add_action(other, "2026-W45", date(2026, 11, 10), "fix the feed", "li.na", None)
    other.close()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, StandupScreen))
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, StandupMeetingScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.model is not None)
        assert screen.sub_title == "2026-11-21"
        rows = _rows(screen, "#meeting-table")
        assert rows[0] == "Stand-up 2026-11-21: no attendees yet (t)"
        assert rows[-2:] == [
            "Carried over, still open: 1",
            f"{older.key} [open 0 days] fix the feed — li.na, from review 2026-W45",
        ]
        await pilot.press("t", *"li.na wang.wei", "enter")
        await wait_for(
            pilot, lambda: _rows(screen, "#meeting-table")[0].endswith("li.na, wang.wei")
        )
        await pilot.press("w", *"jd [b]slow[/b]", "enter")
        await wait_for(pilot, lambda: _rows(screen, "#meeting-table")[1] == "Notes: jd [b]slow[/b]")
        await pilot.press("w", "enter")  # the same notes (shown to edit): nothing written
        await wait_for(pilot, lambda: any("notes: nothing changed" in t for t in toasts(app)))
        await pilot.press("d", *"pause jd ads", "enter")
        await wait_for(
            pilot, lambda: "Decision 1. pause jd ads" in _rows(screen, "#meeting-table")[2]
        )
        await pilot.press("a", *"call the carrier @li.na 2026-12-04", "enter")
        await wait_for(pilot, lambda: "call the carrier" in _rows(screen, "#meeting-table")[3])
        # the carried review action is done: cursor on it (the last row), space
        table = screen.query_one("#meeting-table", DataTable)
        table.move_cursor(row=table.row_count - 1)
        await pilot.press("space")
        await wait_for(
            pilot, lambda: _rows(screen, "#meeting-table")[-1] == "Carried over: nothing open"
        )
        # this stand-up's own action: dropped, saying why
        table.move_cursor(row=3)
        await pilot.press("x", "enter")  # no reason: refused, nothing written
        await wait_for(pilot, lambda: any("Say why it is dropped" in t for t in toasts(app)))
        assert "[open" in _rows(screen, "#meeting-table")[3]
        table.move_cursor(row=3)
        await pilot.press("x", *"carrier called us", "enter")
        await wait_for(pilot, lambda: "[dropped]" in _rows(screen, "#meeting-table")[3])
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, StandupScreen))
    meeting = _db(tiny_store, "SELECT kind, period, attendees, notes FROM meetings ORDER BY id")
    assert meeting[-1] == ("standup", "2026-11-21", "li.na,wang.wei", "jd [b]slow[/b]")
    assert _db(tiny_store, "SELECT text FROM meeting_decisions") == [("pause jd ads",)]
    assert _db(
        tiny_store,
        "SELECT source_kind, text, owner, due, status, note FROM action_items ORDER BY id",
    ) == [  # fmt: skip
        ("review", "fix the feed", "li.na", None, "done", ""),
        ("standup", "call the carrier", "li.na", "2026-12-04", "dropped", "carrier called us"),
    ]
    audited = _db(tiny_store, "SELECT object_type, action FROM audit_events WHERE object_type"
                  " IN ('meeting', 'action_item') ORDER BY id")  # fmt: skip
    assert ("action_item", "dropped") in audited and ("meeting", "decision") in audited
    notes = _db(tiny_store, "SELECT count(*) FROM audit_events WHERE object_type = 'meeting'"
                " AND action = 'update' AND new LIKE '%slow%'")  # fmt: skip
    assert notes == [(1,)]


async def _open_review(pilot: Any, app: Any) -> ReviewScreen:
    await pilot.press("7")
    await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
    screen = app.screen
    assert isinstance(screen, ReviewScreen)
    await wait_for(pilot, lambda: screen.review is not None)
    return screen


async def test_second_writer_of_a_note_sees_old_theirs_yours_and_chooses(
    review_app: Any, tiny_store: Path
) -> None:
    app = review_app
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_review(pilot, app)
        await pilot.press("tab", "tab")  # the first exception: Conversion (all)
        await pilot.press("n", *"promo")
        # meanwhile, another session writes the same note (this screen reloads with it)
        other = _other_session(tiny_store)
        store.set_note(other, "conversion_rate", "all", W46, "price war at jd", based_on=0)
        other.close()
        await pilot.pause(0.5)
        await pilot.press(*" ended", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConflictDialog))
        question = str(app.screen.query_one("#conflict-question", Label).render())
        assert question.startswith("note on conversion_rate (all) 2026-W46 was changed by")
        assert _conflict_rows(app) == [["note", "—", "price war at jd", "promo ended"]]
        await pilot.press("m")  # keep mine, knowingly
        await wait_for(
            pilot,
            lambda: (
                _db(tiny_store, "SELECT note, version FROM metric_notes") == [("promo ended", 2)]
            ),
        )
        # a decision added by the other session while this one typed: theirs, then "keep theirs"
        await pilot.press("d", *"more budget")
        other = _other_session(tiny_store)
        store.add_decision(other, W46, OPS_DAY, "more budget to search")
        other.close()
        await pilot.pause(0.5)
        await pilot.press(*" to search", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConflictDialog))
        assert _conflict_rows(app) == [
            ["decisions", "—", "1. more budget to search", "more budget to search"]
        ]
        await pilot.press("t")  # take theirs: mine would say the same
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.pause(0.3)
        # an action: "edit" puts mine back in the text line
        await pilot.press("a", *"call the carrier")
        other = _other_session(tiny_store)
        store.add_action(other, W46, OPS_DAY, "ring the carrier", "wang.wei", None)
        other.close()
        await pilot.pause(0.5)
        await pilot.press(*" @li.na", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConflictDialog))
        await pilot.press("e")
        field = screen.query_one("#review-input", Input)
        await wait_for(pilot, lambda: field.display and field.value == "call the carrier @li.na")
        await pilot.press(*" about parcels", "enter")
        await wait_for(pilot, lambda: len(_db(tiny_store, "SELECT 1 FROM action_items")) == 2)
    assert _db(tiny_store, "SELECT text FROM meeting_decisions") == [("more budget to search",)]
    assert _db(tiny_store, "SELECT number, text, owner FROM action_items ORDER BY number") == [
        (1, "ring the carrier", "wang.wei"),
        (2, "call the carrier about parcels", "li.na"),
    ]


async def test_a_note_on_a_closed_review_is_refused(review_app: Any, tiny_store: Path) -> None:
    app = review_app
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await _open_review(pilot, app)
        other = _other_session(tiny_store)
        store.close_review(other, W46, "{}")
        other.close()
        await wait_for(pilot, lambda: "closed by" in screen.sub_title)
        await pilot.press("tab", "tab", "n")
        assert not screen.query_one("#review-input", Input).display
        await wait_for(pilot, lambda: any("it is frozen" in t for t in toasts(app)))
        await pilot.press("c", "d")
        assert not screen.query_one("#review-input", Input).display
    assert _db(tiny_store, "SELECT count(*) FROM metric_notes") == [(0,)]
    assert _db(tiny_store, "SELECT cleared_by FROM meetings") == []


async def test_an_earlier_weeks_note_is_a_marker_on_the_6_12_chart(
    review_app: Any, tiny_store: Path
) -> None:
    other = _other_session(tiny_store)
    store.set_note(other, "conversion_rate", "all", "2026-W45", "promo ended", based_on=0)
    other.close()
    app = review_app
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_review(pilot, app)
        await pilot.press("tab", "tab", "enter")  # Conversion (all), expanded
        chart = screen.query_one("#review-chart", SixTwelveChart)
        await wait_for(pilot, lambda: chart.display and chart.size.height > 0)
        drawn = "\n".join(chart.render_line(y).text for y in range(chart.size.height))
        assert "◆promo ended" in drawn
        assert screen.marks == {("conversion_rate", "all"): [("2026-W45", "promo ended")]}
