"""`opsdesk log` and `opsdesk undo` (issue 13 §4) on a real store file: exact log lines and
JSON, undo of each kind of change with what it stores, and every refusal."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_import_support import add_shops, write

from opsdesk.cli import main
from opsdesk.store import audit, observations, pdca, review, risks
from opsdesk.store.checklists import set_note, skip_item, tick, untick
from opsdesk.store.connection import current_user
from opsdesk.store.targets import set_target
from opsdesk.store.undo import UndoRefused, last_change, undo
from opsdesk.views.history import object_history

ME = current_user()
DAY = date(2026, 11, 20)
TODAY = date(2026, 11, 30)


def cli(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    return result.exit_code, result.output


@pytest.fixture
def db(conn: sqlite3.Connection, store_path: Path) -> Path:
    add_shops(conn, "jd-home")
    return store_path


@pytest.fixture
def fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every audit event at 2026-11-30 12:04 UTC (20:04 in the store's Asia/Shanghai)."""
    monkeypatch.setattr(audit, "now_iso", lambda: "2026-11-30T12:04:00+00:00")


def last_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT max(id) FROM audit_events").fetchone()[0])


def value(conn: sqlite3.Connection, metric: str, day: date = DAY) -> float | None:
    return observations.get_value(conn, "jd-home", metric, day)


# -- the log ------------------------------------------------------------------------------------


def test_log_shows_who_when_what_old_to_new_newest_first(
    db: Path, conn: sqlite3.Connection, fixed_time: None
) -> None:
    assert cli(db, "shop", "list")[0] == 0  # today's checklist runs created (and audited) first
    t = set_target(conn, "conversion_rate", 0.05, shop_key="jd-home")
    set_target(conn, "conversion_rate", 0.06, shop_key="jd-home", amber=0.01)
    observations.set_values(conn, "jd-home", DAY, {"visitors": 1000.0, "buyers": 30.0})
    first = last_id(conn) - 3
    code, out = cli(db, "log", "--user", ME, "--limit", "4")
    assert code == 0
    assert out.splitlines() == [
        f"#{first + 3}  2026-11-30 20:04  {ME}  observation jd-home/buyers/2026-11-20  set  — → 30",
        f"#{first + 2}  2026-11-30 20:04  {ME}  observation jd-home/visitors/2026-11-20  set"
        "  — → 1000",
        f"#{first + 1}  2026-11-30 20:04  {ME}  target {t.id}  update  amber 0 → 0.01; value 0.05"
        " → 0.06",
        f"#{first}  2026-11-30 20:04  {ME}  target {t.id}  create  amber 0; metric conversion_rate;"
        " shop jd-home; value 0.05",
    ]
    code, out = cli(db, "log", "--object", f"target:{t.id}", "--format", "json")
    assert code == 0
    assert json.loads(out) == [
        {
            "id": first + 1,
            "at": "2026-11-30T12:04:00+00:00",
            "when": "2026-11-30 20:04",
            "who": ME,
            "object": {"type": "target", "key": str(t.id)},
            "action": "update",
            "old": {
                "amber": 0.0,
                "metric": "conversion_rate",
                "shop": "jd-home",
                "valid_from": None,
                "valid_to": None,
                "value": 0.05,
            },
            "new": {
                "amber": 0.01,
                "metric": "conversion_rate",
                "shop": "jd-home",
                "valid_from": None,
                "valid_to": None,
                "value": 0.06,
            },
            "change": first + 1,
            "undoes": None,
        },
        {
            "id": first,
            "at": "2026-11-30T12:04:00+00:00",
            "when": "2026-11-30 20:04",
            "who": ME,
            "object": {"type": "target", "key": str(t.id)},
            "action": "create",
            "old": None,
            "new": {
                "amber": 0.0,
                "metric": "conversion_rate",
                "shop": "jd-home",
                "valid_from": None,
                "valid_to": None,
                "value": 0.05,
            },
            "change": first,
            "undoes": None,
        },
    ]
    # one manual entry is one change: both values name the first event
    assert [e.change for e in audit.events(conn, object_type="observation")] == [
        first + 2,
        first + 2,
    ]
    assert cli(db, "log", "--object", "observation", "--limit", "1")[1].startswith(
        f"#{first + 3}  "
    )
    assert cli(db, "log", "--since", "2099-01-01") == (0, "")
    assert cli(db, "log", "--user", "nobody") == (0, "")


