"""The `opsdesk` command line: a click group; each area registers its commands from its module."""

from __future__ import annotations

from pathlib import Path

import click

from opsdesk import __version__
from opsdesk.paths import default_db_path


@click.group(invoke_without_command=True)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The store (SQLite file). Default: $OPSDESK_DB, else the user data directory.",
)
@click.option(
    "--read-only",
    is_flag=True,
    help="Open the store read-only (as $OPSDESK_READ_ONLY=1): look, change nothing.",
)
@click.version_option(__version__, prog_name="opsdesk")
@click.pass_context
def main(ctx: click.Context, db: Path | None, read_only: bool) -> None:
    """opsdesk: KPIs, stand-ups, SOP checklists, PDCA and risks for e-commerce operations.

    Without a command, opens the terminal app on the stand-up.
    """
    if read_only:
        import os

        from opsdesk.store.files import READ_ONLY_ENV

        os.environ[READ_ONLY_ENV] = "1"
    ctx.ensure_object(dict)
    ctx.obj["db"] = db or default_db_path()
    if ctx.invoked_subcommand is None:
        from opsdesk.tui.run import run_app  # Textual only when the app is opened

        raise SystemExit(run_app(ctx.obj["db"]))


def _register() -> None:
    from opsdesk.cli import base, checklists, demo, exports, imports, pdca, reports, search
    from opsdesk.cli import log as log_commands
    from opsdesk.cli import review as review_commands
    from opsdesk.cli import risks as risk_commands

    for module in (base, imports, reports, demo, checklists, pdca, exports, search):
        module.register(main)
    risk_commands.register(main)
    review_commands.register(main)
    log_commands.register(main)
    from opsdesk.cli import standup as standup_commands

    standup_commands.register(main)


_register()
