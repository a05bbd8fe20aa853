"""Commands: `report review` (the weekly review pack) and `review close|reopen|diff|note|decide|
attend|notes` (the meeting record, freezing a review and what changed since)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import click

from opsdesk.cli.common import (
    CliError,
    action_added,
    day_option,
    period_option,
    store,
    user_errors,
)
from opsdesk.domain.periods import Period
from opsdesk.domain.text import visible


def _ops_day(conn: sqlite3.Connection) -> date:
    from opsdesk.clock import ops_day, system_clock
    from opsdesk.store import settings

    s = settings.read(conn)
    return ops_day(system_clock, s.timezone, s.day_cutoff_hour)


@contextmanager
def _week_store(
    ctx: click.Context, week_key: str
) -> Iterator[tuple[sqlite3.Connection, Period, date]]:
    """The store, the review week WEEK names (refused when not over) and the ops day."""
    from opsdesk.views.review import resolve_week

    with store(ctx) as conn:
        today = _ops_day(conn)
        yield conn, resolve_week(week_key, today), today


def live_payload(
    conn: sqlite3.Connection,
    week_key: str | None,
    shops: list[str] | None = None,
    *,
    month_key: str | None = None,
    monthly: bool = False,
) -> dict[str, Any]:
    """The review's payload from the store's current figures (ValueError: bad week or month,
    no data); `monthly`: the monthly review of `month_key` (default the last complete one)."""
    from opsdesk.reports.review_pack import payload
    from opsdesk.views.review import build_review, resolve_month, resolve_week

    today = _ops_day(conn)
    period = resolve_month(month_key, today) if monthly else resolve_week(week_key, today)
    return payload(build_review(conn, period, today, shop_keys=shops))


def pack_payload(
    conn: sqlite3.Connection, week_key: str | None, shops: list[str] | None
) -> dict[str, Any]:
    """The pack's payload: the frozen copy when the review is closed, else live figures."""
    from opsdesk.reports.review_pack import only_shops, with_closed
    from opsdesk.store.review import frozen_pack
    from opsdesk.views.review import resolve_week

    week = resolve_week(week_key, _ops_day(conn))
    pack = frozen_pack(conn, week.key)
    if pack is None:
        return with_closed(live_payload(conn, week.key, shops), None)
    data = json.loads(pack.payload)
    if shops:
        known = set(data["shops"])
        for k in shops:
            if k not in known:
                raise ValueError(f"--shop: {k!r} is not in the frozen review of {week.key}")
        data = only_shops(data, shops)
    closed = {"by": pack.closed_by, "at": pack.closed_at, "sha256": pack.sha256}
    return with_closed(data, closed)


@click.command("review")
@click.option("--week", "week_key", metavar="YYYY-Www", help="Default: the last complete week.")
@click.option(
    "--month",
    "month_key",
    metavar="YYYY-MM",
    is_flag=False,
    flag_value="",
    default=None,
    help="The monthly review instead (bare --month: the last complete month).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "html", "json", "xlsx"]),
    default="md",
    show_default=True,
)
@click.option("--shop", "shop_keys", multiple=True, help="Only this shop (repeat).")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (required for xlsx).",
)
@click.pass_context
@user_errors
def report_review(
    ctx: click.Context,
    week_key: str | None,
    month_key: str | None,
    fmt: str,
    shop_keys: tuple[str, ...],
    output: Path | None,
) -> None:
    """The weekly review pack: the deck (6-12 data and the summary row), exceptions and notes,
    GMV split, traffic and paid ROI, SOP adherence, PDCA, risks, decisions and actions.
    A closed review is rendered from its frozen copy. --month: the monthly review (the month
    against target, last month and last year, risks re-scored)."""
    from opsdesk.paths import output_directory
    from opsdesk.reports import review_pack
    from opsdesk.reports.review_pack import with_closed

    if fmt == "xlsx" and output is None:
        raise CliError("--format xlsx writes a file: add --output FILE.xlsx")
    if week_key is not None and month_key is not None:
        raise CliError("--week and --month: give one (a weekly or a monthly review)")
    if week_key is not None:
        period_option("week", week_key, "--week")
    if month_key:
        period_option("month", month_key, "--month")
    if output is not None:
        output_directory(output)
    shops = list(shop_keys) or None
    with store(ctx) as conn:
        if month_key is not None:
            data = live_payload(conn, None, shops, month_key=month_key or None, monthly=True)
            data = with_closed(data, None)
        else:
            data = pack_payload(conn, week_key, shops)
    if fmt == "xlsx":
        from opsdesk.reports.review_xlsx import write_xlsx

        assert output is not None
        write_xlsx(data, output)
        click.echo(f"wrote {output}", err=True)
        return
    if fmt == "json":
        text = review_pack.dumps(data)
    elif fmt == "html":
        text = review_pack.render_html(data)
    else:
        text = review_pack.render_markdown(data)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


