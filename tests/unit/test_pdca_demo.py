"""The demo's PDCA cycles: a dozen in every stage, tied to the incidents, deterministic."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from opsdesk.bootstrap import initialise
from opsdesk.demo import build_demo
from opsdesk.store import pdca
from opsdesk.views.pdca import build_detail, steps_due

END = date(2026, 11, 22)
TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    path = tmp_path_factory.mktemp("pdca-demo") / "demo.sqlite"
    c = initialise(path)
    build_demo(c, end=END, days=400)
    return c


def test_a_dozen_cycles_in_every_stage(conn: sqlite3.Connection) -> None:
    cycles = pdca.list_cycles(conn, include_closed=True)
    assert len(cycles) == 12
    assert Counter(c.stage for c in cycles) == {
        "plan": 4,
        "do": 2,
        "check": 2,
        "act": 1,
        "closed": 3,
    }
    assert {c.owner for c in cycles} == {"li.na", "chen.jie", "zhang.wei", "wang.fang", "zhao.min"}


def test_tied_to_the_incidents_and_telling_a_story(conn: sqlite3.Connection) -> None:
    cycles = {c.title: c for c in pdca.list_cycles(conn, include_closed=True)}
    slide = cycles["Conversion sliding on jd-home"]
    assert (slide.stage, slide.metric_key, slide.shop_key) == ("plan", "conversion_rate", "jd-home")
    shift = cycles["Warm-up traffic push: more search bids"]
    detail = build_detail(conn, shift.id, TODAY)
    assert detail.check is not None and detail.check.verdict == "standardise"
    assert [s.rule for s in detail.check.signals][0] == "shift"
    assert detail.check.signals[0].days[0] == date(2026, 6, 1)  # the 618 warm-up start
    assert any("618 warm-up starts" in w for w in detail.check.confounders)
    assert detail.sop is not None and detail.sop[0] == "daily-traffic-ads"
    abandoned = cycles["Live-stream coupons"]
    assert (abandoned.stage, abandoned.decision) == ("closed", "abandon")
    assert abandoned.lesson.startswith("Coupons moved buyers")
    child = cycles["Next-day dispatch cut-off at 16:00 (iteration)"]
    assert child.parent_id == cycles["Next-day dispatch cut-off at 16:00"].id


def test_steps_due_on_the_stand_up(conn: sqlite3.Connection) -> None:
    lines = steps_due(conn, TODAY)
    assert [(s.status, s.text) for s in lines][:2] == [
        ("overdue", "#4 Lift ROAS on search ads: Plan 2 d overdue — li.na"),
        ("overdue", "#5.2 Train the evening shift — wang.fang, 2 d overdue, open 12 d"),
    ]
    assert ("due", "#5.3 Switch the replies on — wang.fang, due today, open 12 d") in [
        (s.status, s.text) for s in lines
    ]


def test_same_arguments_same_cycles(tmp_path: Path, conn: sqlite3.Connection) -> None:
    path = tmp_path / "again.sqlite"
    other = initialise(path)
    try:
        build_demo(other, end=END, days=400)
        rows = (
            "SELECT id, title, stage, baseline_start, baseline_value, change_date FROM pdca_cycles"
        )
        assert [tuple(r) for r in other.execute(rows)] == [tuple(r) for r in conn.execute(rows)]
        build_demo(other, end=END, days=400, replace=True)
        assert other.execute("SELECT count(*) FROM pdca_cycles").fetchone()[0] == 12
    finally:
        other.close()


def test_every_demo_event_inside_the_demos_timeline_in_order_by_its_people(
    conn: sqlite3.Connection,
) -> None:
    """Stage moves, audit events and action closes carry the demo's own days (none after END
    ends in Shanghai), in order, by the demo's people: never the wall clock of the run nor
    the OS login running it."""
    end = "2026-11-22T16:00:00+00:00"  # END 24:00 in Shanghai
    people = {"li.na", "chen.jie", "zhang.wei", "wang.fang", "zhao.min"}
    for c in pdca.list_cycles(conn, include_closed=True):
        moves = conn.execute(
            "SELECT at, by FROM pdca_stage_history WHERE cycle_id = ? ORDER BY id", (c.id,)
        ).fetchall()
        events = conn.execute(
            "SELECT at, actor FROM audit_events WHERE object_type = 'pdca' AND object_key = ?"
            " ORDER BY id",
            (str(c.id),),
        ).fetchall()
        for rows in (moves, events):
            times = [r[0] for r in rows]
            assert times == sorted(times) and times[-1] < end, (c.title, times)
            assert {r[1] for r in rows} <= people, c.title
        row = conn.execute(
            "SELECT stage_since, opened_on, updated_at, updated_by FROM pdca_cycles WHERE id = ?",
            (c.id,),
        ).fetchone()
        assert (row[0], row[1][:10]) == (moves[-1][0], moves[0][0][:10]), c.title
        (opened,) = conn.execute(
            "SELECT json_extract(new, '$.opened_on') FROM audit_events WHERE object_type = 'pdca'"
            " AND object_key = ? AND action = 'open'",
            (str(c.id),),
        ).fetchone()
        assert opened == row[1], c.title
        assert row[2] < end and row[3] in people, c.title
        closes = conn.execute(
            "SELECT closed_at, closed_by FROM action_items WHERE source_kind = 'pdca'"
            " AND source_id = ? AND closed_at IS NOT NULL",
            (c.id,),
        ).fetchall()
        for closed_at, closed_by in closes:
            assert closed_by in people and closed_at <= moves[-1][0] < end, c.title
