"""Command: `search TEXT`: what people wrote (notes, skip reasons…), ranked, matches marked."""

from __future__ import annotations

import json

import click

from opsdesk.cli.common import console, since_day, store, text_or_json, user_errors
from opsdesk.domain.text import json_safe


@click.command("search")
@click.argument("text")
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    help="Only this kind (repeat): notes, decisions, actions, cycles, risks, checklists.",
)
@click.option("--since", metavar="YYYY-MM-DD", help="Only what was written from this day on.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option("--format", "fmt", default="text", show_default=True, help="text or json.")
@click.pass_context
@user_errors
def search(
    ctx: click.Context,
    text: str,
    kinds: tuple[str, ...],
    since: str | None,
    limit: int,
    fmt: str,
) -> None:
    """Search every text people wrote. Three characters or more use the full-text index
    (any substring, Chinese too); shorter words are matched by a scan."""
    from opsdesk.views.search import find

    text_or_json(fmt)
    day = since_day(since)
    with store(ctx) as conn:
        rows = find(conn, text, kinds=list(kinds) or None, since=day, limit=limit)
    if fmt == "json":
        doc = [
            {
                "kind": r.kind,
                "object": {"type": r.object_type, "id": r.object_id, "part": r.part},
                "label": r.object_label,
                "who": None if r.who == "—" else r.who,
                "at": r.at.isoformat(),
                "when": r.when,
                "text": r.body,
                "matches": [list(s) for s in r.spans],
                "score": round(r.score, 6),
            }
            for r in rows
        ]
        click.echo(json_safe(json.dumps(doc, ensure_ascii=False, indent=2)))
        return
    from rich.text import Text

    from opsdesk.domain.text import visible

    out = console()
    for r in rows:
        head = Text(visible(f"{r.kind:<10} {r.when}  {r.who}  "), style="dim")
        head.append(Text(visible(r.object_label), style="bold"))
        shown = visible(r.body)  # stored text: control characters shown, never obeyed
        body = Text("  " + shown)
        if len(shown) == len(r.body):  # else the match offsets no longer line up
            for a, b in r.spans:
                body.stylize("reverse", a + 2, b + 2)
        out.print(head)
        out.print(body)
    click.echo(f"{len(rows)} match{'es' if len(rows) != 1 else ''}", err=True)


def register(group: click.Group) -> None:
    group.add_command(search)
