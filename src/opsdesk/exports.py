"""Exports: the frames of `opsdesk.frames` written out as CSV, XLSX or JSON.

`frame(frames, what, ...)` picks the frame; `write(df, fmt, output)` writes it. A file is
written next to its destination under a temporary name and renamed when complete, so a failed
export leaves nothing half-written. Text cells a spreadsheet would run as a formula (starting
with = + - @, tab or CR) are written as text. XLSX cells carry number formats from each row's
unit (percentages as %, money with thousands separators and two decimals, counts whole).

pandas is imported here and in `opsdesk.frames` only, never on the app's start-up path.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from opsdesk.domain.text import spreadsheet_safe
from opsdesk.frames import GRAINS, StoreFrames, parse_day
from opsdesk.paths import output_directory

WHATS = ("observations", "kpis", "targets", "actions", "cycles", "checklists", "risks", "audit")
"""What can be exported."""
FORMATS = ("csv", "xlsx", "json")
DATED = ("observations", "kpis", "actions", "cycles", "checklists", "audit")
"""What `--from` limits (audit: from that day on; `--to` too, except audit)."""
PER_SHOP = ("observations", "kpis", "checklists", "cycles")
"""What `--shop` limits."""

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")

NUMBER_FORMATS = {"%": "0.00%", "CNY": "#,##0.00", "count": "#,##0"}
"""XLSX number formats by metric unit; other units get `0.00`."""
CHANGE_FORMAT = "+0.0%;-0.0%;0.0%"
DAY_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "yyyy-mm-dd hh:mm"
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
"""Day 0 of Excel's serial dates (correct from 1900-03-01 on)."""


def frame(
    frames: StoreFrames,
    what: str,
    *,
    start: str | None = None,
    end: str | None = None,
    shops: Sequence[str] | None = None,
    grain: str | None = None,
) -> pd.DataFrame:
    """The frame for `what` with the filters that apply to it; ValueError names a bad one,
    and one that does not apply to `what` (`--grain` is for kpis only)."""
    if what not in WHATS:
        raise ValueError(f"WHAT: {what!r} is not one of {', '.join(WHATS)}")
    if grain is not None and grain not in GRAINS:
        raise ValueError(f"--grain: {grain!r} is not one of {', '.join(GRAINS)}")
    for option, given, applies in (
        ("--grain", grain is not None, ("kpis",)),
        ("--from", start is not None, DATED),
        ("--to", end is not None, tuple(w for w in DATED if w != "audit")),
        ("--shop", bool(shops), PER_SHOP),
    ):
        if given and what not in applies:
            raise ValueError(f"{option}: not for {what} (only {', '.join(applies)})")
    first, last = parse_day(start, "--from"), parse_day(end, "--to")
    if first and last and first > last:
        raise ValueError(f"--from: {first} is after --to {last}")
    shop_list = list(shops) if shops else None
    if what == "observations":
        return frames.observations(shops=shop_list, start=first, end=last)
    if what == "kpis":
        return frames.kpis(grain=grain or "day", shops=shop_list, start=first, end=last)
    if what == "targets":
        return frames.targets()
    if what == "checklists":
        df = frames.checklist_runs(start=first, end=last)
        if shop_list:
            frames.shops(shop_list)  # names an unknown shop
            df = df[df["shop"].isin(shop_list)].reset_index(drop=True)
        return df
    if what == "risks":
        return frames.risks()
    if what == "actions":
        return frames.actions(start=first, end=last)
    if what == "cycles":
        return frames.cycles(shops=shop_list, start=first, end=last)
    return frames.audit(since=first)


# -- plain cells -------------------------------------------------------------------------


def _plain_column(s: pd.Series) -> pd.Series:
    """Days as YYYY-MM-DD, instants as ISO with their offset, missing as None."""
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return s.map(lambda t: None if pd.isna(t) else t.isoformat())
    if pd.api.types.is_datetime64_dtype(s.dtype):
        return s.map(lambda t: None if pd.isna(t) else t.strftime("%Y-%m-%d"))
    return s.astype(object).where(s.notna(), None)


def _json_cell(x: object) -> object:
    if isinstance(x, float) and math.isnan(x):
        return None
    if hasattr(x, "item"):  # numpy scalars
        return x.item()
    return x


