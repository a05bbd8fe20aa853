"""The weekly review pack: the review's payload (a plain dict, what `--format json` prints and
what closing a review freezes) and its Markdown and HTML renderings.

Everything renders from the payload, so a closed review's pack is rendered from its frozen
copy and stays the same bytes after a later import. People's text (notes, decisions, action
texts, risk titles) is data: escaped for Markdown and HTML, never interpreted.
"""

from __future__ import annotations

import html
import json
import re
from decimal import Decimal
from typing import Any

from opsdesk.domain import review as rules
from opsdesk.domain.metrics import Metric, format_apart, format_value
from opsdesk.domain.text import json_safe, visible
from opsdesk.domain.times import local_label
from opsdesk.views.review import action_line

PAYLOAD_VERSION = 1


def _num(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def _money(x: Decimal) -> float:
    return float(x)


def payload(review: Any) -> dict[str, Any]:
    """The review (`opsdesk.views.review.Review`) as JSON-ready data; stable for a given store."""
    deck = []
    for e in review.deck:
        deck.append(
            {
                "metric": e.metric.key,
                "name": e.metric.name_en,
                "unit": e.metric.unit,
                "shop": e.shop,
                "weeks": [
                    {"key": p.key, "value": _num(p.value), "last_year": _num(p.last_year)}
                    for p in e.weeks
                ],
                "months": [
                    {"key": p.key, "value": _num(p.value), "last_year": _num(p.last_year)}
                    for p in e.months
                ],
                "summary": {k: _num(v) for k, v in e.summary.items()},
                "changes": {
                    name: _num(e.change(name).value) for name, *_ in rules.COMPARISONS[e.kind]
                },
                "target": _num(e.target),
                "status": e.status,
                "signals": list(e.signals),
                "exception": e.exception,
                "note": None
                if e.note is None
                else {
                    "text": e.note.note,
                    "investigating": e.note.investigating,
                    "by": e.note.written_by,
                    "at": e.note.written_at,
                },
                "earlier_notes": dict(sorted(e.earlier_notes.items())),
            }
        )
    splits = []
    for s in review.splits:
        d = s.decomposition
        splits.append(
            {
                "shop": s.shop,
                "split": None
                if d is None
                else {
                    "gmv_previous": _money(d.gmv_previous),
                    "gmv_current": _money(d.gmv_current),
                    "change": _money(d.change),
                    "visitors_effect": _money(d.visitors_effect),
                    "conversion_effect": _money(d.conversion_effect),
                    "aov_effect": _money(d.aov_effect),
                },
            }
        )
    meeting = review.meeting
    period = review.week
    return {
        "version": PAYLOAD_VERSION,
        period.kind: {
            "key": period.key,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
        "shops": [s.key for s in review.shops],
        "rule_set": review.rule_set,
        "deck": deck,
        "gmv_decomposition": splits,
        "traffic": [
            {
                "shop": t.shop,
                "metric": t.metric.key,
                "name": t.metric.name_en,
                "unit": t.metric.unit,
                "value": _num(t.value),
                "target": _num(t.target),
                "status": t.status,
            }
            for t in review.traffic
        ],
        "sop": [
            {
                "template": s.template,
                "shop": s.shop or None,
                "due": s.due,
                "on_time": s.on_time,
                "late": s.late,
                "missed": s.missed,
                "adherence": _num(s.ratio),
            }
            for s in review.sop
        ],
        "missed_runs": [
            {"template": t, "shop": shop or None, "day": d.isoformat()}
            for t, shop, d in review.missed_runs
        ],
        "pdca": list(review.pdca),
        "risks": [
            {"risk": r.key, "title": r.title, "owner": r.owner, "what": r.what, "detail": r.detail}
            for r in review.risks
        ],
        "timezone": review.timezone,
        "meeting": None
        if meeting is None
        else {
            "held_on": meeting.held_on.isoformat(),
            "attendees": list(meeting.attendees),
            "notes": meeting.notes,
            "cleared": None
            if meeting.cleared_by is None
            else {"by": meeting.cleared_by, "at": meeting.cleared_at},
        },
        "decisions": [
            {"number": d.number, "text": d.text, "by": d.decided_by, "at": d.decided_at}
            for d in review.decisions
        ],
        "actions": list(review.actions),
    }


def dumps(data: dict[str, Any]) -> str:
    """The canonical JSON text (the frozen copy and its hash are of exactly this)."""
    return json_safe(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)) + "\n"


def with_closed(data: dict[str, Any], closed: dict[str, str] | None) -> dict[str, Any]:
    """The payload with its `closed` block (`by`, `at`, `sha256`; null while open)."""
    return {**data, "closed": closed}


def only_shops(data: dict[str, Any], shops: list[str]) -> dict[str, Any]:
    """A frozen payload cut to some shops (their own entries; `all` stays every shop)."""
    keep = set(shops)

    def ok(shop: str | None) -> bool:
        return shop in keep

    out = dict(data)
    out["shops"] = [s for s in data["shops"] if s in keep]
    for section in ("deck", "gmv_decomposition", "traffic", "sop", "missed_runs"):
        out[section] = [x for x in data[section] if ok(x.get("shop"))]
    return out


# --- diff ---------------------------------------------------------------------------------


def diff(frozen: dict[str, Any], live: dict[str, Any]) -> list[str]:
    """Lines naming every deck figure that differs between the frozen and the live payload."""
    lines: list[str] = []
    now = {(e["metric"], e["shop"]): e for e in live["deck"]}
    for e in frozen["deck"]:
        other = now.get((e["metric"], e["shop"]))
        where = f"{e['metric']} {e['shop']}"
        if other is None:
            lines.append(f"{where}: no longer in the deck")
            continue
        m = Metric(e["metric"], e["name"], unit=e["unit"])
        cells = [
            (f"week {p['key']}", p, q) for p, q in zip(e["weeks"], other["weeks"], strict=False)
        ]
        cells += [
            (f"month {p['key']}", p, q) for p, q in zip(e["months"], other["months"], strict=False)
        ]
        for label, p, q in cells:
            for f in ("value", "last_year"):
                if not _same(p[f], q[f]):
                    name = label if f == "value" else f"{label} last year"
                    lines.append(f"{where} {name}: {_fmt(m, p[f])} → {_fmt(m, q[f])}")
        for f in rules.SUMMARY_FIELDS:
            if not _same(e["summary"][f], other["summary"][f]):
                old, new = e["summary"][f], other["summary"][f]
                lines.append(f"{where} {f}: {_fmt(m, old)} → {_fmt(m, new)}")
    return lines


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _fmt(m: Metric, v: float | None) -> str:
    return format_value(m, v)


# --- Markdown -----------------------------------------------------------------------------

_MD_SPECIAL = "\\`*_[]<>|#"


def md_text(text: str) -> str:
    """People's text for Markdown: special characters escaped, one line."""
    out = "".join("\\" + c if c in _MD_SPECIAL else c for c in visible(text))
    return " ".join(out.split())


_MD_MARKUP = re.compile(r"(?<!\\)\*\*|\\([\\`*_\[\]<>|#])")


def md_plain(text: str) -> str:
    """The pack's Markdown as plain text: its bold markers dropped, escapes undone (md_text)."""
    return _MD_MARKUP.sub(lambda m: m.group(1) or "", text)


def _metric(e: dict[str, Any]) -> Metric:
    return Metric(e["metric"], e["name"], unit=e["unit"])


STATUS_MARK = {"green": "✓", "amber": "!", "red": "✗", "none": "·", "stale": "?"}


def period_of(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(`week` or `month`, its key/start/end) of a payload."""
    kind = "month" if "month" in data else "week"
    return kind, data[kind]


def _to_date(kind: str) -> str:
    """The to-date value shown beside the period's own (MTD for a week, QTD for a month)."""
    return "mtd" if kind == "week" else "qtd"


def summary_headers(kind: str) -> list[str]:
    labels = [label for _, label, _, _ in rules.COMPARISONS[kind]]
    return [kind.title(), *labels[:2], _to_date(kind).upper(), *labels[2:], "Target", "Status"]


def summary_cells(e: dict[str, Any], kind: str = "week") -> list[str]:
    """The period's value, its changes (like for like for all shops: `changes`; a pack frozen
    before they were stored computes them from the summary), the to-date value, target and
    status of one deck entry, as summary_headers."""
    m, s = _metric(e), e["summary"]
    changes = e.get("changes")
    cells = [format_value(m, s[kind])]
    for i, (name, _, a, b) in enumerate(rules.COMPARISONS[kind]):
        if changes is not None:
            unit_kind = "pp" if m.unit == "%" else "pct"
            cells.append(rules.Change(unit_kind, changes[name]).text())
        else:
            cells.append(rules.change(m.unit, s[a], s[b]).text())
        if i == 1:
            cells.append(format_value(m, s[_to_date(kind)]))
    cells.append(format_value(m, e["target"]))
    cells.append(f"{STATUS_MARK.get(e['status'], '·')} {e['status']}")
    return cells


def has_values(e: dict[str, Any]) -> bool:
    """Whether a deck entry has any number at all (else it collapses to one line)."""
    points = [*e["weeks"], *e["months"]]
    return any(p["value"] is not None or p["last_year"] is not None for p in points) or any(
        v is not None for v in e["summary"].values()
    )


def _note_text(note: dict[str, Any] | None) -> str:
    if note is None:
        return ""
    if note["investigating"]:
        return "investigating" + (f": {note['text']}" if note["text"] else "")
    return str(note["text"])


def title(data: dict[str, Any]) -> str:
    """`Weekly review 2026-W47 (2026-11-16 … 2026-11-22)` (a month: `Monthly review …`)."""
    kind, w = period_of(data)
    name = "Monthly" if kind == "month" else "Weekly"
    return f"{name} review {w['key']} ({w['start']} … {w['end']})"


def when(data: dict[str, Any], at: str) -> str:
    """An instant of the payload as the store's wall time (a pack frozen before the payload
    carried its timezone: UTC, said so)."""
    tz = data.get("timezone")
    return local_label(at, tz) if tz else f"{local_label(at, 'UTC')} UTC"


def render_markdown(data: dict[str, Any]) -> str:
    kind, _ = period_of(data)
    headers = summary_headers(kind)
    lines = [f"# {title(data)}", ""]
    closed = data.get("closed")
    if closed:
        lines.append(
            f"Closed by {closed['by']} at {when(data, closed['at'])}"
            f" · sha256 {closed['sha256'][:12]}"
            " · figures as frozen"
        )
    else:
        lines.append("Open review: live figures")
    lines += [f"Shops: {', '.join(data['shops']) or '—'}", ""]
    meeting = data.get("meeting")
    if meeting:
        lines.append(f"Held on {meeting['held_on']}; attendees: {', '.join(meeting['attendees'])}")
        if meeting["notes"]:
            lines.append(f"Notes: {md_text(meeting['notes'])}")
        if meeting.get("cleared"):
            c = meeting["cleared"]
            lines.append(
                f"Rest of the deck cleared (nothing to see here): {c['by']} {when(data, c['at'])}"
            )
        lines.append("")

    lines += ["## Metric deck", ""]
    lines.append("| Metric | Shop | " + " | ".join(headers) + " | 6 weeks |")
    lines.append("|---|---|" + "---:|" * len(headers) + "---|")
    empty: list[str] = []
    for e in data["deck"]:
        if not has_values(e):
            empty.append(f"{md_text(e['name'])} ({e['shop']})")
            continue
        spark = rules.sparkline([p["value"] for p in e["weeks"]])
        lines.append(
            f"| {md_text(e['name'])} | {e['shop']} | "
            + " | ".join(summary_cells(e, kind))
            + f" | `{spark}` |"
        )
    if empty:
        lines += ["", f"No data in the 6-12 windows: {', '.join(empty)}."]
    lines.append("")

    lines += ["## Exceptions", "", f"Rules: {data['rule_set']}", ""]
    exceptions = [e for e in data["deck"] if e["exception"]]
    if not exceptions:
        lines.append("Nothing to see here: every metric within its target band.")
    for e in exceptions:
        m = _metric(e)
        why = [e["status"]] if e["status"] in ("red", "amber") else []
        why += e["signals"]
        note = _note_text(e["note"]) or "(no note yet)"
        value, target = format_apart(m, e["summary"][kind], e["target"])
        lines.append(
            f"- **{md_text(e['name'])}** ({e['shop']}): {value}"
            f" vs target {target} — {'; '.join(why)} — {md_text(note)}"
        )
    lines.append("")

    lines += ["## GMV decomposition (visitors × conversion × AOV, vs the week before)", ""]
    rows = [s for s in data["gmv_decomposition"] if s["split"] is not None]
    if not rows:
        lines.append("Undefined: no visitor counts behind the GMV.")
    else:
        lines.append("| Shop | GMV before | GMV | Change | Visitors | Conversion | AOV |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|")
        for s in rows:
            x = s["split"]
            lines.append(
                f"| {s['shop']} | {x['gmv_previous']:,.2f} | {x['gmv_current']:,.2f} | "
                f"{x['change']:+,.2f} | {x['visitors_effect']:+,.2f} | "
                f"{x['conversion_effect']:+,.2f} | {x['aov_effect']:+,.2f} |"
            )
    lines.append("")

    lines += ["## Traffic mix and paid ROI", ""]
    lines.append("| Shop | Metric | Week | Target | Status |")
    lines.append("|---|---|---:|---:|---|")
    for t in data["traffic"]:
        m = Metric(t["metric"], t["name"], unit=t["unit"])
        lines.append(
            f"| {t['shop']} | {md_text(t['name'])} | {format_value(m, t['value'])} | "
            f"{format_value(m, t['target'])} | {STATUS_MARK.get(t['status'], '·')} {t['status']} |"
        )
    lines.append("")

    lines += ["## SOP adherence", ""]
    if not data["sop"]:
        lines.append("No checklist runs due this week.")
    else:
        lines.append("| Template | Shop | Due | On time | Late | Missed | Adherence |")
        lines.append("|---|---|---:|---:|---:|---:|---:|")
        for s in data["sop"]:
            ratio = "—" if s["adherence"] is None else f"{s['adherence'] * 100:.0f}%"
            lines.append(
                f"| {s['template']} | {s['shop'] or '(store)'} | {s['due']} | {s['on_time']} | "
                f"{s['late']} | {s['missed']} | {ratio} |"
            )
    for r in data["missed_runs"]:
        lines.append(f"- missed: {r['template']} {r['shop'] or '(store)'} {r['day']}")
    lines.append("")

    lines += _section(
        "PDCA cycles",
        [md_text(str(c.get("line", c))) for c in data["pdca"]],
        f"Nothing moved this {kind}.",
        "- ",
    )
    lines += _section(
        "Risks",
        [
            f"{r['what']}: **{r['risk']}** {md_text(r['title'])} ({r['owner']}) — "
            f"{md_text(r['detail'])}"
            for r in data["risks"]
        ],
        "No new, triggered or due risks and no acceptance expiring.",
        "- ",
    )
    decisions = [f"{d['number']}. {md_text(d['text'])} ({d['by']})" for d in data["decisions"]]
    lines += _section("Decisions", decisions, "None recorded.")
    actions = [md_text(action_line(a)) for a in data["actions"]]
    lines += _section("Actions", actions, "None recorded.", "- ")
    return "\n".join(lines)


def _section(title: str, rows: list[str], empty: str, bullet: str = "") -> list[str]:
    """`## title`, then a line per row (or the `empty` sentence), then a blank line."""
    body = [bullet + r for r in rows] if rows else [empty]
    return [f"## {title}", "", *body, ""]


# --- HTML ---------------------------------------------------------------------------------


def _svg_chart(e: dict[str, Any], width: int = 360, height: int = 90) -> str:
    """The 6-12 chart as inline SVG: 6 weeks | 12 months, this year solid, last year dashed,
    the target as a marker on the week."""
    points = [*e["weeks"], *e["months"]]
    values = [v for p in points for v in (p["value"], p["last_year"]) if v is not None]
    if e["target"] is not None and not e["weeks"]:
        values.append(e["target"])
    if not values:
        return '<svg width="0" height="0"></svg>'
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    gap = 12
    n_w, n_m = len(e["weeks"]), len(e["months"])
    step = (width - gap - 10) / max(1, n_w + n_m - 1)

    def x(i: int) -> float:
        return 5 + i * step + (gap if i >= n_w else 0)

    def y(v: float) -> float:
        return 5 + (height - 10) * (1 - (v - lo) / span)

    def path(field: str, start: int, items: list[dict[str, Any]]) -> str:
        pts = [
            f"{x(start + i):.1f},{y(p[field]):.1f}"
            for i, p in enumerate(items)
            if p[field] is not None
        ]
        return " ".join(pts)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' role="img" aria-label="6-12 chart">',
        f'<line x1="{x(n_w) - gap / 2:.1f}" y1="0" x2="{x(n_w) - gap / 2:.1f}" y2="{height}"'
        ' stroke="#bbb"/>',
    ]
    for field, style in (("last_year", ' stroke-dasharray="3,3" stroke="#999"'), ("value", "")):
        for start, items in ((0, e["weeks"]), (n_w, e["months"])):
            pts = path(field, start, items)
            if pts:
                stroke = style or ' stroke="#1f5fa8"'
                parts.append(f'<polyline fill="none" stroke-width="1.5"{stroke} points="{pts}"/>')
    if e["target"] is not None and lo <= e["target"] <= hi:
        cy = y(e["target"])
        parts.append(
            f'<circle cx="{x(n_w - 1):.1f}" cy="{cy:.1f}" r="3" fill="none" stroke="#c0392b"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


_CSS = (
    "body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;"
    "margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
    "td:first-child,td:nth-child(2),th{text-align:left}.red{color:#c0392b}"
    ".amber{color:#b9770e}.green{color:#1e8449}"
)


def render_html(data: dict[str, Any]) -> str:
    """One self-contained file: no scripts, fonts or styles from anywhere; charts inline SVG."""

    def e_(text: str) -> str:
        return html.escape(visible(text))

    kind, w = period_of(data)
    name = f"{'Monthly' if kind == 'month' else 'Weekly'} review {w['key']}"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e_(name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e_(title(data))}</h1>",
    ]
    closed = data.get("closed")
    out.append(
        f"<p>Closed by {e_(closed['by'])} at {e_(when(data, closed['at']))} · sha256 "
        f"{e_(closed['sha256'][:12])}</p>"
        if closed
        else "<p>Open review: live figures</p>"
    )
    cleared = (data.get("meeting") or {}).get("cleared")
    if cleared:
        out.append(
            f"<p>Rest of the deck cleared (nothing to see here): {e_(cleared['by'])}"
            f" {e_(when(data, cleared['at']))}</p>"
        )
    out.append("<h2>Metric deck</h2><table><tr><th>Metric</th><th>Shop</th>")
    out.append("".join(f"<th>{h}</th>" for h in summary_headers(kind)) + "<th>6-12</th></tr>")
    for e in data["deck"]:
        cells = summary_cells(e, kind)
        cells_html = "".join(f"<td>{e_(c)}</td>" for c in cells[:-1])
        out.append(
            f"<tr><td>{e_(e['name'])}</td><td>{e_(e['shop'])}</td>{cells_html}"
            f'<td class="{e_(e["status"])}">{e_(cells[-1])}</td><td>{_svg_chart(e)}</td></tr>'
        )
    out.append("</table>")
    # The other sections with the Markdown pack's content, as preformatted plain text.
    for block in render_markdown(data).split("\n## ")[2:]:
        heading, _, body = block.partition("\n")
        out.append(f"<h2>{e_(heading)}</h2><pre>{e_(md_plain(body.strip()))}</pre>")
    out.append("</body></html>\n")
    return "\n".join(out)
