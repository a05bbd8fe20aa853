"""A template's run history as a calendar-like strip: one character per day, per shop.

Pure text (no Textual): `history_rows(runs, start, end)` gives, for each shop (or "store"), a
string with one mark per calendar day from `start` to `end`: the state of the run due that day
(● on time, ◐ late, ✗ missed, – skipped, ○ open) or · when nothing was due.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Protocol

from opsdesk.domain.checklists import STATE_LABELS, STATE_MARKS

NO_RUN = "·"


class _RunLike(Protocol):
    @property
    def shop_key(self) -> str | None: ...
    @property
    def run_day(self) -> date: ...
    @property
    def state(self) -> str: ...


def history_rows(runs: Iterable[_RunLike], start: date, end: date) -> dict[str, str]:
    """shop key (or "store") -> one mark per day from `start` to `end` (the last run wins)."""
    n = (end - start).days + 1
    rows: dict[str, list[str]] = {}
    for r in runs:
        row = rows.setdefault(r.shop_key or "store", [NO_RUN] * n)
        i = (r.run_day - start).days
        if 0 <= i < n:
            row[i] = STATE_MARKS[r.state]
    return {k: "".join(v) for k, v in sorted(rows.items())}


def week_ruler(start: date, end: date) -> str:
    """A ruler for the strip: the day of month under each Monday, dots elsewhere."""
    out: list[str] = []
    d = start
    while d <= end:
        if d.weekday() == 0 and len(out) <= (d - start).days:
            label = str(d.day)
            out.extend(label)
            d += timedelta(days=len(label))
            continue
        out.append(" ")
        d += timedelta(days=1)
    return "".join(out)[: (end - start).days + 1]


def legend() -> str:
    return "  ".join(f"{STATE_MARKS[s]} {label}" for s, label in STATE_LABELS.items()) + (
        f"  {NO_RUN} not due"
    )
