"""Turning an import file into a validated plan: every value checked before anything is written.

`parse_file` reads a CSV/XLSX file of either shape and returns an `ImportPlan` (the values by
shop and metric, the columns ignored, the derived columns cross-checked, warnings), or raises
`ImportRejected` listing every problem as `file:line: column 'x': reason`. One bad row
rejects the whole file.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from opsdesk.domain.metrics import Metric, format_value
from opsdesk.io.headers import (
    HEADER_SEARCH_ROWS,
    HeaderIndex,
    LongLayout,
    WideLayout,
    long_layout,
    wide_layout,
)
from opsdesk.io.readers import Row, open_source
from opsdesk.io.values import DayCache, is_total_marker, parse_number

PROBLEMS_SHOWN = 50
_PROBLEMS_KEPT = 1000

Series = dict[tuple[int, int], dict[str, float]]
"""(shop_id, metric_id) -> day -> value."""


@dataclass(frozen=True)
class Problem:
    line: int | None
    column: str | None
    reason: str

    def render(self, name: str) -> str:
        where = name if self.line is None else f"{name}:{self.line}"
        column = f" column '{self.column}':" if self.column is not None else ""
        return f"{where}:{column} {self.reason}"


class ImportRejected(ValueError):
    """A file with problems: nothing of it may be imported."""

    def __init__(self, name: str, problems: list[Problem], total: int | None = None) -> None:
        self.name = name
        self.problems = problems
        self.total = total if total is not None else len(problems)
        super().__init__(self.render())

    def render(self, limit: int = PROBLEMS_SHOWN) -> str:
        noun = "problem" if self.total == 1 else "problems"
        lines = [f"{self.name}: rejected, {self.total} {noun}; nothing was imported"]
        lines += [p.render(self.name) for p in self.problems[:limit]]
        if self.total > limit:
            lines.append(f"… and {self.total - limit} more")
        return "\n".join(lines)


@dataclass(frozen=True)
class DerivedCheck:
    """A derived column of a wide file: not imported, compared with what opsdesk computes."""

    header: str
    metric: str
    formula: str
    checked: int
    mismatches: int


@dataclass
class ImportPlan:
    """A validated file, ready to be compared with the store and applied."""

    path: Path
    sha256: str
    shape: str  # "long" or "wide"
    encoding: str
    values: Series
    rows: int
    ignored: list[str] = field(default_factory=list)
    derived: list[DerivedCheck] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def file_name(self) -> str:
        return self.path.name


@dataclass
class _Collector:
    """Problems found so far: all counted, the first ones kept."""

    problems: list[Problem] = field(default_factory=list)
    total: int = 0

    def add(self, line: int | None, column: str | None, reason: str) -> None:
        self.total += 1
        if len(self.problems) < _PROBLEMS_KEPT:
            self.problems.append(Problem(line, column, reason))


@dataclass(frozen=True)
class Catalogue:
    """What the store knows that a file may name: metrics (with ids) and shops."""

    metrics: Mapping[str, Metric]
    metric_ids: Mapping[str, int]
    shop_ids: Mapping[str, int]


def parse_file(path: Path, catalogue: Catalogue, shop: str | None = None) -> ImportPlan:
    """Read and validate `path`; raises ImportRejected (or ReadError) when it cannot be imported.

    `shop` names the shop of a wide file without a shop column; with a long file (or a wide
    one with a shop column) every row must then name that shop.
    """
    source = open_source(path)
    name = str(path)
    found = _Collector()
    if shop is not None and shop not in catalogue.shop_ids:
        found.add(None, None, f"--shop: unknown shop {shop!r} (see `opsdesk shop list`)")
        raise ImportRejected(name, found.problems, found.total)
    index = HeaderIndex.build(catalogue.metrics)
    rows = iter(source.rows)
    layout = _find_header(rows, index)
    if layout is None:
        found.add(
            None,
            None,
            f"no header row in the first {HEADER_SEARCH_ROWS} rows: expected "
            "date,shop,metric,value or a date column (日期/date) and metric columns",
        )
        raise ImportRejected(name, found.problems, found.total)
    plan = ImportPlan(path, source.sha256, "long", source.encoding, {}, 0)
    if isinstance(layout, LongLayout):
        plan.rows = _read_long(rows, layout, catalogue, index, shop, plan.values, found)
    else:
        plan.shape = "wide"
        _read_wide(rows, layout, catalogue, shop, plan, found)
    if found.total:
        raise ImportRejected(name, found.problems, found.total)
    if plan.rows == 0:
        found.add(None, None, "no data rows below the header")
        raise ImportRejected(name, found.problems, found.total)
    return plan


def _find_header(rows: Iterator[Row], index: HeaderIndex) -> LongLayout | WideLayout | None:
    for _, (line, cells) in zip(range(HEADER_SEARCH_ROWS), rows, strict=False):
        layout = long_layout(line, cells) or wide_layout(line, cells, index)
        if layout is not None:
            return layout
    return None


def _cell(cells: list[object], i: int) -> object:
    return cells[i] if i < len(cells) else None


def _blank(cells: list[object]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _read_long(
    rows: Iterator[Row],
    layout: LongLayout,
    catalogue: Catalogue,
    index: HeaderIndex,
    only_shop: str | None,
    values: Series,
    found: _Collector,
) -> int:
    """The data rows of a long file into `values`; returns how many there were."""
    d_col, s_col, m_col, v_col = layout.date, layout.shop, layout.metric, layout.value
    names = layout.names
    width = max(d_col, s_col, m_col, v_col) + 1
    days = DayCache()
    shop_ids: dict[object, int | str] = {}
    metric_ids: dict[object, int | str] = {}
    inf = math.inf
    count = 0
    for line, cells in rows:
        if len(cells) < width:
            if _blank(cells):
                continue
            found.add(line, None, f"expected {width} columns, found {len(cells)}")
            continue
        bad = False
        d_cell = cells[d_col]
        try:
            day = days(d_cell)
        except ValueError as e:
            if is_total_marker(d_cell):
                continue
            found.add(line, names["date"], str(e))
            bad = True
        s_cell = cells[s_col]
        sid = shop_ids.get(s_cell)
        if sid is None:
            sid = shop_ids[s_cell] = _shop_id(s_cell, catalogue, only_shop)
        if isinstance(sid, str):
            found.add(line, names["shop"], sid)
            bad = True
        m_cell = cells[m_col]
        mid = metric_ids.get(m_cell)
        if mid is None:
            mid = metric_ids[m_cell] = _metric_id(m_cell, catalogue, index)
        if isinstance(mid, str):
            found.add(line, names["metric"], mid)
            bad = True
        v_cell = cells[v_col]
        try:
            value = float(v_cell)  # type: ignore[arg-type]
            if not 0 <= value < inf:
                raise ValueError
        except (ValueError, TypeError):
            try:
                value = parse_number(v_cell)[0]
            except ValueError as e:
                found.add(line, names["value"], str(e))
                bad = True
        if bad or isinstance(sid, str) or isinstance(mid, str):
            continue
        count += 1
        series = values.get((sid, mid))
        if series is None:
            series = values[(sid, mid)] = {}
        elif day in series:
            found.add(
                line,
                names["date"],
                f"{s_cell} / {m_cell} / {day} appears more than once in the file",
            )
            continue
        series[day] = value
    return count


def _shop_id(cell: object, catalogue: Catalogue, only_shop: str | None) -> int | str:
    """The shop's id, or the reason it cannot be used (a str)."""
    key = str(cell).strip() if cell is not None else ""
    if not key:
        return "no shop"
    if only_shop is not None and key != only_shop:
        return f"shop {key!r} is not the --shop {only_shop!r}"
    sid = catalogue.shop_ids.get(key)
    if sid is None:
        return f"unknown shop {key!r} (add it with `opsdesk shop add`)"
    return sid