def _text_safe(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        dtype = out[c].dtype
        if (
            pd.api.types.is_object_dtype(dtype)
            or isinstance(dtype, pd.CategoricalDtype)
            or pd.api.types.is_string_dtype(dtype)
        ):
            cells = out[c].astype(object)
            # each distinct text once (a shop or metric key repeats on every row)
            safe = {x: spreadsheet_safe(x) for x in pd.unique(cells) if isinstance(x, str)}
            out[c] = cells.map(lambda x, safe=safe: safe.get(x, x) if isinstance(x, str) else x)
    return out


def to_csv(df: pd.DataFrame) -> str:
    plain = pd.DataFrame({c: _plain_column(df[c]) for c in df.columns})
    return str(_text_safe(plain).to_csv(index=False, lineterminator="\n"))


def to_json(df: pd.DataFrame) -> str:
    """`{"what", "units", "rows": [{column: value}]}`; dates as text, missing as null."""
    plain = pd.DataFrame({c: _plain_column(df[c]) for c in df.columns})
    rows = [
        {c: _json_cell(x) for c, x in zip(plain.columns, r, strict=True)}
        for r in plain.itertuples(index=False)
    ]
    doc = {
        "what": df.attrs.get("what"),
        "units": df.attrs.get("units", {}),
        "timezone": df.attrs.get("timezone"),
        "rows": rows,
    }
    return json.dumps(doc, ensure_ascii=False, indent=1, allow_nan=False) + "\n"


# -- XLSX --------------------------------------------------------------------------------


def _sheet_name(key: str) -> str:
    return _SHEET_BAD.sub("_", key)[:31] or "sheet"


def _for_excel(df: pd.DataFrame) -> pd.DataFrame:
    """Excel has no time zones: instants become the store's wall time (the header says so)."""
    out = _text_safe(df)
    renames = {}
    for c in out.columns:
        if isinstance(out[c].dtype, pd.DatetimeTZDtype):
            out[c] = out[c].dt.tz_localize(None)
            renames[c] = f"{c} ({df.attrs.get('timezone', 'local')})"
    return out.rename(columns=renames)


def _column_formats(df: pd.DataFrame) -> list[str | list[str] | None]:
    """Each column's number format: dates, times, changes, and values by their row's unit
    (a list, one format a row, for a value column beside a metric column)."""
    units: dict[str, str] = df.attrs.get("units", {})
    metric = df["metric"].astype(object).tolist() if "metric" in df.columns else None
    out: list[str | list[str] | None] = []
    for c in df.columns:
        dtype = df[c].dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            out.append(TIME_FORMAT)
        elif pd.api.types.is_datetime64_dtype(dtype):
            out.append(DAY_FORMAT)
        elif c in ("change", "change_year"):  # relative changes (kpis, cycles)
            out.append(CHANGE_FORMAT)
        elif not pd.api.types.is_float_dtype(dtype):
            out.append(None)
        elif metric is not None:
            out.append([NUMBER_FORMATS.get(units.get(str(m), ""), "0.00") for m in metric])
        else:
            out.append("0.00")
    return out


def _cells(s: pd.Series) -> list[object]:
    """A column as Python values for the writer: None where missing, numbers as float/int
    (days and times as Excel serial numbers, which their number format shows as dates), text
    as str."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):  # Excel's serial day numbers
        serial = (s - EXCEL_EPOCH) / pd.Timedelta(days=1)
        return serial.astype(object).where(serial.notna(), None).tolist()
    if pd.api.types.is_bool_dtype(s.dtype):
        return [None if pd.isna(x) else bool(x) for x in s.astype(object)]
    if pd.api.types.is_numeric_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype):
        return [None if pd.isna(x) else x for x in s.astype(object).tolist()]
    return [None if x is None or (not isinstance(x, str) and pd.isna(x)) else x for x in s]


RowsWritten = Callable[[int], None]
"""Told how many rows are written so far (every few thousand), for a progress bar."""


def _write_sheet(
    book: Any, name: str, df: pd.DataFrame, written: RowsWritten, before: int = 0
) -> None:
    """One sheet, row by row (xlsxwriter's constant-memory mode): a bold header, then every
    cell written by its type — text always as text, never parsed as a formula or a link —
    with one shared format object per number format."""
    import datetime as dt

    ws = book.add_worksheet(name)
    formats: dict[str, Any] = {}

    def fmt(code: str | None) -> Any:
        if code is None:
            return None
        if code not in formats:
            formats[code] = book.add_format({"num_format": code})
        return formats[code]

    excel = _for_excel(df)
    ws.write_row(0, 0, [str(c) for c in excel.columns], book.add_format({"bold": True}))
    columns = [_cells(excel[c]) for c in excel.columns]
    per_column = _column_formats(df)
    plans = [
        ([fmt(code) for code in f] if isinstance(f, list) else fmt(f), isinstance(f, list))
        for f in per_column
    ]
    write_string, write_number = ws.write_string, ws.write_number
    write_datetime, write_boolean = ws.write_datetime, ws.write_boolean
    for i in range(len(excel)):
        row = i + 1
        if not i % 10_000:
            written(before + i)
        for j, values in enumerate(columns):
            x = values[i]
            if x is None:
                continue
            f, by_row = plans[j]
            if by_row:
                f = f[i]
            if isinstance(x, str):
                write_string(row, j, x)
            elif isinstance(x, bool):
                write_boolean(row, j, x)
            elif isinstance(x, int | float):
                if isinstance(x, float) and not math.isfinite(x):
                    continue
                write_number(row, j, x, f)
            elif isinstance(x, dt.date):
                write_datetime(row, j, x, f)
            else:
                write_string(row, j, str(x))
    ws.freeze_panes(1, 0)


def _write_xlsx(df: pd.DataFrame, path: Path, sheet_per_shop: bool, written: RowsWritten) -> None:
    """Through xlsxwriter, not pandas' openpyxl writer: 438,216 observations took 146 s that
    way (every cell an object, then formatted one by one) and take a few seconds this way."""
    import xlsxwriter

    sheets: list[tuple[str, pd.DataFrame]]
    if sheet_per_shop:
        if "shop" not in df.columns:
            raise ValueError(f"--sheet-per-shop: {df.attrs.get('what')} have no shop column")
        present = set(df["shop"].dropna().astype(object))
        order = df["shop"].cat.categories if hasattr(df["shop"], "cat") else sorted(present)
        keys = [k for k in order if k in present]
        sheets = [(_sheet_name(str(k)), df[df["shop"] == k]) for k in keys]
        if df["shop"].isna().any():
            sheets.append(("no shop", df[df["shop"].isna()]))
        sheets = sheets or [(str(df.attrs.get("what", "sheet")), df)]
    else:
        sheets = [(str(df.attrs.get("what", "sheet")), df)]
    options = {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
    }
    book = xlsxwriter.Workbook(str(path), options)
    done = 0
    try:
        for name, part in sheets:
            part = part.reset_index(drop=True)
            part.attrs = df.attrs
            _write_sheet(book, name, part, written, done)
            done += len(part)
    finally:
        book.close()
    written(done)


# -- writing -------------------------------------------------------------------------------


def _atomic(output: Path, fill: Callable[[Path], object]) -> None:
    """Write through a temporary file in the destination's directory, then rename."""
    directory = output_directory(output)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=directory)
    except OSError as e:
        raise ValueError(f"--output: {output}: cannot write there ({e.strerror})") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        fill(tmp)
        os.chmod(tmp, 0o644 & ~_umask())
        os.replace(tmp, output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write(
    df: pd.DataFrame,
    fmt: str,
    output: Path | None,
    *,
    sheet_per_shop: bool = False,
    written: RowsWritten | None = None,
) -> None:
    """Write `df` as `fmt` to `output` (None: standard output; XLSX needs a file).

    `written` is told the rows written so far as an XLSX file fills."""
    if fmt not in FORMATS:
        raise ValueError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    if sheet_per_shop and fmt != "xlsx":
        raise ValueError("--sheet-per-shop: only with --format xlsx")
    if fmt == "xlsx":
        if output is None:
            raise ValueError("--output: an XLSX export needs a file (--output FILE.xlsx)")
        if sheet_per_shop and "shop" not in df.columns:
            raise ValueError(f"--sheet-per-shop: {df.attrs.get('what')} have no shop column")
        rows = written or (lambda _n: None)
        _atomic(output, lambda p: _write_xlsx(df, p, sheet_per_shop, rows))
        return
    text = to_csv(df) if fmt == "csv" else to_json(df)
    if output is None:
        sys.stdout.write(text)
        return
    _atomic(output, lambda p: p.write_text(text, encoding="utf-8"))
