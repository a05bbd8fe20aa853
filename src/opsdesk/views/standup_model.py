"""The stand-up as the screen shows it: text cells and statuses, built from the read model
(opsdesk.views.standup) and made of plain values so it can cross a process boundary.

The screen renders only this model, so the first paint needs neither the KPI engine nor the
catalogue in the UI process: `run.py` builds it in a forked helper while Textual loads. This
module is on the UI process's start-up path, so it imports only the standard library at
module level; building (store, domain) is imported when `build` runs, in the helper or a
worker. Its records are NamedTuples: a frozen dataclass costs the UI process ~1-2 ms to
create at import (its methods are generated and compiled), a NamedTuple a fifth of that.
No Textual here.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

from opsdesk.domain.alert_record import Alert

if TYPE_CHECKING:
    import sqlite3

    from opsdesk.views.sections import SectionResult
    from opsdesk.views.standup import KpiLine, Standup

SPARK_BARS = "▁▂▃▄▅▆▇█"


class KpiRow(NamedTuple):
    metric_key: str
    status: str
    """green / amber / red / stale / none"""
    name: str
    value: str
    target: str
    vs_day: str
    vs_day_status: str
    vs_week: str
    vs_week_status: str
    spark: str

    def to_wire(self) -> tuple[str, ...]:
        """The fields in order, as a plain tuple (marshal takes no tuple subclass)."""
        return tuple(self)


class ShopPage(NamedTuple):
    shop_key: str | None
    """None: the all-shops summary."""
    name: str
    has_data: bool
    """The day counts as reported (opsdesk.domain.coverage)."""
    rows: tuple[KpiRow, ...]
    note: str = ""
    """Why the day does not count: `no data`, `partial: visitors missing`."""


class StandupModel(NamedTuple):
    day: str
    pages: tuple[ShopPage, ...]
    """The all-shops summary first, then each shop."""
    alerts: tuple[Alert, ...]

    def missing(self) -> list[str]:
        """Shops whose day does not count as reported (no value at all, or partial)."""
        return [p.shop_key for p in self.pages[1:] if not p.has_data and p.shop_key]

    def banners(self) -> list[str]:
        """One line per shop whose day does not count, saying why and what to do."""
        out = []
        for p in self.pages[1:]:
            if p.has_data or not p.shop_key:
                continue
            what = (
                f"partial data for {self.day} ({p.note.removeprefix('partial: ')})"
                if p.note.startswith("partial")
                else f"no data for {self.day}"
            )
            out.append(f"✗ {p.shop_key}: {what} — import it or type it in (m)")
        return out

    def to_wire(self) -> tuple[Any, ...]:
        """Plain tuples (marshal-able)."""
        return (
            self.day,
            tuple(
                (p.shop_key, p.name, p.has_data, tuple(r.to_wire() for r in p.rows), p.note)
                for p in self.pages
            ),
            tuple(a.to_wire() for a in self.alerts),
        )

    @classmethod
    def from_wire(cls, wire: tuple[Any, ...]) -> StandupModel:
        day, pages, alerts = wire
        return cls(
            day,
            tuple(
                ShopPage(key, name, has, tuple(KpiRow(*r) for r in rows), note)
                for key, name, has, rows, note in pages
            ),
            tuple(Alert.from_wire(a) for a in alerts),
        )


def change_text(change: float | None, direction: str | None) -> tuple[str, str]:
    """A relative change as `▲3.2%` / `▼1.0%` (the arrow is the sign), and green (good) /
    red (bad) / none."""
    if change is None:
        return "—", "none"
    arrow = "▲" if change > 0 else "▼" if change < 0 else "="
    text = f"{arrow}{abs(change) * 100:.1f}%"
    if change == 0 or direction is None:
        return text, "none"
    return text, "green" if (change > 0) == (direction == "up") else "red"


def sparkline(values: tuple[float | None, ...] | list[float | None]) -> str:
    """Eight-level bars scaled between the series' min and max; a gap is a space."""
    present = [v for v in values if v is not None]
    if not present:
        return " " * len(values)
    low, high = min(present), max(present)
    span = high - low
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        elif span == 0:
            out.append(SPARK_BARS[3])
        else:
            out.append(SPARK_BARS[min(7, int((v - low) / span * 8))])
    return "".join(out)


def _row(line: KpiLine) -> KpiRow:
    from opsdesk.domain.metrics import format_value

    m = line.metric
    day_text, day_status = change_text(line.change_day, m.direction)
    week_text, week_status = change_text(line.change_week, m.direction)
    return KpiRow(
        m.key,
        line.status,
        m.name_en,
        format_value(m, line.value),
        format_value(m, line.target),
        day_text,
        day_status,
        week_text,
        week_status,
        sparkline(line.spark),
    )


def present(standup: Standup) -> StandupModel:
    """The model of an opsdesk.views.standup.Standup."""
    pages = [
        ShopPage(
            None,
            standup.summary.shop_name,
            standup.summary.has_data,
            tuple(_row(x) for x in standup.summary.lines),
            standup.summary.note,
        )
    ]
    pages += [
        ShopPage(s.shop_key, s.shop_name, s.has_data, tuple(_row(x) for x in s.lines), s.note)
        for s in standup.shops
    ]
    alerts = tuple(standup.alerts)
    return StandupModel(standup.day.isoformat(), tuple(pages), alerts)


def build(conn: sqlite3.Connection, day: date) -> StandupModel:
    """Read the stand-up for `day` and present it."""
    from opsdesk.views.standup import build_standup

    return present(build_standup(conn, day))


class StandupData(NamedTuple):
    """What the stand-up screen shows: the model and the other modules' sections."""

    model: StandupModel
    sections: list[SectionResult]


def load_standup(conn: sqlite3.Connection, day: date, sections: bool = True) -> StandupData:
    """The stand-up of `day` with its sections (a worker's load after the first paint);
    `sections=False`: the KPIs and alerts only (a load before the first frame: the sections
    write — today's checklist runs, the KRIs' triggers — and query the PDCA steps due)."""
    if not sections:
        return StandupData(build(conn, day), [])
    from opsdesk.views.sections import load_sections

    return StandupData(build(conn, day), load_sections(conn, day))
