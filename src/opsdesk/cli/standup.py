"""Commands: `standup show|attend|note|decide|action|done|actions` — the stand-up's meeting
record (the weekly review's in a small form) and what was open as of any past day or week."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta

import click

from opsdesk.cli.common import (
    CliError,
    action_added,
    day_option,
    period_option,
    store,
    user_errors,
)
from opsdesk.domain.text import visible

DAY = click.option(
    "--day",
    "day_text",
    metavar="YYYY-MM-DD",
    default=None,
    help="The stand-up's ops day (default: the ops day, yesterday).",
)
FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)


def _ops_day(conn: sqlite3.Connection) -> date:
    from opsdesk.clock import system_clock
    from opsdesk.views.ops_day import store_ops_day

    return store_ops_day(conn, system_clock)


def _day(conn: sqlite3.Connection, text: str | None) -> date:
    """The stand-up's day: --day (not after the ops day) or the ops day."""
    today = _ops_day(conn)
    if text is None:
        return today
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise CliError(f"--day: {text!r} is not a date like 2026-11-23") from None
    if day > today:
        raise CliError(f"--day: {day} is after the ops day {today}: no stand-up for it yet")
    return day


@click.group()
def standup() -> None:
    """The stand-up's meeting record: attendees, notes, decisions, action items."""


@standup.command("show")
@DAY
@FORMAT
@click.pass_context
@user_errors
def standup_show(ctx: click.Context, day_text: str | None, fmt: str) -> None:
    """The stand-up's record, and every earlier meeting's action item still open."""
    from opsdesk.clock import system_clock
    from opsdesk.views.meetings import standup_meeting_on

    with store(ctx) as conn:
        model = standup_meeting_on(conn, _day(conn, day_text), system_clock)
    if fmt == "json":
        click.echo(json.dumps(model.as_dict(), ensure_ascii=False, indent=2))
        return
    for _, line in model.lines(keys=False):
        click.echo(visible(line))


@standup.command("attend")
@click.argument("logins", nargs=-1, required=True)
@DAY
@click.pass_context
@user_errors
def standup_attend(ctx: click.Context, logins: tuple[str, ...], day_text: str | None) -> None:
    """Set the stand-up's attendees (logins)."""
    from opsdesk.store.review import update_meeting

    with store(ctx) as conn:
        day = _day(conn, day_text)
        m = update_meeting(
            conn, "standup", day.isoformat(), day, based_on=None, attendees=list(logins)
        )
    if not m.changed:
        click.echo(f"stand-up {day} attendees: nothing changed")
        return
    click.echo(f"stand-up {day} attendees: {', '.join(m.attendees)}")


@standup.command("note")
@click.argument("text")
@DAY
@click.pass_context
@user_errors
def standup_note(ctx: click.Context, text: str, day_text: str | None) -> None:
    """Set the stand-up's notes (replaces them)."""
    from opsdesk.store.review import update_meeting

    with store(ctx) as conn:
        day = _day(conn, day_text)
        m = update_meeting(conn, "standup", day.isoformat(), day, based_on=None, notes=text)
    if not m.changed:
        click.echo(f"stand-up {day} notes: nothing changed")
        return
    click.echo(visible(f"stand-up {day} notes: {m.notes}"))


@standup.command("decide")
@click.argument("text")
@DAY
@click.pass_context
@user_errors
def standup_decide(ctx: click.Context, text: str, day_text: str | None) -> None:
    """Record a decision of the stand-up."""
    from opsdesk.store.review import add_meeting_decision

    with store(ctx) as conn:
        day = _day(conn, day_text)
        d = add_meeting_decision(conn, "standup", day.isoformat(), day, text)
    click.echo(visible(f"stand-up {day} decision {d.number}: {d.text}"))


