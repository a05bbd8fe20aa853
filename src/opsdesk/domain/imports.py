"""An import as the store receives it: the values of a file parsed and validated by
`opsdesk.io.importer`, with what the file covers, and the catalogue a file may name.

Pure data (no I/O): `io` builds these, `store.imports` compares them with what is stored and
applies them, so the store never imports io.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from opsdesk.domain.metrics import Metric

Values = dict[tuple[int, int, str], float]
"""(shop_id, metric_id, day) -> value, in the order of the file."""


@dataclass(frozen=True)
class Catalogue:
    """What the store knows that a file may name: metrics (with ids) and shops."""

    metrics: Mapping[str, Metric]
    metric_ids: Mapping[str, int]
    shop_ids: Mapping[str, int]
    ops_day: date | None = None
    """The last day values may be given for (None: no limit)."""
    stored: StoredValues | None = None
    """Reads the stored values the cross-metric rules need (None: nothing is stored)."""


StoredValues = Callable[
    [Collection[int], str, str, Collection[int]], Mapping[tuple[int, str], Mapping[str, float]]
]
"""(shop ids, first day, last day, metric ids) -> (shop id, day) -> metric key -> value."""


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
    shape: str  # "long", "wide" (or "long+wide": an XLSX file with sheets of both)
    encoding: str
    values: Values
    rows: int
    ignored: list[str] = field(default_factory=list)
    derived: list[DerivedCheck] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    """Note lines under the data (`数据来源：…`), skipped: (where, text)."""
    sheets_read: list[str] = field(default_factory=list)
    """The worksheets imported (empty for a CSV file)."""
    sheets_skipped: list[tuple[str, str]] = field(default_factory=list)
    """The worksheets not imported, and why (no header row, empty)."""
    shop_ids: frozenset[int] = frozenset()
    metric_ids: frozenset[int] = frozenset()
    first_day: str = ""
    last_day: str = ""
    """What the file covers (a superset): the store is read for these values only."""

    @property
    def file_name(self) -> str:
        return self.path.name
