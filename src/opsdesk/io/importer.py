"""Turning an import file into a validated plan: every value checked before anything is written.

`parse_file` reads a CSV/XLSX file of either shape and returns an `ImportPlan` (the values by
shop and metric, the columns ignored, the derived columns cross-checked, warnings), or raises
`ImportRejected` listing every problem as `file:line: column 'x': reason`. One bad row
rejects the whole file. Values are checked by `opsdesk.domain.validation`, like every other
path that writes values: the metric may be entered, the day is not after the ops day, the
value fits its unit, and each shop's day (merged with what is stored) keeps the cross-metric
rules. A workbook's sheets are read one after the other (`_Reading` per sheet) into one plan:
a value given twice, in one sheet or two, is refused naming both places (`file[sheet]:line`
when the workbook has several sheets).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from opsdesk.domain.imports import Catalogue as Catalogue
from opsdesk.domain.imports import DerivedCheck as DerivedCheck
from opsdesk.domain.imports import ImportPlan as ImportPlan
from opsdesk.domain.imports import StoredValues as StoredValues
from opsdesk.domain.imports import Values as Values
from opsdesk.domain.metrics import Metric, format_value
from opsdesk.domain.validation import (
    CROSS_METRICS,
    CROSS_RULES,
    UNIT_RULES,
    check_cross,
    check_value,
    not_entered,
)
from opsdesk.io.headers import (
    HEADER_SEARCH_ROWS,
    LONG_ROLES,
    HeaderIndex,
    LongLayout,
    WideLayout,
    long_layout,
    wide_layout,
)
from opsdesk.io.readers import Row, Sheet, SourceFile, open_source
from opsdesk.io.values import (
    DayCache,
    is_none_marker,
    is_note,
    is_total_marker,
    parse_number,
)

PROBLEMS_SHOWN = 50
_PROBLEMS_KEPT = 1000


@dataclass(frozen=True)
class Problem:
    line: int | None
    column: str | None
    reason: str
    sheet: str | None = None
    """The worksheet, named when the file has several."""
    order: int = 0
    """The sheet's position in the file, for sorting."""

    def render(self, name: str) -> str:
        where = name if self.sheet is None else f"{name}[{self.sheet}]"
        where = where if self.line is None else f"{where}:{self.line}"
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


@dataclass
class _Collector:
    """Problems found so far: all counted, the first ones kept."""

    problems: list[Problem] = field(default_factory=list)
    total: int = 0

    def add(
        self,
        line: int | None,
        column: str | None,
        reason: str,
        sheet: str | None = None,
        order: int = 0,
    ) -> None:
        self.total += 1
        if len(self.problems) < _PROBLEMS_KEPT:
            self.problems.append(Problem(line, column, reason, sheet, order))

    def replace(self, line: int, column: str | None, reason: str, sheet: str | None) -> bool:
        """Give the kept problems of one cell this one reason instead (one message per cell);
        False when none was kept for it."""
        same = [
            i
            for i, p in enumerate(self.problems)
            if (p.line, p.column, p.sheet) == (line, column, sheet)
        ]
        if not same:
            return False
        kept = self.problems[same[0]]
        self.problems[same[0]] = Problem(line, column, reason, sheet, kept.order)
        for i in reversed(same[1:]):
            del self.problems[i]
        self.total -= len(same) - 1
        return True


class Steps(Protocol):
    """What a progress display takes (`opsdesk.cli.progress.Progress`)."""

    def stage(self, name: str, total: float | None = None) -> None: ...

    def update(self, done: float, total: float | None = None) -> None: ...


