"""Migrations that name their full-text sources (`-- @search-sources: KEY ...`): what they run
is pinned, so a registration a released migration uses can never change under it."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from opsdesk import shipped
from opsdesk.store.migrations import available, migration_statements, split_statements
from opsdesk.store.search_sources import expand

# sha256 of the statements each migration runs (without their comment lines), joined by
# newlines: 0004's is that of the file as released, when it still spelled out its 24 triggers
# and 8 backfills.
PINNED = {
    "search": "08a5066254d39c988cac28d1ca31fa4b5906070863a556d7a5ac1f51236cf788",
    "pdca_follow_up_search": "1b9508d27429376eede973d7e8fa6c13a2edbd2ad9f5e4f1fde2795801e53deb",
}


def _digest(name: str) -> str:
    (m,) = [m for m in available() if m.name == name]
    statements = migration_statements(m.path.read_text(encoding="utf-8"))
    code = ["\n".join(x for x in s.sql.split("\n") if not x.startswith("--")) for s in statements]
    return hashlib.sha256("\n".join(code).encode()).hexdigest()


@pytest.mark.parametrize("name", sorted(PINNED))
def test_a_released_migration_runs_what_it_ran(name: str) -> None:
    assert _digest(name) == PINNED[name]


def test_a_directive_expands_to_its_sources_with_its_own_line() -> None:
    text = "CREATE TABLE t (x);\n\n-- @search-sources: risk_review_note\nCREATE TABLE u (y);\n"
    statements = migration_statements(text)
    assert [(s.line, s.sql.split(" ON ")[0]) for s in statements] == [
        (1, "CREATE TABLE t (x);"),
        (3, "CREATE TRIGGER search_risk_review_note_ai AFTER INSERT"),
        (3, "CREATE TRIGGER search_risk_review_note_au AFTER UPDATE OF note"),
        (3, "CREATE TRIGGER search_risk_review_note_ad AFTER DELETE"),
        (3, "INSERT INTO search_docs (source, kind, object_type, object_id, part, who, at, body,"
         " audit_key) SELECT 'risk_review_note', 'risks', 'risk_review', risk_reviews.risk_id,"
         " risk_reviews.id, risk_reviews.by, risk_reviews.at, risk_reviews.note, NULL FROM"
         " risk_reviews WHERE coalesce(risk_reviews.note, '') <> '';"),
        (4, "CREATE TABLE u (y);"),
    ]  # fmt: skip
    assert [s.sql for s in split_statements(expand(text))] == [s.sql for s in statements]


def test_an_unknown_source_is_named() -> None:
    with pytest.raises(KeyError, match="unknown search sources: nope"):
        migration_statements("-- @search-sources: risk_title nope\n")


def test_every_shipped_migration_applies_in_order() -> None:
    conn = sqlite3.connect(":memory:")
    for m in available(shipped.migrations_dir()):
        for s in migration_statements(m.path.read_text(encoding="utf-8")):
            conn.execute(s.sql)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    assert {"search_pdca_lesson_au", "search_meeting_decision_ai", "search_action_text_ad"} <= names
