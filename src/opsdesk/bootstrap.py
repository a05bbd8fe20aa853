"""Making a store ready: create or upgrade it and load what opsdesk ships (the catalogue, the
SOP templates and their adherence metrics, the seed risk register). Idempotent: `opsdesk init`
runs it any number of times.

Here because it crosses layers the way data flows: `io` parses the shipped template files,
the store receives the parsed templates (the store never imports io).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from opsdesk import shipped
from opsdesk.io.sop_templates import parse_files
from opsdesk.store.catalogue import load_catalogue
from opsdesk.store.checklists import load_shipped
from opsdesk.store.connection import StoreConnection
from opsdesk.store.db import open_store
from opsdesk.store.risks import load_seed_today as load_seed_risks

if TYPE_CHECKING:
    from opsdesk.clock import Clock


def initialise(
    path: str | Path, *, team_gid: int | None = None, clock: Clock | None = None
) -> StoreConnection:
    """Create or upgrade the store and load the shipped catalogue (idempotent); `team_gid`
    makes a new store's directory and files a team's (see `open_store`); `clock` (default:
    the system's) dates the seed risks' first reviews."""
    conn = open_store(path, create=True, team_gid=team_gid)
    try:
        load_catalogue(conn)
        # SOP templates + adherence metrics; unchanged ones are kept
        load_shipped(conn, parse_files(sorted(shipped.sops_dir().glob("*.md"))))
        load_seed_risks(conn, clock)  # the seed risk register: only risks the store does not have
    except BaseException:
        conn.close()
        raise
    return conn