def test_log_refuses_bad_options(db: Path) -> None:
    assert cli(db, "log", "--format", "xml") == (
        1,
        "Error: --format: 'xml' is not one of text, json\n",
    )
    assert cli(db, "log", "--since", "30/11") == (
        1,
        "Error: --since: day '30/11': expected a date like 2026-11-21\n",
    )
    assert cli(db, "log", "--object", ":3") == (
        1,
        "Error: --object: ':3': expected TYPE or TYPE:ID (e.g. target:3)\n",
    )


# -- undo of each kind --------------------------------------------------------------------------


def test_undo_a_manual_entry_restores_every_value_of_it(db: Path, conn: sqlite3.Connection) -> None:
    observations.set_values(conn, "jd-home", DAY, {"visitors": 1000.0, "buyers": 30.0})
    observations.set_values(conn, "jd-home", DAY, {"visitors": 1200.0, "buyers": 40.0})
    code, out = cli(db, "undo")
    assert code == 0, out
    assert (value(conn, "visitors"), value(conn, "buyers")) == (1000.0, 30.0)
    lines = out.splitlines()
    assert lines[0].startswith("undid change #") and lines[3] == "recorded as:"
    assert lines[1].endswith("observation jd-home/visitors/2026-11-20  set  1000 → 1200")
    assert lines[4].endswith(
        "set  1200 → 1000 (undoes " + lines[0][len("undid change ") : -1] + ")"
    )
    # again: walks back to the first entry (values removed), then nothing of mine is left
    assert cli(db, "undo")[0] == 0
    assert (value(conn, "visitors"), value(conn, "buyers")) == (None, None)
    assert [e.action for e in audit.events(conn, object_type="observation", limit=2)] == [
        "delete",
        "delete",
    ]


def test_undo_an_import_as_a_whole_and_refuse_when_a_later_import_replaced_it(
    db: Path, conn: sqlite3.Connection, tmp_path: Path
) -> None:
    header = "date,shop,metric,value\n"
    first = write(tmp_path / "a.csv", header + "2026-11-20,jd-home,orders,10\n")
    second = write(tmp_path / "b.csv", header + "2026-11-20,jd-home,orders,12\n")
    assert cli(db, "import", str(first))[0] == 0
    import_event = last_id(conn)
    assert cli(db, "import", str(second))[0] == 0
    code, out = cli(db, "undo", str(import_event))
    assert code == 1
    assert out == (
        "Error: import 1: 1 of its 1 values were changed since (import 2 (b.csv) by "
        f"{ME}); undo those first, or `opsdesk import undo 1` to undo the rest\n"
    )
    assert value(conn, "orders") == 12.0
    assert cli(db, "undo")[0] == 0  # the second import
    assert value(conn, "orders") == 10.0
    assert cli(db, "undo")[0] == 0  # now the first
    assert value(conn, "orders") is None
    assert [r[0] for r in conn.execute("SELECT undone_by FROM imports ORDER BY id")] == [ME, ME]
    code, out = cli(db, "undo", str(import_event))
    assert code == 1 and out.startswith(f"Error: change #{import_event} was undone already: #")


def test_a_derived_kpis_history_is_its_base_values_and_the_imports_that_wrote_them(
    db: Path, conn: sqlite3.Connection, tmp_path: Path
) -> None:
    header = "date,shop,metric,value\n"
    path = write(
        tmp_path / "cr.csv",
        header + "2026-11-20,jd-home,visitors,1000\n2026-11-20,jd-home,buyers,30\n",
    )
    assert cli(db, "import", str(path))[0] == 0
    imported = last_id(conn)
    observations.set_values(conn, "jd-home", DAY, {"buyers": 31.0})
    typed = last_id(conn)
    h = object_history(conn, "kpi", "jd-home/conversion_rate/2026-11-20", "cr")
    assert [(r.id, r.object, r.action, r.change) for r in h.rows] == [
        (typed, "observation jd-home/buyers/2026-11-20", "set", "30 → 31"),
        (imported, "import 1", "import", h.rows[1].change),
    ]
    assert "cr.csv" in h.rows[1].change
    assert h.origins == ()
    # a value no event explains (written directly, as the demo does): where it came from
    conn.execute(
        "INSERT INTO observations (shop_id, metric_id, day, value) SELECT s.id, m.id,"
        " '2026-11-21', 7 FROM shops s, metrics m WHERE s.key = 'jd-home' AND m.key = 'gmv'"
    )
    h = object_history(conn, "kpi", "jd-home/aov/2026-11-21", "aov")
    assert (h.rows, h.origins) == (
        [],
        ("buyers: no value", "gmv 7: written without a recorded change"),
    )


