"""Turning an import file into a validated plan: every value checked before anything is written.

`parse_file` reads a CSV/XLSX file of either shape and returns an `ImportPlan` (the values by
shop and metric, the columns ignored, the derived columns cross-checked, warnings), or raises
`ImportRejected` listing every problem as `file:line: column 'x': reason`. One bad row
rejects the whole file. Values are checked by `opsdesk.domain.validation`, like every other
path that writes values: the metric may be entered, the day is not after the ops day, the
value fits its unit, and each shop's day (merged with what is stored) keeps the cross-metric
rules.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

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
from opsdesk.io.readers import Row, SourceFile, open_source
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


@dataclass
class _Collector:
    """Problems found so far: all counted, the first ones kept."""

    problems: list[Problem] = field(default_factory=list)
    total: int = 0

    def add(self, line: int | None, column: str | None, reason: str) -> None:
        self.total += 1
        if len(self.problems) < _PROBLEMS_KEPT:
            self.problems.append(Problem(line, column, reason))


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
    layout = _find_header(source, rows, index)
    if layout is None:
        found.add(
            None,
            None,
            f"no header row in the first {HEADER_SEARCH_ROWS} rows: expected "
            "date,shop,metric,value or a date column (日期/date) and metric columns",
        )
        raise ImportRejected(name, found.problems, found.total)
    plan = ImportPlan(path, source.sha256, "long", source.encoding, {}, 0)
    reading = _Reading(source, rows, catalogue, index, shop, plan, found)
    if isinstance(layout, LongLayout):
        reading.long(layout)
    else:
        plan.shape = "wide"
        reading.wide(layout)
    if not found.total:
        reading.cross_check()
    if found.total:
        found.problems.sort(key=lambda p: p.line or 0)  # stable: a line's problems keep order
        raise ImportRejected(name, found.problems, found.total)
    if plan.rows == 0:
        found.add(None, None, "no data rows below the header")
        raise ImportRejected(name, found.problems, found.total)
    # The lookup caches hold every shop, metric and day the file named: a cheap coverage.
    fixed = {catalogue.shop_ids[shop]} if shop is not None else set()
    plan.shop_ids = frozenset(reading.shop_ids.values()) | fixed
    plan.metric_ids = frozenset(reading.metric_ids.values())
    plan.first_day = min(reading.days.known.values())
    plan.last_day = max(reading.days.known.values())
    return plan


def _find_header(
    source: SourceFile, rows: Iterator[Row], index: HeaderIndex
) -> LongLayout | WideLayout | None:
    for _, cells in zip(range(HEADER_SEARCH_ROWS), rows, strict=False):
        line = source.line()
        layout = long_layout(line, cells) or wide_layout(line, cells, index)
        if layout is not None:
            return layout
    return None


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
    """One pass over the data rows below the header, filling `plan` or `found`."""

    source: SourceFile
    rows: Iterator[Row]
    catalogue: Catalogue
    index: HeaderIndex
    only_shop: str | None
    plan: ImportPlan
    found: _Collector
    days: DayCache = field(default_factory=DayCache)
    shop_ids: dict[object, int] = field(default_factory=dict)
    metric_ids: dict[object, int] = field(default_factory=dict)
    layout: LongLayout | WideLayout | None = None
    row_lines: dict[tuple[int, str], int] = field(default_factory=dict)
    """Wide files: the line of each shop's day."""

    def __post_init__(self) -> None:
        self.days.last = self.catalogue.ops_day

    def problem(self, column: str | None, reason: str) -> None:
        self.found.add(self.source.line(), column, reason)

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
        self.plan.notes.append((self.source.line(), str(cells[0]).strip()))
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
        duplicates: list[tuple[int, int, str]] = []
        for cells in self.rows:
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
        self.plan.rows = count
        if duplicates:
            lines = self.lines_of(set(duplicates))
            shops, metrics = _names_of(self.catalogue)
            for key in dict.fromkeys(duplicates):
                sid, mid, day = key
                self.found.add(
                    lines[key][1],
                    d_name,
                    f"{shops[sid]} / {metrics[mid]} / {day} appears more than once in the file:"
                    f" lines {_and(lines[key])}",
                )

    def lines_of(
        self, wanted: Collection[tuple[int, int, str]]
    ) -> dict[tuple[int, int, str], list[int]]:
        """The lines of a long file that give each (shop id, metric id, day) of `wanted`.

        Read again from the file, only when a message must name them (a duplicate, a
        cross-metric rule broken): the hot loop does not pay for remembering every line.
        """
        layout = self.layout
        assert isinstance(layout, LongLayout)
        source = open_source(self.source.path)
        out: dict[tuple[int, int, str], list[int]] = {}
        cols = (layout.date, layout.shop, layout.metric)
        for cells in source.rows:
            if source.line() <= layout.line or len(cells) < layout.width:
                continue
            d_cell, s_cell, m_cell = (cells[i] for i in cols)
            day = self.days.known.get(d_cell)
            sid = self.shop_ids.get(s_cell)
            mid = self.metric_ids.get(m_cell)
            if day is None or sid is None or mid is None:
                continue
            key = (sid, mid, day)
            if key in wanted:
                out.setdefault(key, []).append(source.line())
        return out

    def cross_check(self) -> None:
        """Each shop's day in the file, merged with what is stored, keeps the cross-metric
        rules (`opsdesk.domain.validation.CROSS_RULES`); a broken rule names both metrics."""
        catalogue = self.catalogue
        key_of = {mid: key for key, mid in catalogue.metric_ids.items()}
        id_of = catalogue.metric_ids
        involved = {id_of[k] for k in CROSS_METRICS if k in id_of}
        groups: dict[tuple[int, str], dict[str, float]] = {}
        for (sid, mid, day), value in self.plan.values.items():
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
        if isinstance(self.layout, WideLayout):
            layout = self.layout
            header = {m.key: layout.headers[c] for c, m in layout.base.items()}
            for sid, day, fld, _other, reason in broken:
                self.found.add(
                    self.row_lines.get((sid, day)), header.get(fld), f"{reason} ({shops[sid]})"
                )
            return
        wanted = {(sid, id_of[k], day) for sid, day, f, o, _ in broken for k in (f, o)}
        lines = self.lines_of(wanted)
        assert isinstance(self.layout, LongLayout)
        v_name = self.layout.names["value"]
        for sid, day, fld, other, reason in broken:
            where = lines.get((sid, id_of[other], day))
            also = f"{other} is on line {where[0]}" if where else f"{other} is stored"
            line = lines.get((sid, id_of[fld], day), [None])[0]
            self.found.add(line, v_name, f"{reason} ({shops[sid]} {day}; {also})")

    def wide(self, layout: WideLayout) -> None:
        """The day rows of a wide file, one value per metric column, derived columns checked."""
        self.layout = layout
        plan = self.plan
        for _col, header, key in layout.duplicates:
            first = next(c for c, m in {**layout.base, **layout.derived}.items() if m.key == key)
            self.found.add(
                layout.line,
                header,
                f"names the metric {key} like column '{layout.headers[first]}' before it",
            )
        for _col, m in layout.base.items():
            refused = not_entered(m)
            if refused is not None:
                self.found.add(layout.line, layout.headers[_col], refused)
        if layout.shop is None and self.only_shop is None:
            self.found.add(layout.line, None, "a wide file needs --shop KEY (no shop column)")
            return
        if not layout.base:
            self.found.add(layout.line, None, "no column of a metric opsdesk records")
            return
        plan.ignored = list(layout.ignored.values())
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
        for cells in self.rows:
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
                    f" {_and([seen[(sid, day)], self.source.line()])}",
                )
                continue
            seen[(sid, day)] = self.source.line()
            if not row:
                continue
            for key, value in row.items():
                plan.values[(sid, ids[key], day)] = value
            plan.rows += 1
            for col, tally in tallies.items():
                warning = _check_derived(tally, _cell(cells, col), row)
                if warning:
                    plan.warnings.append(
                        f"{plan.path}:{self.source.line()}: column '{tally.header}': {warning}"
                    )
        plan.derived = [
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
    text = [str(n) for n in lines]
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
