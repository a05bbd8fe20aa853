"""Commands: `opsdesk log` (the audit trail, newest first) and `opsdesk undo [ID]`."""

from __future__ import annotations

import json

import click

from opsdesk.cli.common import CliError, since_day, store, text_or_json, user_errors
from opsdesk.domain.text import json_safe


@click.command("log")
@click.option("--user", metavar="LOGIN", help="Only this login's changes.")
@click.option(
    "--object", "obj", metavar="TYPE[:ID]", help="Only this kind of object, or this one object."
)
@click.option("--since", metavar="YYYY-MM-DD", help="From this day on (the store's timezone).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--format", "fmt", default="text", show_default=True, help="text or json.")
@click.pass_context
@user_errors
def log(
    ctx: click.Context,
    user: str | None,
    obj: str | None,
    since: str | None,
    limit: int,
    fmt: str,
) -> None:
    """Every change, newest first: id, when, who, what, old → new.

    Objects: observation (shop/metric/day), import, target, sop_run_item (run/position),
    sop_run, pdca (cycle id), action_item, risk, metric_note, meeting, alert, setting, shop…
    """
    from opsdesk.views.history import log as read_log
    from opsdesk.views.history import parse_object

    text_or_json(fmt)
    day = since_day(since)
    kind, key = parse_object(obj) if obj is not None else (None, None)
    with store(ctx) as conn:
        rows = read_log(conn, user=user, object_type=kind, object_key=key, since=day, limit=limit)
    if fmt == "json":
        doc = [r.as_json() for r in rows]
        click.echo(json_safe(json.dumps(doc, ensure_ascii=False, indent=2)))
        return
    for r in rows:
        click.echo(r.line())


@click.command("undo")
@click.argument("event_id", metavar="[ID]", required=False, type=int)
@click.pass_context
def undo(ctx: click.Context, event_id: int | None) -> None:
    """Undo your last change, or the change of audit event ID (see `opsdesk log`).

    Plain undo passes over your changes that cannot be undone (saying which) to the last one
    that can; again walks further back.

    Only when nothing newer changed the same object; otherwise it names what is in the way
    (exit 1). The undo is recorded as a change of its own.
    """
    from opsdesk.store.connection import current_user
    from opsdesk.store.undo import undo as take_back
    from opsdesk.views.history import describer

    with store(ctx) as conn:
        describe = describer(conn)
        try:
            result = take_back(
                conn,
                event_id,
                actor=current_user() if event_id is None else None,
                describe=describe,
            )
        except ValueError as refused:
            raise CliError(str(refused)) from None
    if result.skipped:
        click.echo(result.skipped_text())
    click.echo(f"undid change #{result.change}:")
    for e in result.undone:
        click.echo(f"  {describe(e)}")
    click.echo("recorded as:")
    for e in result.recorded:
        click.echo(f"  {describe(e)}")


def register(group: click.Group) -> None:
    group.add_command(log)
    group.add_command(undo)
