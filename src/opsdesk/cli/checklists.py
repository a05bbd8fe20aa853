"""Commands: `opsdesk checklists …`: today's runs, one run, ticking, templates, history, campaigns.

Every command first creates the runs due today (`ensure_runs`), so no daemon is needed. Run ids
and item numbers are what `checklists today` and `checklists show` print; scripts can use them.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from opsdesk.cli.common import CliError, console, store, user_errors
from opsdesk.domain.text import visible
from opsdesk.rich_text import plain

ITEM_MARKS = {"open": "[ ]", "done": "[x]", "skipped": "[-]"}


def _local_today(conn: sqlite3.Connection) -> date:
    """The store's local today (its timezone and day cutoff)."""
    from opsdesk.store.settings import store_today

    return store_today(conn)


def _today(conn: sqlite3.Connection) -> date:
    """The store's local today, after creating the runs due by then."""
    from opsdesk.store import checklists

    today = _local_today(conn)
    checklists.ensure_runs(conn, today)
    return today


def _local(conn: sqlite3.Connection, t: datetime | None) -> str:
    """An instant as local wall time of the store: `2026-11-22 09:12`."""
    from opsdesk.domain.times import local_label
    from opsdesk.store import settings

    return local_label(t, settings.read(conn).timezone)


@click.group(invoke_without_command=True)
@click.pass_context
def checklists(ctx: click.Context) -> None:
    """SOP checklists: today's runs, ticking items, templates, history and adherence.

    Without a sub-command, lists today's runs (like `checklists today`).
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(today_cmd)


@checklists.command("today")
@click.option("--shop", "shop_key", default=None, help="Only this shop (and store-wide runs).")
@click.pass_context
@user_errors
def today_cmd(ctx: click.Context, shop_key: str | None) -> None:
    """List today's runs with their progress (id, checklist, shop, due, done/total, state)."""
    from rich.table import Table

    from opsdesk.views.checklists import today_rows

    with store(ctx) as conn:
        today = _local_today(conn)
        runs = today_rows(conn, today, shop_key=shop_key, bar_width=10)
    table = Table("id", "checklist", "shop", "due", "progress", "state", box=None)
    for r in runs:
        table.add_row(str(r.run_id), plain(r.title), plain(r.shop), r.due, r.progress, r.state)
    click.echo(f"checklists for {today}: {len(runs)} runs")
    if runs:
        console().print(table)


@checklists.command("show")
@click.argument("run_id", type=int)
@click.pass_context
@user_errors
def show_cmd(ctx: click.Context, run_id: int) -> None:
    """One run: every item with who ticked it and when, notes, skip reasons, overdue marks."""
    from opsdesk.domain.checklists import STATE_LABELS
    from opsdesk.store import checklists as store_checklists

    out = console()
    with store(ctx) as conn:
        _today(conn)
        run = store_checklists.get_run(conn, run_id)
        out.print(plain(f"run {run.id}: {run.label} (v{run.version}, owner {run.owner})"))
        out.print(
            plain(
                f"due {_local(conn, run.due_at)} · {run.done}/{run.total} done · "
                f"{STATE_LABELS[run.state]}"
                + (" · overdue" if run.overdue else "")
                + (f" · reason: {run.skip_reason}" if run.skip_reason else "")
            )
        )
        section = None
        for item in run.items:
            if item.section and item.section != section:
                section = item.section
                out.print(plain(f"  {section}"))
            who = (
                f" — {item.changed_by} {_local(conn, item.changed_at)}"
                if item.state != "open"
                else ""
            )
            flag = " OVERDUE" if item.overdue else ""
            out.print(
                plain(f"  {ITEM_MARKS[item.state]} {item.position:>2}. {item.text}{who}{flag}")
            )
            if item.skip_reason:
                out.print(plain(f"         skipped: {item.skip_reason}"))
            if item.note:
                out.print(plain(f"         note: {item.note}"))


def _report(conn: sqlite3.Connection, change: Any, verb: str) -> None:
    if change.changed:
        click.echo(f"run {change.run_id} item {change.position}: {verb} (run {change.run_status})")
    else:
        click.echo(
            f"run {change.run_id} item {change.position}: already {change.state} "
            f"by {change.by} at {_local(conn, change.at)} (run {change.run_status})"
        )


