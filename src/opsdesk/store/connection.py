"""Connections to the store: pragmas, short write transactions, and the acting user.

One connection per unit of work, opened in the thread that uses it (never shared across
threads). Writes run in `BEGIN IMMEDIATE` transactions so two sessions never deadlock on an
upgrade from a read lock; readers never block writers thanks to WAL.
"""

from __future__ import annotations

import os
import pwd
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

BUSY_TIMEOUT_MS = 10_000


class StoreError(Exception):
    """A problem with the store that a user can act on (message is shown as is)."""


def current_user() -> str:
    """The login of the process's real user id: not an environment variable anyone can set."""
    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid:{uid}"


def now_iso() -> str:
    """The current instant, UTC, ISO 8601 to the second, for `*_at` columns."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def connect(path: str | Path, *, create: bool = False) -> sqlite3.Connection:
    """Open the store with the pragmas every unit of work needs.

    Refuses a path that does not exist unless `create` is set, so a typo in `--db` does not
    quietly make an empty store.
    """
    p = Path(path)
    if not create and str(path) != ":memory:" and not p.exists():
        raise StoreError(f"no store at {p} (run `opsdesk init` or `opsdesk demo` first)")
    if create and str(path) != ":memory:":
        p.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """`BEGIN IMMEDIATE` … `COMMIT`, rolled back whole on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
