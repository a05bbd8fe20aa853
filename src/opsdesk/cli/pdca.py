"""Commands: `opsdesk pdca …`: open, list, show, edit, action add/done/drop, move, check, act,
follow-up (confirm a standard's follow-up check), arm (an A/B experiment's arms).

Bad input (an unknown cycle, metric, shop or stage, a refused gate, a change date outside its
range, a target in the wrong unit, an arm with more buyers than visitors) exits 1 with the
reason and changes nothing. Text fields are printed as typed, never as markup.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from typing import Any

import click

from opsdesk.cli.common import CliError, console, store, user_errors

FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)


def _today(conn: sqlite3.Connection) -> date:
    from opsdesk.store.settings import store_today

    return store_today(conn)


def _rules() -> Any:
    from opsdesk.config import ConfigError, load

    try:
        return load().pdca
    except ConfigError as e:
        raise CliError(str(e)) from None


def _day(text: str | None, name: str) -> date | None:
    from opsdesk.domain.pdca import parse_day

    return None if text is None else parse_day(text, name)


def _plain(text: str) -> Any:
    from opsdesk.rich_text import plain

    return plain(text)


def _echo_json(data: Any) -> None:
    from opsdesk.domain.text import json_safe

    click.echo(json_safe(json.dumps(data, ensure_ascii=False, indent=2)))


@click.group()
def pdca() -> None:
    """PDCA cycles: Plan → Do → Check → Act → Closed, with gates, action items and a Check
    computed from the store."""


@pdca.command("open")
@click.option("--title", default=None, help="What the cycle is about (default from the alert).")
@click.option("--metric", "metric_key", default=None, help="The metric it should move.")
@click.option("--shop", "shop_key", default=None, help="One shop (default: all shops).")
@click.option("--from-alert", "alert_id", type=int, default=None, help="A stored alert's id.")
@click.option("--owner", default=None, help="An OS login (default: you).")
@click.option("--problem", default="", help="The problem statement.")
@click.pass_context
@user_errors
def open_cmd(ctx: click.Context, **fields: Any) -> None:
    """Open a cycle at Plan; prints the new cycle's id first."""
    from opsdesk.store import pdca as store_pdca

    with store(ctx) as conn:
        c = store_pdca.open_cycle(conn, today=_today(conn), **fields)
    click.echo(str(c.id))
    out = console()
    out.print(
        _plain(
            f"opened cycle {c.id} at Plan: {c.title} ({c.metric_key}, {c.shop_label}, owner"
            f" {c.owner}); baseline {c.baseline_start}..{c.baseline_end}"
        )
    )


@pdca.command("list")
@click.option("--stage", default=None, help="Only this stage (plan, do, check, act, closed).")
@click.option("--shop", "shop_key", default=None)
@click.option("--owner", default=None)
@click.option("--metric", "metric_key", default=None)
@click.option("--all", "include_closed", is_flag=True, help="Closed cycles too.")
@FORMAT
@click.pass_context
@user_errors
def list_cmd(
    ctx: click.Context,
    stage: str | None,
    shop_key: str | None,
    owner: str | None,
    metric_key: str | None,
    include_closed: bool,
    fmt: str,
) -> None:
    """List cycles (open ones; --all adds the closed): id, stage, title, metric, shop, owner."""
    from rich.table import Table

    from opsdesk.domain import pdca as rules
    from opsdesk.store import pdca as store_pdca
    from opsdesk.views.pdca import card, cycle_json

    with store(ctx) as conn:
        if stage is not None:
            stage = rules.parse_stage(stage)
        if shop_key is not None:
            store_pdca._shop_id(conn, shop_key)
        if metric_key is not None:
            store_pdca._metric(conn, metric_key)
        cycles = store_pdca.list_cycles(
            conn,
            stage=stage,
            shop_key=shop_key,
            owner=owner,
            metric_key=metric_key,
            include_closed=include_closed,
        )
        today = _today(conn)
        cards = {c.id: card(conn, c, today) for c in cycles}
    if fmt == "json":
        _echo_json(
            [
                cycle_json(c)
                | {"days_in_stage": cards[c.id].days_in_stage, "overdue": cards[c.id].overdue}
                for c in cycles
            ]
        )
        return
    table = Table("id", "stage", "title", "metric", "shop", "owner", "in stage", box=None)
    for c in cycles:
        k = cards[c.id]
        table.add_row(
            str(c.id),
            rules.stage_name(c.stage) + (" · OVERDUE" if k.overdue else ""),
            _plain(c.title),
            c.metric_key,
            c.shop_label,
            c.owner,
            f"{k.days_in_stage} d",
        )
    console().print(table if cycles else "no cycles")


