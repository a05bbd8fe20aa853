"""Opening a store for a unit of work: connect, refuse newer schemas, migrate when asked."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from opsdesk.store import migrations
from opsdesk.store.connection import StoreError, connect


def open_store(
    path: str | Path, *, create: bool = False, migrate: bool = True
) -> sqlite3.Connection:
    """A connection to an up-to-date store.

    With `migrate` (the default) pending migrations are applied; without it a store that is
    behind raises StoreError telling the user to run `opsdesk db migrate`.
    """
    conn = connect(path, create=create)
    try:
        if migrate:
            migrations.migrate(conn)
        elif migrations.pending(conn):
            raise StoreError(f"{path}: the store needs upgrading: run `opsdesk db migrate`")
    except BaseException:
        conn.close()
        raise
    return conn


def initialise(path: str | Path) -> sqlite3.Connection:
    """Create or upgrade the store and load the shipped catalogue (idempotent)."""
    from opsdesk.store.catalogue import load_catalogue
    from opsdesk.store.checklists import load_shipped as load_shipped_sops

    conn = open_store(path, create=True)
    load_catalogue(conn)
    load_shipped_sops(conn)  # SOP templates + adherence metrics; unchanged ones are kept
    return conn