@checklists.command("tick")
@click.argument("run_id", type=int)
@click.argument("items", type=int, nargs=-1, required=True)
@click.option("--note", default=None, help="A note to keep with the item(s).")
@click.pass_context
@user_errors
def tick_cmd(ctx: click.Context, run_id: int, items: tuple[int, ...], note: str | None) -> None:
    """Tick ITEMS (numbers from `show`) of run RUN_ID; who and when are recorded."""
    from opsdesk.store import checklists as store_checklists

    with store(ctx) as conn:
        _today(conn)
        for position in items:
            _report(conn, store_checklists.tick(conn, run_id, position, note=note), "ticked")


@checklists.command("untick")
@click.argument("run_id", type=int)
@click.argument("items", type=int, nargs=-1, required=True)
@click.pass_context
@user_errors
def untick_cmd(ctx: click.Context, run_id: int, items: tuple[int, ...]) -> None:
    """Untick ITEMS of run RUN_ID (a done run reopens)."""
    from opsdesk.store import checklists as store_checklists

    with store(ctx) as conn:
        _today(conn)
        for position in items:
            _report(conn, store_checklists.untick(conn, run_id, position), "unticked")


@checklists.command("skip")
@click.argument("run_id", type=int)
@click.argument("items", type=int, nargs=-1)
@click.option("--reason", required=True, help="Why it is skipped (kept with the run).")
@click.pass_context
@user_errors
def skip_cmd(ctx: click.Context, run_id: int, items: tuple[int, ...], reason: str) -> None:
    """Skip ITEMS of run RUN_ID with a reason; without ITEMS, skip the whole run."""
    from opsdesk.store import checklists as store_checklists

    with store(ctx) as conn:
        _today(conn)
        if not items:
            store_checklists.skip_run(conn, run_id, reason)
            click.echo(visible(f"run {run_id}: skipped ({reason.strip()})"))
            return
        for position in items:
            _report(conn, store_checklists.skip_item(conn, run_id, position, reason), "skipped")


@checklists.command("note")
@click.argument("run_id", type=int)
@click.argument("item", type=int)
@click.argument("text")
@click.pass_context
@user_errors
def note_cmd(ctx: click.Context, run_id: int, item: int, text: str) -> None:
    """Set the note of ITEM of run RUN_ID to TEXT ('' clears it)."""
    from opsdesk.store import checklists as store_checklists

    with store(ctx) as conn:
        _today(conn)
        store_checklists.set_note(conn, run_id, item, text)
    click.echo(f"run {run_id} item {item}: note saved")


@checklists.command("start")
@click.argument("template")
@click.option("--shop", "shop_key", default=None, help="The shop, for per-shop templates.")
@click.pass_context
@user_errors
def start_cmd(ctx: click.Context, template: str, shop_key: str | None) -> None:
    """Start a run of TEMPLATE now (on-demand SOPs: crisis-response, platform-rule-change)."""
    from opsdesk.store import checklists as store_checklists

    with store(ctx) as conn:
        today = _today(conn)
        run_id = store_checklists.start_run(conn, template, today, shop_key=shop_key)
        run = store_checklists.get_run(conn, run_id)
    click.echo(visible(f"started run {run.id}: {run.label} ({run.total} items)"))


@checklists.command("templates")
@click.pass_context
def templates_cmd(ctx: click.Context) -> None:
    """The SOP templates: key, latest version, cadence, scope, owner, steps."""
    from rich.table import Table

    from opsdesk.store import checklists as store_checklists

    with store(ctx) as conn:
        rows = store_checklists.list_templates(conn)
    table = Table("key", "v", "title", "cadence", "scope", "owner", "due", "steps", box=None)
    for t in rows:
        table.add_row(
            t.key,
            str(t.version),
            plain(t.title),
            t.cadence,
            t.scope,
            plain(t.owner),
            t.due or "end of day",
            str(t.steps),
        )
    console().print(table)