@click.group()
def review() -> None:
    """The weekly review's record: notes, decisions, attendees; close (freeze) and diff."""


@review.command("close")
@click.argument("week_key", metavar="WEEK")
@click.pass_context
@user_errors
def review_close(ctx: click.Context, week_key: str) -> None:
    """Freeze the review of WEEK: its figures, notes, decisions and actions, with a hash."""
    from opsdesk.reports.review_pack import dumps
    from opsdesk.store.review import close_review

    with store(ctx) as conn:
        data = live_payload(conn, week_key)
        pack = close_review(conn, data["week"]["key"], dumps(data))
    click.echo(f"closed {pack.week}: sha256 {pack.sha256}")


@review.command("reopen")
@click.argument("week_key", metavar="WEEK")
@click.pass_context
@user_errors
def review_reopen(ctx: click.Context, week_key: str) -> None:
    """Unfreeze a closed review (audited; the frozen copy is kept)."""
    from opsdesk.store.review import reopen_review

    with _week_store(ctx, week_key) as (conn, week, _):
        reopen_review(conn, week.key)
    click.echo(f"reopened {week.key}")


@review.command("diff")
@click.argument("week_key", metavar="WEEK")
@click.pass_context
@user_errors
def review_diff(ctx: click.Context, week_key: str) -> None:
    """Which figures changed since the review of WEEK was closed (exit 1 when some did)."""
    from opsdesk.domain.times import local_label
    from opsdesk.reports.review_pack import diff
    from opsdesk.store import settings
    from opsdesk.store.review import frozen_pack

    with _week_store(ctx, week_key) as (conn, week, _):
        pack = frozen_pack(conn, week.key)
        if pack is None:
            raise CliError(f"review {week.key} is not closed: nothing frozen to compare with")
        frozen = json.loads(pack.payload)
        live = live_payload(conn, week.key, frozen["shops"])
        closed_at = local_label(pack.closed_at, settings.read(conn).timezone)
    lines = diff(frozen, live)
    if not lines:
        click.echo(f"{week.key}: no figure changed since {closed_at} ({pack.closed_by})")
        return
    click.echo(f"{week.key}: {len(lines)} figures changed since {closed_at}:")
    for line in lines:
        click.echo(f"  {line}")
    raise SystemExit(1)


@review.command("note")
@click.argument("week_key", metavar="WEEK")
@click.argument("metric")
@click.argument("text", required=False, default="")
@click.option("--shop", "shop_key", default="all", show_default=True, help="A shop key or all.")
@click.option("--investigating", is_flag=True, help="Mark it 'investigating' (text optional).")
@click.pass_context
@user_errors
def review_note(
    ctx: click.Context, week_key: str, metric: str, text: str, shop_key: str, investigating: bool
) -> None:
    """The owner's note on METRIC for WEEK: why it moved (or --investigating)."""
    from opsdesk.store.catalogue import load_metrics
    from opsdesk.store.review import get_note, set_note
    from opsdesk.store.shops import list_shops

    with _week_store(ctx, week_key) as (conn, week, _):
        if metric not in load_metrics(conn):
            raise CliError(f"METRIC: unknown metric {metric!r} (see `opsdesk metric list`)")
        if shop_key != "all" and shop_key not in {s.key for s in list_shops(conn)}:
            raise CliError(f"--shop: unknown shop {shop_key!r}")
        old = get_note(conn, metric, shop_key, week.key)
        note = set_note(
            conn,
            metric,
            shop_key,
            week.key,
            text,
            investigating=investigating,
            based_on=old.version if old else 0,
        )
    said = note.text() if note.changed else "nothing changed"
    click.echo(visible(f"{metric} {shop_key} {week.key}: {said}"))


