"""Full-text search: English and Chinese (three characters through the trigram index, two by a
scan), the index following inserts, edits and deletes, bm25 order, syntax errors retried as a
phrase, filters, the CLI, and triggers that are exactly the registered sources'."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from opsdesk.cli import main
from opsdesk.store import checklists
from opsdesk.store.connection import current_user
from opsdesk.store.db import open_store
from opsdesk.store.search import search
from opsdesk.store.search_sources import SOURCES
from opsdesk.views.search import find


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("search") / "demo.sqlite"
    result = CliRunner().invoke(main, ["--db", str(path), "demo", "--shops", "2", "--days", "30"])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def conn(demo_path: Path, tmp_path: Path) -> Iterator[sqlite3.Connection]:
    copy = tmp_path / "store.sqlite"
    src = sqlite3.connect(demo_path)
    dst = sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.close()
    connection = open_store(copy)
    yield connection
    connection.close()


def _open_items(conn: sqlite3.Connection, n: int) -> list[tuple[int, int]]:
    rows = conn.execute(
        "SELECT i.run_id, i.position FROM sop_run_items i JOIN sop_runs r ON r.id = i.run_id"
        " WHERE r.status IN ('open', 'done') ORDER BY r.id, i.position LIMIT ?",
        (n,),
    ).fetchall()
    assert len(rows) == n
    return [(r[0], r[1]) for r in rows]


def _found(conn: sqlite3.Connection, query: str) -> list[tuple[object, object]]:
    """The notes found (the demo's risks and skip reasons have words of their own)."""
    return [(h.object_id, h.part) for h in search(conn, query, kinds=["notes"])]


def test_english_words_ranked_and_marked(conn: sqlite3.Connection) -> None:
    a, b, c = _open_items(conn, 3)
    checklists.set_note(conn, *a, "Paid share dropped after the October campaign")
    checklists.set_note(conn, *b, "refund refund refund: paid traffic refund wave")
    checklists.set_note(conn, *c, "one refund today")
    hits = search(conn, "paid share", kinds=["notes"])
    assert [(h.object_id, h.part) for h in hits] == [a]
    hit = hits[0]
    assert (hit.kind, hit.source, hit.object_type) == ("notes", "checklist_note", "sop_run")
    assert hit.spans == ((0, 4), (5, 10))  # "Paid", "share": case-insensitive
    assert hit.who == current_user()
    assert hit.score < 0  # bm25: more negative is better
    assert _found(conn, "refund") == [b, c]  # three mentions rank above one


def test_chinese_three_and_two_characters(conn: sqlite3.Connection) -> None:
    a, b = _open_items(conn, 2)
    checklists.set_note(conn, *a, "库存周转天数偏高，需要清仓")
    checklists.set_note(conn, *b, "差评率上升：物流慢")
    three = search(conn, "周转天", kinds=["notes"])
    assert [(h.object_id, h.part) for h in three] == [a]
    assert three[0].score != 0  # the trigram index answered
    assert three[0].spans == ((2, 5),)
    two = search(conn, "库存", kinds=["notes"])
    assert [(h.object_id, h.part) for h in two] == [a]
    assert two[0].score == 0  # a scan answered (trigrams cannot match two characters)
    assert _found(conn, "差评") == [b]
    assert _found(conn, "物流慢") == [b]
    assert _found(conn, "库存 清仓") == [a]  # every word must match
    assert _found(conn, "差评 清仓") == []


def test_index_follows_inserts_edits_and_deletes(conn: sqlite3.Connection) -> None:
    (run_id, pos), *_ = _open_items(conn, 1)
    checklists.set_note(conn, run_id, pos, "courier pickup missed")
    assert _found(conn, "courier") == [(run_id, pos)]
    checklists.set_note(conn, run_id, pos, "warehouse pickup late")
    assert _found(conn, "courier") == []
    assert _found(conn, "warehouse") == [(run_id, pos)]
    checklists.set_note(conn, run_id, pos, "")
    assert _found(conn, "warehouse") == []
    checklists.set_note(conn, run_id, pos, "temporary text")
    with conn:
        conn.execute("DELETE FROM sop_run_items WHERE run_id = ? AND position = ?", (run_id, pos))
    assert _found(conn, "temporary") == []
    docs = conn.execute("SELECT count(*) FROM search_docs").fetchone()[0]
    fts = conn.execute("SELECT count(*) FROM search_fts").fetchone()[0]
    assert docs == fts
    conn.execute("INSERT INTO search_fts (search_fts) VALUES ('integrity-check')")


def test_skip_reasons_are_searchable_with_who(conn: sqlite3.Connection) -> None:
    run_id = conn.execute("SELECT id FROM sop_runs WHERE status = 'open' LIMIT 1").fetchone()[0]
    checklists.skip_run(conn, run_id, "shop closed for the 双十一 stock-take")
    hits = search(conn, "双十一", kinds=["checklists"])
    assert [(h.object_id, h.part, h.who) for h in hits] == [(run_id, "", current_user())]
    assert search(conn, "双十一", kinds=["notes"]) == []


def test_syntax_errors_are_retried_as_a_phrase(conn: sqlite3.Connection) -> None:
    a, b = _open_items(conn, 2)
    checklists.set_note(conn, *a, 'the "hero sku" banner was down')
    checklists.set_note(conn, *b, "NEAR the door")
    assert _found(conn, '"hero sku') == [a]  # unbalanced quote: the text as typed
    assert _found(conn, "banner AND (down") == []  # unbalanced parenthesis: no traceback
    assert _found(conn, "door)") == []


def test_since_and_bad_input(conn: sqlite3.Connection) -> None:
    (a,) = _open_items(conn, 1)
    checklists.set_note(conn, *a, "written today")
    tomorrow = date.today() + timedelta(days=2)
    assert [
        r.part
        for r in find(conn, "written", kinds=["notes"], since=date.today() - timedelta(days=1))
    ] == [a[1]]
    assert find(conn, "written", kinds=["notes"], since=tomorrow) == []
    with pytest.raises(ValueError, match="--kind: 'memos'"):
        search(conn, "written", kinds=["memos"])
    with pytest.raises(ValueError, match="type something"):
        search(conn, "   ")


def test_search_never_reads_observations(conn: sqlite3.Connection) -> None:
    (a,) = _open_items(conn, 1)
    checklists.set_note(conn, *a, "conversion looks odd")

    def deny(action: int, table: str | None, *_: object) -> int:
        if table == "observations":
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    conn.set_authorizer(deny)
    try:
        assert [r.part for r in find(conn, "conversion", kinds=["notes"])] == [a[1]]
        assert [r.part for r in find(conn, "od", kinds=["notes"])] == [a[1]]
    finally:
        conn.set_authorizer(None)


def test_the_store_has_exactly_the_registered_triggers(conn: sqlite3.Connection) -> None:
    from opsdesk.store.migrations import split_statements

    stored = {
        r[0]: r[1]
        for r in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    }
    registered = {}
    for source in SOURCES:
        for statement in (st.sql for st in split_statements(source.sql())):
            if statement.startswith("CREATE TRIGGER"):
                registered[statement.split()[2]] = statement.rstrip(";")
    assert len(registered) == 3 * len(SOURCES)
    for name, sql in registered.items():
        assert stored.get(name) == sql, name
    assert {
        n for n in stored if n.startswith("search_") and n[7:-3] in {s.key for s in SOURCES}
    } == set(registered)


def test_cli_text_and_json(demo_path: Path, tmp_path: Path) -> None:
    conn = open_store(demo_path)
    try:
        (a,) = _open_items(conn, 1)
        checklists.set_note(conn, *a, "Paid share: decided to cap it at 30% in October")
    finally:
        conn.close()
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["--db", str(demo_path), "search", "paid share", "--kind", "notes", "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [(d["object"]["id"], d["object"]["part"], d["kind"]) for d in doc] == [(*a, "notes")]
    assert doc[0]["matches"] == [[0, 4], [5, 10]]
    assert " · item " in doc[0]["label"]
    assert doc[0]["at"].endswith("+00:00") and doc[0]["who"] == current_user()
    result = runner.invoke(main, ["--db", str(demo_path), "search", "cap it", "--kind", "notes"])
    assert result.exit_code == 0
    assert "decided to cap it at 30% in October" in result.output
    result = runner.invoke(main, ["--db", str(demo_path), "search", 'cap "it'])
    assert result.exit_code == 0 and "Traceback" not in result.output
    result = runner.invoke(main, ["--db", str(demo_path), "search", "x", "--kind", "memos"])
    assert result.exit_code == 1 and "--kind: 'memos'" in result.output
    result = runner.invoke(main, ["--db", str(demo_path), "search", "x", "--since", "2026-02-30"])
    assert result.exit_code == 1 and "--since: day '2026-02-30'" in result.output


def test_risk_texts_and_reviews_follow_edits(conn: sqlite3.Connection) -> None:
    from opsdesk.store import risks

    key = conn.execute("SELECT key FROM risks ORDER BY id LIMIT 1").fetchone()[0]
    today = date.today()
    risks.update_fields(conn, key, {"mitigation": "quokka quota at 30% before 双十一"}, today)
    rows = find(conn, "quokka quota", kinds=["risks"])
    assert [(r.object_type, r.object_id, r.opens, r.who) for r in rows] == [
        ("risk", key, key, current_user())
    ]
    assert rows[0].object_label.startswith(f"Risk {key} · ") and rows[0].object_label.endswith(
        " · mitigation"
    )
    risks.update_fields(conn, key, {"mitigation": "something else"}, today)
    assert find(conn, "quokka", kinds=["risks"]) == []
    risks.review(conn, key, "复盘: 退款率回落至三成", today)
    rows = find(conn, "退款率回落")
    assert [(r.object_type, r.opens, r.who) for r in rows] == [("risk_review", key, current_user())]
    assert rows[0].object_label.endswith(" · review")
