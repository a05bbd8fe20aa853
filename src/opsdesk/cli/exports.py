"""Command: `export WHAT --format csv|xlsx|json`: the analysts' frames written out."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from opsdesk.cli.common import CliError, db_path, user_errors
from opsdesk.cli.progress import Progress, quiet_option


@click.command("export")
@click.argument("what", metavar="WHAT")
@click.option("--format", "fmt", default="csv", show_default=True, help="csv, xlsx or json.")
@click.option(
    "--from",
    "start",
    metavar="YYYY-MM-DD",
    help="First day (audit: since; actions: created; cycles: opened).",
)
@click.option("--to", "end", metavar="YYYY-MM-DD", help="Last day.")
@click.option("--shop", "shops", multiple=True, help="Only this shop (repeat).")
@click.option("--grain", default=None, help="kpis: day (the default), week or month.")
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    help="The file to write (default: standard output; XLSX needs a file).",
)
@click.option("--sheet-per-shop", is_flag=True, help="XLSX: one sheet per shop.")
@quiet_option
@click.pass_context
@user_errors
def export(
    ctx: click.Context,
    what: str,
    fmt: str,
    start: str | None,
    end: str | None,
    shops: tuple[str, ...],
    grain: str | None,
    output: Path | None,
    sheet_per_shop: bool,
    quiet: bool,
) -> None:
    """Write WHAT (observations, kpis, targets, actions, cycles, checklists, risks, audit) as
    CSV, XLSX or JSON.

    The numbers are the KPI engine's (as in `opsdesk report`); the file appears only when
    complete. Text a spreadsheet would run as a formula is written as text.
    """
    from opsdesk import exports
    from opsdesk.frames import StoreFrames
    from opsdesk.store.connection import StoreError

    if what not in exports.WHATS:
        raise CliError(f"WHAT: {what!r} is not one of {', '.join(exports.WHATS)}")
    if fmt not in exports.FORMATS:
        raise CliError(f"--format: {fmt!r} is not one of {', '.join(exports.FORMATS)}")
    path = db_path(ctx)
    if not path.exists():
        raise CliError(f"{path}: no store there (create one with `opsdesk init`)")
    try:
        # data on a terminal's standard output: no bar over it (redirected to a file: a bar)
        with Progress(quiet=quiet or (output is None and sys.stdout.isatty())) as steps:
            steps.stage("read")
            frames = StoreFrames(path)
            df = exports.frame(frames, what, start=start, end=end, shops=shops, grain=grain)
            steps.stage("written", len(df) if fmt == "xlsx" else None)
            exports.write(df, fmt, output, sheet_per_shop=sheet_per_shop, written=steps.update)
    except StoreError as e:
        raise CliError(str(e)) from None
    except OSError as e:
        raise CliError(f"--output: {output}: {e.strerror or e}") from None
    if output is not None:
        click.echo(f"{what}: {len(df):,} rows -> {output}", err=True)


def register(group: click.Group) -> None:
    group.add_command(export)
