"""Opening a store for a unit of work: connect, refuse newer schemas, migrate when asked."""

from __future__ import annotations

from pathlib import Path

from opsdesk.store import migrations
from opsdesk.store.connection import StoreConnection, StoreError, connect


def open_store(
    path: str | Path,
    *,
    create: bool = False,
    migrate: bool = True,
    team_gid: int | None = None,
) -> StoreConnection:
    """A connection to an up-to-date store.

    With `migrate` (the default) pending migrations are applied; without it (or on a store
    this user may not write) a store that is behind raises StoreError telling the user to run
    `opsdesk db migrate`.
    """
    conn = connect(path, create=create, team_gid=team_gid)
    try:
        if migrate and not conn.read_only:
            migrations.migrate(conn)
        elif migrations.pending(conn):
            who = " (by someone who may write it)" if conn.read_only else ""
            raise StoreError(f"{path}: the store needs upgrading: run `opsdesk db migrate`{who}")
    except BaseException:
        conn.close()
        raise
    return conn