def parse_file(
    path: Path, catalogue: Catalogue, shop: str | None = None, steps: Steps | None = None
) -> ImportPlan:
    """Read and validate `path`; raises ImportRejected (or ReadError) when it cannot be imported.

    `shop` names the shop of a wide file without a shop column; with a long file (or a wide
    one with a shop column) every row must then name that shop. Every worksheet of an XLSX
    file that has a header row is read (each long or wide); the others are named in the plan
    as not read, and messages name the sheet when there are several. `steps` (a progress
    display) is told the stages `read` (lines) and `checked`.
    """
    if steps is not None:
        steps.stage("read")
    source = open_source(path, steps.update if steps is not None else None)
    name = str(path)
    found = _Collector()
    if shop is not None and shop not in catalogue.shop_ids:
        found.add(None, None, f"--shop: unknown shop {shop!r} (see `opsdesk shop list`)")
        raise ImportRejected(name, found.problems, found.total)
    index = HeaderIndex.build(catalogue.metrics)
    plan = ImportPlan(path, source.sha256, "long", source.encoding, {}, 0)
    several = len(source.sheets) > 1
    shared = _Shared()
    readings: list[_Reading] = []
    shapes: list[str] = []
    for order, sheet in enumerate(source.sheets):
        rows = iter(sheet.rows)
        layout = _find_header(sheet, rows, index)
        if layout is None:
            if several:
                why = (
                    "empty"
                    if sheet.line() == 0
                    else f"no header row in the first {HEADER_SEARCH_ROWS} rows"
                )
                plan.sheets_skipped.append((str(sheet.name), why))
            continue
        label = sheet.name if several else None
        reading = _Reading(
            source, sheet, order, label, rows, catalogue, index, shop, plan, found, shared
        )
        readings.append(reading)
        if sheet.name is not None:
            plan.sheets_read.append(sheet.name)
        if isinstance(layout, LongLayout):
            shapes.append("long")
            reading.long(layout)
        else:
            shapes.append("wide")
            reading.wide(layout)
        reading.spreadsheet_cells(layout.line)
    if not readings:
        where = " in any sheet" if several else ""
        found.add(
            None,
            None,
            f"no header row in the first {HEADER_SEARCH_ROWS} rows{where}: expected "
            "date,shop,metric,value or a date column (日期/date) and metric columns",
        )
        raise ImportRejected(name, found.problems, found.total)
    plan.shape = "+".join(sorted(set(shapes)))
    plan.rows = sum(r.rows for r in readings)
    if steps is not None:
        steps.stage("checked")
    _report_duplicates(readings, shared.duplicates)
    if not found.total:
        _cross_check(readings)
    if found.total:
        # stable: a line's problems keep their order
        found.problems.sort(key=lambda p: (p.order, p.line or 0))
        raise ImportRejected(name, found.problems, found.total)
    if plan.rows == 0:
        found.add(None, None, "no data rows below the header")
        raise ImportRejected(name, found.problems, found.total)
    # The lookup caches hold every shop, metric and day the file named: a cheap coverage.
    fixed = {catalogue.shop_ids[shop]} if shop is not None else set()
    plan.shop_ids = frozenset(shared.shop_ids.values()) | fixed
    plan.metric_ids = frozenset(shared.metric_ids.values())
    plan.first_day = min(shared.days.known.values())
    plan.last_day = max(shared.days.known.values())
    return plan


def _find_header(
    sheet: Sheet, rows: Iterator[Row], index: HeaderIndex
) -> LongLayout | WideLayout | None:
    for _, cells in zip(range(HEADER_SEARCH_ROWS), rows, strict=False):
        line = sheet.line()
        layout = long_layout(line, cells) or wide_layout(line, cells, index)
        if layout is not None:
            return layout
    return None


Key = tuple[int, int, str]
"""(shop id, metric id, day)."""


@dataclass
class _Shared:
    """What the readings of one file's sheets share: lookup caches and repeated values."""

    days: DayCache = field(default_factory=DayCache)
    shop_ids: dict[object, int] = field(default_factory=dict)
    metric_ids: dict[object, int] = field(default_factory=dict)
    duplicates: list[Key] = field(default_factory=list)
    """Values given a second time (in the same sheet or another)."""


def _report_duplicates(readings: list[_Reading], duplicates: list[Key]) -> None:
    if not duplicates:
        return
    first = readings[0]
    locations = _locate(readings, set(duplicates))
    shops, metrics = _names_of(first.catalogue)
    for key in dict.fromkeys(duplicates):
        sid, mid, day = key
        places = locations.get(key, [])
        reading, line = places[1] if len(places) > 1 else (first, None)
        reading.found.add(
            line,
            reading.column_of(mid),  # the value given again: a long sheet's value column
            f"{shops[sid]} / {metrics[mid]} / {day} appears more than once in the file:"
            f" {_lines_text(places)}",
            reading.label,
            reading.order,
        )


def _locate(readings: list[_Reading], wanted: set[Key]) -> dict[Key, list[tuple[_Reading, int]]]:
    """Where each wanted value is given: (reading, line), in the order of the file."""
    out: dict[Key, list[tuple[_Reading, int]]] = {}
    for reading in readings:
        for key, lines in reading.lines_of(wanted).items():
            out.setdefault(key, []).extend((reading, line) for line in lines)
    return out


