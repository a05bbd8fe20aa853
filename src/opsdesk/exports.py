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

WHATS = ("observations", "kpis", "targets", "actions", "cycles", "checklists", "risks", "audit")
"""What can be exported."""
FORMATS = ("csv", "xlsx", "json")

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")

NUMBER_FORMATS = {"%": "0.00%", "CNY": "#,##0.00", "count": "#,##0"}
"""XLSX number formats by metric unit; other units get `0.00`."""
CHANGE_FORMAT = "+0.0%;-0.0%;0.0%"
DAY_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "yyyy-mm-dd hh:mm"


def frame(
    frames: StoreFrames,
    what: str,
    *,
    start: str | None = None,
    end: str | None = None,
    shops: Sequence[str] | None = None,
    grain: str = "day",
) -> pd.DataFrame:
    """The frame for `what` with the filters that apply to it; ValueError names a bad one."""
    if what not in WHATS:
        raise ValueError(f"WHAT: {what!r} is not one of {', '.join(WHATS)}")
    if grain not in GRAINS:
        raise ValueError(f"--grain: {grain!r} is not one of {', '.join(GRAINS)}")
    first, last = parse_day(start, "--from"), parse_day(end, "--to")
    if first and last and first > last:
        raise ValueError(f"--from: {first} is after --to {last}")
    shop_list = list(shops) if shops else None
    if shop_list and what not in ("observations", "kpis", "checklists", "cycles"):
        raise ValueError(f"--shop: {what} are not per shop")
    if what == "observations":
        return frames.observations(shops=shop_list, start=first, end=last)
    if what == "kpis":
        return frames.kpis(grain=grain, shops=shop_list, start=first, end=last)
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
        if out[c].dtype == object or isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(object).map(spreadsheet_safe)
        elif pd.api.types.is_string_dtype(out[c].dtype):
            out[c] = out[c].astype(object).map(spreadsheet_safe)
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


def _format_sheet(ws: Any, df: pd.DataFrame) -> None:
    """Number formats by column: dates, times, changes, and values by their row's unit."""
    units: dict[str, str] = df.attrs.get("units", {})
    metric = df["metric"].astype(object).tolist() if "metric" in df.columns else None
    for j, c in enumerate(df.columns, start=1):
        dtype = df[c].dtype
        fixed: str | None = None
        if isinstance(dtype, pd.DatetimeTZDtype):
            fixed = TIME_FORMAT
        elif pd.api.types.is_datetime64_dtype(dtype):
            fixed = DAY_FORMAT
        elif c in ("change", "change_year"):  # relative changes (kpis, cycles)
            fixed = CHANGE_FORMAT
        elif not pd.api.types.is_float_dtype(dtype):
            continue
        column = ws.iter_rows(min_row=2, max_row=len(df) + 1, min_col=j, max_col=j)
        for i, (cell,) in enumerate(column):
            if fixed is not None:
                cell.number_format = fixed
            elif metric is not None:
                cell.number_format = NUMBER_FORMATS.get(units.get(metric[i], ""), "0.00")
            else:
                cell.number_format = "0.00"
    ws.freeze_panes = "A2"


def _write_xlsx(df: pd.DataFrame, path: Path, sheet_per_shop: bool) -> None:
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
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, part in sheets:
            part = part.reset_index(drop=True)
            part.attrs = df.attrs
            _for_excel(part).to_excel(writer, sheet_name=name, index=False)
            _format_sheet(writer.sheets[name], part)


# -- writing -------------------------------------------------------------------------------


def _atomic(output: Path, fill: Callable[[Path], object]) -> None:
    """Write through a temporary file in the destination's directory, then rename."""
    directory = output.parent if str(output.parent) else Path(".")
    if not directory.is_dir():
        raise ValueError(f"--output: {output}: {directory} is not an existing directory")
    if output.is_dir():
        raise ValueError(f"--output: {output} is a directory")
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


def write(df: pd.DataFrame, fmt: str, output: Path | None, *, sheet_per_shop: bool = False) -> None:
    """Write `df` as `fmt` to `output` (None: standard output; XLSX needs a file)."""
    if fmt not in FORMATS:
        raise ValueError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    if sheet_per_shop and fmt != "xlsx":
        raise ValueError("--sheet-per-shop: only with --format xlsx")
    if fmt == "xlsx":
        if output is None:
            raise ValueError("--output: an XLSX export needs a file (--output FILE.xlsx)")
        if sheet_per_shop and "shop" not in df.columns:
            raise ValueError(f"--sheet-per-shop: {df.attrs.get('what')} have no shop column")
        _atomic(output, lambda p: _write_xlsx(df, p, sheet_per_shop))
        return
    text = to_csv(df) if fmt == "csv" else to_json(df)
    if output is None:
        sys.stdout.write(text)
        return
    _atomic(output, lambda p: p.write_text(text, encoding="utf-8"))