def _detail(ctx: click.Context, cycle_id: int) -> Any:
    from opsdesk.views.pdca import build_detail

    with store(ctx) as conn:
        return build_detail(conn, cycle_id, _today(conn), _rules())


def _check_lines(d: Any) -> list[str]:
    from opsdesk.views.pdca import check_lines

    return check_lines(d)


@pdca.command("show")
@click.argument("cycle_id", metavar="ID", type=int)
@FORMAT
@click.pass_context
@user_errors
def show_cmd(ctx: click.Context, cycle_id: int, fmt: str) -> None:
    """Everything about a cycle, with the check when it has a change date."""
    from opsdesk.domain.pdca import stage_name
    from opsdesk.views.pdca import detail_json

    d = _detail(ctx, cycle_id)
    if fmt == "json":
        _echo_json(detail_json(d))
        return
    c = d.cycle
    lines = [
        f"cycle {c.id}: {c.title}",
        f"stage: {stage_name(c.stage)}   owner: {c.owner}   metric: {c.metric_key}"
        f"   shop: {c.shop_label}",
        f"baseline: {c.baseline_start}..{c.baseline_end} = {d.fmt(c.baseline_value)}"
        + (" (frozen)" if c.baseline_frozen else ""),
        f"target: {d.fmt(c.target)}   change date: {c.change_date or '—'}",
    ]
    for label, text in (
        ("problem", c.problem),
        ("root cause", c.root_cause),
        ("hypothesis", c.hypothesis),
        ("plan", c.plan),
        ("scope", c.scope_note),
        ("decision", c.decision or ""),
        ("lesson", c.lesson),
    ):
        if text:
            lines.append(f"{label}: {text}")
    dues = ", ".join(f"{stage_name(s)} {v}" for s, v in c.due.items() if v)
    if dues:
        lines.append(f"due: {dues}")
    if d.sop:
        lines.append(f"standard: SOP {d.sop[0]} version {d.sop[1]}; follow-up {c.follow_up_on}")
    if c.parent_id:
        lines.append(f"iterates cycle {c.parent_id}")
    if d.children:
        lines.append("iterated by cycle " + ", ".join(str(i) for i in d.children))
    if d.next_stage:
        lines.append(
            f"to {stage_name(d.next_stage)}: "
            + ("ready" if not d.missing else "missing " + "; ".join(d.missing))
        )
    lines.append("actions:")
    marks = {"open": "[ ]", "done": "[x]", "dropped": "[-]"}
    for i in d.actions:
        lines.append(f"  {i.number}. {marks[i.status]} {i.text} — {i.owner}, due {i.due or '—'}")
    if not d.actions:
        lines.append("  none")
    lines.extend(_check_lines(d))
    lines.append("history:")
    for h in d.history:
        frm = stage_name(h.from_stage) + " → " if h.from_stage else ""
        reason = f" ({h.reason})" if h.reason else ""
        lines.append(f"  {h.at} {h.by}: {frm}{stage_name(h.to_stage)}{reason}")
    out = console()
    for line in lines:
        out.print(_plain(line))


@pdca.command("check")
@click.argument("cycle_id", metavar="ID", type=int)
@FORMAT
@click.pass_context
@user_errors
def check_cmd(ctx: click.Context, cycle_id: int, fmt: str) -> None:
    """The computed Check: before, after, change, target, signals, verdict, confounders."""
    from opsdesk.views.pdca import check_json

    d = _detail(ctx, cycle_id)
    if fmt == "json":
        if d.check is None:
            raise CliError(f"ID: cycle {cycle_id} has no change date yet (pdca edit --change-date)")
        _echo_json(check_json(d.check))
        return
    out = console()
    for line in _check_lines(d):
        out.print(_plain(line))
    if d.check is None:
        raise CliError(f"ID: cycle {cycle_id} has no change date yet (pdca edit --change-date)")


