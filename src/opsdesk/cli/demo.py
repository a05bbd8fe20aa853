"""`opsdesk demo`: create (initialise) the store at --db and fill it with the demo shops."""

from __future__ import annotations

from datetime import datetime

import click

from opsdesk.cli.common import CliError, db_path, store
from opsdesk.cli.progress import Progress, quiet_option


@click.command()
@click.option(
    "--shops",
    type=int,
    default=None,
    help="Number of shops [3, from fixtures/demo.toml].",
)
@click.option("--days", type=int, default=None, help="Days of data [1096: 3 years].")
@click.option(
    "--end",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Last day with data (YYYY-MM-DD) [the ops day: yesterday in the store's timezone].",
)
@click.option(
    "--seed", type=int, default=None, help="Random seed [618]; same seed and options, same store."
)
@click.option(
    "--replace",
    is_flag=True,
    help="Replace what the store has: values, imports, shop targets, events, alerts, shops.",
)
@quiet_option
@click.pass_context
def demo(
    ctx: click.Context,
    shops: int | None,
    days: int | None,
    end: datetime | None,
    seed: int | None,
    replace: bool,
    quiet: bool,
) -> None:
    """Create a deterministic demo store: shops, years of daily KPIs and a few incidents."""
    from opsdesk.clock import ops_day, system_clock
    from opsdesk.demo import STEPS, DemoError, build_demo
    from opsdesk.store import settings

    with store(ctx, create=True) as conn, Progress(quiet=quiet) as steps:
        if end is None:
            s = settings.read(conn)
            end_day = ops_day(system_clock, s.timezone, s.day_cutoff_hour)
        else:
            end_day = end.date()
        steps.stage("demo", len(STEPS))

        def done(step: str) -> None:
            steps.update(STEPS.index(step) + 1)

        try:
            summary = build_demo(
                conn,
                shops=shops,
                days=days,
                end=end_day,
                seed=seed,
                replace=replace,
                progress=done,
            )
        except DemoError as e:
            raise CliError(f"{db_path(ctx)}: {e}") from None
    click.echo(f"{summary.line()} -> {db_path(ctx)}")


def register(group: click.Group) -> None:
    group.add_command(demo)
