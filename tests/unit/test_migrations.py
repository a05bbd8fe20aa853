"""Migrations: empty -> latest, upgrades keep data, newer stores are refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from opsdesk.store import migrations
from opsdesk.store.connection import StoreError, connect
from opsdesk.store.db import open_store


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_empty_to_latest(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.sqlite", create=True)
    applied = migrations.migrate(conn)
    assert [m.version for m in applied] == list(range(1, migrations.latest_version() + 1))
    assert migrations.current_version(conn) == migrations.latest_version()
    assert {"shops", "metrics", "observations", "imports", "targets", "audit_events"} <= _tables(
        conn
    )
    assert migrations.migrate(conn) == []  # idempotent


def test_every_earlier_version_upgrades_with_data_intact(tmp_path: Path) -> None:
    """Build each version n, put a shop and a value in it, upgrade to latest, data survives."""
    ms = migrations.available()
    for n in range(1, len(ms) + 1):
        d = tmp_path / f"v{n}"
        d.mkdir()
        for m in ms[:n]:
            (d / m.path.name).write_text(m.path.read_text(encoding="utf-8"), encoding="utf-8")
        path = tmp_path / f"v{n}.sqlite"
        conn = connect(path, create=True)
        migrations.migrate(conn, d)
        assert migrations.current_version(conn) == n
        conn.execute(
            "INSERT INTO shops (key, name, platform, created_at, created_by)"
            " VALUES ('jd-home', 'JD home', 'jd', '2026-01-01T00:00:00+00:00', 'tester')"
        )
        conn.execute(
            "INSERT INTO metrics (key, name_en, unit, kind) VALUES ('gmv', 'GMV', 'CNY', 'base')"
        )
        conn.execute(
            "INSERT INTO observations (shop_id, metric_id, day, value)"
            " VALUES (1, 1, '2026-11-21', 1234.5)"
        )
        conn.close()
        conn = open_store(path)
        assert migrations.current_version(conn) == len(ms)
        row = conn.execute(
            "SELECT s.key, m.key, o.day, o.value FROM observations o"
            " JOIN shops s ON s.id = o.shop_id JOIN metrics m ON m.id = o.metric_id"
        ).fetchone()
        assert tuple(row) == ("jd-home", "gmv", "2026-11-21", 1234.5)
        conn.close()


def test_newer_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    conn = connect(path, create=True)
    migrations.migrate(conn)
    conn.execute(f"PRAGMA user_version = {migrations.latest_version() + 1}")
    conn.close()
    with pytest.raises(StoreError, match="made by a newer opsdesk"):
        open_store(path)


def test_failed_migration_leaves_store_as_it_was(tmp_path: Path) -> None:
    d = tmp_path / "m"
    d.mkdir()
    (d / "0001_ok.sql").write_text("CREATE TABLE a (x INTEGER);", encoding="utf-8")
    (d / "0002_bad.sql").write_text(
        "CREATE TABLE b (x INTEGER);\nINSERT INTO nowhere VALUES (1);", encoding="utf-8"
    )
    conn = connect(tmp_path / "s.sqlite", create=True)
    message = (
        f"{d / '0002_bad.sql'}:2: migration 2 failed, the store stays at version 1: "
        "no such table: nowhere"
    )
    with pytest.raises(StoreError) as raised:
        migrations.migrate(conn, d)
    assert str(raised.value) == message
    assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
    assert migrations.current_version(conn) == 1
    assert _tables(conn) == {"a"}
    assert not conn.in_transaction


MIGRATION = """-- two statements on one line; a statement over several lines
CREATE TABLE a (x INTEGER); CREATE TABLE b (y TEXT);
CREATE TABLE c (
    id INTEGER PRIMARY KEY,
    note TEXT NOT NULL DEFAULT 'one; two'  -- a ';' in a string and in a comment
);
CREATE TRIGGER c_copy AFTER INSERT ON c BEGIN
    INSERT INTO b (y) VALUES (NEW.note); INSERT INTO a (x) VALUES (NEW.id);
END;
INSERT INTO c (id) VALUES (7); INSERT INTO a (x) VALUES (1)
-- a trailing comment
"""


def test_split_statements_follows_sqlite_not_lines() -> None:
    got = [(s.line, s.sql.splitlines()[0]) for s in migrations.split_statements(MIGRATION)]
    assert got == [
        (1, "-- two statements on one line; a statement over several lines"),
        (2, "CREATE TABLE b (y TEXT);"),
        (3, "CREATE TABLE c ("),
        (7, "CREATE TRIGGER c_copy AFTER INSERT ON c BEGIN"),
        (10, "INSERT INTO c (id) VALUES (7);"),
        (10, "INSERT INTO a (x) VALUES (1)"),
    ]
    assert migrations.split_statements(MIGRATION)[0].sql.endswith("CREATE TABLE a (x INTEGER);")
    assert migrations.split_statements("  \n-- only a comment\n") == [
        migrations.Statement(2, "-- only a comment")
    ]


def test_a_migration_with_statements_sharing_lines_applies_in_one_go(tmp_path: Path) -> None:
    d = tmp_path / "m"
    d.mkdir()
    (d / "0001_shared_lines.sql").write_text(MIGRATION, encoding="utf-8")
    conn = connect(tmp_path / "s.sqlite", create=True)
    assert [m.version for m in migrations.migrate(conn, d)] == [1]
    assert migrations.current_version(conn) == 1
    assert _tables(conn) == {"a", "b", "c"}
    assert [tuple(r) for r in conn.execute("SELECT * FROM c")] == [(7, "one; two")]
    assert [tuple(r) for r in conn.execute("SELECT * FROM b")] == [("one; two",)]
    assert [tuple(r) for r in conn.execute("SELECT * FROM a ORDER BY rowid")] == [(7,), (1,)]


def test_an_incomplete_last_statement_fails_the_migration(tmp_path: Path) -> None:
    d = tmp_path / "m"
    d.mkdir()
    (d / "0001_cut.sql").write_text("CREATE TABLE a (x INTEGER);\nCREATE TABLE b (", "utf-8")
    conn = connect(tmp_path / "s.sqlite", create=True)
    with pytest.raises(StoreError, match=r"0001_cut.sql:2: migration 1 failed, .*incomplete input"):
        migrations.migrate(conn, d)
    assert migrations.current_version(conn) == 0
    assert _tables(conn) == set()


def test_missing_store_is_not_created_by_accident(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store at"):
        open_store(tmp_path / "typo.sqlite")
    assert not (tmp_path / "typo.sqlite").exists()


def test_pragmas(store_path: Path) -> None:
    conn = open_store(store_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert (
        conn.execute("PRAGMA busy_timeout").fetchone()[0] == 60_000
    )  # an entry outwaits a big import