def _lines_text(places: list[tuple[_Reading, int]]) -> str:
    """`lines 3 and 7`, or with sheets `line 3 (sheet 'Jan') and line 7 (sheet 'Feb')`."""
    if all(r.label is None for r, _ in places):
        return "lines " + _and([line for _, line in places])
    return _and_text([f"line {line} (sheet '{r.label}')" for r, line in places])


def _cross_check(readings: list[_Reading]) -> None:
    """Each shop's day in the file, merged with what is stored, keeps the cross-metric
    rules (`opsdesk.domain.validation.CROSS_RULES`); a broken rule names both metrics."""
    first = readings[0]
    catalogue, plan = first.catalogue, first.plan
    key_of = {mid: key for key, mid in catalogue.metric_ids.items()}
    id_of = catalogue.metric_ids
    involved = {id_of[k] for k in CROSS_METRICS if k in id_of}
    groups: dict[tuple[int, str], dict[str, float]] = {}
    for (sid, mid, day), value in plan.values.items():
        if mid in involved:
            groups.setdefault((sid, day), {})[key_of[mid]] = value
    if not groups:
        return
    # stored values are read only for days where a rule has one side in the file
    lonely = [
        g
        for g, row in groups.items()
        if any((r.part in row) != (r.whole in row) for r in CROSS_RULES)
    ]
    stored: Mapping[tuple[int, str], Mapping[str, float]] = {}
    if lonely and catalogue.stored is not None:
        stored = catalogue.stored(
            {sid for sid, _ in lonely},
            min(d for _, d in lonely),
            max(d for _, d in lonely),
            involved,
        )
    broken: list[tuple[int, str, str, str, str]] = []
    for (sid, day), row in groups.items():
        before = stored.get((sid, day), {})
        merged = {**before, **row}
        for refusal in check_cross(merged, row, catalogue.metrics):
            broken.append((sid, day, refusal.field, refusal.other, refusal.reason))
    if not broken:
        return
    shops, _ = _names_of(catalogue)
    wanted = {(sid, id_of[k], day) for sid, day, f, o, _ in broken for k in (f, o)}
    places = _locate(readings, wanted)
    for sid, day, fld, other, reason in broken:
        here = places.get((sid, id_of[fld], day))
        reading, line = here[0] if here else (first, None)
        there = places.get((sid, id_of[other], day))
        if isinstance(reading.layout, WideLayout) and there and there[0] == (reading, line):
            text = f"{reason} ({shops[sid]})"  # both in the same row
        else:
            also = f"{other} is stored"
            if there:
                also = f"{other} is on " + _lines_text(there[:1]).replace("lines", "line")
            text = f"{reason} ({shops[sid]} {day}; {also})"
        reading.found.add(line, reading.column_of(id_of[fld]), text, reading.label, reading.order)


def _cell(cells: list[object], i: int) -> object:
    return cells[i] if i < len(cells) else None


