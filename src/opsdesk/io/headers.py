"""Column headers: which row is the header, and what each column of it means.

A long file's header is `date,shop,metric,value` (or 日期,店铺,指标,数值). A wide file's header
has a date column (日期, date, 统计日期…), optionally a shop column, and columns named after
metrics by key, English name, Chinese name or alias. Headers match case-insensitively,
ignoring surrounding spaces. Rows above the header (an export's title lines) are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from opsdesk.domain.metrics import Metric

DATE_HEADERS = ("date", "day", "日期", "统计日期", "数据日期", "时间", "统计时间")
SHOP_HEADERS = ("shop", "shop_key", "store", "店铺", "店铺名", "店铺名称")
LONG_HEADERS = {
    "date": ("date", "日期"),
    "shop": ("shop", "店铺"),
    "metric": ("metric", "指标"),
    "value": ("value", "数值", "值"),
}
LONG_ROLES = tuple(LONG_HEADERS)
HEADER_SEARCH_ROWS = 50
"""How many rows from the top may hold title lines before the header."""


def normalise(cell: object) -> str:
    return str(cell).strip().casefold() if cell is not None else ""


@dataclass(frozen=True)
class HeaderIndex:
    """Every name a metric goes by in a file header, normalised, mapped to the metric."""

    by_name: Mapping[str, Metric]

    @classmethod
    def build(cls, metrics: Mapping[str, Metric]) -> HeaderIndex:
        names: dict[str, Metric] = {}
        for metric in metrics.values():
            for name in metric.headers():
                key = normalise(name)
                if key:
                    names.setdefault(key, metric)
        return cls(names)

    def metric(self, header: object) -> Metric | None:
        return self.by_name.get(normalise(header))


@dataclass
class LongLayout:
    """Column positions of a long file (`date,shop,metric,value`)."""

    line: int
    date: int
    shop: int
    metric: int
    value: int
    names: dict[str, str] = field(default_factory=dict)
    """The header text of each role's column, for messages."""
    width: int = 4
    """How many fields the header row has: every data row must have as many."""


@dataclass
class WideLayout:
    """A wide file's header: the date (and shop) column and what every other column is."""

    line: int
    date: int
    shop: int | None
    base: dict[int, Metric] = field(default_factory=dict)
    derived: dict[int, Metric] = field(default_factory=dict)
    ignored: dict[int, str] = field(default_factory=dict)
    headers: dict[int, str] = field(default_factory=dict)
    duplicates: list[tuple[int, str, str]] = field(default_factory=list)
    """(column, header, metric key) for a second column naming an already-named metric."""
    width: int = 0
    """How many fields the header row has: every data row must have as many."""


def long_layout(line: int, cells: list[object]) -> LongLayout | None:
    names = [normalise(c) for c in cells]
    positions: dict[str, int] = {}
    for role, accepted in LONG_HEADERS.items():
        found = [i for i, n in enumerate(names) if n in accepted]
        if len(found) != 1:
            return None
        positions[role] = found[0]
    return LongLayout(
        line,
        **positions,
        names={r: str(cells[i]).strip() for r, i in positions.items()},
        width=len(cells),
    )


def wide_layout(line: int, cells: list[object], index: HeaderIndex) -> WideLayout | None:
    names = [normalise(c) for c in cells]
    dates = [i for i, n in enumerate(names) if n in DATE_HEADERS]
    if not dates:
        return None
    shops = [i for i, n in enumerate(names) if n in SHOP_HEADERS]
    layout = WideLayout(line, dates[0], shops[0] if shops else None, width=len(cells))
    seen: dict[str, int] = {}
    for i, cell in enumerate(cells):
        if not names[i]:
            continue
        header = str(cell).strip()
        layout.headers[i] = header
        if i == layout.date or i == layout.shop:
            continue
        metric = index.metric(cell)
        if metric is None:
            layout.ignored[i] = header
        elif metric.key in seen:
            layout.duplicates.append((i, header, metric.key))
        else:
            seen[metric.key] = i
            (layout.derived if metric.is_derived else layout.base)[i] = metric
    if not layout.base and not layout.derived:
        return None
    return layout
