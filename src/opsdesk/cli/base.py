"""Commands for the store itself: init, shops, the metric catalogue, settings and `db`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click

from opsdesk.cli.common import CliError, console, db_path, store, user_errors
from opsdesk.cli.progress import quiet_option
from opsdesk.rich_text import plain


@click.command()
@click.option(
    "--team",
    metavar="GROUP",
    default=None,
    help="A team store: group GROUP may read and write it (setgid directory, files 0660).",
)
@click.pass_context
def init(ctx: click.Context, team: str | None) -> None:
    """Create or upgrade the store and load the shipped catalogue (idempotent)."""
    from opsdesk.store import files

    path = db_path(ctx)
    gid = None
    if team is not None:
        try:
            gid = files.resolve_group(team)
        except ValueError as e:
            raise CliError(str(e)) from None
    with store(ctx, create=True, team_gid=gid) as conn:
        n = conn.execute("SELECT count(*) FROM metrics").fetchone()[0]
    left = files.make_team_store(path, gid) if gid is not None else []
    click.echo(f"store ready at {path} ({n} metrics)" + (f" for group {team}" if team else ""))
    for line in left:
        click.echo(f"  not done: {line}", err=True)
    if left:
        raise CliError("the team store is not fully set up (see above)")


@click.group()
def shop() -> None:
    """Shops: every number belongs to one."""


@shop.command("add")
@click.argument("key")
@click.option("--name", required=True, help="Display name, e.g. 'JD home store'.")
@click.option("--platform", required=True, help="taobao, tmall, jd, pdd, douyin, kuaishou, own…")
@click.pass_context
@user_errors
def shop_add(ctx: click.Context, key: str, name: str, platform: str) -> None:
    """Add a shop with a short KEY such as jd-home."""
    from opsdesk.store import shops

    with store(ctx, create=True) as conn:
        s = shops.add(conn, key, name, platform)
    click.echo(f"added shop {s.key} ({s.platform}): {s.name}")


@shop.command("list")
@click.pass_context
def shop_list(ctx: click.Context) -> None:
    """List the shops."""
    from rich.table import Table

    from opsdesk.store import shops

    with store(ctx) as conn:
        rows = shops.list_shops(conn)
    table = Table("key", "platform", "name", box=None)
    for s in rows:
        table.add_row(plain(s.key), plain(s.platform), plain(s.name))
    console().print(table)


@click.group(invoke_without_command=True)
@click.pass_context
def metrics(ctx: click.Context) -> None:
    """The metric catalogue; `metrics add FILE` loads your own metrics from TOML."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from opsdesk.store.catalogue import load_metrics

    with store(ctx) as conn:
        catalogue = load_metrics(conn)
    table = Table("key", "name", "中文", "unit", "dir", "agg / formula", box=None)
    for m in catalogue.values():
        arrow = {"up": "↑", "down": "↓"}.get(m.direction or "", "")
        how = str(m.formula) if m.formula else m.aggregation
        table.add_row(plain(m.key), plain(m.name_en), plain(m.name_zh), m.unit, arrow, plain(how))
    console().print(table)


@metrics.command("add")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def metrics_add(ctx: click.Context, file: Path) -> None:
    """Add or update metrics (base or derived) from a TOML FILE of [[metric]] tables."""
    from opsdesk.store.catalogue import CatalogueError, load_catalogue

    with store(ctx) as conn:
        try:
            result = load_catalogue(conn, file, source=file.name)
        except CatalogueError as e:
            raise CliError(str(e), exit_code=2) from None
    click.echo(
        f"{file}: {len(result.added)} added ({', '.join(result.added) or '-'}), "
        f"{len(result.updated)} updated ({', '.join(result.updated) or '-'})"
    )


@click.group("settings", invoke_without_command=True)
@click.pass_context
def settings_cmd(ctx: click.Context) -> None:
    """The store's settings (timezone, day_cutoff_hour): shared by everyone on the store."""
    if ctx.invoked_subcommand is not None:
        return
    from opsdesk.store import settings

    with store(ctx) as conn:
        s = settings.read(conn)
    click.echo(f"timezone = {s.timezone}\nday_cutoff_hour = {s.day_cutoff_hour}")


