"""The risk register in a real store: seed, files, reviews, triggers, linked runs, audit."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from opsdesk.domain.risk_files import RegisterFileError
from opsdesk.domain.risks import CATEGORIES, RiskError, Score
from opsdesk.store import risks, shops
from opsdesk.store.audit import events_for
from opsdesk.store.checklists import get_run, tick
from opsdesk.store.observations import set_value

TODAY = date(2026, 11, 23)
DAY = TODAY - timedelta(days=1)


def _snapshot(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for table in ("risks", "risk_kris", "risk_reviews", "risk_triggers", "risk_runs"):
        out.extend(tuple(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY 1"))  # noqa: S608
    return out


def test_init_loads_a_seed_with_every_category(conn: sqlite3.Connection) -> None:
    register = risks.list_risks(conn)
    assert {s.risk.category for s in register} == set(CATEGORIES)
    keys = {s.risk.key for s in register}
    assert {"platform-rule-change-throttle", "stockout-bestseller", "chat-response-peak"} <= keys
    sops = {s.risk.contingency_sop for s in register}
    assert {"crisis-response", "platform-rule-change"} <= sops
    assert all(s.source == "seed" and not s.edited for s in register)
    stockout = risks.get_risk(conn, "stockout-bestseller")
    assert [k.kri.describe() for k in stockout.kris] == [
        "stockout_rate above 0.03 for 3 days in a row (any shop)"
    ]


def test_seed_loading_is_idempotent_and_keeps_edits(conn: sqlite3.Connection) -> None:
    before = len(risks.list_risks(conn))
    risks.update_fields(conn, "price-war", {"title": "Our own title", "likelihood": 5}, TODAY)
    conn.execute("DELETE FROM risks WHERE key = 'key-person-loss'")
    assert risks.load_seed(conn, TODAY) == ["key-person-loss"]  # the missing one only
    assert risks.load_seed(conn, TODAY) == []
    edited = risks.get_risk(conn, "price-war")
    assert (edited.risk.title, edited.risk.inherent.likelihood, edited.edited) == (
        "Our own title",
        5,
        True,
    )
    assert len(risks.list_risks(conn)) == before


GOOD = """
[[risk]]
key = "live-host-leaves"
title = "Live-stream host [bold]quits[/]"
category = "talent"
owner = "zhao.min"
likelihood = 3
impact = 4
residual_likelihood = 2
residual_impact = 4
contingency_sop = "crisis-response"

[[risk.kri]]
metric = "gmv"
kind = "drop"
baseline = "same_weekday"
threshold = 0.4
"""

BAD = """[[risk]]
key = "a"
title = "A"
category = "weather"
owner = "Zhang Wei"
likelihood = 2
impact = 2
residual_likelihood = 3
residual_impact = 2

[[risk]]
key = "b"
title = "B"
category = "fraud"
owner = "li.na"
likelihood = 3
impact = 3
response = "accept"
contingency_sop = "no-such-sop"

