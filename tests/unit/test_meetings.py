"""The meeting record on a real store: "clear the rest" stored and in the pack, the closed
review refusing writes, two writers on one record (old → theirs → yours, never a silent
overwrite), the stand-up's record with its carried-over actions, what was open as of a past
day, the three-reviews flag, and owners' notes placed on later charts."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

import pytest
from review_data import W47, fill

from opsdesk.clock import fixed_clock
from opsdesk.domain import periods
from opsdesk.domain.times import local_label
from opsdesk.reports.review_pack import payload, render_html, render_markdown
from opsdesk.store import actions
from opsdesk.store import review as store
from opsdesk.store.connection import current_user
from opsdesk.views.meetings import build_standup_meeting, open_as_of
from opsdesk.views.note_marks import note_events, six_twelve_marks
from opsdesk.views.review import build_review

OPS_DAY = date(2026, 11, 23)
ME = current_user()
WRITTEN = fixed_clock(datetime(2026, 11, 24, 2, tzinfo=UTC))  # the morning after OPS_DAY


@pytest.fixture
def review_store(conn: sqlite3.Connection) -> sqlite3.Connection:
    return fill(conn)


def _set_dates(conn: sqlite3.Connection, key: str, created: str, closed: str | None = None) -> None:
    kind, source, number = key.split("/")
    conn.execute(
        "UPDATE action_items SET created_at = ?, closed_at = coalesce(?, closed_at)"
        " WHERE source_kind = ? AND source_id = ? AND number = ?",
        (created, closed, kind, int(source), int(number)),
    )
    conn.commit()


def test_clear_the_rest_is_stored_audited_and_in_the_pack(
    review_store: sqlite3.Connection,
) -> None:
    conn = review_store
    m = store.clear_rest(conn, W47.key, OPS_DAY)
    assert (m.cleared_by, m.kind, m.period) == (ME, "review", "2026-W47")
    assert m.cleared_at is not None and m.cleared_at.startswith("20")
    audit = conn.execute(
        "SELECT object_key, action, actor FROM audit_events WHERE object_type = 'meeting'"
        " AND action = 'clear'"
    ).fetchall()
    assert [tuple(r) for r in audit] == [("review/2026-W47", "clear", ME)]
    data = payload(build_review(conn, W47, OPS_DAY))
    assert data["meeting"]["cleared"] == {"by": ME, "at": m.cleared_at}
    md = render_markdown(data)
    assert data["timezone"] == "Asia/Shanghai"  # shown as the store's wall time
    wall = local_label(m.cleared_at, "Asia/Shanghai")
    assert f"Rest of the deck cleared (nothing to see here): {ME} {wall}\n" in md
    assert f"Rest of the deck cleared (nothing to see here): {ME} {wall}</p>" in render_html(data)
    # closing freezes it with the clearing in the frozen copy; clearing again is refused
    store.close_review(conn, W47.key, '{"meeting": {"cleared": "frozen"}}')
    with pytest.raises(ValueError, match="frozen"):
        store.clear_rest(conn, W47.key, OPS_DAY)


def test_writes_on_a_closed_review_are_refused_and_change_nothing(
    review_store: sqlite3.Connection,
) -> None:
    conn = review_store
    store.close_review(conn, W47.key, "{}")
    before = conn.total_changes
    for write in (
        lambda: store.set_note(conn, "gmv", "all", W47.key, "late note", based_on=0),
        lambda: store.add_decision(conn, W47.key, OPS_DAY, "too late"),
        lambda: store.add_action(conn, W47.key, OPS_DAY, "too late", "li.na", None),
    ):
        with pytest.raises(ValueError, match=r"review 2026-W47 was closed by .*: it is frozen"):
            write()
    assert conn.total_changes == before
    assert conn.execute("SELECT count(*) FROM metric_notes").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM meeting_decisions").fetchone()[0] == 0


def test_second_writer_of_a_note_gets_theirs_and_yours_then_chooses(
    review_store: sqlite3.Connection,
) -> None:
    conn = review_store
    store.set_note(conn, "gmv", "all", W47.key, "promo ended", based_on=0)  # the first writer
    with pytest.raises(store.ConflictError) as got:  # the second saw no note
        store.set_note(conn, "gmv", "all", W47.key, "price war", based_on=0)
    c = got.value
    assert (c.theirs, c.yours, c.by, c.version) == ("promo ended", "price war", ME, 1)
    assert "version 0 → 'promo ended' → yours 'price war'" in str(c)
    assert store.get_note(conn, "gmv", "all", W47.key).note == "promo ended"  # type: ignore[union-attr]
    # "keep yours": written on top of theirs, knowingly
    n = store.set_note(conn, "gmv", "all", W47.key, "price war", based_on=c.version)
    assert (n.note, n.version) == ("price war", 2)


def test_decisions_and_actions_added_meanwhile_are_shown_before_yours(
    review_store: sqlite3.Connection,
) -> None:
    conn = review_store
    store.add_decision(conn, W47.key, OPS_DAY, "more budget to search", based_on=0)
    with pytest.raises(store.ConflictError) as got:
        store.add_decision(conn, W47.key, OPS_DAY, "shift budget to search", based_on=0)
    assert (got.value.theirs, got.value.yours, got.value.version) == (
        "1. more budget to search",
        "shift budget to search",
        1,
    )
    d = store.add_decision(conn, W47.key, OPS_DAY, "cap CPC at 1.2", based_on=1)
    assert d.number == 2
    store.add_meeting_action(
        conn, "standup", "2026-11-22", OPS_DAY, "call the carrier", "li.na", None, based_on=0
    )
    with pytest.raises(store.ConflictError) as got:
        store.add_meeting_action(
            conn, "standup", "2026-11-22", OPS_DAY, "ring carrier", "wang.wei", None, based_on=0
        )
    assert (got.value.theirs, got.value.yours) == (
        "1. call the carrier @li.na",
        "ring carrier @wang.wei",
    )
    rows = conn.execute("SELECT source_kind, number, text FROM action_items").fetchall()
    assert [tuple(r) for r in rows] == [("standup", 1, "call the carrier")]


def test_attendees_conflict_only_when_someone_edited_them(
    review_store: sqlite3.Connection,
) -> None:
    conn = review_store
    store.add_decision(conn, W47.key, OPS_DAY, "d")  # creates the meeting: not an edit
    m = store.update_meeting(conn, "review", W47.key, OPS_DAY, based_on=0, attendees=["li.na"])
    assert (m.attendees, m.version) == (("li.na",), 2)
    with pytest.raises(store.ConflictError) as got:
        store.update_meeting(conn, "review", W47.key, OPS_DAY, based_on=0, attendees=["zhao"])
    assert (got.value.theirs, got.value.yours, got.value.version) == ("li.na", "zhao", 2)
    assert store.get_meeting(conn, "review", W47.key).attendees == ("li.na",)  # type: ignore[union-attr]


def test_standup_record_with_actions_carried_from_earlier_meetings(
    review_store: sqlite3.Connection,
) -> None:
    conn = review_store
    day = date(2026, 11, 24)
    old = store.add_meeting_action(
        conn, "standup", "2026-11-18", date(2026, 11, 18), "fix the feed", "li.na", None
    )
    done = store.add_meeting_action(
        conn, "standup", "2026-11-18", date(2026, 11, 18), "call jd", "li.na", None
    )
    rev = store.add_action(
        conn, W47.key, OPS_DAY, "price check", "wang.wei", date(2026, 12, 1), clock=WRITTEN
    )
    for item in (old, done):
        _set_dates(conn, item.key, "2026-11-18T02:00:00+00:00")
    _set_dates(conn, rev.key, "2026-11-23T02:00:00+00:00")
    actions.close(conn, "standup", done.source_id, done.number, "done")
    store.update_meeting(
        conn, "standup", day.isoformat(), day, based_on=0, attendees=["li.na"], notes="jd slow"
    )
    store.add_meeting_decision(conn, "standup", day.isoformat(), day, "pause jd ads")
    mine = store.add_meeting_action(conn, "standup", day.isoformat(), day, "x", "li.na", None)
    _set_dates(conn, mine.key, "2026-11-25T01:00:00+00:00")

    m = build_standup_meeting(conn, day, date(2026, 11, 25))
    assert [a.key for a in m.actions] == [mine.key]
    assert [(a.key, a.age_days, a.origin) for a in m.carried] == [
        (old.key, 7, "stand-up 2026-11-18"),
        (rev.key, 2, "review 2026-W47"),
    ]
    lines = [line for _, line in m.lines()]
    assert lines[:3] == [
        "Stand-up 2026-11-24: li.na",
        "Notes: jd slow",
        f"Decision 1. pause jd ads ({ME})",
    ]
    assert lines[4] == "Carried over, still open: 2"
    assert lines[5] == (f"{old.key} [open 7 days] fix the feed — li.na, from stand-up 2026-11-18")
    assert m.as_dict()["carried"][1]["from_week"] == "2026-W47"


def test_what_was_open_as_of_a_past_day_and_the_three_reviews_flag(
    review_store: sqlite3.Connection,
) -> None:
    conn = review_store
    first = store.add_action(conn, "2026-W44", date(2026, 11, 2), "renegotiate", "li.na", None)
    later = store.add_action(conn, "2026-W45", date(2026, 11, 9), "audit SKUs", "li.na", None)
    _set_dates(conn, first.key, "2026-11-02T02:00:00+00:00")
    _set_dates(conn, later.key, "2026-11-09T02:00:00+00:00")
    actions.close(conn, "review", later.source_id, later.number, "done")
    _set_dates(conn, later.key, "2026-11-09T02:00:00+00:00", closed="2026-11-20T02:00:00+00:00")
    for week in ("2026-W46", "2026-W47"):
        store.add_decision(conn, week, OPS_DAY, "held")
    # 2026-11-15 (W46's Sunday): both open; renegotiate carried through W45 only
    at_w46 = open_as_of(conn, periods.parse("week", "2026-W46").end)
    assert [(a.key, a.age_days, a.carried, a.flagged) for a in at_w46] == [
        (first.key, 13, 1, False),
        (later.key, 6, 0, False),
    ]
    # 2026-11-23: the SKU audit was done on 11-20; renegotiate went through W45, W46, W47
    now = open_as_of(conn, OPS_DAY)
    assert [(a.key, a.carried, a.flagged) for a in now] == [(first.key, 3, True)]
    assert "carried 3 reviews without progress: decide" in now[0].line()
    # before it was written, nothing
    assert open_as_of(conn, date(2026, 11, 1)) == []


def test_standup_actions_reach_the_review_with_age_and_flag(
    review_store: sqlite3.Connection,
) -> None:
    conn = review_store
    item = store.add_meeting_action(
        conn, "standup", "2026-11-17", date(2026, 11, 17), "restock", "li.na", None
    )
    _set_dates(conn, item.key, "2026-11-17T02:00:00+00:00")
    rows = [a for a in build_review(conn, W47, OPS_DAY).actions if a["action"] == item.key]
    assert rows == [
        {
            "action": item.key,
            "from_week": "2026-W47",
            "text": "restock",
            "owner": "li.na",
            "due": None,
            "status": "open",
            "age_days": 7,  # to the store's today (11-24), as the stand-up counts it
            "carried": 0,
            "flagged": False,
        }
    ]
    standup = build_standup_meeting(conn, OPS_DAY, date(2026, 11, 24))
    assert [(a.key, a.age_days) for a in standup.carried] == [(item.key, 7)]


def test_notes_are_placed_at_their_week_or_month_on_later_charts(
    review_store: sqlite3.Connection,
) -> None:
    conn = review_store
    store.set_note(conn, "gmv", "all", "2026-W45", "promo ended", based_on=0)
    store.set_note(conn, "gmv", "all", "2026-W30", "618 hangover", based_on=0)  # Sun 07-26
    store.set_note(conn, "gmv", "all", "2026-W29", "heat wave", based_on=0)  # Sun 07-19
    store.set_note(conn, "gmv", "all", "2026-W47", "this week's", based_on=0)
    store.set_note(conn, "gmv", "jd-home", "2026-W46", "", investigating=True, based_on=0)
    e = build_review(conn, W47, OPS_DAY).entry("gmv")
    marks = six_twelve_marks(conn, W47.key, [p.key for p in e.weeks], [p.key for p in e.months])
    assert marks == {
        ("gmv", "all"): [("2026-07", "heat wave; 618 hangover"), ("2026-W45", "promo ended")],
        ("gmv", "jd-home"): [("2026-W46", "investigating")],
    }
    events = note_events(conn, "gmv", "jd-home", date(2026, 11, 1), date(2026, 11, 22))
    assert [(ev.day, ev.kind, ev.title) for ev in events] == [
        (date(2026, 11, 15), "note", "W46: investigating")
    ]
    assert [ev.title for ev in note_events(conn, "gmv", None, date(2026, 11, 9), W47.end)] == [
        "W47: this week's"
    ]


def test_the_explorer_shows_a_metric_shop_note_as_a_marker(
    review_store: sqlite3.Connection,
) -> None:
    from opsdesk.views.explorer import load_explorer

    conn = review_store
    store.set_note(conn, "gmv", "tmall-apparel", "2026-W46", "promo ended", based_on=0)
    store.set_note(conn, "visitors", "tmall-apparel", "2026-W46", "other metric", based_on=0)
    by_week = load_explorer(conn, OPS_DAY, "gmv", "tmall-apparel", grain="week")
    notes = [(e.day, e.title) for e in by_week.events if e.kind == "note"]
    assert notes == [(date(2026, 11, 15), "W46: promo ended")]
    # its point on the weekly chart is W46's; on all shops' chart there is no such note
    position = next(i for i, p in enumerate(by_week.periods) if date(2026, 11, 15) in p)
    assert by_week.periods[position].key == "2026-W46"
    assert [e for e in load_explorer(conn, OPS_DAY, "gmv", None).events if e.kind == "note"] == []