@settings_cmd.command("set")
@click.argument("key")
@click.argument("value")
@click.pass_context
@user_errors
def settings_set(ctx: click.Context, key: str, value: str) -> None:
    """Set a store setting, e.g. `settings set timezone Asia/Shanghai`."""
    from opsdesk.store import settings

    with store(ctx) as conn:
        settings.write(conn, key, value)
    click.echo(f"{key} = {value}")


@click.group()
def db() -> None:
    """The store file: migrate, status, backup, path."""


@db.command("path")
@click.pass_context
def db_path_cmd(ctx: click.Context) -> None:
    """Print the path of the store in use."""
    click.echo(str(db_path(ctx)))


@db.command("migrate")
@click.pass_context
def db_migrate(ctx: click.Context) -> None:
    """Apply pending migrations."""
    from opsdesk.store import migrations
    from opsdesk.store.connection import StoreError, connect

    try:
        conn = connect(db_path(ctx), create=True)
        applied = migrations.migrate(conn)
        version = migrations.current_version(conn)
        conn.close()
    except StoreError as e:
        raise CliError(str(e)) from None
    except sqlite3.DatabaseError as e:
        raise CliError(f"{db_path(ctx)}: {e}") from None
    names = ", ".join(f"{m.version:04d}_{m.name}" for m in applied) or "nothing to do"
    click.echo(f"schema version {version}: {names}")


@db.command("status")
@click.pass_context
def db_status(ctx: click.Context) -> None:
    """Schema version, pending migrations and row counts."""
    from opsdesk.store import migrations
    from opsdesk.store.connection import StoreError, connect

    path = db_path(ctx)
    try:
        conn = connect(path)
        version = migrations.check_compatible(conn)
        pend = [m for m in migrations.available() if m.version > version]
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608
        conn.close()
    except StoreError as e:
        raise CliError(str(e)) from None
    except sqlite3.DatabaseError as e:
        raise CliError(f"{path}: {e}") from None
    click.echo(f"store: {path}")
    click.echo(f"schema version: {version} (latest {migrations.latest_version()})")
    click.echo("pending: " + (", ".join(f"{m.version:04d}_{m.name}" for m in pend) or "none"))
    for t, n in counts.items():
        click.echo(f"  {t:<20} {n:>10,}")


@db.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@quiet_option
@click.pass_context
def db_backup(ctx: click.Context, target: Path, quiet: bool) -> None:
    """Copy the store to TARGET through SQLite's online backup API (safe while in use)."""
    from opsdesk.cli.progress import Progress
    from opsdesk.store.connection import StoreError, connect

    if target.exists():
        raise CliError(f"{target} exists already; choose a new file")
    try:
        src = connect(db_path(ctx))
        dst = sqlite3.connect(str(target))
        with dst, Progress(quiet=quiet) as steps:
            # One step (a spinner and the time so far, then the pages): copied in steps, a
            # write from another session between two steps would restart the copy, and under
            # steady writes it might never end.
            steps.stage("copied")
            src.backup(dst, progress=lambda _s, left, total: steps.update(total - left, total))
        dst.close()
        src.close()
    except (StoreError, sqlite3.Error) as e:
        raise CliError(f"backup failed: {e}") from None
    click.echo(f"backed up {db_path(ctx)} to {target}")


@db.command("doctor")
@click.option("--team", metavar="GROUP", default=None, help="Check it as GROUP's team store.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def db_doctor(ctx: click.Context, team: str | None, fmt: str) -> None:
    """Check the store's files and directory for a team: owners, groups, modes, setgid, WAL.

    Says what to run to fix each problem; exit status 1 when something needs fixing.
    """
    import json
    from dataclasses import asdict

    from opsdesk.store import files

    path = db_path(ctx)
    try:
        checks = files.doctor(path, team)
    except (ValueError, OSError) as e:
        raise CliError(f"{path}: {e}") from None
    if fmt == "json":
        click.echo(json.dumps([asdict(c) for c in checks], ensure_ascii=False, indent=2))
    else:
        click.echo(f"store: {path}")
        for c in checks:
            click.echo(f"  {'✓' if c.ok else '✗'} {c.what}: {c.detail}")
            if c.fix:
                click.echo(f"      fix: {c.fix}")
    if not all(c.ok for c in checks):
        ctx.exit(1)


def register(group: click.Group) -> None:
    for command in (init, shop, metrics, settings_cmd, db):
        group.add_command(command)
