"""Report writers: JSON, CSV, Markdown and rich tables for the terminal.

JSON (`to_dict`) is the reference shape, documented in the README: ratios as fractions
(0.038 for 3.8%), `null` where a value is undefined, money in CNY with two decimals in the GMV
decomposition. Text and Markdown show values the way people read them (3.80%, 12,345).

Names come from people (shops, metrics): text, Markdown and CSV show their control characters
visibly (`opsdesk.domain.text`), Markdown escapes its own syntax in them and CSV writes a cell
that starts like a formula as text. JSON keeps the raw strings (a reader of JSON gets the data
as stored): `json.dumps` escapes control characters itself (`\\u001b`), and `json_safe` the C1
and bidi ones it leaves raw.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

from opsdesk.domain.decomposition import Decomposition
from opsdesk.domain.kpis import Kpi
from opsdesk.domain.metrics import format_value
from opsdesk.domain.text import json_safe, spreadsheet_safe, visible
from opsdesk.rich_text import plain
from opsdesk.views.report import Report, ShopReport, Span

FORMATS = ("text", "md", "json", "csv")
CSV_COLUMNS = (
    "period_kind", "period_key", "shop", "metric", "unit", "value", "previous", "change",
    "last_year", "change_year", "target", "status",
)  # fmt: skip
STATUS_STYLE = {"green": "green", "amber": "yellow", "red": "bold red", "stale": "magenta",
                "none": "dim"}  # fmt: skip


def _num(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def _span(s: Span) -> dict[str, str]:
    return {"key": s.period.key, "start": s.start.isoformat(), "end": s.end.isoformat()}


def _kpi(k: Kpi) -> dict[str, Any]:
    return {
        "key": k.metric.key,
        "name": k.metric.name_en,
        "unit": k.metric.unit,
        "value": _num(k.value),
        "previous": _num(k.previous),
        "change": _num(k.change),
        "last_year": _num(k.last_year),
        "change_year": _num(k.change_year),
        "target": _num(k.target),
        "status": k.status,
    }


def _decomposition(d: Decomposition | None) -> dict[str, Any] | None:
    if d is None:
        return None

    def money(x: Decimal) -> float:
        return float(x)

    return {
        "method": d.method,
        "gmv_previous": money(d.gmv_previous),
        "gmv_current": money(d.gmv_current),
        "change": money(d.change),
        "visitors_effect": money(d.visitors_effect),
        "conversion_effect": money(d.conversion_effect),
        "aov_effect": money(d.aov_effect),
    }


def _shop(s: ShopReport) -> dict[str, Any]:
    return {
        "shop": s.shop_key,
        "name": s.shop_name,
        "platform": s.platform,
        "has_data": s.has_data,
        "state": s.state,
        "metrics": [_kpi(k) for k in s.kpis],
        "gmv_decomposition": _decomposition(s.decomposition),
    }


def _total(report: Report) -> dict[str, Any]:
    out = _shop(report.total)
    out["reporting"] = list(report.total.reporting)
    return out


def to_dict(report: Report) -> dict[str, Any]:
    p = report.period
    return {
        "period": {
            "kind": p.kind,
            "key": p.key,
            "start": p.start.isoformat(),
            "end": p.end.isoformat(),
            "to_date": report.current.end.isoformat(),
            "complete": report.complete,
        },
        "previous": _span(report.previous),
        "last_year": _span(report.last_year),
        "shops": [_shop(s) for s in report.shops],
        "total": _total(report),
    }


def render_json(report: Report) -> str:
    return json_safe(json.dumps(to_dict(report), ensure_ascii=False, indent=2)) + "\n"


def render_csv(report: Report) -> str:
    """One row per shop and metric (the all-shops rows last, shop `all`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in [*report.shops, report.total]:
        for k in s.kpis:
            row = _kpi(k)
            cells = [report.period.kind, report.period.key, s.shop_key, k.metric.key] + [
                "" if row[c] is None else row[c] for c in CSV_COLUMNS[4:]
            ]
            writer.writerow([spreadsheet_safe(c) for c in cells])
    return out.getvalue()


def shown(s: ShopReport) -> list[Kpi]:
    """The lines worth a person's attention: a value, a comparison or a target."""
    return [
        k for k in s.kpis if k.value is not None or k.previous is not None or k.target is not None
    ]


def _title(report: Report) -> str:
    p = report.period
    to_date = "" if report.complete else f", to date ({report.current.end.isoformat()})"
    span = p.key if p.kind == "day" else f"{p.key}: {p.start.isoformat()} – {p.end.isoformat()}"
    return f"{p.kind.capitalize()} report {span}{to_date}"


def _cells(k: Kpi) -> list[str]:
    m = k.metric
    return [
        format_value(m, k.value),
        format_value(m, k.previous),
        _pct(k.change),
        format_value(m, k.last_year),
        format_value(m, k.target),
        k.status,
    ]


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:+.1f}%"


