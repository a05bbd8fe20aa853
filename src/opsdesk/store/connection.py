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
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path

# How long a write waits for another session's write to end before "database is locked".
# A million-row import holds the lock for its write phase (7 s idle, 20 s+ on a loaded
# server), and an operator's save must outwait it (tests/bench/test_concurrency_big_import).
BUSY_TIMEOUT_MS = 60_000
# Work nobody is waiting for (today's checklist runs when a command opens the store) waits
# only this long and is left for the next session when the store is busy.
BRIEF_WAIT_MS = 200


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


class StoreConnection(sqlite3.Connection):
    """A connection that knows whether the store is read-only for this process."""

    read_only: bool = False
    path: Path


def connect(
    path: str | Path, *, create: bool = False, team_gid: int | None = None
) -> StoreConnection:
    """Open the store with the pragmas every unit of work needs.

    Refuses a path that does not exist unless `create` is set, so a typo in `--db` does not
    quietly make an empty store. A new store file gets its modes from `store.files` (never
    world-readable; a team's group with `team_gid`). A store this process may read but not
    write is opened read-only: every read works, every write raises StoreError saying why.
    """
    from opsdesk.store import files

    p = Path(path)
    memory = str(path) == ":memory:"
    try:
        exists = memory or p.exists()
    except PermissionError:
        raise StoreError(
            f"{p}: {current_user()} may not reach this store (a directory on its path is "
            "closed to this login; `opsdesk db doctor` as its owner says what to run)"
        ) from None
    if not create and not exists:
        raise StoreError(f"no store at {p} (run `opsdesk init` or `opsdesk demo` first)")
    if create and not memory:
        try:
            files.create_store_file(p, team_gid=team_gid)
        except OSError as e:
            raise StoreError(f"cannot create the store {p}: {e.strerror}") from None
    if not memory and not files.read_only_requested() and os.access(p, os.W_OK):
        files.prepare_side_files(p)
    read_only = not memory and files.is_read_only(p)
    if not memory and not os.access(p, os.R_OK):
        raise StoreError(f"{p}: {current_user()} may not read this store (file permissions)")
    conn = _open(p if not memory else str(path), read_only, immutable=False)
    if read_only:
        try:
            conn.execute("PRAGMA schema_version").fetchone()
        except sqlite3.OperationalError:
            # No -wal/-shm files and no right to make them: nobody is writing right now
            # (a writer's session keeps them), so the file is read as it stands.
            conn.close()
            conn = _open(p, read_only, immutable=True)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    if not read_only:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.read_only = read_only
    conn.path = Path(path)
    return conn


def _open(path: str | Path, read_only: bool, *, immutable: bool) -> StoreConnection:
    target: str | Path = path
    if read_only:
        from urllib.parse import quote

        flags = "mode=ro&immutable=1" if immutable else "mode=ro"
        target = f"file:{quote(str(Path(path).resolve()))}?{flags}"
    return sqlite3.connect(
        target,
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        uri=read_only,
        factory=StoreConnection,
    )


def refuse_if_read_only(conn: sqlite3.Connection) -> None:
    """StoreError saying why, when `conn` is a read-only store's connection."""
    if getattr(conn, "read_only", False):
        from opsdesk.store.files import read_only_message

        raise StoreError(read_only_message(conn.path, current_user()))  # type: ignore[attr-defined]


CHANGE: ContextVar[dict[str, int] | None] = ContextVar("opsdesk_change", default=None)
"""The write transaction under way in this thread: `store.audit` keeps in it the id of its
first audit event, which every later event of the transaction names as its `change_id`."""


@contextmanager
def brief_wait(conn: sqlite3.Connection, ms: int = BRIEF_WAIT_MS) -> Iterator[None]:
    """Within the block, a busy store makes `conn` give up after `ms` instead of waiting the
    full busy timeout (for writes nobody is waiting on; the caller handles the give-up)."""
    conn.execute(f"PRAGMA busy_timeout = {int(ms)}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """`BEGIN IMMEDIATE` … `COMMIT`, rolled back whole on any exception.

    Inside a transaction already open on `conn` (a whole `demo --replace` is one; an undo
    replaying a store write) it is a savepoint: its work commits or rolls back with the outer
    transaction, and its audit events are part of the outer transaction's change.
    """
    refuse_if_read_only(conn)
    if conn.in_transaction:
        conn.execute("SAVEPOINT nested_write")
        own = CHANGE.set({}) if CHANGE.get() is None else None
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK TO nested_write")
            conn.execute("RELEASE nested_write")
            raise
        finally:
            if own is not None:
                CHANGE.reset(own)
        conn.execute("RELEASE nested_write")
        return
    conn.execute("BEGIN IMMEDIATE")
    token = CHANGE.set({})
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finally:
        CHANGE.reset(token)
    conn.execute("COMMIT")