@checklists.command("load")
@click.argument("files", type=click.Path(dir_okay=False, path_type=Path), nargs=-1, required=True)
@click.pass_context
def load_cmd(ctx: click.Context, files: tuple[Path, ...]) -> None:
    """Load SOP templates from Markdown FILES (all or nothing); a changed one gets a new version."""
    from opsdesk.io.sop_templates import TemplateError, parse_files
    from opsdesk.store import checklists as store_checklists

    try:
        parsed = parse_files(files)  # every file first: a malformed one loads nothing
    except TemplateError as e:
        raise CliError(str(e), exit_code=2) from None
    with store(ctx) as conn:
        result = store_checklists.load_templates(
            conn, [t for t, _ in parsed], [str(p) for _, p in parsed]
        )
    click.echo(
        f"{len(result.added)} added ({', '.join(result.added) or '-'}), "
        f"{len(result.new_versions)} new versions ({', '.join(result.new_versions) or '-'}), "
        f"{len(result.unchanged)} unchanged"
    )


@checklists.command("history")
@click.argument("template")
@click.option("--shop", "shop_key", default=None, help="Only this shop.")
@click.option("--days", default=28, show_default=True, type=click.IntRange(1, 3660))
@click.pass_context
@user_errors
def history_cmd(ctx: click.Context, template: str, shop_key: str | None, days: int) -> None:
    """TEMPLATE's runs over the last DAYS as a strip per shop, then adherence."""
    from opsdesk.domain.checklists import STATE_LABELS, STATE_MARKS, adherence
    from opsdesk.store import checklists as store_checklists

    with store(ctx) as conn:
        today = _today(conn)
        start = today - timedelta(days=days - 1)
        runs = store_checklists.history(conn, template, start, today, shop_key=shop_key)
    by_shop: dict[str, list[Any]] = {}
    for r in runs:
        by_shop.setdefault(r.shop_key or "store", []).append(r)
    click.echo(f"{template}: {start} … {today}")
    for shop, shop_runs in by_shop.items():
        strip = "".join(STATE_MARKS[r.state] for r in shop_runs)
        a = adherence(r.state for r in shop_runs)
        ratio = f"{a.ratio:.0%}" if a.ratio is not None else "—"
        click.echo(visible(f"  {shop:<16} {strip}  adherence {ratio} ({a.on_time}/{a.due})"))
    click.echo("  " + "  ".join(f"{STATE_MARKS[s]} {label}" for s, label in STATE_LABELS.items()))


@checklists.command("adherence")
@click.option("--days", default=28, show_default=True, type=click.IntRange(1, 3660))
@click.pass_context
def adherence_cmd(ctx: click.Context, days: int) -> None:
    """On-time ÷ due runs per template and shop over the last DAYS."""
    from rich.table import Table

    from opsdesk.store import checklists as store_checklists

    with store(ctx) as conn:
        today = _today(conn)
        start = today - timedelta(days=days - 1)
        rows = store_checklists.adherence_by_template(conn, start, today)
    table = Table("template", "shop", "adherence", "on time", "late", "missed", "skipped", box=None)
    for a in rows:
        table.add_row(
            plain(a.template_key),
            plain(a.shop_key or "store"),
            f"{a.ratio:.0%}" if a.ratio is not None else "—",
            str(a.on_time),
            str(a.late),
            str(a.missed),
            str(a.skipped),
        )
    click.echo(f"adherence {start} … {today}")
    console().print(table)


@checklists.group("campaign", invoke_without_command=True)
@click.pass_context
def campaign_group(ctx: click.Context) -> None:
    """Campaign days (618, 双11): campaign templates get one run per campaign."""
    if ctx.invoked_subcommand is not None:
        return
    from opsdesk.store import checklists as store_checklists

    with store(ctx) as conn:
        rows = store_checklists.list_campaigns(conn)
    for c in rows:
        click.echo(visible(f"{c.key:<16} {c.day}  {c.name}"))


@campaign_group.command("add")
@click.argument("key")
@click.option("--name", required=True, help="Display name, e.g. 618 or 双11.")
@click.option("--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.pass_context
@user_errors
def campaign_add(ctx: click.Context, key: str, name: str, day: datetime) -> None:
    """Add a campaign KEY on a date, e.g. `campaign add 618-2026 --name 618 --date 2026-06-18`."""
    from opsdesk.store import checklists as store_checklists

    with store(ctx) as conn:
        c = store_checklists.add_campaign(conn, key, name, day.date())
        result = store_checklists.ensure_runs(conn, _local_today(conn))
    click.echo(f"added campaign {c.key} ({c.name}) on {c.day}; {result.created} runs created")


def register(group: click.Group) -> None:
    group.add_command(checklists)