@pdca.command("edit")
@click.argument("cycle_id", metavar="ID", type=int)
@click.option("--title")
@click.option("--problem")
@click.option("--root-cause")
@click.option("--hypothesis")
@click.option("--plan")
@click.option("--scope", "scope_note", help="The scope note (a trial on 20% of SKUs first).")
@click.option("--owner")
@click.option("--target", help="In the metric's unit: 5% or 0.05 for a percentage.")
@click.option("--change-date", help="The day the change went live (YYYY-MM-DD).")
@click.option("--baseline", help="START..END (only at Plan: frozen when the cycle enters Do).")
@click.option("--metric", "metric_key", help="Only at Plan.")
@click.option("--shop", "shop_key", help="Only at Plan.")
@click.option("--decision", type=str, help="standardise, iterate or abandon.")
@click.option("--lesson")
@click.option("--due", "dues", multiple=True, metavar="STAGE=DATE", help="A stage's due date.")
@click.pass_context
@user_errors
def edit_cmd(ctx: click.Context, cycle_id: int, dues: tuple[str, ...], **options: Any) -> None:
    """Change a cycle's fields (only those given)."""
    from opsdesk.domain import pdca as rules
    from opsdesk.store import pdca as store_pdca
    from opsdesk.store.catalogue import load_metrics

    fields: dict[str, Any] = {k: v for k, v in options.items() if v is not None}
    with store(ctx) as conn:
        c = store_pdca.get(conn, cycle_id)
        if "target" in fields:
            metric = load_metrics(conn)[fields.get("metric_key", c.metric_key)]
            fields["target"] = rules.parse_target(metric, fields["target"])
        if "change_date" in fields:
            fields["change_date"] = _day(fields["change_date"], "--change-date")
        if "baseline" in fields:
            fields["baseline"] = rules.parse_window(fields["baseline"])
        for due in dues:
            stage, sep, day = due.partition("=")
            stage = rules.parse_stage(stage)
            if not sep or stage == "closed":
                raise ValueError(f"--due: {due!r} is not STAGE=YYYY-MM-DD (plan, do, check, act)")
            fields[f"due_{stage}"] = _day(day, "--due")
        if not fields:
            raise CliError("nothing to change: give at least one option (see --help)")
        new = store_pdca.edit(conn, cycle_id, today=_today(conn), **fields)
    click.echo(f"cycle {new.id}: updated " + ", ".join(sorted(k.replace("_", "-") for k in fields)))


@pdca.group("action")
def action() -> None:
    """A cycle's action items: add, done, drop."""


@action.command("add")
@click.argument("cycle_id", metavar="ID", type=int)
@click.argument("text")
@click.option("--owner", required=True, help="An OS login.")
@click.option("--due", default=None, help="YYYY-MM-DD.")
@click.pass_context
@user_errors
def action_add(ctx: click.Context, cycle_id: int, text: str, owner: str, due: str | None) -> None:
    """Add an action item to cycle ID."""
    from opsdesk.store import pdca as store_pdca

    with store(ctx) as conn:
        item = store_pdca.add_action(conn, cycle_id, text, owner, _day(due, "--due"))
    click.echo(f"cycle {cycle_id}: action {item.number} added")


def _close(ctx: click.Context, cycle_id: int, number: int, status: str) -> None:
    from opsdesk.store import actions
    from opsdesk.store import pdca as store_pdca

    with store(ctx) as conn:
        store_pdca.get(conn, cycle_id)
        try:
            actions.close(conn, "pdca", cycle_id, number, status)
        except actions.NoSuchItem as e:
            raise CliError(f"N: {e}") from None
    click.echo(f"cycle {cycle_id}: action {number} {status}")


@action.command("done")
@click.argument("cycle_id", metavar="ID", type=int)
@click.argument("number", metavar="N", type=int)
@click.pass_context
@user_errors
def action_done(ctx: click.Context, cycle_id: int, number: int) -> None:
    """Mark action item N of cycle ID done."""
    _close(ctx, cycle_id, number, "done")


