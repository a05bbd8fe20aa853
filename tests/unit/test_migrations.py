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
    with pytest.raises(sqlite3.OperationalError, match="no such table: nowhere"):
        migrations.migrate(conn, d)
    assert migrations.current_version(conn) == 1
    assert "b" not in _tables(conn)


def test_missing_store_is_not_created_by_accident(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store at"):
        open_store(tmp_path / "typo.sqlite")
    assert not (tmp_path / "typo.sqlite").exists()


def test_pragmas(store_path: Path) -> None:
    conn = open_store(store_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000
