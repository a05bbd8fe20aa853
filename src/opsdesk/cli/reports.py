"""Commands: `report daily|weekly|monthly`, `check` (alerts for the ops day, exit 0/1/2) and
`target set|list`."""

from __future__ import annotations

import sqlite3
from datetime import date

import click

from opsdesk.cli.common import CliError, console, store, user_errors
from opsdesk.domain.periods import Period
from opsdesk.domain.text import visible
from opsdesk.rich_text import plain

FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "md", "json", "csv"]),
    default="text",
    show_default=True,
    help="text: tables for the terminal; md: Markdown; json / csv: for other tools.",
)
SHOP_OPTION = click.option("--shop", "shop_keys", multiple=True, help="Only this shop (repeat).")


def _ops_day(conn: sqlite3.Connection) -> date:
    from opsdesk.clock import ops_day, system_clock
    from opsdesk.store import settings

    s = settings.read(conn)
    return ops_day(system_clock, s.timezone, s.day_cutoff_hour)


def _period(kind: str, key: str | None, conn: sqlite3.Connection) -> tuple[Period, date]:
    from opsdesk.domain import periods

    today = _ops_day(conn)
    if key is None:
        return periods.containing(kind, today), today
    return periods.parse(kind, key), today


def _emit(ctx: click.Context, kind: str, key: str | None, fmt: str, shops: tuple[str, ...]) -> None:
    from opsdesk.reports import writers
    from opsdesk.views.report import build_report

    with store(ctx) as conn:
        period, as_of = _period(kind, key, conn)
        report = build_report(conn, period, as_of=as_of, shop_keys=list(shops) or None)
    if fmt == "json":
        click.echo(writers.render_json(report), nl=False)
    elif fmt == "csv":
        click.echo(writers.render_csv(report), nl=False)
    elif fmt == "md":
        click.echo(writers.render_markdown(report), nl=False)
    else:
        out = console()
        for renderable in writers.render_text(report):
            out.print(renderable)


@click.group()
def report() -> None:
    """KPI reports per shop and for all shops: daily, weekly (with the GMV split), monthly."""


@report.command("daily")
@click.option("--date", "key", metavar="YYYY-MM-DD", help="Default: the ops day (yesterday).")
@FORMAT_OPTION
@SHOP_OPTION
@click.pass_context
@user_errors
def report_daily(ctx: click.Context, key: str | None, fmt: str, shop_keys: tuple[str, ...]) -> None:
    """One day against the day before, the same day last year and its targets."""
    _emit(ctx, "day", key, fmt, shop_keys)


@report.command("weekly")
@click.option("--week", "key", metavar="YYYY-Www", help="ISO week. Default: the ops day's week.")
@FORMAT_OPTION
@SHOP_OPTION
@click.pass_context
@user_errors
def report_weekly(
    ctx: click.Context, key: str | None, fmt: str, shop_keys: tuple[str, ...]
) -> None:
    """An ISO week (to date while it runs) against the week before and last year."""
    _emit(ctx, "week", key, fmt, shop_keys)


@report.command("monthly")
@click.option("--month", "key", metavar="YYYY-MM", help="Default: the ops day's month.")
@FORMAT_OPTION
@SHOP_OPTION
@click.pass_context
@user_errors
def report_monthly(
    ctx: click.Context, key: str | None, fmt: str, shop_keys: tuple[str, ...]
) -> None:
    """A calendar month (to date while it runs) against the month before and last year."""
    _emit(ctx, "month", key, fmt, shop_keys)


@click.command()
@click.option("--date", "key", metavar="YYYY-MM-DD", help="Default: the ops day (yesterday).")
@click.pass_context
@user_errors
def check(ctx: click.Context, key: str | None) -> None:
    """Print the alerts for the ops day and keep them in the store, and the triggered risks.

    Exit status: 0 no alert, 1 warnings only, 2 at least one red alert (a triggered risk with
    a major response level counts as red, a general one as a warning).
    """
    from opsdesk.cli.risks import triggered_lines
    from opsdesk.domain import periods
    from opsdesk.domain.alert_record import with_acks
    from opsdesk.domain.coverage import summary_name
    from opsdesk.store import settings
    from opsdesk.store.alerts import alerts_for_day, persist
    from opsdesk.views.standup import check_day

    with store(ctx) as conn:
        day = _ops_day(conn) if key is None else periods.parse("day", key).start
        alerts, cov = check_day(conn, day)
        persist(conn, alerts)
        alerts = with_acks(alerts, alerts_for_day(conn, day), settings.read(conn).timezone)
        risk_lines, major, general = triggered_lines(conn, day)
    if not alerts and not risk_lines:
        click.echo(f"{day.isoformat()}: no alerts")
        ctx.exit(0)
    for a in alerts:
        note = f" (acknowledged by {a.acked_by})" if a.acked_by else ""
        click.echo(visible(f"{a.severity.upper():<7} {a.rule_key:<24} {a.message}{note}"))
    for line in risk_lines:
        click.echo(visible(line))
    reds = sum(a.severity == "red" for a in alerts)
    summary = f"{day.isoformat()}: {reds} red, {len(alerts) - reds} warning"
    if risk_lines:
        summary += f"; {major + general} triggered risks ({major} major)"
    if cov.label:
        summary += f"; {summary_name(cov)}: {cov.not_reporting}"
    click.echo(visible(summary))
    ctx.exit(2 if reds or major else 1)


