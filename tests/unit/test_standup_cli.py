"""`opsdesk standup …` on a real store: the stand-up's record from the command line, bad input
refused with a clear message, exit 1 and nothing written, and what was open as of a past
week."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from opsdesk.cli import main
from opsdesk.cli import standup as standup_cli
from opsdesk.clock import fixed_clock
from opsdesk.store import actions
from opsdesk.store import review as store

DAY = date(2026, 11, 24)


@pytest.fixture
def cli(conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(standup_cli, "_ops_day", lambda conn: DAY)
    # the morning after the ops day, in Shanghai
    monkeypatch.setattr(
        "opsdesk.clock.system_clock", fixed_clock(datetime(2026, 11, 25, 1, tzinfo=UTC))
    )


def run(store_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", str(store_path), *args])
    return result.exit_code, result.output


def test_the_standup_record_from_the_command_line(cli: None, store_path: Path) -> None:
    assert run(store_path, "standup", "attend", "li.na", "wang.wei") == (
        0,
        "stand-up 2026-11-24 attendees: li.na, wang.wei\n",
    )
    assert run(store_path, "standup", "note", "jd slow")[0] == 0
    assert run(store_path, "standup", "decide", "pause jd ads") == (
        0,
        "stand-up 2026-11-24 decision 1: pause jd ads\n",
    )
    code, out = run(
        store_path,
        "standup",
        "action",
        "call the carrier",
        "--owner",
        "li.na",
        "--due",
        "2026-12-04",
    )
    assert (code, out) == (0, "standup/1/1: call the carrier — li.na, due 2026-12-04\n")
    code, out = run(store_path, "standup", "show", "--format", "json")
    data = json.loads(out)
    assert (data["day"], data["attendees"], data["notes"]) == (
        "2026-11-24",
        ["li.na", "wang.wei"],
        "jd slow",
    )
    assert [(a["action"], a["status"], a["owner"]) for a in data["actions"]] == [
        ("standup/1/1", "open", "li.na")
    ]
    assert run(store_path, "standup", "done", "1") == (
        0,
        "standup/1/1: done (call the carrier)\n",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("action", "x"), "Error: --owner: an action item needs an owner (a login)"),
        (("action", "x", "--owner", "li.na", "--due", "2026-11-01"), "2026-11-01 is in the past"),
        (("decide", "x", "--day", "2026-11-25"), "--day: 2026-11-25 is after the ops day"),
        (("attend", "Li Na"), "attendees: 'Li Na' is not a login name"),
        (("done", "review/x/1"), "the meeting and item are numbers"),
        (("actions", "--as-of", "2026-W49"), "--as-of: 2026-W49 is not over yet"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    cli: None, store_path: Path, args: tuple[str, ...], message: str
) -> None:
    code, out = run(store_path, "standup", *args)
    assert code == 1 and message in out
    with sqlite3.connect(store_path) as c:
        assert c.execute("SELECT count(*) FROM meetings").fetchone()[0] == 0
        assert c.execute("SELECT count(*) FROM action_items").fetchone()[0] == 0


def test_what_was_open_as_of_a_past_week(
    cli: None, conn: sqlite3.Connection, store_path: Path
) -> None:
    item = store.add_action(conn, "2026-W45", date(2026, 11, 9), "audit SKUs", "li.na", None)
    conn.execute("UPDATE action_items SET created_at = '2026-11-09T02:00:00+00:00'")
    conn.commit()
    code, out = run(store_path, "standup", "actions", "--as-of", "2026-W46")
    assert (code, out) == (
        0,
        "open at the end of 2026-11-15: 1\n"
        f"  {item.key} [open 6 days] audit SKUs — li.na, from review 2026-W45\n",
    )
    code, out = run(store_path, "standup", "actions", "--as-of", "2026-11-08", "--format", "json")
    assert json.loads(out) == {"as_of": "2026-11-08", "open": []}


def test_action_arguments_are_named_alike_with_the_stand_up_by_its_day(
    cli: None, store_path: Path
) -> None:
    assert run(store_path, "standup", "done", "1") == (
        1,
        "Error: ACTION: stand-up 2026-11-24 has no action items\n",
    )
    assert run(store_path, "standup", "action", "call the carrier", "--owner", "li.na")[0] == 0
    assert run(store_path, "standup", "done", "99") == (
        1,
        "Error: ACTION: stand-up 2026-11-24 has no action item 99\n",
    )
    assert run(store_path, "standup", "done", "abc") == (
        1,
        "Error: ACTION: 'abc' is not a number or a key like standup/3/1 or review/2/1\n",
    )
    assert run(store_path, "standup", "done", "1")[0] == 0
    assert run(store_path, "standup", "done", "standup/1/1") == (
        1,
        f"Error: ACTION: stand-up 2026-11-24: action item 1 is already done by"
        f" {store.current_user()}\n",
    )
    assert run(store_path, "standup", "actions", "--as-of", "foo") == (
        1,
        "Error: --as-of: day 'foo': expected a date like 2026-11-21\n",
    )
    assert run(store_path, "report", "review", "--week", "foo") == (
        1,
        "Error: --week: week 'foo': expected an ISO week like 2026-W47"
        " (weeks 01-52, or 53 in long years)\n",
    )
    assert run(store_path, "report", "review", "--month", "foo") == (
        1,
        "Error: --month: month 'foo': expected a month like 2026-11\n",
    )


def test_a_no_op_change_writes_nothing_and_says_so(
    cli: None, store_path: Path, conn: sqlite3.Connection
) -> None:
    def events() -> list[tuple[str, str]]:
        rows = conn.execute(
            "SELECT object_type, action FROM audit_events WHERE object_type = 'meeting'"
        )
        return [tuple(r) for r in rows]

    assert run(store_path, "standup", "note", "") == (
        0,
        "stand-up 2026-11-24 notes: nothing changed\n",
    )
    assert events() == [] and store.get_meeting(conn, "standup", "2026-11-24") is None
    assert run(store_path, "standup", "note", "jd slow")[0] == 0
    assert run(store_path, "standup", "note", " jd slow ") == (
        0,
        "stand-up 2026-11-24 notes: nothing changed\n",
    )
    assert run(store_path, "standup", "attend", "li.na")[0] == 0
    assert run(store_path, "standup", "attend", "li.na") == (
        0,
        "stand-up 2026-11-24 attendees: nothing changed\n",
    )
    assert events() == [("meeting", "create"), ("meeting", "update"), ("meeting", "update")]
    m = store.get_meeting(conn, "standup", "2026-11-24")
    assert m is not None and (m.notes, m.attendees, m.version) == ("jd slow", ("li.na",), 3)


def _items(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return [tuple(r) for r in conn.execute("SELECT status, note FROM action_items")]


def test_dropping_an_action_needs_a_reason(
    cli: None, store_path: Path, conn: sqlite3.Connection
) -> None:
    assert run(store_path, "standup", "action", "call the carrier", "--owner", "li.na")[0] == 0
    for reason in ("", "   "):
        assert run(store_path, "standup", "done", "1", "--drop", reason) == (
            1,
            "Error: --drop: say why the action item is dropped (it may not be empty)\n",
        )
    assert _items(conn) == [("open", "")]
    with pytest.raises(ValueError, match="^reason: say why the action item is dropped"):
        actions.close(conn, "standup", 1, 1, "dropped", " ")
    assert run(store_path, "standup", "done", "1", "--drop", "carrier called us") == (
        0,
        "standup/1/1: dropped (call the carrier)\n",
    )
    assert _items(conn) == [("dropped", "carrier called us")]


def test_one_today_for_due_dates_ages_and_overdue(cli: None, store_path: Path) -> None:
    """The store's local day (2026-11-25 in Shanghai), not the ops day under review, is the
    today of the due check, the action's age and its overdue days."""
    code, out = run(store_path, "standup", "action", "x", "--owner", "li.na", "--due", str(DAY))
    assert (code, out) == (1, "Error: --due: 2026-11-24 is in the past (today is 2026-11-25)\n")
    code, _ = run(store_path, "standup", "action", "x", "--owner", "li.na", "--due", "2026-11-25")
    assert code == 0
    code, out = run(store_path, "standup", "actions")
    assert "[open 0 days] x — li.na, due 2026-11-25" in out
    code, out = run(store_path, "export", "actions", "--format", "json")
    assert [(r["due"], r["overdue_days"]) for r in json.loads(out)["rows"]] == [("2026-11-25", 0)]
