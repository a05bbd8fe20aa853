"""The review pack as an XLSX workbook (what a manager forwards), written with pandas over
openpyxl: a sheet per section, numbers as numbers with percentage and money formats, frozen
header rows. pandas is imported here only, when a workbook is asked for.

Text cells that start like a formula are written as text (domain.text.spreadsheet_safe).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opsdesk.domain import review as rules
from opsdesk.domain.text import spreadsheet_safe

MONEY = "#,##0.00"
PERCENT = "0.00%"
NUMBER = "#,##0.##"
NUMBER_COLUMNS = (*rules.SUMMARY_FIELDS, *rules.MONTH_SUMMARY_FIELDS)
"""Summary columns in the metric's own format (the `change_*` columns are left general:
relative changes and point differences do not share the metric's unit)."""


def _text(v: Any) -> Any:
    return spreadsheet_safe(v)


def _number_format(unit: str) -> str:
    return {"%": PERCENT, "CNY": MONEY}.get(unit, NUMBER)


def _deck_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for e in data["deck"]:
        s = e["summary"]
        row: dict[str, Any] = {
            "metric": e["metric"],
            "name": _text(e["name"]),
            "unit": e["unit"],
            "shop": e["shop"],
        }
        row.update(s)  # a week's or a month's summary fields
        row.update({f"change_{k}": v for k, v in e.get("changes", {}).items()})
        row["target"] = e["target"]
        row["status"] = e["status"]
        note = e["note"]
        row["note"] = None if note is None else _text(note["text"] or "investigating")
        rows.append(row)
    return rows


def _series_rows(data: dict[str, Any], part: str) -> list[dict[str, Any]]:
    return [
        {
            "metric": e["metric"],
            "unit": e["unit"],
            "shop": e["shop"],
            "key": p["key"],
            "value": p["value"],
            "last_year": p["last_year"],
        }
        for e in data["deck"]
        for p in e[part]
    ]


def write_xlsx(data: dict[str, Any], path: Path) -> None:
    """Write the pack's workbook to `path`."""
    import pandas as pd

    sheets: dict[str, pd.DataFrame] = {
        "Deck": pd.DataFrame(_deck_rows(data)),
        "Weeks": pd.DataFrame(_series_rows(data, "weeks")),
        "Months": pd.DataFrame(_series_rows(data, "months")),
        "GMV split": pd.DataFrame(
            [{"shop": s["shop"], **(s["split"] or {})} for s in data["gmv_decomposition"]]
        ),
        "Traffic": pd.DataFrame(
            [{k: _text(v) for k, v in t.items() if k != "name"} for t in data["traffic"]]
        ),
        "SOP": pd.DataFrame(data["sop"]),
        "PDCA": pd.DataFrame(
            [{k: _text(v) for k, v in c.items() if k != "line"} for c in data["pdca"]]
        ),
        "Risks": pd.DataFrame([{k: _text(v) for k, v in r.items()} for r in data["risks"]]),
        "Decisions": pd.DataFrame([{k: _text(v) for k, v in d.items()} for d in data["decisions"]]),
        "Actions": pd.DataFrame([{k: _text(v) for k, v in a.items()} for a in data["actions"]]),
    }
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            if frame.empty:
                frame = pd.DataFrame({"(none)": []})
            frame.to_excel(writer, sheet_name=name, index=False, freeze_panes=(1, 0))
            ws = writer.sheets[name]
            columns = list(frame.columns)
            for col_idx, col in enumerate(columns, start=1):
                ws.column_dimensions[ws.cell(1, col_idx).column_letter].width = max(
                    10, min(40, len(str(col)) + 4)
                )
            if "unit" not in columns:
                continue
            unit_col = columns.index("unit")
            numeric = [
                i
                for i, c in enumerate(columns)
                if c in (*NUMBER_COLUMNS, "target", "value", "last_year")
            ]
            for r_idx, unit in enumerate(frame.iloc[:, unit_col], start=2):
                fmt = _number_format(str(unit))
                for i in numeric:
                    ws.cell(r_idx, i + 1).number_format = fmt
        for name in ("GMV split",):
            ws = writer.sheets[name]
            for row in ws.iter_rows(min_row=2, min_col=2):
                for cell in row:
                    cell.number_format = MONEY
        ws = writer.sheets["SOP"]
        header = [c.value for c in ws[1]]
        if "adherence" in header:
            col = header.index("adherence") + 1
            for row in ws.iter_rows(min_row=2, min_col=col, max_col=col):
                row[0].number_format = "0%"