@click.group()
def target() -> None:
    """Targets per metric, for every shop or one, over a date range, with an amber band."""


def _amount(text: str, name: str, metric_unit: str) -> float:
    from opsdesk.io.values import parse_number

    try:
        value, _ = parse_number(text)
    except ValueError as e:
        raise ValueError(f"{name}: {e}") from None
    if metric_unit == "%" and not text.strip().endswith("%") and value > 1:
        raise ValueError(
            f"{name}: {text!r} for a percentage metric: write {text}% or {value / 100:g}"
        )
    return value


def _day_option(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    from opsdesk.domain import periods

    try:
        return periods.parse("day", text).start
    except ValueError as e:
        raise ValueError(f"{name}: {e}") from None


@target.command("set")
@click.argument("metric")
@click.argument("value")
@click.option("--shop", "shop_key", help="Only this shop. Default: every shop.")
@click.option("--from", "valid_from", metavar="YYYY-MM-DD", help="First day. Default: always.")
@click.option("--to", "valid_to", metavar="YYYY-MM-DD", help="Last day. Default: open-ended.")
@click.option("--amber", default="0", show_default=True, help="Tolerance on the bad side.")
@click.pass_context
@user_errors
def target_set(
    ctx: click.Context,
    metric: str,
    value: str,
    shop_key: str | None,
    valid_from: str | None,
    valid_to: str | None,
    amber: str,
) -> None:
    """Set METRIC's target to VALUE (`5%` is 0.05; summed metrics: per day)."""
    from opsdesk.domain.metrics import format_value
    from opsdesk.store.catalogue import load_metrics
    from opsdesk.store.targets import set_target

    with store(ctx) as conn:
        m = load_metrics(conn).get(metric)
        if m is None:
            raise CliError(f"metric: unknown metric {metric!r} (see `opsdesk metrics`)")
        t = set_target(
            conn,
            metric,
            _amount(value, "VALUE", m.unit),
            shop_key=shop_key,
            valid_from=_day_option(valid_from, "--from"),
            valid_to=_day_option(valid_to, "--to"),
            amber=_amount(amber, "--amber", m.unit),
        )
    scope = t.shop_key or "every shop"
    dates = f"{t.valid_from or '…'} to {t.valid_to or '…'}"
    per_day = " per day" if m.formula is None and m.aggregation == "sum" else ""
    click.echo(
        f"target #{t.id}: {metric} {format_value(m, t.value)}{per_day} (amber "
        f"{format_value(m, t.amber)}) for {scope}, {dates}"
    )


@target.command("list")
@click.option("--metric", "metric_key", help="Only this metric.")
@click.option("--shop", "shop_key", help="This shop's targets and the all-shops ones.")
@click.pass_context
def target_list(ctx: click.Context, metric_key: str | None, shop_key: str | None) -> None:
    """List targets: metric, shop, valid dates, value and amber band."""
    from rich.table import Table

    from opsdesk.domain.metrics import format_value
    from opsdesk.store.catalogue import load_metrics
    from opsdesk.store.targets import list_targets

    with store(ctx) as conn:
        metrics = load_metrics(conn)
        rows = list_targets(conn, metric_key, shop_key)
    table = Table("id", "metric", "shop", "from", "to", "target", "amber", box=None)
    for t in rows:
        m = metrics[t.metric_key]
        table.add_row(
            str(t.id),
            plain(t.metric_key),
            plain(t.shop_key or "(all)"),
            str(t.valid_from or "…"),
            str(t.valid_to or "…"),
            format_value(m, t.value),
            format_value(m, t.amber),
        )
    console().print(table)


def register(group: click.Group) -> None:
    for command in (report, check, target):
        group.add_command(command)