def _decomposition_lines(d: Decomposition | None, compared: str) -> list[str]:
    if d is None:
        return [f"GMV split vs {compared}: undefined (needs visitors, buyers and GMV both times)"]
    return [
        f"GMV {d.gmv_previous:,.2f} → {d.gmv_current:,.2f} ({d.change:+,.2f}) vs {compared}, "
        f"split by {d.method}:",
        f"  visitors {d.visitors_effect:+,.2f} · conversion {d.conversion_effect:+,.2f} · "
        f"AOV {d.aov_effect:+,.2f}",
    ]


HEADERS = ("Metric", "Value", "Previous", "Change", "Last year", "Target", "Status")


def render_markdown(report: Report) -> str:
    lines = [f"# {_title(report)}", ""]
    lines.append(
        f"Compared with {report.previous.period.key} and last year {report.last_year.period.key}."
    )
    for s in [*report.shops, report.total]:
        lines += ["", f"## {_md(s.shop_name)} (`{visible(s.shop_key)}`)", ""]
        if note := _day_note(report, s):
            lines += [note, ""]
        lines.append("| " + " | ".join(HEADERS) + " |")
        lines.append("|" + "|".join(["---"] + ["---:"] * 5 + ["---"]) + "|")
        for k in shown(s):
            lines.append("| " + " | ".join([_md(k.metric.name_en), *_cells(k)]) + " |")
        if report.period.kind != "day":
            lines += [""] + _decomposition_lines(s.decomposition, report.previous.period.key)
    return "\n".join(lines) + "\n"


def _day_note(report: Report, s: ShopReport) -> str:
    """Why a shop's (or the total's) last day does not count in full, or ''."""
    day = report.current.end.isoformat()
    if s is report.total:
        if s.state == "missing":
            return f"No shop reported {day}: every KPI is stale."
        if s.state == "partial" and report.coverage is not None:
            return (
                f"{report.coverage.label} on {day} ({visible(report.coverage.not_reporting)}): "
                "the shops that reported, compared like for like."
            )
        return ""
    if s.state == "missing":
        return f"No data for {day}: every KPI is stale."
    if s.state == "partial":
        return f"Partial data for {day}: the KPIs without a value are stale."
    return ""


_MD_SYNTAX = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|~&"})


def _md(text: str) -> str:
    """A name as Markdown shows it literally: control characters visible, syntax escaped."""
    return visible(text).replace("\n", " ").translate(_MD_SYNTAX)


def render_text(report: Report) -> list[Any]:
    """Rich renderables: a title, then one table per shop and one for all shops."""
    from rich.table import Table
    from rich.text import Text

    out: list[Any] = [Text(_title(report), style="bold"), Text("")]
    for s in [*report.shops, report.total]:
        title = plain(f"{s.shop_name} ({s.shop_key})", style="bold")
        if note := _day_note(report, s):
            title.append(f" — {note}", style="magenta")
        table = Table(*HEADERS, title=title, title_justify="left", box=None, pad_edge=False)
        for column in table.columns[1:6]:
            column.justify = "right"
        for k in shown(s):
            cells = _cells(k)
            table.add_row(
                plain(k.metric.name_en),
                *cells[:-1],
                Text(cells[-1], STATUS_STYLE[k.status]),
            )
        out.append(table)
        if report.period.kind != "day":
            compared = report.previous.period.key
            out.append(Text("\n".join(_decomposition_lines(s.decomposition, compared))))
        out.append(Text(""))
    return out
