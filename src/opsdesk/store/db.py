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


def initialise(path: str | Path, *, team_gid: int | None = None) -> StoreConnection:
    """Create or upgrade the store and load the shipped catalogue (idempotent)."""
    from opsdesk.store.catalogue import load_catalogue
    from opsdesk.store.checklists import load_shipped as load_shipped_sops
    from opsdesk.store.risks import load_seed_today as load_seed_risks

    conn = open_store(path, create=True, team_gid=team_gid)
    load_catalogue(conn)
    load_shipped_sops(conn)  # SOP templates + adherence metrics; unchanged ones are kept
    load_seed_risks(conn)  # the seed risk register: only risks the store does not have
    return conn
