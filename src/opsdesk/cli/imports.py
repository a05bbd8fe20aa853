"""Commands: `import FILE [--shop KEY] [--dry-run]`, `import list`, `import undo ID`.

`import` is a group whose first argument is a FILE unless it names a sub-command (`list`,
`undo`); a file literally called `list` is given as `./list`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from opsdesk.cli.common import CliError, console, store, user_errors
from opsdesk.cli.progress import Progress, quiet_option
from opsdesk.domain.text import visible
from opsdesk.domain.wording import counted
from opsdesk.rich_text import plain

if TYPE_CHECKING:
    from opsdesk.io.importer import ImportPlan
    from opsdesk.store.imports import Diff

REJECTED_EXIT = 2
IGNORED_SHOWN = 20
"""Ignored columns named in the summary; the rest are counted."""


class ImportGroup(click.Group):
    """A group that treats an unknown first argument as the FILE of its hidden `file` command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["file", *args]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(
            ctx.command_path, "FILE [--shop KEY] [--dry-run] [--quiet] | list | undo ID"
        )


@click.group("import", cls=ImportGroup)
def import_group() -> None:
    """Import daily values from a CSV or XLSX file, list past imports, undo one.

    \b
    opsdesk import FILE [--shop KEY] [--dry-run]
    opsdesk import list
    opsdesk import undo ID
    """


@import_group.command("file", hidden=True)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--shop", default=None, help="The shop of a wide file without a shop column.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@quiet_option
@click.pass_context
def import_file(
    ctx: click.Context, file: Path, shop: str | None, dry_run: bool, quiet: bool
) -> None:
    """Import FILE (long: date,shop,metric,value; wide: a date column and metric columns)."""
    from opsdesk.io.importer import ImportRejected, parse_file
    from opsdesk.io.readers import ReadError
    from opsdesk.store import imports

    with store(ctx) as conn, Progress(quiet=quiet) as steps:
        try:
            plan = parse_file(file, imports.read_catalogue(conn), shop, steps)
        except ImportRejected as e:
            raise CliError(e.render(), exit_code=REJECTED_EXIT) from None
        except ReadError as e:
            raise CliError(f"{e}; nothing was imported", exit_code=REJECTED_EXIT) from None
        if dry_run:
            result = imports.diff(conn, plan)
            import_id = None
        else:
            steps.stage("written")
            applied = imports.apply(conn, plan)
            result, import_id = applied.diff, applied.import_id
    _print_summary(plan, result, import_id, dry_run)


def _print_summary(plan: ImportPlan, result: Diff, import_id: int | None, dry_run: bool) -> None:
    def echo(line: str) -> None:  # file names, headers and warnings quote the file: shown
        click.echo(visible(line))

    counts = f"{result.new:,} new, {result.changed:,} changed, {result.unchanged:,} unchanged"
    what = f"{plan.shape}, {plan.encoding}, {plan.rows:,} rows"
    if dry_run:
        echo(f"dry run: {plan.file_name} ({what}) would give {counts}; nothing written")
    elif import_id is None:
        echo(f"{plan.file_name} ({what}): {counts}; nothing changed, not recorded")
    else:
        echo(f"imported {plan.file_name} as import {import_id} ({what}): {counts}")
    if result.changes:
        more = result.changed - len(result.changes)
        echo("changed (old → new):" + (f" first {len(result.changes)}" if more else ""))
        for c in result.changes:
            echo(f"  {c.day} {c.shop} {c.metric}: {c.old:g} → {c.new:g}")
    if plan.sheets_read and (plan.sheets_skipped or len(plan.sheets_read) > 1):
        echo("sheets read: " + ", ".join(plan.sheets_read))
    for sheet, why in plan.sheets_skipped:
        echo(f"sheet not read: {sheet} ({why})")
    if plan.ignored:
        echo("ignored columns (not recorded by opsdesk): " + _first(plan.ignored, IGNORED_SHOWN))
    for check in plan.derived:
        echo(
            f"derived column '{check.header}' ({check.metric} = {check.formula}): not imported;"
            f" checked {counted(check.checked, 'row')}, {counted(check.mismatches, 'mismatch')}"
        )
    for where, text in plan.notes:
        echo(f"skipped note line {where}: {text}")
    for warning in plan.warnings:
        echo(f"warning: {warning}")


@import_group.command("list")
@click.pass_context
def import_list(ctx: click.Context) -> None:
    """Past imports: when, who, file, rows new/changed/unchanged, and whether undone."""
    from rich.table import Table

    from opsdesk.domain.times import local_label
    from opsdesk.store import imports, settings

    with store(ctx) as conn:
        records = imports.list_imports(conn)
        tz = settings.read(conn).timezone
    if not records:
        click.echo("no imports yet")
        return
    table = Table(
        "id", "imported", "by", "file", "shape", "new", "changed", "unchanged", "undone", box=None
    )
    for r in records:
        undone = f"{local_label(r.undone_at, tz)} by {r.undone_by}" if r.undone_at else ""
        table.add_row(
            str(r.id),
            local_label(r.imported_at, tz),
            r.imported_by,
            plain(r.file_name),
            r.shape,
            f"{r.rows_new:,}",
            f"{r.rows_changed:,}",
            f"{r.rows_unchanged:,}",
            undone,
        )
    console().print(table)


@import_group.command("undo")
@click.argument("import_id", metavar="ID", type=int)
@click.pass_context
@user_errors
def import_undo(ctx: click.Context, import_id: int) -> None:
    """Undo import ID: restore the values it replaced and remove the rows it added."""
    from opsdesk.store import imports

    with store(ctx) as conn:
        result = imports.undo(conn, import_id)
    click.echo(
        f"undid import {import_id}: {counted(result.restored, 'value')} restored,"
        f" {counted(result.deleted, 'added row')} removed"
    )
    if result.left:
        click.echo(f"left alone: {counted(result.left, 'row')} overwritten since by a later import")


def _first(names: list[str], shown: int) -> str:
    """`a, b, c`, or the first `shown` names and how many more."""
    text = ", ".join(names[:shown])
    return text if len(names) <= shown else f"{text} … and {len(names) - shown:,} more"


def register(group: click.Group) -> None:
    group.add_command(import_group)