def test_undo_a_manual_value_replaced_by_an_import_says_so(
    db: Path, conn: sqlite3.Connection, tmp_path: Path
) -> None:
    observations.set_values(conn, "jd-home", DAY, {"orders": 5.0})
    typed = last_id(conn)
    path = write(tmp_path / "a.csv", "date,shop,metric,value\n2026-11-20,jd-home,orders,10\n")
    assert cli(db, "import", str(path))[0] == 0
    code, out = cli(db, "undo", str(typed))
    assert code == 1
    assert out.startswith(
        f"Error: jd-home/orders/2026-11-20 was replaced by import 1 (a.csv) by {ME} at 2026-"
    )
    assert out.endswith(": undo that import first\n")
    assert value(conn, "orders") == 10.0


def test_undo_targets_set_and_created(db: Path, conn: sqlite3.Connection) -> None:
    t = set_target(conn, "gmv", 20000.0, shop_key="jd-home", amber=2000.0)
    set_target(conn, "gmv", 25000.0, shop_key="jd-home", amber=2000.0)
    undo(conn, actor=ME)
    assert tuple(
        conn.execute("SELECT value, amber FROM targets WHERE id = ?", (t.id,)).fetchone()
    ) == (
        20000.0,
        2000.0,
    )
    undo(conn, actor=ME)
    assert conn.execute("SELECT count(*) FROM targets WHERE id = ?", (t.id,)).fetchone()[0] == 0
    assert [e.action for e in audit.events(conn, object_type="target")] == [
        "delete",
        "update",
        "update",
        "create",
    ]


def _run(conn: sqlite3.Connection) -> int:
    return int(
        conn.execute(
            "SELECT min(r.id) FROM sop_runs r JOIN sop_run_items i ON i.run_id = r.id"
            " WHERE r.status = 'open'"
        ).fetchone()[0]
    )


def _item(conn: sqlite3.Connection, run_id: int, position: int) -> tuple[str, str, str | None]:
    row = conn.execute(
        "SELECT state, note, skip_reason FROM sop_run_items WHERE run_id = ? AND position = ?",
        (run_id, position),
    ).fetchone()
    return row[0], row[1], row[2]


def test_undo_checklist_ticks_skips_and_notes(db: Path, conn: sqlite3.Connection) -> None:
    assert cli(db, "shop", "list")[0] == 0  # today's runs
    run_id = _run(conn)
    skip_item(conn, run_id, 1, "no stock")
    tick(conn, run_id, 1)
    set_note(conn, run_id, 2, "checked twice")
    undo(conn, actor=ME)
    assert _item(conn, run_id, 2) == ("open", "", None)
    undo(conn, actor=ME)  # the tick: back to skipped, with its reason
    assert _item(conn, run_id, 1) == ("skipped", "", "no stock")
    undo(conn, actor=ME)
    assert _item(conn, run_id, 1) == ("open", "", None)