@action.command("drop")
@click.argument("cycle_id", metavar="ID", type=int)
@click.argument("number", metavar="N", type=int)
@click.pass_context
@user_errors
def action_drop(ctx: click.Context, cycle_id: int, number: int) -> None:
    """Drop action item N of cycle ID (it stays listed, marked dropped)."""
    _close(ctx, cycle_id, number, "dropped")


@pdca.command("move")
@click.argument("cycle_id", metavar="ID", type=int)
@click.argument("stage", metavar="STAGE")
@click.option("--reason", default=None, help="Required to move back a stage.")
@click.pass_context
@user_errors
def move_cmd(ctx: click.Context, cycle_id: int, stage: str, reason: str | None) -> None:
    """Move cycle ID to STAGE (the next one, or back with --reason); refused with the unmet
    gate."""
    from opsdesk.domain import pdca as rules
    from opsdesk.store import pdca as store_pdca

    to = rules.parse_stage(stage)
    with store(ctx) as conn:
        old = store_pdca.get(conn, cycle_id)
        new = store_pdca.move(conn, cycle_id, to, today=_today(conn), reason=reason)
    click.echo(f"cycle {new.id}: {rules.stage_name(old.stage)} → {rules.stage_name(new.stage)}")


@pdca.command("act")
@click.argument("cycle_id", metavar="ID", type=int)
@click.option("--decision", required=True, type=click.Choice(["standardise", "iterate", "abandon"]))
@click.option("--lesson", required=True, help="The lesson learnt (kept whatever the decision).")
@click.option("--sop", "sop_key", default=None, help="standardise: the SOP template to version.")
@click.pass_context
@user_errors
def act_cmd(
    ctx: click.Context, cycle_id: int, decision: str, lesson: str, sop_key: str | None
) -> None:
    """Decide and close cycle ID (at Check or Act)."""
    from opsdesk.store import pdca as store_pdca

    with store(ctx) as conn:
        r = store_pdca.act(
            conn, cycle_id, today=_today(conn), decision=decision, lesson=lesson, sop_key=sop_key
        )
    click.echo(f"cycle {cycle_id}: closed, decision {decision}")
    if r.sop:
        click.echo(
            f"SOP {r.sop[0]} version {r.sop[1]} records cycle {cycle_id};"
            f" follow-up check due {r.cycle.follow_up_on}"
        )
    if r.new_cycle:
        c = r.new_cycle
        click.echo(
            f"opened cycle {c.id} at Plan (iterates {cycle_id}):"
            f" baseline {c.baseline_start}..{c.baseline_end}"
        )


@pdca.command("follow-up")
@click.argument("cycle_id", metavar="ID", type=int)
@click.argument("result", type=click.Choice(["held", "lost"]))
@click.option("--note", default="", help="What the follow-up found.")
@click.pass_context
@user_errors
def follow_up_cmd(ctx: click.Context, cycle_id: int, result: str, note: str) -> None:
    """Confirm the follow-up check of standardised cycle ID: the gain held, or was lost
    (`pdca show ID` gives the computed comparison and a suggestion)."""
    from opsdesk.store import pdca as store_pdca

    with store(ctx) as conn:
        c = store_pdca.confirm_follow_up(
            conn, cycle_id, today=_today(conn), result=result, note=note
        )
    click.echo(f"cycle {cycle_id}: follow-up check confirmed, gain {c.follow_up_result}")


@pdca.command("arm")
@click.argument("cycle_id", metavar="ID", type=int)
@click.argument("arm", type=click.Choice(["A", "B", "a", "b"]))
@click.argument("visitors", type=int)
@click.argument("buyers", type=int)
@click.option("--label", default="", help="What the arm is (control, new images…).")
@click.pass_context
@user_errors
def arm_cmd(
    ctx: click.Context, cycle_id: int, arm: str, visitors: int, buyers: int, label: str
) -> None:
    """Record an A/B experiment arm: its visitors and buyers (or the metric's own
    denominator and numerator)."""
    from opsdesk.store import pdca as store_pdca

    with store(ctx) as conn:
        a = store_pdca.set_arm(conn, cycle_id, arm, visitors, buyers, label)
    click.echo(f"cycle {cycle_id}: arm {a.arm} {a.numerator}/{a.denominator}")


def register(group: click.Group) -> None:
    group.add_command(pdca)
