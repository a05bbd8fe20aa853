"""When a shop's day counts as reported, and which shops the all-shops figures count (pure).

A shop's day is one of:

- `missing`: no value at all (computed metrics such as SOP adherence aside) — an export not
  imported;
- `partial`: some values, but not every **headline** base metric (visitors, buyers, GMV: the
  inputs of the GMV split, in every platform's daily export) that the shop reported on its
  latest earlier reported day — e.g. 5 of 27 values typed by hand, GMV but no visitors;
- `reported`: every such headline metric is there. A shop that never records one of them
  (the olist data has no visitor counts) is not held to it; a shop's first day with data (no
  earlier reported day to go by) counts as reported.

Only reported days count in the all-shops figures (opsdesk.domain.all_shops); the stand-up's
"no data" banner and the stale alert stay on a missing or partial day.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from opsdesk.domain.kpis import COMPUTED_METRICS, Daily

HEADLINE = ("visitors", "buyers", "gmv")
"""The base metrics a shop's day needs (those the shop records) to count as reported."""

REPORTED, PARTIAL, MISSING = "reported", "partial", "missing"


def _classify(days: Iterable[tuple[date, Collection[str]]]) -> dict[date, str]:
    """The rule, over the days with a value (computed ones aside) in order, each with the
    headline metrics it has."""
    out: dict[date, str] = {}
    expected: frozenset[str] | None = None  # headline metrics of the latest reported day
    for d, headline in days:
        if expected is None or expected <= set(headline):
            out[d] = REPORTED
            expected = frozenset(headline)
        else:
            out[d] = PARTIAL
    return out


def day_states(daily: Daily) -> dict[date, str]:
    """`reported` or `partial` for every day of `daily` with a value (missing days absent)."""
    return _classify(
        (d, [k for k in HEADLINE if k in daily[d]])
        for d in sorted(daily)
        if any(k not in COMPUTED_METRICS for k in daily[d])
    )


def day_states_of_bits(first: date, recorded: int, headline: Mapping[str, int]) -> dict[date, str]:
    """`day_states` of a shop's values laid out as bit sets (bit i: day first + i; see
    opsdesk.domain.columns): `recorded` the days with a value (computed metrics aside),
    `headline` each headline metric's days."""

    def days() -> Iterator[tuple[date, list[str]]]:
        bits = recorded
        while bits:
            low = bits & -bits
            i = low.bit_length() - 1
            bits ^= low
            yield first + timedelta(days=i), [k for k in HEADLINE if headline.get(k, 0) >> i & 1]

    return _classify(days())


def day_state(daily: Daily, day: date) -> str:
    """`reported`, `partial` or `missing` (give `daily` the days before `day` too)."""
    return day_states(daily).get(day, MISSING)


def missing_headline(daily: Daily, day: date) -> list[str]:
    """The headline metrics that keep a partial day from counting (empty otherwise)."""
    states = day_states(daily)
    if states.get(day) != PARTIAL:
        return []
    earlier = [d for d, s in states.items() if d < day and s == REPORTED]
    row = daily.get(day, {})
    return [k for k in HEADLINE if k in daily[max(earlier)] and k not in row]


def reported_only(
    daily: Daily, states: Mapping[date, str] | None = None
) -> dict[date, Mapping[str, float]]:
    """The shop's reported days only: what the all-shops figures count (`states`: its
    `day_states`, when already known)."""
    states = day_states(daily) if states is None else states
    return {d: row for d, row in daily.items() if states.get(d) == REPORTED}


@dataclass(frozen=True)
class Coverage:
    """Which shops reported a day: the all-shops figures count the `reporting` ones."""

    day: date
    reporting: tuple[str, ...]
    partial: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def total(self) -> int:
        return len(self.reporting) + len(self.partial) + len(self.missing)

    @property
    def state(self) -> str:
        """`complete` (every shop reported), `partial` (some did) or `missing` (none did)."""
        if not self.reporting:
            return "missing"
        return "complete" if len(self.reporting) == self.total else "partial"

    @property
    def label(self) -> str:
        """`2 of 3 reporting` (empty when every shop reported)."""
        if self.state == "complete":
            return ""
        return f"{len(self.reporting)} of {self.total} reporting"

    @property
    def not_reporting(self) -> str:
        """`douyin-beauty missing, jd-home partial` (empty when every shop reported)."""
        return ", ".join(
            [f"{k} missing" for k in self.missing] + [f"{k} partial" for k in self.partial]
        )


def coverage(
    dailies: Mapping[str, Daily],
    day: date,
    states: Mapping[str, Mapping[date, str]] | None = None,
) -> Coverage:
    """The state of every shop's `day` (shop key -> its values, with earlier days; `states`:
    their `day_states`, when already known)."""
    groups: dict[str, list[str]] = {REPORTED: [], PARTIAL: [], MISSING: []}
    for key, daily in dailies.items():
        known = day_states(daily) if states is None else states[key]
        groups[known.get(day, MISSING)].append(key)
    return Coverage(day, tuple(groups[REPORTED]), tuple(groups[PARTIAL]), tuple(groups[MISSING]))


def summary_name(cov: Coverage, name: str = "All shops") -> str:
    """`All shops` or `All shops (2 of 3 reporting)`."""
    return f"{name} ({cov.label})" if cov.label else name


def keys_of(shops: Sequence[str], cov: Coverage) -> list[str]:
    """The shops the all-shops figures count on the day (catalogue order kept)."""
    return [k for k in shops if k in cov.reporting]