@standup.command("action")
@click.argument("text")
@click.option("--owner", default="", help="The login who owns it (required).")
@click.option("--due", "due_text", metavar="YYYY-MM-DD", help="Due date (not in the past).")
@DAY
@click.pass_context
@user_errors
def standup_action(
    ctx: click.Context, text: str, owner: str, due_text: str | None, day_text: str | None
) -> None:
    """A new action item of the stand-up (carried over until done or dropped)."""
    from opsdesk.store.review import add_meeting_action

    due = day_option(due_text, "--due")
    with store(ctx) as conn:
        day = _day(conn, day_text)
        item = add_meeting_action(conn, "standup", day.isoformat(), day, text, owner, due)
    click.echo(action_added(item.key, item.text, item.owner, due))


@standup.command("done")
@click.argument("action")
@click.option("--drop", "reason", default=None, help="Drop it instead, saying why.")
@DAY
@click.pass_context
@user_errors
def standup_done(ctx: click.Context, action: str, reason: str | None, day_text: str | None) -> None:
    """Mark ACTION done (or dropped with --drop REASON): its number on the stand-up of --day,
    or any meeting's item by its key (`standup/3/1`, `review/2/1`, as `standup show` lists)."""
    from opsdesk.domain.action_line import drop_reason
    from opsdesk.store import actions
    from opsdesk.store.review import get_meeting

    status = "dropped" if reason is not None else "done"
    if reason is not None:
        reason = drop_reason(reason, "--drop")
    with store(ctx) as conn:
        if action.isdigit():
            day = _day(conn, day_text)
            meeting = get_meeting(conn, "standup", day.isoformat())
            if meeting is None:
                raise CliError(f"ACTION: stand-up {day} has no action items")
            kind, source, number = "standup", meeting.id, int(action)
        else:
            parts = action.split("/")
            if len(parts) != 3 or parts[0] not in ("standup", "review"):
                raise CliError(
                    f"ACTION: {action!r} is not a number or a key like standup/3/1 or review/2/1"
                )
            if not (parts[1].isdigit() and parts[2].isdigit()):
                raise CliError(f"ACTION: {action!r}: the meeting and item are numbers")
            kind, source, number = parts[0], int(parts[1]), int(parts[2])
        try:
            item = actions.close(conn, kind, source, number, status, reason or "")
        except actions.NoSuchItem as e:
            raise CliError(f"ACTION: {e}") from None
    click.echo(visible(f"{item.key}: {item.status} ({item.text})"))


@standup.command("actions")
@click.option(
    "--as-of",
    "as_of_text",
    metavar="DAY|WEEK",
    default=None,
    help="A past day (2026-11-12) or ISO week (2026-W46: its Sunday). Default: the ops day.",
)
@FORMAT
@click.pass_context
@user_errors
def standup_actions(ctx: click.Context, as_of_text: str | None, fmt: str) -> None:
    """Every meeting's action item open at the end of a day (stand-ups and reviews): its age,
    the reviews it was carried through, flagged when three or more without progress."""
    from opsdesk.views.meetings import open_as_of

    with store(ctx) as conn:
        today = _ops_day(conn)
        if as_of_text is None:
            day = today + timedelta(days=1)  # ages as at this morning's stand-up
        elif "W" in as_of_text.upper():
            day = period_option("week", as_of_text, "--as-of").end
        else:
            day = period_option("day", as_of_text, "--as-of").start
        if day > today:
            if as_of_text is not None:
                raise CliError(f"--as-of: {as_of_text} is not over yet (the ops day is {today})")
        found = open_as_of(conn, day, current=as_of_text is None)
    if fmt == "json":
        rows = [a.as_dict() for a in found]
        as_of = None if as_of_text is None else day.isoformat()
        click.echo(json.dumps({"as_of": as_of, "open": rows}, ensure_ascii=False))
        return
    click.echo(
        f"open at the end of {day}: {len(found)}" if as_of_text else f"open now: {len(found)}"
    )
    for a in found:
        click.echo(visible(f"  {a.line()}"))


def register(main: click.Group) -> None:
    main.add_command(standup)
