"""PDCA store: open, edit, gates, frozen baseline, change event, act, concurrency, audit."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from opsdesk.store import actions, pdca, shops
from opsdesk.store.connection import current_user
from opsdesk.store.db import open_store

TODAY = date(2026, 11, 23)  # the ops day is 2026-11-22
D = date.fromisoformat


def _fill(conn: sqlite3.Connection, start: date, days: int, visitors: float, buyers: float) -> None:
    ids = {r[0]: r[1] for r in conn.execute("SELECT key, id FROM metrics")}
    shop = conn.execute("SELECT id FROM shops WHERE key = 'jd-home'").fetchone()[0]
    rows = []
    for i in range(days):
        d = (start + timedelta(days=i)).isoformat()
        rows += [(shop, ids["visitors"], d, visitors), (shop, ids["buyers"], d, buyers)]
    conn.executemany(
        "INSERT OR REPLACE INTO observations (shop_id, metric_id, day, value) VALUES (?, ?, ?, ?)",
        rows,
    )


@pytest.fixture
def store(conn: sqlite3.Connection) -> sqlite3.Connection:
    shops.add(conn, "jd-home", "JD home", "jd")
    _fill(conn, D("2026-10-26"), 28, 1000, 30)  # the default baseline: 3.0%
    return conn


def _ready_for_do(conn: sqlite3.Connection) -> pdca.Cycle:
    c = pdca.open_cycle(
        conn,
        today=TODAY,
        title="Fix the detail page",
        metric_key="conversion_rate",
        shop_key="jd-home",
    )
    pdca.edit(conn, c.id, today=TODAY, hypothesis="new images lift conversion", plan="swap")
    pdca.add_action(conn, c.id, "shoot new images", "li.na", D("2026-11-25"))
    return pdca.get(conn, c.id)


def test_open_blank_fills_the_default_baseline_from_the_store(store: sqlite3.Connection) -> None:
    c = pdca.open_cycle(
        store,
        today=TODAY,
        title="Lift conversion",
        metric_key="conversion_rate",
        shop_key="jd-home",
    )
    assert (c.stage, c.baseline_start, c.baseline_end) == ("plan", D("2026-10-26"), D("2026-11-22"))
    assert c.baseline_value == pytest.approx(0.03)
    assert c.owner == current_user() and c.opened_on == TODAY and not c.baseline_frozen
    assert [(h.from_stage, h.to_stage) for h in pdca.history(store, c.id)] == [(None, "plan")]
    audit = store.execute(
        "SELECT actor, action FROM audit_events WHERE object_type = 'pdca' AND object_key = ?",
        (str(c.id),),
    ).fetchall()
    assert [tuple(r) for r in audit] == [(current_user(), "open")]


def test_open_from_alert_takes_metric_shop_and_message(store: sqlite3.Connection) -> None:
    store.execute(
        "INSERT INTO alerts (rule_key, shop_id, metric_key, day, severity, message, raised_at)"
        " VALUES ('conversion-drop', 1, 'conversion_rate', '2026-11-22', 'warning',"
        " 'jd-home: Conversion 2.53% is 6.2% below its 7-day mean 2.70%', 'x')"
    )
    c = pdca.open_cycle(store, today=TODAY, alert_id=1, owner="wang.fang")
    assert (c.metric_key, c.shop_key, c.alert_id, c.owner) == (
        "conversion_rate",
        "jd-home",
        1,
        "wang.fang",
    )
    assert c.problem == "jd-home: Conversion 2.53% is 6.2% below its 7-day mean 2.70%"
    assert c.title == c.problem


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"title": "t", "metric_key": "nope"}, "--metric: unknown metric 'nope'"),
        ({"title": "t", "metric_key": "gmv", "shop_key": "x"}, "--shop: unknown shop 'x'"),
        ({"title": " ", "metric_key": "gmv"}, "--title: a cycle needs a title"),
        ({"title": "t", "metric_key": "gmv", "owner": "Bad Login"}, "--owner: 'Bad Login'"),
        ({"alert_id": 99}, "--from-alert: there is no alert 99"),
    ],
)
def test_open_refuses_bad_input_and_stores_nothing(
    store: sqlite3.Connection, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        pdca.open_cycle(store, today=TODAY, **kwargs)  # type: ignore[arg-type]
    assert store.execute("SELECT count(*) FROM pdca_cycles").fetchone()[0] == 0
    assert (
        store.execute("SELECT count(*) FROM audit_events WHERE object_type = 'pdca'").fetchone()[0]
        == 0
    )


def test_gates_freeze_and_change_event(store: sqlite3.Connection) -> None:
    c = pdca.open_cycle(
        store, today=TODAY, title="t", metric_key="conversion_rate", shop_key="jd-home"
    )
    with pytest.raises(ValueError, match="missing hypothesis.*plan.*actions"):
        pdca.move(store, c.id, "do", today=TODAY)
    c = _ready_for_do(store)
    c = pdca.move(store, c.id, "do", today=TODAY)
    assert c.stage == "do" and c.baseline_frozen and c.baseline_value == pytest.approx(0.03)
    with pytest.raises(ValueError, match="--baseline: frozen when the cycle entered Do"):
        pdca.edit(store, c.id, today=TODAY, baseline=(D("2026-10-01"), D("2026-10-28")))
    _fill(store, D("2026-10-26"), 28, 1000, 50)  # a later correction of the baseline data
    assert pdca.get(store, c.id).baseline_value == pytest.approx(0.03)
    with pytest.raises(ValueError, match="missing change date"):
        pdca.move(store, c.id, "check", today=TODAY)
    with pytest.raises(ValueError, match="--change-date: 2026-11-20 is not after the baseline"):
        pdca.edit(store, c.id, today=TODAY, change_date=D("2026-11-20"))
    later = TODAY + timedelta(days=10)
    c = pdca.edit(store, c.id, today=later, change_date=D("2026-11-23"))
    events = store.execute("SELECT day, kind, title FROM events").fetchall()
    assert [tuple(e) for e in events] == [
        ("2026-11-23", "pdca", f"PDCA #{c.id} change: Fix the detail page")
    ]
    _fill(store, D("2026-11-23"), 6, 1000, 40)
    with pytest.raises(ValueError, match="6 days with data since 2026-11-23, at least 7"):
        pdca.move(store, c.id, "check", today=later)
    _fill(store, D("2026-11-29"), 1, 1000, 40)
    c = pdca.move(store, c.id, "check", today=later)
    assert c.stage == "check"
    pdca.edit(store, c.id, today=later, change_date=D("2026-11-24"))
    assert store.execute("SELECT count(*), min(day) FROM events").fetchone()[:] == (1, "2026-11-24")


def test_move_back_needs_a_reason_and_is_recorded(store: sqlite3.Connection) -> None:
    c = pdca.move(store, _ready_for_do(store).id, "do", today=TODAY)
    with pytest.raises(ValueError, match="needs a reason"):
        pdca.move(store, c.id, "plan", today=TODAY)
    c = pdca.move(store, c.id, "plan", today=TODAY, reason="wrong metric")
    assert c.stage == "plan" and not c.baseline_frozen
    h = pdca.history(store, c.id)[-1]
    assert (h.from_stage, h.to_stage, h.reason, h.by) == (
        "do",
        "plan",
        "wrong metric",
        current_user(),
    )
    actions_ = store.execute(
        "SELECT action FROM audit_events WHERE object_type = 'pdca' ORDER BY id"
    ).fetchall()
    assert [a[0] for a in actions_] == ["open", "edit", "move", "move_back"]


def test_second_mover_sees_it_moved_never_a_silent_overwrite(
    store_path: Path, store: sqlite3.Connection
) -> None:
    c = _ready_for_do(store)
    other = open_store(store_path)
    try:
        pdca.move(other, c.id, "do", today=TODAY, expected_stage="plan", expected_version=c.version)
    finally:
        other.close()
    with pytest.raises(pdca.CycleChanged) as e:
        pdca.move(store, c.id, "do", today=TODAY, expected_stage="plan", expected_version=c.version)
    assert f"cycle {c.id} was moved from Plan to Do by {current_user()} at " in str(e.value)
    assert "nothing changed" in str(e.value)
    with pytest.raises(pdca.CycleChanged, match="was changed by"):
        pdca.edit(store, c.id, today=TODAY, expected_version=c.version, plan="mine")
    assert pdca.get(store, c.id).plan == "swap"
    assert len(pdca.history(store, c.id)) == 2


def test_actions_add_done_drop(store: sqlite3.Connection) -> None:
    c = _ready_for_do(store)
    item = pdca.add_action(store, c.id, "brief the designer", "chen.jie", None)
    assert (item.number, item.status, item.key) == (2, "open", f"pdca/{c.id}/2")
    done = actions.close(store, "pdca", c.id, 1, "done")
    assert (done.status, done.closed_by) == ("done", current_user())
    with pytest.raises(ValueError, match="action item 1 is already done"):
        actions.close(store, "pdca", c.id, 1, "dropped")
    with pytest.raises(ValueError, match=f"cycle {c.id} has no action item 9"):
        actions.close(store, "pdca", c.id, 9, "done")
    actions.close(store, "pdca", c.id, 2, "dropped")
    assert [i.status for i in actions.for_source(store, "pdca", c.id)] == ["done", "dropped"]
    assert [i.key for i in actions.open_due(store, D("2026-12-31"))] == []


def _to_check(store: sqlite3.Connection) -> tuple[pdca.Cycle, date]:
    c = pdca.move(store, _ready_for_do(store).id, "do", today=TODAY)
    later = TODAY + timedelta(days=14)
    _fill(store, D("2026-11-23"), 14, 1000, 40)
    pdca.edit(store, c.id, today=later, change_date=D("2026-11-23"))
    return pdca.move(store, c.id, "check", today=later), later


def test_act_standardise_links_a_new_sop_version(store: sqlite3.Connection) -> None:
    c, later = _to_check(store)
    before = store.execute(
        "SELECT max(v.version) FROM sop_template_versions v JOIN sop_templates t"
        " ON t.id = v.template_id WHERE t.key = 'daily-traffic-ads'"
    ).fetchone()[0]
    result = pdca.act(
        store,
        c.id,
        today=later,
        decision="standardise",
        lesson="images matter",
        sop_key="daily-traffic-ads",
    )
    assert result.cycle.stage == "closed" and result.sop == ("daily-traffic-ads", before + 1)
    row = store.execute(
        "SELECT version, pdca_cycle_id FROM sop_template_versions WHERE id = ?",
        (result.cycle.sop_version_id,),
    ).fetchone()
    assert tuple(row) == (before + 1, c.id)
    assert result.cycle.follow_up_on == later + timedelta(days=28)
    assert [h.to_stage for h in pdca.history(store, c.id)] == [
        "plan",
        "do",
        "check",
        "act",
        "closed",
    ]
    assert result.cycle.after_end == D("2026-12-06")


def test_act_iterate_opens_a_linked_cycle_with_the_after_window_as_baseline(
    store: sqlite3.Connection,
) -> None:
    c, later = _to_check(store)
    result = pdca.act(store, c.id, today=later, decision="iterate", lesson="half the effect")
    child = result.new_cycle
    assert child is not None and child.parent_id == c.id
    assert (child.metric_key, child.shop_key, child.baseline) == (
        "conversion_rate",
        "jd-home",
        (D("2026-11-23"), D("2026-12-06")),
    )
    assert child.baseline_value == pytest.approx(0.04)
    with pytest.raises(ValueError, match="--sop: standardise names the SOP template"):
        pdca.act(store, child.id, today=later, decision="standardise", lesson="x")
    with pytest.raises(ValueError, match="is at Plan: act at Check or Act"):
        pdca.act(store, child.id, today=later, decision="abandon", lesson="x")


def test_experiment_arms_refuse_more_buyers_than_visitors(store: sqlite3.Connection) -> None:
    c = _ready_for_do(store)
    pdca.set_arm(store, c.id, "a", 1000, 40)
    with pytest.raises(ValueError, match="buyers: 1200 buyers is more than the 1000 visitors"):
        pdca.set_arm(store, c.id, "B", 1000, 1200)
    assert {k: (a.denominator, a.numerator) for k, a in pdca.arms(store, c.id).items()} == {
        "A": (1000, 40)
    }


def test_follow_up_check_is_computed_suggested_and_confirmed_once(
    store: sqlite3.Connection,
) -> None:
    from opsdesk.views.pdca import build_detail, follow_up_lines, steps_due

    c, later = _to_check(store)  # after-window 2026-11-23..2026-12-06 (14 days) at 4.0%
    pdca.act(
        store, c.id, today=later, decision="standardise", lesson="l", sop_key="daily-traffic-ads"
    )
    due = D("2027-01-04")
    assert pdca.get(store, c.id).follow_up_on == due
    _fill(store, D("2026-12-07"), 29, 1000, 35)  # to 2027-01-04: 3.5%
    with pytest.raises(ValueError, match="is due on 2027-01-04 .28 days after standardising"):
        pdca.confirm_follow_up(store, c.id, today=due, result="held")
    follow_ups = [s for s in steps_due(store, due) if "follow-up" in s.text]
    assert [(s.status, s.text) for s in follow_ups] == [
        (
            "due",
            f"#{c.id} Fix the detail page: follow-up check of the standard (did the gain hold?)",
        )
    ]
    late = [s for s in steps_due(store, due + timedelta(days=8)) if "follow-up" in s.text]
    assert [(s.status, s.text.rsplit(", ", 1)[1]) for s in late] == [("overdue", "due 8 d ago")]

    today = due + timedelta(days=1)
    d = build_detail(store, c.id, today)
    assert d.follow_up is not None
    assert (d.follow_up.after.start, d.follow_up.after.end) == (D("2026-12-22"), due)
    assert (d.follow_up.before.days, d.follow_up.after.days) == (14, 14)
    assert d.follow_up.before.value == pytest.approx(0.03)
    assert d.follow_up.after.value == pytest.approx(0.035)
    assert d.follow_up_suggestion == ("held", "the follow-up window is better than the baseline")
    assert follow_up_lines(d)[0] == "follow-up check: due 2027-01-04, not confirmed yet"

    with pytest.raises(ValueError, match="--result: 'kept' is not one of held, lost"):
        pdca.confirm_follow_up(store, c.id, today=today, result="kept")
    done = pdca.confirm_follow_up(store, c.id, today=today, result="held", note="still 3.5%")
    row = store.execute(
        "SELECT follow_up_result, follow_up_value, follow_up_note, follow_up_by FROM pdca_cycles"
        " WHERE id = ?",
        (c.id,),
    ).fetchone()
    assert tuple(row) == ("held", pytest.approx(0.035), "still 3.5%", current_user())
    assert done.follow_up_result == "held"
    event = store.execute(
        "SELECT action, new FROM audit_events WHERE object_type = 'pdca' AND object_key = ?"
        " ORDER BY id DESC LIMIT 1",
        (str(c.id),),
    ).fetchone()
    assert (event[0], json.loads(event[1])) == (
        "follow_up",
        {"follow_up_result": "held", "follow_up_value": 0.035, "follow_up_note": "still 3.5%",
         "follow_up_by": current_user()},
    )  # fmt: skip
    assert [s for s in steps_due(store, today) if "follow-up" in s.text] == []
    with pytest.raises(pdca.CycleChanged, match=r"already confirmed \(held\) by "):
        pdca.confirm_follow_up(store, c.id, today=today, result="lost")
    assert build_detail(store, c.id, today).follow_up is None
    other = _ready_for_do(store)
    with pytest.raises(ValueError, match=f"cycle {other.id} has no follow-up check"):
        pdca.confirm_follow_up(store, other.id, today=today, result="held")