@review.command("decide")
@click.argument("week_key", metavar="WEEK")
@click.argument("text")
@click.pass_context
@user_errors
def review_decide(ctx: click.Context, week_key: str, text: str) -> None:
    """Record a decision of the review of WEEK."""
    from opsdesk.store.review import add_decision

    with _week_store(ctx, week_key) as (conn, week, today):
        d = add_decision(conn, week.key, today, text)
    click.echo(visible(f"{week.key} decision {d.number}: {d.text}"))


@review.command("action")
@click.argument("week_key", metavar="WEEK")
@click.argument("text")
@click.option("--owner", default="", help="The login who owns it (required).")
@click.option("--due", "due_text", metavar="YYYY-MM-DD", help="Due date (not in the past).")
@click.pass_context
@user_errors
def review_action(
    ctx: click.Context, week_key: str, text: str, owner: str, due_text: str | None
) -> None:
    """A new action item of the review of WEEK (carried over until done or dropped)."""
    from opsdesk.store.review import add_action

    due = day_option(due_text, "--due")
    with _week_store(ctx, week_key) as (conn, week, today):
        item = add_action(conn, week.key, today, text, owner, due)
    click.echo(action_added(item.key, item.text, item.owner, due))


@review.command("done")
@click.argument("week_key", metavar="WEEK")
@click.argument("number", type=int)
@click.option("--drop", "reason", default=None, help="Drop it instead, saying why.")
@click.pass_context
@user_errors
def review_done(ctx: click.Context, week_key: str, number: int, reason: str | None) -> None:
    """Mark action item NUMBER of the review of WEEK done (or dropped with --drop REASON)."""
    from opsdesk.domain.action_line import drop_reason
    from opsdesk.store import actions
    from opsdesk.store.review import get_meeting

    if reason is not None:
        reason = drop_reason(reason, "--drop")
    with _week_store(ctx, week_key) as (conn, week, _):
        meeting = get_meeting(conn, "review", week.key)
        if meeting is None:
            raise CliError(f"NUMBER: review {week.key} has no action items")
        status = "dropped" if reason is not None else "done"
        try:
            item = actions.close(conn, "review", meeting.id, number, status, reason or "")
        except actions.NoSuchItem as e:
            raise CliError(f"NUMBER: {e}") from None
    click.echo(f"{item.key}: {item.status}")


@review.command("attend")
@click.argument("week_key", metavar="WEEK")
@click.argument("logins", nargs=-1, required=True)
@click.pass_context
@user_errors
def review_attend(ctx: click.Context, week_key: str, logins: tuple[str, ...]) -> None:
    """Set the attendees of the review of WEEK (logins)."""
    from opsdesk.store.review import update_meeting

    with _week_store(ctx, week_key) as (conn, week, today):
        m = update_meeting(conn, "review", week.key, today, based_on=None, attendees=list(logins))
    if not m.changed:
        click.echo(f"{week.key} attendees: nothing changed")
        return
    click.echo(f"{week.key} attendees: {', '.join(m.attendees)}")


@review.command("notes")
@click.argument("words")
@click.pass_context
@user_errors
def review_notes(ctx: click.Context, words: str) -> None:
    """Search the owners' notes (every week) for WORDS."""
    from opsdesk.store.review import search_notes

    with store(ctx) as conn:
        found = search_notes(conn, words)
    for n in found:
        click.echo(visible(f"{n.week} {n.metric_key} {n.shop_key}: {n.text()} ({n.written_by})"))
    if not found:
        click.echo(visible(f"no note mentions {words!r}"))


def register(main: click.Group) -> None:
    from opsdesk.cli.reports import report

    report.add_command(report_review)
    main.add_command(review)