def _metric_id(cell: object, catalogue: Catalogue, index: HeaderIndex) -> int | str:
    """The metric's id, or the reason it cannot be imported (a str)."""
    metric = index.metric(cell)
    if metric is None:
        text = str(cell).strip() if cell is not None else ""
        return f"unknown metric {text!r} (see `opsdesk metrics`)" if text else "no metric"
    if metric.formula is not None:
        return (
            f"{metric.key} is a derived metric ({metric.formula}): opsdesk computes it; "
            "import its base metrics instead"
        )
    return catalogue.metric_ids[metric.key]


@dataclass
class _DerivedTally:
    header: str
    metric: Metric
    checked: int = 0
    mismatches: int = 0


def _read_wide(
    rows: Iterator[Row],
    layout: WideLayout,
    catalogue: Catalogue,
    only_shop: str | None,
    plan: ImportPlan,
    found: _Collector,
) -> None:
    """The day rows of a wide file into `plan.values`, cross-checking derived columns."""
    name = str(plan.path)
    for _col, header, key in layout.duplicates:
        first = next(c for c, m in {**layout.base, **layout.derived}.items() if m.key == key)
        found.add(
            layout.line,
            header,
            f"names the metric {key} like column '{layout.headers[first]}' before it",
        )
    if layout.shop is None and only_shop is None:
        found.add(layout.line, None, "a wide file needs --shop KEY (it has no shop column)")
        return
    if not layout.base:
        found.add(layout.line, None, "no column of a metric opsdesk records")
        return
    plan.ignored = list(layout.ignored.values())
    date_header = _header_text(layout, layout.date, "date")
    shop_header = _header_text(layout, layout.shop, "shop")
    tallies = {col: _DerivedTally(layout.headers[col], m) for col, m in layout.derived.items()}
    base = [
        (col, m.key, catalogue.metric_ids[m.key], layout.headers[col])
        for col, m in layout.base.items()
    ]
    days = DayCache()
    shop_ids: dict[object, int | str] = {}
    fixed_sid = catalogue.shop_ids[only_shop] if only_shop is not None else None
    values = plan.values
    seen: set[tuple[int, str]] = set()
    for line, cells in rows:
        if _blank(cells):
            continue
        d_cell = _cell(cells, layout.date)
        if is_total_marker(d_cell):
            continue
        try:
            day = days(d_cell)
        except ValueError as e:
            found.add(line, date_header, str(e))
            day = ""
        sid: int | str | None = fixed_sid
        if layout.shop is not None:
            s_cell = _cell(cells, layout.shop)
            sid = shop_ids.get(s_cell)
            if sid is None:
                sid = shop_ids[s_cell] = _shop_id(s_cell, catalogue, only_shop)
            if isinstance(sid, str):
                found.add(line, shop_header, sid)
        row: dict[str, float] = {}
        ok = True
        for col, key, _mid, header in base:
            cell = _cell(cells, col)
            if cell is None or (isinstance(cell, str) and not cell.strip()):
                continue
            try:
                row[key] = parse_number(cell)[0]
            except ValueError as e:
                found.add(line, header, str(e))
                ok = False
        if not ok or not day or not isinstance(sid, int):
            continue
        if (sid, day) in seen:
            found.add(line, date_header, f"{day} appears more than once in the file")
            continue
        seen.add((sid, day))
        if not row:
            continue
        for _col, key, mid, _header in base:
            if key in row:
                values.setdefault((sid, mid), {})[day] = row[key]
        plan.rows += 1
        for col, tally in tallies.items():
            warning = _check_derived(tally, _cell(cells, col), row)
            if warning:
                plan.warnings.append(f"{name}:{line}: column '{tally.header}': {warning}")
    plan.derived = [
        DerivedCheck(t.header, t.metric.key, str(t.metric.formula), t.checked, t.mismatches)
        for t in tallies.values()
    ]


def _header_text(layout: WideLayout, col: int | None, default: str) -> str:
    return default if col is None else layout.headers.get(col, default)


def _check_derived(tally: _DerivedTally, cell: object, row: Mapping[str, float]) -> str | None:
    """Compare a derived cell with the value computed from the row; a warning when they differ.

    The file's value is rounded to the decimals it was written with, so a difference within
    half a unit of the last written digit is rounding, not a mismatch.
    """
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    formula = tally.metric.formula
    assert formula is not None
    try:
        written, decimals = parse_number(cell)
    except ValueError as e:
        return f"{e} (not checked against {formula})"
    computed = formula.evaluate(row)
    if computed is None:
        return None
    tally.checked += 1
    tolerance = 0.5 * 10.0**-decimals + 1e-9 * max(1.0, abs(computed))
    if abs(written - computed) <= tolerance:
        return None
    tally.mismatches += 1
    shown = str(cell).strip() if isinstance(cell, str) else format_value(tally.metric, written)
    return f"{shown} in the file, but {formula} gives {format_value(tally.metric, computed)}"
