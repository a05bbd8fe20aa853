"""Commands: `opsdesk risk …`: the register, one risk, adding from TOML, scoring, reviews,
contingency and drill runs, and the heat map as text.

Text from people (titles, notes) is printed as plain text, never as markup. Bad input exits 1
(2 for a file, with `file:line: field: reason` for every problem) and changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from opsdesk.cli.common import CliError, store, user_errors
from opsdesk.domain.text import json_safe, spreadsheet_safe, visible

FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "csv"]),
    default="text",
    show_default=True,
    help="text for the terminal; json / csv for other tools.",
)


def _today(conn: sqlite3.Connection) -> date:
    from opsdesk.store.settings import store_today

    return store_today(conn)


def _day(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name}: {text!r} is not a date (YYYY-MM-DD)") from None


@click.group()
def risk() -> None:
    """The risk register: 5×5 scores, KRIs, reviews, contingencies and drills."""


@risk.command("list")
@click.option("--level", default=None, help="low, medium or high (inherent; see --residual).")
@click.option("--residual", is_flag=True, help="Level and scores after mitigation.")
@click.option("--category", default=None, help="A category key (policy, platform, …).")
@click.option("--owner", default=None, help="An owner's login.")
@click.option("--status", default=None, help="open, triggered or closed.")
@click.option("--due", is_flag=True, help="Only risks whose review is due or overdue.")
@click.option("--sort", "sort_by", default="score", help="score, level, next_review, owner, key.")
@FORMAT
@click.pass_context
@user_errors
def list_cmd(
    ctx: click.Context,
    level: str | None,
    residual: bool,
    category: str | None,
    owner: str | None,
    status: str | None,
    due: bool,
    sort_by: str,
    fmt: str,
) -> None:
    """The register, highest score first; `!` triggered, `R` review overdue, `D` drill overdue."""
    from opsdesk.views import risks as views

    with store(ctx) as conn:
        today = _today(conn)
        register = views.build_register(
            conn, today, with_kris=fmt == "json", with_triggers=fmt == "json"
        )
    rows = views.filter_rows(
        register.rows,
        level=level,
        residual=residual,
        category=category,
        owner=owner,
        status=status,
        due=due,
    )
    rows = views.sort_rows(rows, sort_by, residual)
    if fmt == "json":
        click.echo(
            json_safe(json.dumps([views.risk_dict(r) for r in rows], ensure_ascii=False, indent=2))
        )
        return
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(views.CSV_COLUMNS)
        writer.writerows([spreadsheet_safe(c) for c in views.csv_row(r)] for r in rows)
        click.echo(buf.getvalue(), nl=False)
        return
    click.echo(f"{len(rows)} risks (today {today})")
    for r in rows:
        s = r.score(residual)
        moved = {"up": "↑", "down": "↓"}.get(r.moved(residual), " ")
        click.echo(
            visible(
                f"{r.marks:<3}{r.key:<32} {s.value:>2} {s.level:<6}{moved} {r.risk.status:<9} "
                f"{r.risk.owner:<14} review {r.risk.next_review}  {r.risk.title}"
            )
        )


@risk.command("show")
@click.argument("key")
@FORMAT
@click.pass_context
@user_errors
def show_cmd(ctx: click.Context, key: str, fmt: str) -> None:
    """One risk: scores, KRIs with their values, triggers, reviews, runs."""
    from opsdesk.domain.checklists import local_label
    from opsdesk.domain.risks import CATEGORIES, RESPONSE_LEVEL_LABELS
    from opsdesk.store import settings
    from opsdesk.views import risks as views

    with store(ctx) as conn:
        today = _today(conn)
        d = views.build_detail(conn, key, today)
        tz = settings.read(conn).timezone
    if fmt == "json":
        click.echo(json_safe(json.dumps(views.detail_dict(d), ensure_ascii=False, indent=2)))
        return
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(views.CSV_COLUMNS)
        writer.writerow([spreadsheet_safe(c) for c in views.csv_row(d.row)])
        click.echo(buf.getvalue(), nl=False)
        return
    r = d.risk
    lines = [
        f"{r.key}: {r.title}",
        f"category {CATEGORIES[r.category]} · owner {r.owner} · status {r.status}"
        + (" · REVIEW OVERDUE" if d.row.overdue else ""),
        f"inherent {r.inherent.likelihood}×{r.inherent.impact} = {r.inherent.value} "
        f"{r.inherent.level} · residual {r.residual.likelihood}×{r.residual.impact} = "
        f"{r.residual.value} {r.residual.level}",
        f"response {r.response} · level {RESPONSE_LEVEL_LABELS[r.response_level]}"
        + (f" · accepted until {r.accept_until} ({d.row.acceptance})" if r.accept_until else ""),
        f"review every {r.review_days} days · next {r.next_review} · drill every "
        f"{r.drill_days} days · last drill {r.last_drill or '—'} · next drill "
        f"{r.next_drill or '—'}",
    ]
    for label, text in (
        ("description", r.description),
        ("mitigation", r.mitigation),
        (
            "contingency",
            r.contingency + (f" [SOP {r.contingency_sop}]" if r.contingency_sop else ""),
        ),
    ):
        if text.strip():
            lines.append(f"{label}: {text}")
    lines.append(f"KRIs (ops day {today - timedelta(days=1)}):")
    for k in d.row.kris:
        lines.append(
            f"  {'BREACHED' if k.breached else 'ok      '} {k.rule}: {k.shop} {k.value_text}"
        )
    if not d.row.kris:
        lines.append("  none")
    lines.append(f"triggers: {len(d.row.triggers)}")
    lines.extend(f"  {t.day} {t.message}" for t in d.row.triggers[:10])
    lines.append("score history:")
    for v in d.reviews:
        note = f" — {v.note}" if v.note else ""
        lines.append(
            f"  {local_label(datetime.fromisoformat(v.at), tz)} {v.kind:<6} {v.by:<12} "
            f"{views.review_scores(v)} next {v.next_review}{note}"
        )
    lines.append(f"runs: {len(d.runs)}")
    lines.extend(f"  {views.run_line(x, tz)}" for x in d.runs)
    click.echo(visible("\n".join(lines)))  # titles, notes and trigger messages are stored text


@risk.command("add")
@click.argument("file", type=click.Path(dir_okay=True, path_type=Path))
@click.pass_context
@user_errors
def add_cmd(ctx: click.Context, file: Path) -> None:
    """Add risks from a TOML FILE of [[risk]] tables, all or nothing."""
    from opsdesk.domain.risk_files import RegisterFileError
    from opsdesk.store import risks as store_risks

    with store(ctx) as conn:
        try:
            new = store_risks.read_register_file(conn, file, _today(conn))
        except RegisterFileError as e:
            n = len(e.problems)
            raise CliError(
                f"{file}: rejected, {n} problem{'s' if n != 1 else ''}; nothing was added\n"
                + "\n".join(e.problems),
                exit_code=2,
            ) from None
        added = store_risks.add_risks(conn, new, source=file.name)
    shown = ", ".join(added[:10]) + (f", … ({len(added) - 10} more)" if len(added) > 10 else "")
    click.echo(f"{file}: added {len(added)} risk{'s' if len(added) != 1 else ''}: {shown}")


@risk.command("score")
@click.argument("key")
@click.option("--likelihood", type=int, required=True)
@click.option("--impact", type=int, required=True)
@click.option("--residual-likelihood", type=int, default=None)
@click.option("--residual-impact", type=int, default=None)
@click.option("--note", required=True, help="Why the score changed.")
@click.pass_context
@user_errors
def score_cmd(
    ctx: click.Context,
    key: str,
    likelihood: int,
    impact: int,
    residual_likelihood: int | None,
    residual_impact: int | None,
    note: str,
) -> None:
    """Re-score a risk (1–5 each); recorded in its score history."""
    from opsdesk.domain.risks import Score
    from opsdesk.store import risks as store_risks

    if (residual_likelihood is None) != (residual_impact is None):
        raise CliError("give both --residual-likelihood and --residual-impact, or neither")
    residual = (
        Score(residual_likelihood, residual_impact)
        if residual_likelihood is not None and residual_impact is not None
        else None
    )
    with store(ctx) as conn:
        new = store_risks.rescore(
            conn, key, Score(likelihood, impact), residual, note, _today(conn)
        )
    click.echo(
        f"{key}: inherent {new.inherent.value} {new.inherent.level}, residual "
        f"{new.residual.value} {new.residual.level}; next review {new.next_review}"
    )


@risk.command("review")
@click.argument("key")
@click.option("--note", required=True, help="What was looked at and decided.")
@click.option("--next", "next_text", metavar="YYYY-MM-DD", help="Default: today + cadence.")
@click.option("--accept-until", "accept_text", metavar="YYYY-MM-DD", help="Renew an acceptance.")
@click.option("--status", default=None, help="open or closed (default: triggered → open).")
@click.pass_context
@user_errors
def review_cmd(
    ctx: click.Context,
    key: str,
    note: str,
    next_text: str | None,
    accept_text: str | None,
    status: str | None,
) -> None:
    """Record a review of KEY and set its next review date."""
    from opsdesk.store import risks as store_risks

    next_review = _day(next_text, "--next")
    accept_until = _day(accept_text, "--accept-until")
    with store(ctx) as conn:
        new = store_risks.review(
            conn,
            key,
            note,
            _today(conn),
            next_review=next_review,
            accept_until=accept_until,
            status=status,
        )
    click.echo(f"{key}: reviewed; status {new.status}, next review {new.next_review}")


def _start(ctx: click.Context, key: str, purpose: str, shop: str | None) -> None:
    from opsdesk.store import risks as store_risks
    from opsdesk.store.checklists import get_run

    with store(ctx) as conn:
        run_id = store_risks.start_linked_run(conn, key, purpose, _today(conn), shop_key=shop)
        items = " ".join(str(i.position) for i in get_run(conn, run_id).items)
    recorded = "its time to respond" + (
        " and the risk's last and next drill" if purpose == "drill" else ""
    )
    click.echo(
        f"{key}: started {purpose} run {run_id} (see `opsdesk checklists show {run_id}`; "
        f"tick it with `opsdesk checklists tick {run_id} {items}` or in area 4: once done, "
        f"{recorded} are recorded)"
    )


@risk.command("contingency")
@click.argument("key")
@click.option("--shop", default=None, help="For a per-shop SOP (default: the trigger's shop).")
@click.pass_context
@user_errors
def contingency_cmd(ctx: click.Context, key: str, shop: str | None) -> None:
    """Start the risk's contingency SOP as a checklist run linked to it."""
    _start(ctx, key, "contingency", shop)


