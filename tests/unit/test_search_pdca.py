"""Search over PDCA texts, action items and the weekly review (migration 0007's sources): the
index follows inserts, edits and deletes, hits name their object and who wrote them, `--kind`
filters, and the CLI answers in JSON."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from opsdesk.cli import main
from opsdesk.store import pdca, review, shops
from opsdesk.store.connection import current_user
from opsdesk.store.db import open_store
from opsdesk.views.search import find

TODAY = date(2026, 11, 23)


@pytest.fixture
def db(store_path: Path) -> Path:
    """The shared initialised store, with one shop."""
    connection = open_store(store_path)
    try:
        shops.add(connection, "jd-home", "JD home", "jd")
    finally:
        connection.close()
    return store_path


@pytest.fixture
def conn(db: Path) -> Iterator[sqlite3.Connection]:
    connection = open_store(db)
    yield connection
    connection.close()


def _hits(conn: sqlite3.Connection, query: str, kind: str) -> list[tuple[str, str, object]]:
    return [(r.object_type, r.object_label, r.opens) for r in find(conn, query, kinds=[kind])]


def test_cycle_texts_follow_inserts_edits_and_moves(conn: sqlite3.Connection) -> None:
    c = pdca.open_cycle(
        conn,
        today=TODAY,
        title="Quokka conversion slide",
        metric_key="conversion_rate",
        shop_key="jd-home",
        problem="库存积压 hurts conversion",
    )
    title = f"PDCA #{c.id} · Quokka conversion slide"
    assert _hits(conn, "quokka", "cycles") == [("pdca_cycle", f"{title} · title", c.id)]
    assert _hits(conn, "quokka", "notes") == []
    assert _hits(conn, "库存", "cycles") == [("pdca_cycle", f"{title} · problem", c.id)]
    pdca.edit(conn, c.id, today=TODAY, hypothesis="numbat images lift it", plan="swap")
    (row,) = find(conn, "numbat", kinds=["cycles"])
    assert (row.object_label, row.who) == (f"{title} · hypothesis", current_user())
    pdca.edit(conn, c.id, today=TODAY, hypothesis="better images lift it")
    assert _hits(conn, "numbat", "cycles") == []
    assert [r.object_label for r in find(conn, "images lift", kinds=["cycles"])] == [
        f"{title} · hypothesis"
    ]
    pdca.add_action(conn, c.id, "Shoot bilby photos", "li.na", None)
    assert _hits(conn, "bilby", "actions") == [
        ("action_item", f"PDCA #{c.id} · action 1", ("pdca", c.id))
    ]
    pdca.move(conn, c.id, "do", today=TODAY)
    pdca.move(conn, c.id, "plan", today=TODAY, reason="echidna: the wrong metric")
    assert _hits(conn, "echidna", "cycles") == [("pdca_cycle", f"{title} · stage move", c.id)]
    conn.execute("DELETE FROM action_items WHERE source_id = ?", (c.id,))
    assert _hits(conn, "bilby", "actions") == []
    pdca.edit(conn, c.id, today=TODAY, scope_note="wombat SKUs first")
    assert _hits(conn, "wombat", "cycles") == [("pdca_cycle", f"{title} · scope note", c.id)]


def test_review_notes_decisions_and_actions(conn: sqlite3.Connection) -> None:
    week = "2026-W47"
    review.update_meeting(conn, "review", week, TODAY, based_on=None, notes="paid share quokka")
    review.add_decision(conn, week, TODAY, "Cap paid share at 30% in October")
    review.set_note(conn, "conversion_rate", "jd-home", week, "numbat campaign ended")
    review.add_action(conn, week, TODAY, "Brief the bilby team", "li.na", None)
    assert _hits(conn, "quokka", "notes") == [
        ("meeting", f"Weekly review {week} · notes", ("review", week))
    ]
    assert _hits(conn, "paid share", "decisions") == [
        ("meeting", f"Weekly review {week} · decision 1", ("review", week))
    ]
    assert _hits(conn, "numbat", "notes") == [
        ("metric_note", f"Note on conversion_rate · jd-home · {week}", ("review", week))
    ]
    assert _hits(conn, "bilby", "actions") == [
        ("action_item", f"Weekly review {week} · action 1", ("review", "review", week))
    ]
    review.add_meeting_action(
        conn, "standup", "2026-11-22", date(2026, 11, 22), "Ring the wallaby carrier", "li.na", None
    )
    assert _hits(conn, "wallaby", "actions") == [
        ("action_item", "Stand-up 2026-11-22 · action 1", ("standup", "2026-11-22"))
    ]
    (decision,) = find(conn, "October", kinds=["decisions"])
    assert decision.who == current_user() and decision.spans == ((25, 32),)
    review.update_meeting(conn, "review", week, TODAY, based_on=None, notes="nothing left")
    assert _hits(conn, "quokka", "notes") == []


def test_cli_kind_cycles_in_json(db: Path, conn: sqlite3.Connection) -> None:
    c = pdca.open_cycle(conn, today=TODAY, title="Quokka conversion", metric_key="conversion_rate")
    result = CliRunner().invoke(
        main, ["--db", str(db), "search", "quokka", "--kind", "cycles", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    (doc,) = json.loads(result.output)
    assert (doc["kind"], doc["object"], doc["text"], doc["matches"]) == (
        "cycles",
        {"type": "pdca_cycle", "id": c.id, "part": ""},
        "Quokka conversion",
        [[0, 6]],
    )
    assert doc["label"] == f"PDCA #{c.id} · Quokka conversion · title"