def test_undo_of_a_tick_that_completed_a_run_reopens_it(db: Path, conn: sqlite3.Connection) -> None:
    assert cli(db, "shop", "list")[0] == 0
    run_id = _run(conn)
    positions = [
        r[0] for r in conn.execute("SELECT position FROM sop_run_items WHERE run_id = ?", (run_id,))
    ]
    for p in positions:
        tick(conn, run_id, p)
    assert tuple(
        conn.execute("SELECT status FROM sop_runs WHERE id = ?", (run_id,)).fetchone()
    ) == ("done",)
    result = undo(conn, actor=ME)
    assert [(e.object_type, e.action) for e in result.undone] == [
        ("sop_run_item", "tick"),
        ("sop_run", "done"),
    ]
    assert [(e.object_type, e.action) for e in result.recorded] == [
        ("sop_run_item", "untick"),
        ("sop_run", "reopen"),
    ]
    assert tuple(
        conn.execute("SELECT status FROM sop_runs WHERE id = ?", (run_id,)).fetchone()
    ) == ("open",)
    # the last tick again (the run done again), then another item unticked: the run's reopening
    # is not in the way of taking that tick back
    tick(conn, run_id, positions[-1])
    last_tick = last_id(conn) - 1
    untick(conn, run_id, positions[0])
    undo(conn, last_tick)
    assert _item(conn, run_id, positions[-1])[0] == "open"


def test_undo_a_cycles_stage_move_and_edit_but_not_its_opening(
    db: Path, conn: sqlite3.Connection
) -> None:
    ids = dict(conn.execute("SELECT key, id FROM metrics").fetchall())
    shop = conn.execute("SELECT id FROM shops WHERE key = 'jd-home'").fetchone()[0]
    for i in range(28):  # the default baseline window: 28 days with data
        day = date.fromordinal(TODAY.toordinal() - 28 + i).isoformat()
        for key, v in (("visitors", 1000.0), ("buyers", 30.0)):
            conn.execute(
                "INSERT INTO observations (shop_id, metric_id, day, value) VALUES (?, ?, ?, ?)",
                (shop, ids[key], day, v),
            )
    c = pdca.open_cycle(
        conn, today=TODAY, title="Lift conversion", metric_key="conversion_rate", shop_key="jd-home"
    )
    opened = last_id(conn)
    pdca.edit(conn, c.id, today=TODAY, hypothesis="new images", plan="swap", title="Lift CR")
    edited = last_id(conn)
    pdca.add_action(conn, c.id, "shoot new images", ME, None)
    action = last_id(conn)
    pdca.move(conn, c.id, "do", today=TODAY)
    assert pdca.get(conn, c.id).baseline_frozen
    result = undo(conn, actor=ME)  # the move: back to Plan, the baseline open again
    back = pdca.get(conn, c.id)
    assert (back.stage, back.baseline_frozen) == ("plan", False)
    assert pdca.history(conn, c.id)[-1].reason == f"undo of change #{result.change}"
    with pytest.raises(UndoRefused) as refused:
        undo(conn, action)  # named: not undoable
    assert str(refused.value) == f"change #{action}: adding an action item can't be undone"
    # plain undo passes over the action item (saying so) to the edit: the move after it is
    # undone, so not in the way
    result = undo(conn, actor=ME)
    assert (result.change, result.skipped_text()) == (
        edited,
        f"passed over what can't be undone: adding an action item (#{action})",
    )
    back = pdca.get(conn, c.id)
    assert (back.title, back.hypothesis, back.plan) == ("Lift conversion", "", "")
    with pytest.raises(UndoRefused) as refused:
        undo(conn, opened)
    assert str(refused.value) == (
        f"change #{opened}: opening a cycle can't be undone (to drop a cycle, close it with"
        " decision abandon)"
    )


def test_undo_a_risk_edit(conn: sqlite3.Connection) -> None:
    key = risks.list_risks(conn)[0].risk.key
    before = risks.get_risk(conn, key).risk
    risks.update_fields(conn, key, {"title": "Changed", "likelihood": 5}, TODAY)
    undo(conn, actor=ME)
    after = risks.get_risk(conn, key).risk
    assert (after.title, after.inherent) == (before.title, before.inherent)


def test_undo_review_notes(conn: sqlite3.Connection) -> None:
    review.set_note(conn, "gmv", "jd-home", "2026-W47", "promo ended")
    review.set_note(conn, "gmv", "jd-home", "2026-W47", "promo ended early", based_on=1)
    undo(conn, actor=ME)
    note = review.get_note(conn, "gmv", "jd-home", "2026-W47")
    assert note is not None and note.note == "promo ended"
    undo(conn, actor=ME)
    assert review.get_note(conn, "gmv", "jd-home", "2026-W47") is None


# -- refusals -------------------------------------------------------------------------------------


