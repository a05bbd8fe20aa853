"""Start the app from the command line: open the store, load the first screen, run.

`run_app(db)` is what `opsdesk` with no sub-command calls (see opsdesk.entry). The first
frame must already hold the stand-up's numbers, and fast. So before importing Textual the
process forks a helper that reads the user's config, opens (and if need be migrates) the
store, works out the ops day and builds the stand-up model (a fixed window of days, so this
does not grow with history), and sends it back as plain values through a pipe (marshal).
Meanwhile the parent imports Textual on the other core. Where fork is unavailable the same
work runs inline. Errors (no store, a newer schema, a bad config file) are printed and exit 1
before the screen is taken over.
"""

from __future__ import annotations

import marshal
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opsdesk.clock import Clock

Prefetched = dict[str, Any]
"""{"error": text} or {"theme", "refresh_seconds", "keys", "ops_day", "standup"}."""


def prefetch(db: Path, clock: Clock) -> Prefetched:
    """Everything the first paint needs, as plain values (no Textual here)."""
    import sqlite3

    from opsdesk import config as user_config
    from opsdesk.store.connection import StoreError
    from opsdesk.store.db import open_store
    from opsdesk.tui.commands import BY_ID

    try:
        cfg = user_config.load(known_commands=set(BY_ID))
    except user_config.ConfigError as e:
        return {"error": str(e)}
    try:
        conn = open_store(db)
    except StoreError as e:
        return {"error": str(e)}
    except sqlite3.DatabaseError as e:
        return {"error": f"{db}: {e}"}
    out: Prefetched = {
        "theme": cfg.theme,
        "refresh_seconds": cfg.refresh_seconds,
        "keys": dict(cfg.keys),
        "standup": None,
    }
    try:
        from opsdesk.views.ops_day import store_ops_day

        day = store_ops_day(conn, clock)
        out["ops_day"] = day.isoformat()
        from opsdesk.views.standup_model import build

        out["standup"] = build(conn, day).to_wire()
    except (sqlite3.Error, StoreError, ValueError) as e:
        out.setdefault("ops_day", None)
        out["warning"] = f"the stand-up could not be loaded ({e}); it will load in the app"
    finally:
        conn.close()
    return out


def _in_child(work: Callable[[], Prefetched]) -> Callable[[], Prefetched]:
    """Run `work` in a forked child now; the returned function waits for its result."""
    if not hasattr(os, "fork"):
        return work
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the helper: compute, send, leave without running the parent's atexit
        os.close(read_end)
        try:
            try:
                payload = marshal.dumps(work())
            except Exception as e:
                payload = marshal.dumps({"error": f"{type(e).__name__}: {e}"})
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
        finally:
            os._exit(0)
    os.close(write_end)

    def result() -> Prefetched:
        with os.fdopen(read_end, "rb") as fh:
            data = fh.read()
        os.waitpid(pid, 0)
        if not data:
            return work()  # the helper died: do it here
        loaded: Prefetched = marshal.loads(data)
        return loaded

    return result


def _preload_shared() -> None:
    """Import, before the fork, what both processes load anyway (Textual needs dataclasses,
    json and platformdirs; the app needs the config, the command registry and the stand-up
    model): imported once instead of twice, which matters when the other core is busy."""
    import json  # noqa: F401

    import platformdirs.unix  # noqa: F401

    import opsdesk.config  # noqa: F401
    import opsdesk.tui.commands  # noqa: F401
    import opsdesk.views.standup_model  # noqa: F401


def _fail(text: str) -> int:
    print(f"opsdesk: {text}", file=sys.stderr)
    return 1


def run_app(db: Path, clock: Clock | None = None) -> int:
    """Open the app on the store at `db`; the exit status (1: the store cannot be used)."""
    if not db.exists():
        return _fail(
            f"no store at {db}: run `opsdesk --db {db} init` for an empty one, "
            f"or `opsdesk --db {db} demo` for one with demo data"
        )
    if clock is None:
        from opsdesk.clock import system_clock

        clock = system_clock
    _preload_shared()
    pending = _in_child(lambda: prefetch(db, clock))

    from datetime import date

    from opsdesk.config import AppConfig
    from opsdesk.tui.app import AppSettings, create_app
    from opsdesk.tui.screens import standup  # noqa: F401  (the first screen, while waiting)
    from opsdesk.views.standup_model import StandupModel

    got = pending()
    if "error" in got:
        return _fail(got["error"])
    if "warning" in got:
        print(f"opsdesk: {got['warning']}", file=sys.stderr)
    cfg = AppConfig(got["theme"], got["refresh_seconds"], got["keys"])
    settings = AppSettings(
        db=db,
        config=cfg,
        ops_day=date.fromisoformat(got["ops_day"]) if got.get("ops_day") else None,
        initial_standup=StandupModel.from_wire(got["standup"]) if got["standup"] else None,
    )
    app = create_app(settings, clock)
    app.run()
    return 0 if app.return_code in (None, 0) else int(app.return_code)