[[risk.kri]]
metric = "nope"
kind = "above"
threshold = 1
"""


def test_add_from_a_file(conn: sqlite3.Connection, tmp_path: Path) -> None:
    f = tmp_path / "mine.toml"
    f.write_text(GOOD, encoding="utf-8")
    added = risks.add_risks(conn, risks.read_register_file(conn, f, TODAY), source="mine.toml")
    assert added == ["live-host-leaves"]
    s = risks.get_risk(conn, "live-host-leaves")
    assert (s.risk.title, s.risk.inherent.value, s.risk.residual.value) == (
        "Live-stream host [bold]quits[/]",
        12,
        8,
    )
    assert s.risk.next_review == date(2026, 12, 23)
    assert [e["action"] for e in events_for(conn, "risk", "live-host-leaves")] == ["create"]
    with pytest.raises(ValueError, match="already in the register: live-host-leaves"):
        risks.add_risks(conn, risks.read_register_file(conn, f, TODAY), source="again")


def test_a_bad_file_names_every_problem_and_changes_nothing(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(BAD, encoding="utf-8")
    before = _snapshot(conn)
    with pytest.raises(RegisterFileError) as e:
        risks.read_register_file(conn, f, TODAY)
    assert e.value.problems == [
        f"{f}:4: category: 'weather' is not one of {', '.join(CATEGORIES)}",
        f"{f}:5: owner: 'Zhang Wei' is not a login (lower-case letters, digits, '.', '_', '-')",
        f"{f}:1: residual: residual score 6 (3×2) is higher than the inherent score 4 (2×2): "
        "mitigation cannot raise a risk",
        f"{f}:11: accept_until: an acceptance needs an expiry date (accept_until)",
        f"{f}:19: contingency_sop: unknown SOP template 'no-such-sop'",
        f"{f}:22: kri #1 metric: unknown metric 'nope' (see `opsdesk metrics`)",
    ]
    assert _snapshot(conn) == before


def test_rescore_and_review_keep_the_history(conn: sqlite3.Connection) -> None:
    s = risks.get_risk(conn, "price-war")
    with pytest.raises(RiskError, match="higher than the inherent score 6"):
        risks.rescore(conn, "price-war", Score(2, 3), Score(3, 3), "too low", TODAY)
    risks.rescore(conn, "price-war", Score(4, 4), None, "competitor cut 20%", TODAY)
    risks.review(conn, "price-war", "checked", TODAY, next_review=date(2027, 1, 5))
    history = risks.reviews_for(conn, s.id)
    assert [(h.kind, h.inherent.value, h.residual.value, h.note) for h in history] == [
        ("create", 9, 6, ""),
        ("score", 16, 6, "competitor cut 20%"),
        ("review", 16, 6, "checked"),
    ]
    assert history[1].old_inherent == Score(3, 3)
    after = risks.get_risk(conn, "price-war").risk
    assert after.next_review == date(2027, 1, 5)
    with pytest.raises(RiskError, match="needs a note"):
        risks.review(conn, "price-war", " ", TODAY)
    actions = [e["action"] for e in events_for(conn, "risk", "price-war")]
    assert actions == ["create", "score", "review"]


def _stockouts(conn: sqlite3.Connection, rates: list[float], shop: str = "tmall-apparel") -> None:
    for i, rate in enumerate(rates):
        day = DAY - timedelta(days=len(rates) - 1 - i)
        set_value(conn, shop, "active_skus", day, 1000)
        set_value(conn, shop, "stockout_skus", day, rate * 1000)


def test_kri_triggers_once_per_day_and_pulls_the_review(conn: sqlite3.Connection) -> None:
    shops.add(conn, "tmall-apparel", "Tmall apparel", "tmall")
    _stockouts(conn, [0.034, 0.041, 0.052])
    first = risks.evaluate_kris(conn, DAY, TODAY)
    assert [(t.risk_key, t.shop_key, t.day, t.value) for t in first.new_triggers] == [
        ("stockout-bestseller", "tmall-apparel", DAY, 0.052)
    ]
    s = risks.get_risk(conn, "stockout-bestseller")
    assert (s.risk.status, s.risk.next_review) == ("triggered", TODAY)
    again = risks.evaluate_kris(conn, DAY, TODAY)
    assert again.new_triggers == []
    assert len(risks.triggers_for(conn, s.id)) == 1
    reading = [r.reading for r in again.for_risk("stockout-bestseller")]
    assert [(r.shop_key, r.value, r.breached) for r in reading] == [("tmall-apparel", 0.052, True)]
    # the KRI stops firing: the risk stays triggered until a person reviews it
    _stockouts(conn, [0.01])
    later = risks.evaluate_kris(conn, DAY, TODAY)
    assert later.new_triggers == []
    assert risks.get_risk(conn, "stockout-bestseller").risk.status == "triggered"
    risks.review(conn, "stockout-bestseller", "expedited; back in stock", TODAY)
    assert risks.get_risk(conn, "stockout-bestseller").risk.status == "open"
    assert [e["action"] for e in events_for(conn, "risk", "stockout-bestseller")] == [
        "create",
        "trigger",
        "review",
    ]


def test_a_breach_voids_a_conditional_acceptance(conn: sqlite3.Connection) -> None:
    shops.add(conn, "jd-home", "JD home", "jd")
    set_value(conn, "jd-home", "gmv", DAY, 1000)
    set_value(conn, "jd-home", "refund_amount", DAY, 300)
    risks.evaluate_kris(conn, DAY, TODAY)
    s = risks.get_risk(conn, "cross-border-customs").risk
    assert (s.status, s.acceptance_voided_on) == ("triggered", DAY)
    risks.review(conn, "cross-border-customs", "renewed", TODAY, accept_until=date(2027, 3, 1))
    s = risks.get_risk(conn, "cross-border-customs").risk
    assert (s.status, s.acceptance_voided_on, s.accept_until) == ("open", None, date(2027, 3, 1))


def test_contingency_and_drill_runs_are_linked(conn: sqlite3.Connection) -> None:
    start = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    run_id = risks.start_linked_run(conn, "platform-rule-change-throttle", "contingency", TODAY)
    drill_id = risks.start_linked_run(conn, "system-outage", "drill", TODAY, now=start)
    assert get_run(conn, run_id).template_key == "platform-rule-change"
    drill = get_run(conn, drill_id)
    for item in drill.items:
        tick(conn, drill_id, item.position, now=start + timedelta(minutes=42))
    s = risks.get_risk(conn, "system-outage")
    linked = risks.runs_for(conn, s.id)
    assert [(r.run_id, r.purpose, r.template_key, r.status) for r in linked] == [
        (drill_id, "drill", "risk-drill", "done")
    ]
    assert linked[0].time_to_respond == timedelta(minutes=42)
    assert (s.risk.last_drill, s.risk.next_drill) == (TODAY, TODAY + timedelta(days=182))
    with pytest.raises(ValueError, match="runs per shop: name the shop"):
        risks.start_linked_run(conn, "stockout-bestseller", "contingency", TODAY)
    with pytest.raises(ValueError, match="no contingency SOP"):
        risks.start_linked_run(conn, "price-war", "contingency", TODAY)
    event = events_for(conn, "risk", "system-outage")[-2]
    assert (event["action"], json.loads(event["new"])["sop"]) == ("drill", "risk-drill")


def test_a_drill_done_records_its_dates_and_time_to_respond_and_a_reopen_puts_them_back(
    conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opsdesk.store.checklists import untick

    risks.update_fields(conn, "price-war", {"last_drill": "2026-08-01", "drill_days": 30}, TODAY)
    start = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
    drill_id = risks.start_linked_run(conn, "price-war", "drill", TODAY, now=start)
    items = get_run(conn, drill_id).items
    monkeypatch.setattr("opsdesk.store.checklists.ticks.current_user", lambda: "li.na")
    for item in items[:-1]:
        tick(conn, drill_id, item.position, now=start + timedelta(minutes=5))
    s = risks.get_risk(conn, "price-war")
    assert (s.risk.last_drill, s.risk.next_drill) == (date(2026, 8, 1), None)  # not done yet
    tick(conn, drill_id, items[-1].position, now=start + timedelta(minutes=17, seconds=30))
    s = risks.get_risk(conn, "price-war")
    assert (s.risk.last_drill, s.risk.next_drill) == (TODAY, date(2026, 12, 23))
    stored = conn.execute(
        "SELECT completed_at, completed_by, time_to_respond_s, prior_last_drill,"
        " prior_next_drill FROM risk_runs WHERE run_id = ?",
        (drill_id,),
    ).fetchone()
    assert tuple(stored) == ("2026-11-23T01:47:30+00:00", "li.na", 1050, "2026-08-01", None)
    done = events_for(conn, "risk", "price-war")[-1]
    assert (done["action"], done["actor"], json.loads(done["old"]), json.loads(done["new"])) == (
        "drill-done",
        "li.na",
        {"last_drill": "2026-08-01", "next_drill": None},
        {
            "last_drill": "2026-11-23",
            "next_drill": "2026-12-23",
            "run": drill_id,
            "completed_at": "2026-11-23T01:47:30+00:00",
            "time_to_respond_s": 1050,
        },
    )
    # an item unticked: the run reopens, the risk gets its dates back, nothing is stored
    untick(conn, drill_id, items[0].position, now=start + timedelta(minutes=20))
    s = risks.get_risk(conn, "price-war")
    assert (s.risk.last_drill, s.risk.next_drill) == (date(2026, 8, 1), None)
    assert risks.runs_for(conn, s.id)[0].time_to_respond is None
    assert events_for(conn, "risk", "price-war")[-1]["action"] == "drill-reopen"
    tick(conn, drill_id, items[0].position, now=start + timedelta(minutes=25))
    linked = risks.runs_for(conn, s.id)[0]
    assert (linked.time_to_respond_s, linked.completed_by) == (25 * 60, "li.na")
    assert risks.get_risk(conn, "price-war").risk.next_drill == date(2026, 12, 23)
    # a person sets the last drill by hand; reopening the run then leaves the dates alone
    risks.update_fields(conn, "price-war", {"last_drill": "2026-11-24"}, TODAY)
    untick(conn, drill_id, items[0].position, now=start + timedelta(minutes=30))
    s = risks.get_risk(conn, "price-war")
    assert (s.risk.last_drill, s.risk.next_drill) == (date(2026, 11, 24), date(2026, 12, 23))
    assert risks.runs_for(conn, s.id)[0].time_to_respond is None


def test_a_contingency_run_done_keeps_its_time_to_respond_but_is_not_a_drill(
    conn: sqlite3.Connection,
) -> None:
    start = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    key = "ecommerce-law-breach"
    run_id = risks.start_linked_run(conn, key, "contingency", TODAY, now=start)
    for item in get_run(conn, run_id).items:
        tick(conn, run_id, item.position, now=start + timedelta(hours=3))
    s = risks.get_risk(conn, key)
    assert (s.risk.last_drill, s.risk.next_drill) == (None, None)
    assert risks.runs_for(conn, s.id)[0].time_to_respond == timedelta(hours=3)
    assert events_for(conn, "risk", key)[-1]["action"] == "run-done"


def test_editing_kris_keeps_the_trigger_history(conn: sqlite3.Connection) -> None:
    shops.add(conn, "tmall-apparel", "Tmall apparel", "tmall")
    _stockouts(conn, [0.034, 0.041, 0.052])
    risks.evaluate_kris(conn, DAY, TODAY)
    stored = risks.get_risk(conn, "stockout-bestseller")
    kri_id = stored.kris[0].id
    new = [{"kind": "above", "metric": "stockout_rate", "threshold": 0.04, "days": 2}]
    new.append({"kind": "target", "metric": "stockout_rate"})
    risks.update_fields(conn, "stockout-bestseller", {"kri": new}, TODAY)
    after = risks.get_risk(conn, "stockout-bestseller")
    assert [k.kri.describe() for k in after.kris] == [
        "stockout_rate above 0.04 for 2 days in a row (any shop)",
        "stockout_rate red against its target (any shop)",
    ]
    assert after.kris[0].id == kri_id and after.edited
    assert [t.kri_id for t in risks.triggers_for(conn, stored.id)] == [kri_id]
    risks.update_fields(conn, "stockout-bestseller", {"kri": []}, TODAY)
    assert risks.get_risk(conn, "stockout-bestseller").kris == ()
    assert [t.kri_id for t in risks.triggers_for(conn, stored.id)] == [None]  # history stays
    with pytest.raises(RiskError, match="kri #1 metric: unknown metric 'nope'"):
        risks.update_fields(
            conn, "stockout-bestseller", {"kri": [{"kind": "above", "metric": "nope"}]}, TODAY
        )
    event = events_for(conn, "risk", "stockout-bestseller")[-1]
    assert json.loads(event["new"])["kris"] == []


def test_the_drill_migration_backfills_what_a_drill_done_records(
    conn: sqlite3.Connection,
) -> None:
    """A store upgraded with drills already done gets, from the migration's backfill, what
    ticking the drill done records today: the time to respond, who and when, the dates."""
    from opsdesk.store import migrations

    start = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    drill_id = risks.start_linked_run(conn, "system-outage", "drill", TODAY, now=start)
    for item in get_run(conn, drill_id).items:
        tick(conn, drill_id, item.position, now=start + timedelta(minutes=item.position * 7))
    recorded = _drill_state(conn)
    assert recorded[1:] == ("2026-11-23T02:42:00+00:00", 42 * 60, "2026-11-23", "2027-05-24")
    conn.execute(  # as before the migration: nothing of it stored
        "UPDATE risk_runs SET completed_at = NULL, completed_by = NULL, time_to_respond_s = NULL,"
        " prior_last_drill = NULL, prior_next_drill = NULL"
    )
    conn.execute("UPDATE risks SET last_drill = NULL, next_drill = NULL")
    (drills,) = [m for m in migrations.available() if m.name == "risk_drills"]
    for statement in migrations.split_statements(drills.path.read_text(encoding="utf-8")):
        if "ALTER TABLE" not in statement.sql:  # the backfill (the columns are there)
            conn.execute(statement.sql)
    assert _drill_state(conn) == recorded


def _drill_state(conn: sqlite3.Connection) -> tuple[object, ...]:
    row = conn.execute(
        "SELECT l.completed_by, l.completed_at, l.time_to_respond_s, r.last_drill,"
        " r.next_drill FROM risk_runs l JOIN risks r ON r.id = l.risk_id"
        " WHERE r.key = 'system-outage'"
    ).fetchone()
    return tuple(row)


def test_undoing_the_tick_that_finished_a_drill_puts_the_risk_back(
    conn: sqlite3.Connection,
) -> None:
    from opsdesk.store.undo import undo

    start = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    drill_id = risks.start_linked_run(conn, "system-outage", "drill", TODAY, now=start)
    for item in get_run(conn, drill_id).items:
        tick(conn, drill_id, item.position, now=start + timedelta(minutes=9))
    assert risks.get_risk(conn, "system-outage").risk.last_drill == TODAY
    last_tick = conn.execute(
        "SELECT max(id) FROM audit_events WHERE object_type = 'sop_run_item'"
    ).fetchone()[0]
    undo(conn, last_tick)
    s = risks.get_risk(conn, "system-outage")
    assert (s.risk.last_drill, s.risk.next_drill) == (None, None)
    assert risks.runs_for(conn, s.id)[0].status == "open"
    assert risks.runs_for(conn, s.id)[0].time_to_respond is None