def test_a_newer_change_by_someone_else_is_in_the_way(
    db: Path, conn: sqlite3.Connection, fixed_time: None
) -> None:
    set_target(conn, "gmv", 20000.0, shop_key="jd-home")
    mine = last_id(conn)
    t = set_target(conn, "gmv", 22000.0, shop_key="jd-home")
    conn.execute("UPDATE audit_events SET actor = 'li.na' WHERE id = ?", (mine + 1,))
    code, out = cli(db, "undo", str(mine))
    assert (code, out) == (
        1,
        f"Error: cannot undo change #{mine}: newer changes to the same object are in the way"
        f" (undo them first): #{mine + 1}  2026-11-30 20:04  li.na  target {t.id}  update"
        "  value 20000 → 22000\n",
    )
    assert tuple(conn.execute("SELECT value FROM targets WHERE id = ?", (t.id,)).fetchone()) == (
        22000.0,
    )


def test_nothing_to_undo_an_undo_itself_and_not_undoable_changes(
    db: Path, conn: sqlite3.Connection, fixed_time: None
) -> None:
    shop = last_id(conn)
    code, out = cli(db, "undo")  # my only change is the shop I added: not undoable
    assert (code, out) == (
        1,
        f"Error: nothing of yours to undo: adding a shop (#{shop}) can't be undone\n",
    )
    assert cli(db, "undo", str(shop)) == (
        1,
        f"Error: change #{shop}: adding a shop can't be undone\n",
    )
    observations.set_values(conn, "jd-home", DAY, {"orders": 5.0})
    assert cli(db, "undo")[0] == 0
    undo_event = last_id(conn)
    code, out = cli(db, "undo", str(undo_event))
    assert code == 1
    assert out == (
        f"Error: #{undo_event}  2026-11-30 20:04  {ME}  observation jd-home/orders/2026-11-20"
        f"  delete  5 → — (undoes #{undo_event - 1}) is itself an undo (of change"
        f" #{undo_event - 1}): make the change again instead\n"
    )
    assert cli(db, "undo", "99999") == (
        1,
        "Error: ID: there is no audit event 99999 (see `opsdesk log`)\n",
    )


def test_a_fresh_store_has_nothing_of_yours_to_undo(store_path: Path) -> None:
    """`init` loaded the catalogue, templates and seed risks: nobody's change to undo."""
    assert cli(store_path, "undo") == (1, "Error: nothing of yours to undo\n")
    with sqlite3.connect(store_path) as c:
        undos = c.execute("SELECT count(*) FROM audit_events WHERE undoes IS NOT NULL")
        assert undos.fetchone() == (0,)


def test_plain_undo_passes_over_what_cannot_be_undone_saying_so_once(
    db: Path, conn: sqlite3.Connection, fixed_time: None
) -> None:
    first = set_target(conn, "gmv", 20000.0, shop_key="jd-home")
    set_target(conn, "gmv", 21000.0, shop_key="jd-home")
    second = last_id(conn)
    add_shops(conn, "tmall-apparel")
    shop = last_id(conn)
    code, out = cli(db, "undo")
    assert (code, out.splitlines()[:2]) == (
        0,
        [
            f"passed over what can't be undone: adding a shop (#{shop})",
            f"undid change #{second}:",
        ],
    )
    code, out = cli(db, "undo")  # said once: the shop is not named again
    assert (code, out.splitlines()[0]) == (0, f"undid change #{second - 1}:")
    assert conn.execute("SELECT count(*) FROM targets WHERE id = ?", (first.id,)).fetchone()[0] == 0
    code, out = cli(db, "undo")
    assert (code, out) == (
        1,
        f"Error: nothing of yours to undo: adding a shop (#{shop}, #{second - 2}) can't be"
        " undone\n",
    )


def test_ctrl_z_scope_is_the_session(conn: sqlite3.Connection) -> None:
    set_target(conn, "gmv", 1.0)
    mine = last_id(conn)
    audit.new_session()
    assert last_change(conn, session=audit.session()) is None
    assert last_change(conn, actor=ME) == mine
    set_target(conn, "gmv", 2.0)
    assert last_change(conn, session=audit.session()) == mine + 1
