"""The `opsdesk` executable. With no sub-command it opens the app without importing click.

The stand-up must paint fast, so the path from `opsdesk [--db PATH]` to the first screen
avoids click, pandas and sqlite-utils; every other invocation goes through the click group.
"""

from __future__ import annotations

import sys
from pathlib import Path


def _app_only_args(argv: list[str]) -> Path | None | bool:
    """The --db path when argv asks for the app alone; False when it is a sub-command.

    `--read-only` may come first; it is passed on as $OPSDESK_READ_ONLY.
    """
    if argv[:1] == ["--read-only"]:
        import os

        from opsdesk.store.files import READ_ONLY_ENV

        os.environ[READ_ONLY_ENV] = "1"
        argv = argv[1:]
    if not argv:
        return None
    if len(argv) == 2 and argv[0] == "--db":
        return Path(argv[1])
    if len(argv) == 1 and argv[0].startswith("--db="):
        return Path(argv[0][5:])
    return False


def open_app(db: Path) -> int:
    """Open the terminal app on the store at `db`; returns the exit status."""
    from opsdesk.tui.run import run_app  # Textual only when the app is opened

    return run_app(db)


def main() -> None:
    argv = sys.argv[1:]
    app_db = _app_only_args(argv)
    if app_db is not False:
        from opsdesk.paths import default_db_path

        raise SystemExit(open_app(app_db if isinstance(app_db, Path) else default_db_path()))
    from opsdesk.cli import main as cli_main  # click only for a sub-command

    cli_main(prog_name="opsdesk")


if __name__ == "__main__":
    main()