def _blank(cells: list[object]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


@dataclass
class _DerivedTally:
    header: str
    metric: Metric
    checked: int = 0
    mismatches: int = 0


@dataclass
class _Reading:
    """One pass over the data rows of one sheet below its header, filling `plan` or `found`."""

    source: SourceFile
    sheet: Sheet
    order: int
    label: str | None
    """The sheet's name in messages (None when the file has one sheet)."""
    rows_left: Iterator[Row]
    catalogue: Catalogue
    index: HeaderIndex
    only_shop: str | None
    plan: ImportPlan
    found: _Collector
    shared: _Shared
    layout: LongLayout | WideLayout | None = None
    rows: int = 0
    """Data rows read from this sheet."""
    row_lines: dict[tuple[int, str], int] = field(default_factory=dict)
    """Wide sheets: the line of each shop's day."""

    def __post_init__(self) -> None:
        self.days = self.shared.days
        self.shop_ids = self.shared.shop_ids
        self.metric_ids = self.shared.metric_ids
        self.days.last = self.catalogue.ops_day

    def problem(self, column: str | None, reason: str) -> None:
        self.found.add(self.sheet.line(), column, reason, self.label, self.order)

    def problem_at(self, line: int | None, column: str | None, reason: str) -> None:
        self.found.add(line, column, reason, self.label, self.order)

    def column_of(self, metric_id: int) -> str | None:
        """The header of the column giving `metric_id` (a long sheet: its value column)."""
        layout = self.layout
        if isinstance(layout, LongLayout):
            return layout.names["value"]
        if isinstance(layout, WideLayout):
            for col, m in layout.base.items():
                if self.catalogue.metric_ids[m.key] == metric_id:
                    return layout.headers[col]
        return None

    def header_of(self, column: int) -> str | None:
        layout = self.layout
        if isinstance(layout, LongLayout):
            names = dict(
                zip(
                    (layout.date, layout.shop, layout.metric, layout.value), LONG_ROLES, strict=True
                )
            )
            role = names.get(column)
            return layout.names[role] if role else None
        if isinstance(layout, WideLayout):
            return layout.headers.get(column)
        return None

    def spreadsheet_cells(self, header_line: int) -> None:
        """Refuse what a spreadsheet shows but the file does not hold, from the header down:
        formula cells without a computed value, and merged cells."""
        for line, column, address in self.sheet.formulas:
            if line >= header_line:
                header = self.header_of(column)
                reason = (
                    f"cell {address}: formula without a computed value — open and save the"
                    " file in a spreadsheet first"
                )
                # the cell read as empty ("no value"): this says why, once
                if not self.found.replace(line, header, reason, self.label):
                    self.problem_at(line, header, reason)
        for ref, first, last in self.sheet.merged:
            if last >= header_line:
                top_left = ref.split(":")[0]
                self.problem_at(
                    first,
                    None,
                    f"cells {ref} are merged: only {top_left} holds the value and the others"
                    " read as empty — unmerge them and give each cell its value",
                )

    def day(self, cell: object, column: str) -> str | None:
        try:
            return self.days(cell)
        except ValueError as e:
            self.problem(column, str(e))
            return None

    def shop(self, cell: object, column: str) -> int | None:
        """The shop's id (remembered), or None after recording why it cannot be used."""
        key = str(cell).strip() if cell is not None else ""
        if not key:
            reason = "no shop"
        elif self.only_shop is not None and key != self.only_shop:
            reason = f"shop {key!r} is not the --shop {self.only_shop!r}"
        elif key not in self.catalogue.shop_ids:
            reason = f"unknown shop {key!r} (add it with `opsdesk shop add`)"
        else:
            sid = self.shop_ids[cell] = self.catalogue.shop_ids[key]
            return sid
        self.problem(column, reason)
        return None

    def metric(self, cell: object, column: str) -> int | None:
        """The metric's id (remembered), or None after recording why it cannot be imported."""
        metric = self.index.metric(cell)
        if metric is None:
            text = str(cell).strip() if cell is not None else ""
            reason = f"unknown metric {text!r} (see `opsdesk metrics`)" if text else "no metric"
        elif (refused := not_entered(metric)) is not None:
            reason = refused
        else:
            mid = self.metric_ids[cell] = self.catalogue.metric_ids[metric.key]
            return mid
        self.problem(column, reason)
        return None

    def note(self, cells: list[object]) -> bool:
        """Whether the row is a note line (`数据来源：…`), which is skipped and listed."""
        if not is_note(cells):
            return False
        where = str(self.sheet.line())
        if self.label is not None:
            where += f" (sheet '{self.label}')"
        self.plan.notes.append((where, str(cells[0]).strip()))
        return True

    def odd_row(
        self, cells: list[object], width: int, needed: int, names: Mapping[int, str]
    ) -> bool:
        """A row whose field count is not the header's: True when it is to be read anyway.

        Blank rows and note lines are skipped; extra empty fields at the end, or fields
        missing at the end after every column opsdesk reads (`needed`), are harmless; anything
        else is a problem naming the line, with a hint when the split looks like an unquoted
        thousands separator (`9,131.00` written without quotes).
        """
        if _blank(cells) or self.note(cells):
            return False
        if len(cells) > width and _blank(cells[width:]):
            return True
        if needed <= len(cells) < width:
            return True
        reason = f"{len(cells)} fields, but the header has {width}"
        split = _thousands_split(cells) if len(cells) > width else None
        column = None
        if split is not None:
            i, joined = split
            column = names.get(i)
            reason += (
                f": is {joined!r} a number written with an unquoted thousands separator?"
                f' quote it ("{joined}") or write it without separators'
            )
        self.problem(column, reason)
        return False

    def long(self, layout: LongLayout) -> None:
        """The rows of a long file (`date,shop,metric,value`), one value each.

        This loop is the import's hot path: cached lookups first, the careful parsers only
        for what the fast path cannot take.
        """
        self.layout = layout
        d_col, s_col, m_col, v_col = layout.date, layout.shop, layout.metric, layout.value
        d_name, s_name, m_name, v_name = (layout.names[k] for k in LONG_ROLES)
        width = layout.width
        names = {d_col: d_name, s_col: s_name, m_col: m_name, v_col: v_name}
        needed = max(names) + 1
        day_of, shop_of, metric_of = self.days.known, self.shop_ids, self.metric_ids
        values = self.plan.values
        inf = math.inf
        count = 0
        canonical = (d_col, s_col, m_col, v_col, width) == (0, 1, 2, 3, 4)
        by_id = {self.catalogue.metric_ids[k]: m for k, m in self.catalogue.metrics.items()}
        # (highest plausible value, whole numbers only) of each metric, from the domain's rules
        limits = {
            mid: (rule.high, rule.whole) if (rule := UNIT_RULES.get(m.unit)) else (inf, False)
            for mid, m in by_id.items()
        }
        duplicates = self.shared.duplicates
        for cells in self.rows_left:
            if len(cells) != width and not self.odd_row(cells, width, needed, names):
                continue
            if canonical:
                d_cell, s_cell, m_cell, v_cell = cells
            else:
                d_cell, s_cell, m_cell, v_cell = (cells[i] for i in (d_col, s_col, m_col, v_col))
            day = day_of.get(d_cell)
            if day is None:
                if is_total_marker(d_cell) or self.note(cells):
                    continue
                day = self.day(d_cell, d_name)
            sid = shop_of.get(s_cell)
            if sid is None:
                sid = self.shop(s_cell, s_name)
            mid = metric_of.get(m_cell)
            if mid is None:
                mid = self.metric(m_cell, m_name)
            try:
                value = float(v_cell)  # type: ignore[arg-type]
                if not 0 <= value < inf:
                    raise ValueError
            except (ValueError, TypeError):
                try:
                    value = parse_number(v_cell)[0]
                except ValueError as e:
                    self.problem(v_name, str(e))
                    continue
            if mid is not None:
                high, whole = limits[mid]
                if value > high or (whole and not value.is_integer()):
                    self.problem(v_name, str(check_value(by_id[mid], value)))
                    continue
            if day is None or sid is None or mid is None:
                continue
            key = (sid, mid, day)
            if key in values:
                duplicates.append(key)
                continue
            values[key] = value
            count += 1
        self.rows = count

    def lines_of(self, wanted: Collection[Key]) -> dict[Key, list[int]]:
        """The lines of this sheet that give each (shop id, metric id, day) of `wanted`.

        A long sheet is read again, only when a message must name them (a duplicate, a
        cross-metric rule broken): the hot loop does not pay for remembering every line.
        """
        layout = self.layout
        out: dict[Key, list[int]] = {}
        if isinstance(layout, WideLayout):
            ids = {self.catalogue.metric_ids[m.key] for m in layout.base.values()}
            for sid, mid, day in wanted:
                line = self.row_lines.get((sid, day))
                if line is not None and mid in ids:
                    out[(sid, mid, day)] = [line]
            return out
        assert isinstance(layout, LongLayout)
        sheet = open_source(self.source.path).sheets[self.order]
        cols = (layout.date, layout.shop, layout.metric)
        for cells in sheet.rows:
            if sheet.line() <= layout.line or len(cells) < layout.width:
                continue
            d_cell, s_cell, m_cell = (cells[i] for i in cols)
            found = (
                self.shop_ids.get(s_cell),
                self.metric_ids.get(m_cell),
                self.days.known.get(d_cell),
            )
            if found in wanted:
                out.setdefault(found, []).append(sheet.line())  # type: ignore[arg-type]
        return out

    def wide(self, layout: WideLayout) -> None:
        """The day rows of a wide file, one value per metric column, derived columns checked."""
        self.layout = layout
        plan = self.plan
        at = layout.line
        named = {**layout.base, **layout.derived}
        repeated: dict[str, list[int]] = {}
        for col, _header, key in layout.duplicates:
            repeated.setdefault(key, []).append(col)
        for key, cols in repeated.items():  # one message a metric, naming every column
            cols = sorted([next(c for c, m in named.items() if m.key == key), *cols])
            headers = ", ".join(f"'{layout.headers[c]}'" for c in cols)
            both = "both" if len(cols) == 2 else "all"
            self.problem_at(
                at,
                layout.headers[cols[1]],
                f"columns {_and([c + 1 for c in cols])} ({headers}) {both} name the metric"
                f" {key}: keep one",
            )
        for _col, m in layout.base.items():
            refused = not_entered(m)
            if refused is not None:
                self.problem_at(at, layout.headers[_col], refused)
        if layout.shop is None and self.only_shop is None:
            self.problem_at(at, None, "a wide file needs --shop KEY (no shop column)")
            return
        if not layout.base:
            self.problem_at(at, None, "no column of a metric opsdesk records")
            return
        plan.ignored += [h for h in layout.ignored.values() if h not in plan.ignored]
        d_name = layout.headers[layout.date]
        s_name = layout.headers[layout.shop] if layout.shop is not None else "shop"
        tallies = {c: _DerivedTally(layout.headers[c], m) for c, m in layout.derived.items()}
        base = [
            (col, m, self.catalogue.metric_ids[m.key], layout.headers[col])
            for col, m in layout.base.items()
        ]
        self.metric_ids.update({header: mid for _, _, mid, header in base})
        fixed = self.catalogue.shop_ids[self.only_shop] if self.only_shop is not None else None
        seen = self.row_lines
        used = [layout.date, *layout.base, *layout.derived]
        needed = max(used if layout.shop is None else [*used, layout.shop]) + 1
        for cells in self.rows_left:
            if len(cells) != layout.width and not self.odd_row(
                cells, layout.width, needed, layout.headers
            ):
                continue
            if _blank(cells):
                continue
            d_cell = _cell(cells, layout.date)
            if is_total_marker(d_cell) or self.note(cells):
                continue
            day = self.day(d_cell, d_name)
            sid = fixed
            if layout.shop is not None:
                s_cell = _cell(cells, layout.shop)
                sid = self.shop_ids.get(s_cell) or self.shop(s_cell, s_name)
            row: dict[str, float] = {}
            ids: dict[str, int] = {}
            bad = False
            for col, m, mid, header in base:
                cell = _cell(cells, col)
                if is_none_marker(cell):
                    continue
                try:
                    value = parse_number(cell)[0]
                except ValueError as e:
                    self.problem(header, str(e))
                    bad = True
                    continue
                reason = check_value(m, value)
                if reason is not None:
                    self.problem(header, reason)
                    bad = True
                    continue
                row[m.key] = value
                ids[m.key] = mid
            if day is None or sid is None or bad:
                continue
            if (sid, day) in seen:
                self.problem(
                    d_name,
                    f"{day} appears more than once in the file: lines"
                    f" {_and([seen[(sid, day)], self.sheet.line()])}",
                )
                continue
            seen[(sid, day)] = self.sheet.line()
            if not row:
                continue
            for key, value in row.items():
                k = (sid, ids[key], day)
                if k in plan.values:  # given by another sheet already
                    self.shared.duplicates.append(k)
                plan.values[k] = value
            self.rows += 1
            for col, tally in tallies.items():
                warning = _check_derived(tally, _cell(cells, col), row)
                if warning:
                    where = plan.path if self.label is None else f"{plan.path}[{self.label}]"
                    plan.warnings.append(
                        f"{where}:{self.sheet.line()}: column '{tally.header}': {warning}"
                    )
        plan.derived += [
            DerivedCheck(t.header, t.metric.key, str(t.metric.formula), t.checked, t.mismatches)
            for t in tallies.values()
        ]


_DIGITS_HEAD = re.compile(r"^\s*[+-]?[¥￥$]?\s*\d{1,3}\s*$")
_DIGITS_TAIL = re.compile(r"^\d{3}(\.\d*)?%?\s*$")


def _thousands_split(cells: list[object]) -> tuple[int, str] | None:
    """(index, the number joined again) when a number looks split at a thousands separator:
    one to three digits, then fields of exactly three digits (the last may carry decimals)."""
    for i in range(len(cells) - 1):
        head = cells[i]
        if not isinstance(head, str) or not _DIGITS_HEAD.match(head):
            continue
        j = i + 1
        while j < len(cells) and isinstance(cells[j], str) and _DIGITS_TAIL.match(str(cells[j])):
            j += 1
            if "." in str(cells[j - 1]) or "%" in str(cells[j - 1]):
                break
        if j > i + 1:
            return i, ",".join(str(c).strip() for c in cells[i:j])
    return None


def _names_of(catalogue: Catalogue) -> tuple[dict[int, str], dict[int, str]]:
    shops = {sid: key for key, sid in catalogue.shop_ids.items()}
    metrics = {mid: key for key, mid in catalogue.metric_ids.items()}
    return shops, metrics


def _and(lines: list[int]) -> str:
    return _and_text([str(n) for n in lines])


def _and_text(text: list[str]) -> str:
    return " and ".join(text) if len(text) <= 2 else ", ".join(text[:-1]) + " and " + text[-1]


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
