"""Numbered SQL migrations (`migrations/NNNN_name.sql`), applied in order, each in a transaction.

A line `-- @search-sources: KEY ...` in a migration stands for the triggers of those full-text
sources (generated from `store.search_sources`).

They ship inside the package (`opsdesk.migrations`, found through opsdesk.shipped).

The schema version is `PRAGMA user_version`. A store whose version is newer than the newest
migration this program ships was made by a newer opsdesk and is refused.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from opsdesk import shipped
from opsdesk.store.connection import StoreError

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path


def available(directory: Path | None = None) -> list[Migration]:
    """The migrations in `directory` (default: the shipped ones), by version."""
    directory = directory or shipped.migrations_dir()
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


def latest_version(directory: Path | None = None) -> int:
    return len(available(directory))


def current_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def check_compatible(conn: sqlite3.Connection, directory: Path | None = None) -> int:
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


def pending(conn: sqlite3.Connection, directory: Path | None = None) -> list[Migration]:
    version = check_compatible(conn, directory)
    return [m for m in available(directory) if m.version > version]


def migrate(conn: sqlite3.Connection, directory: Path | None = None) -> list[Migration]:
    """Apply every pending migration, each in its own transaction. Returns those applied."""
    applied = []
    for m in pending(conn, directory):
        statements = migration_statements(m.path.read_text(encoding="utf-8"))
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-check under the write lock: another process may have migrated meanwhile.
            if current_version(conn) >= m.version:
                conn.execute("ROLLBACK")
                continue
            for statement in statements:
                try:
                    conn.execute(statement.sql)
                except sqlite3.Error as e:
                    raise StoreError(
                        f"{m.path}:{statement.line}: migration {m.version} failed, "
                        f"the store stays at version {m.version - 1}: {e}"
                    ) from e
            conn.execute(f"PRAGMA user_version = {m.version:d}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        applied.append(m)
    return applied


def migration_statements(text: str) -> list[Statement]:
    """A migration file's statements, each line `-- @search-sources: KEY ...` standing for the
    generated SQL of those full-text sources (`search_sources.expand`; its statements carry the
    directive's line)."""
    from opsdesk.store.search_sources import DIRECTIVE, expand

    lines = text.split("\n")
    out: list[Statement] = []
    start = 0

    def plain(end: int) -> None:
        chunk = "\n".join(lines[start:end])
        out.extend(Statement(s.line + start, s.sql) for s in split_statements(chunk))

    for i, line in enumerate(lines):
        if line.startswith(DIRECTIVE):
            plain(i)
            out.extend(Statement(i + 1, s.sql) for s in split_statements(expand(line)))
            start = i + 1
    plain(len(lines))
    return out


class Statement(NamedTuple):
    line: int
    """The line of the migration file where the statement starts (1-based)."""
    sql: str


def split_statements(sql: str) -> list[Statement]:
    """The statements of a migration, in order (executescript would commit on its own).

    A statement ends at a `;` that SQLite itself calls the end of a complete statement, so two
    statements on one line are two, one over several lines is one, and a `;` inside a string,
    a comment or a trigger's BEGIN…END does not split. What follows the last `;` is kept when
    it holds anything but space (SQLite then says whether it is complete).
    """
    statements: list[Statement] = []
    start = 0
    end = sql.find(";")
    while end != -1:
        if sqlite3.complete_statement(sql[start : end + 1]):
            statements.append(_statement(sql, start, end + 1))
            start = end + 1
        end = sql.find(";", end + 1)
    if sql[start:].strip():
        statements.append(_statement(sql, start, len(sql)))
    return statements


def _statement(sql: str, start: int, end: int) -> Statement:
    text = sql[start:end]
    first = start + len(text) - len(text.lstrip())
    return Statement(sql.count("\n", 0, first) + 1, text.strip())
