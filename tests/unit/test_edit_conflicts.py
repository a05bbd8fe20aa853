"""Two sessions editing the same object (issue 13 §4): two connections on one real SQLite file.
The second save sees the change underneath (old → theirs → yours) and nothing is written;
"keep mine" saves on the version it was shown; a change to another field is not a conflict."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from opsdesk.store import audit, pdca, risks, shops, versioning
from opsdesk.store.checklists import ensure_runs, set_note, tick
from opsdesk.store.connection import current_user
from opsdesk.store.db import open_store
from opsdesk.store.targets import set_target
from opsdesk.store.versioning import EditConflict

TODAY = date(2026, 11, 30)
ME = current_user()


@pytest.fixture
def two(store_path: Path) -> Iterator[tuple[sqlite3.Connection, sqlite3.Connection]]:
    a, b = open_store(store_path), open_store(store_path)
    shops.add(a, "jd-home", "JD home", "jd")
    yield a, b
    a.close()
    b.close()


@pytest.fixture
def fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "now_iso", lambda: "2026-11-30T12:04:00+00:00")


def test_a_target_changed_underneath_is_refused_then_kept_on_purpose(
    two: tuple[sqlite3.Connection, sqlite3.Connection], fixed_time: None
) -> None:
    a, b = two
    t = set_target(a, "gmv", 20000.0, shop_key="jd-home", amber=1000.0)
    seen_a = versioning.version(a, "target", str(t.id))
    seen_b = versioning.version(b, "target", str(t.id))
    assert seen_a == seen_b > 0
    set_target(a, "gmv", 22000.0, shop_key="jd-home", amber=1000.0, based_on=seen_a)
    with pytest.raises(EditConflict) as refused:
        set_target(b, "gmv", 25000.0, shop_key="jd-home", amber=1000.0, based_on=seen_b)
    c = refused.value.conflict
    assert (c.fields, c.old, c.theirs, c.yours, c.by) == (
        ("value",),
        {"value": 20000.0},
        {"value": 22000.0},
        {"value": 25000.0},
        ME,
    )
    assert str(refused.value) == (
        f"target {t.id} was changed by {ME} at 2026-11-30 20:04 since you read it (nothing"
        " saved): value: 20000.0 → theirs 22000.0 → yours 25000.0"
    )
    assert b.execute("SELECT value FROM targets WHERE id = ?", (t.id,)).fetchone()[0] == 22000.0
    # keep mine: saved on the version the conflict showed
    set_target(b, "gmv", 25000.0, shop_key="jd-home", amber=1000.0, based_on=c.version)
    assert a.execute("SELECT value FROM targets WHERE id = ?", (t.id,)).fetchone()[0] == 25000.0


def test_a_risk_field_changed_underneath_is_refused_another_field_is_not(
    two: tuple[sqlite3.Connection, sqlite3.Connection],
) -> None:
    a, b = two
    key = risks.list_risks(a)[0].risk.key
    title = risks.get_risk(a, key).risk.title
    seen = versioning.version(b, "risk", key)
    risks.update_fields(a, key, {"title": "Theirs"}, TODAY, based_on=seen)
    with pytest.raises(EditConflict) as refused:
        risks.update_fields(b, key, {"title": "Yours"}, TODAY, based_on=seen)
    c = refused.value.conflict
    assert (c.old, c.theirs, c.yours) == ({"title": title}, {"title": "Theirs"}, {"title": "Yours"})
    assert risks.get_risk(b, key).risk.title == "Theirs"
    # the mitigation was not changed underneath: saving it on the old version is no conflict
    risks.update_fields(b, key, {"mitigation": "Two people know it"}, TODAY, based_on=seen)
    stored = risks.get_risk(a, key).risk
    assert (stored.title, stored.mitigation) == ("Theirs", "Two people know it")


def test_a_checklist_note_changed_underneath_is_refused_a_tick_is_not(
    two: tuple[sqlite3.Connection, sqlite3.Connection],
) -> None:
    a, b = two
    ensure_runs(a, TODAY)
    run_id = int(a.execute("SELECT min(run_id) FROM sop_run_items").fetchone()[0])
    key = f"{run_id}/1"
    set_note(a, run_id, 1, "first")
    seen = versioning.version(b, "sop_run_item", key)
    set_note(a, run_id, 1, "theirs", based_on=seen)
    with pytest.raises(EditConflict) as refused:
        set_note(b, run_id, 1, "yours", based_on=seen)
    c = refused.value.conflict
    assert (c.old, c.theirs, c.yours) == ({"note": "first"}, {"note": "theirs"}, {"note": "yours"})
    note = b.execute(
        "SELECT note FROM sop_run_items WHERE run_id = ? AND position = 1", (run_id,)
    ).fetchone()
    assert note[0] == "theirs"
    seen = versioning.version(b, "sop_run_item", key)
    tick(a, run_id, 1)  # the item moved on, its note did not
    set_note(b, run_id, 1, "yours", based_on=seen)
    assert a.execute(
        "SELECT state, note FROM sop_run_items WHERE run_id = ? AND position = 1", (run_id,)
    ).fetchone()[:] == ("done", "yours")


def test_a_cycle_field_changed_underneath_says_old_theirs_yours(
    two: tuple[sqlite3.Connection, sqlite3.Connection],
) -> None:
    a, b = two
    c = pdca.open_cycle(a, today=TODAY, title="Lift CR", metric_key="conversion_rate")
    pdca.edit(a, c.id, today=TODAY, hypothesis="first")
    seen = pdca.get(b, c.id).version
    pdca.edit(a, c.id, today=TODAY, expected_version=seen, hypothesis="theirs")
    with pytest.raises(EditConflict) as refused:
        pdca.edit(b, c.id, today=TODAY, expected_version=seen, hypothesis="yours")
    conflict = refused.value.conflict
    assert (conflict.old, conflict.theirs, conflict.yours, conflict.version) == (
        {"hypothesis": "first"},
        {"hypothesis": "theirs"},
        {"hypothesis": "yours"},
        seen + 1,
    )
    assert pdca.get(b, c.id).hypothesis == "theirs"
    # another field changed underneath: the cycle's own refusal (it says who changed it)
    with pytest.raises(pdca.CycleChanged):
        pdca.edit(b, c.id, today=TODAY, expected_version=seen, plan="swap images")
    # keep mine: on the version the conflict showed
    pdca.edit(b, c.id, today=TODAY, expected_version=conflict.version, hypothesis="yours")
    assert pdca.get(a, c.id).hypothesis == "yours"
