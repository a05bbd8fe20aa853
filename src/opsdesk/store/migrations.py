"""Numbered SQL migrations (`migrations/NNNN_name.sql`), applied in order, each in a transaction.

The schema version is `PRAGMA user_version`. A store whose version is newer than the newest
migration this program ships was made by a newer opsdesk and is refused.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from opsdesk.paths import MIGRATIONS_DIR
from opsdesk.store.connection import StoreError

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path


def available(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for p in sorted(directory.glob("*.sql")):
        m = _NAME.match(p.name)
        if not m:
            raise StoreError(f"{p}: migration files are named NNNN_name.sql")
        found.append(Migration(int(m.group(1)), m.group(2), p))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise StoreError(f"{directory}: migrations must be numbered 1..n without gaps")
    return found


def latest_version(directory: Path = MIGRATIONS_DIR) -> int:
    return len(available(directory))


def current_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def check_compatible(conn: sqlite3.Connection, directory: Path = MIGRATIONS_DIR) -> int:
    """The store's version; raises StoreError when a newer opsdesk made it."""
    version = current_version(conn)
    newest = latest_version(directory)
    if version > newest:
        where = conn.execute("PRAGMA database_list").fetchone()[2] or ":memory:"
        raise StoreError(
            f"{where}: this store has schema version {version}, but this opsdesk knows only up to "
            f"{newest}: it was made by a newer opsdesk. Upgrade opsdesk to open it."
        )
    return version


def pending(conn: sqlite3.Connection, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    version = check_compatible(conn, directory)
    return [m for m in available(directory) if m.version > version]


def migrate(conn: sqlite3.Connection, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Apply every pending migration, each in its own transaction. Returns those applied."""
    applied = []
    for m in pending(conn, directory):
        sql = m.path.read_text(encoding="utf-8")
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-check under the write lock: another process may have migrated meanwhile.
            if current_version(conn) >= m.version:
                conn.execute("ROLLBACK")
                continue
            for statement in _split(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {m.version:d}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        applied.append(m)
    return applied


def _split(sql: str) -> list[str]:
    """Split a migration into statements (executescript would commit on its own)."""
    statements, buf = [], []
    for line in sql.splitlines():
        buf.append(line)
        candidate = "\n".join(buf)
        if sqlite3.complete_statement(candidate):
            if candidate.strip():
                statements.append(candidate)
            buf = []
    rest = "\n".join(buf).strip()
    if rest and not all(ln.strip().startswith("--") or not ln.strip() for ln in buf):
        raise StoreError(f"incomplete SQL statement at the end of a migration: {rest[:60]}")
    return statements