@risk.command("drill")
@click.argument("key")
@click.pass_context
@user_errors
def drill_cmd(ctx: click.Context, key: str) -> None:
    """Start a risk-drill run linked to the risk. When its last item is ticked, its time to
    respond is stored and the risk's last drill (the run's day) and next drill (+ drill_days)
    are set, with who and when."""
    _start(ctx, key, "drill", None)


@risk.command("heatmap")
@click.option("--residual", is_flag=True, help="Scores after mitigation.")
@click.pass_context
def heatmap_cmd(ctx: click.Context, residual: bool) -> None:
    """The 5×5 grid as text (count per cell, level letter), for a terminal or a report."""
    from opsdesk.views import risks as views

    with store(ctx) as conn:
        register = views.build_register(conn, _today(conn))
    click.echo(views.heatmap_text(views.build_heatmap(register.rows, residual)), nl=False)


def triggered_lines(conn: sqlite3.Connection, day: date) -> tuple[list[str], int, int]:
    """For `opsdesk check`: evaluate the KRIs of `day`; lines for the triggered risks, and how
    many are major (red) and general (warning)."""
    from opsdesk.views import risks as views

    today = _today(conn)
    standup = views.build_standup_risks(conn, day, today)
    lines: list[Any] = []
    major = general = 0
    for r in standup.triggered:
        is_major = r.risk.response_level == "major"
        major += is_major
        general += not is_major
        what = r.last_trigger.message if r.last_trigger else ""
        lines.append(
            f"{'RED' if is_major else 'WARNING':<7} risk {r.key:<28} triggered "
            f"({r.risk.response_level}): {what}"
        )
    return lines, major, general


def register(group: click.Group) -> None:
    group.add_command(risk)
