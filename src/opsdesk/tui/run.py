"""Start the app from the command line: open the store, load the first screen, run.

`run_app(db)` is what `opsdesk` with no sub-command calls (see opsdesk.entry). The stand-up
for the ops day is loaded here, before Textual starts, so the first frame already holds the
numbers; the query reads a fixed window of days, so this does not grow with history.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from opsdesk.clock import Clock, ops_day, system_clock


def _fail(text: str) -> int:
    print(f"opsdesk: {text}", file=sys.stderr)
    return 1


def run_app(db: Path, clock: Clock = system_clock) -> int:
    """Open the app on the store at `db`; the exit status (1: the store cannot be used)."""
    from opsdesk import config as user_config
    from opsdesk.store import settings as store_settings
    from opsdesk.store.connection import StoreError
    from opsdesk.store.db import open_store
    from opsdesk.tui.commands import BY_ID

    if not db.exists():
        return _fail(
            f"no store at {db}: run `opsdesk init --db {db}` for an empty one, "
            f"or `opsdesk demo --db {db}` for one with demo data"
        )
    try:
        cfg = user_config.load(known_commands=set(BY_ID))
    except user_config.ConfigError as e:
        return _fail(str(e))
    try:
        conn = open_store(db)
    except StoreError as e:
        return _fail(str(e))
    except sqlite3.DatabaseError as e:
        return _fail(f"{db}: {e}")
    store = store_settings.StoreSettings()
    try:
        store = store_settings.read(conn)
        from opsdesk.tui.screens.standup import load_standup

        first = load_standup(conn, ops_day(clock, store.timezone, store.day_cutoff_hour))
    except (sqlite3.Error, StoreError, ValueError) as e:
        print(
            f"opsdesk: the stand-up could not be loaded ({e}); opening without it", file=sys.stderr
        )
        first = None
    finally:
        conn.close()

    from opsdesk.tui.app import AppSettings, create_app

    app = create_app(AppSettings(db=db, config=cfg, store=store, initial_standup=first), clock)
    app.run()
    return 0 if app.return_code in (None, 0) else int(app.return_code)
