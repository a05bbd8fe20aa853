"""KPI rollups, the targets in force, and the traffic-light status (pure: no I/O).

Rollup rules (DOMAIN.md §3):

- A summed base metric is the sum of its daily values over the period; a `last` base metric
  (a level: DSR, stock) is its value on the latest day with data in the period.
- A derived metric is a ratio of sums: each input is aggregated over the period by its own rule
  (summed, or last for levels) and only then divided. Only days (and shops) on which every
  input of the formula has a value count, so a day missing its visitors cannot skew the week's
  conversion. A zero or missing denominator gives None, never 0.
- Across shops ("all shops"), summed inputs add up over every shop; levels take each shop's
  last value and add up, except scores (DSR), which are averaged. Which shops and days the
  all-shops figures count, and their targets, is opsdesk.domain.all_shops.

Targets: a shop's own target beats an all-shops target; among those that cover the day, the
latest `valid_from` wins (ties: the most recently set). For a summed base metric a target is
per day and a period's target is the sum of the daily targets in force (every day must have
one); for derived and `last` metrics it is the mean of the daily targets in force.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from opsdesk.domain.metrics import Metric

Daily = Mapping[date, Mapping[str, float]]
"""One shop's daily base values: day -> metric key -> value."""

STATUSES = ("red", "amber", "stale", "green", "none")
"""Every status, in the order a stand-up lists them (worst first)."""

_EPS = 1e-9


def _base(key: str, aggregation: str, daily: Daily, days: Sequence[date]) -> float | None:
    if aggregation == "last":
        for d in reversed(days):
            row = daily.get(d)
            if row is not None and key in row:
                return row[key]
        return None
    total = 0.0
    seen = False
    for d in days:
        row = daily.get(d)
        if row is not None and key in row:
            total += row[key]
            seen = True
    return total if seen else None


def _mean(values: list[float]) -> float:
    """The mean; exactly the value itself when every value is the same (no 0.049999…)."""
    if all(v == values[0] for v in values):
        return values[0]
    return math.fsum(values) / len(values)


def combine(values: list[float], metric: Metric | None) -> float | None:
    """Several shops' values of one metric as one: summed; scores (DSR) averaged."""
    if not values:
        return None
    if metric is not None and metric.unit == "score":
        return sum(values) / len(values)
    return sum(values)


_combine = combine


def aggregate(
    metric: Metric, metrics: Mapping[str, Metric], dailies: Sequence[Daily], days: Sequence[date]
) -> float | None:
    """The value of `metric` over `days` for one shop (`[daily]`) or several combined."""
    if metric.formula is None:
        per_shop = [_base(metric.key, metric.aggregation, d, days) for d in dailies]
        return _combine([v for v in per_shop if v is not None], metric)
    inputs = metric.formula.inputs
    sums: dict[str, list[float]] = {k: [] for k in inputs}
    for daily in dailies:
        complete = [
            d for d in days if (row := daily.get(d)) is not None and all(k in row for k in inputs)
        ]
        if not complete:
            continue
        for k in inputs:
            agg = metrics[k].aggregation if k in metrics else "sum"
            v = _base(k, agg, daily, complete)
            if v is not None:
                sums[k].append(v)
    combined = {k: _combine(vs, metrics.get(k)) for k, vs in sums.items()}
    return metric.formula.evaluate(combined)


def day_value(
    metric: Metric, metrics: Mapping[str, Metric], rows: Sequence[Mapping[str, float]]
) -> float | None:
    """One metric on one day from one or several shops' rows (as `day_values`)."""
    if metric.formula is None:
        return _combine([r[metric.key] for r in rows if metric.key in r], metric)
    inputs = metric.formula.inputs
    complete = [r for r in rows if all(k in r for k in inputs)]
    if not complete:
        return None
    if len(complete) == 1:
        return metric.formula.evaluate(complete[0])
    return metric.formula.evaluate(
        {k: _combine([r[k] for r in complete], metrics.get(k)) for k in inputs}
    )


def day_values(
    metrics: Mapping[str, Metric], rows: Sequence[Mapping[str, float]]
) -> dict[str, float | None]:
    """Every metric on one day from one shop's row (`[row]`) or several shops' rows.

    The same result as `aggregate` over a single day, computed in one pass: the stand-up and
    its sparklines call it for every shop and day, so it has to be cheap.
    """
    if len(rows) <= 1:  # one shop: no combining, a row is complete or not
        out: dict[str, float | None] = {}
        row = rows[0] if rows else {}
        present = row.keys()
        for key, m in metrics.items():
            if m.formula is None:
                out[key] = row.get(key)
            else:
                out[key] = m.formula.evaluate(row) if m.formula.inputs <= present else None
        return out
    return {key: day_value(m, metrics, rows) for key, m in metrics.items()}


def rollup(
    metrics: Mapping[str, Metric], dailies: Sequence[Daily], days: Sequence[date]
) -> dict[str, float | None]:
    """Every metric of the catalogue over `days`."""
    return {key: aggregate(m, metrics, dailies, days) for key, m in metrics.items()}


def relative_change(value: float | None, reference: float | None) -> float | None:
    """(value - reference) / |reference|: 0.05 is +5%. None when either is missing or ref is 0."""
    if value is None or reference is None or reference == 0:
        return None
    return (value - reference) / abs(reference)


COMPUTED_METRICS: frozenset[str] = frozenset({"sop_due", "sop_on_time"})
"""Base metrics the store computes from other records (SOP adherence: the providers of
`opsdesk.store.computed`), never imported or typed in: their values alone never make a day
"have data", so a missing export still shows stale."""


def has_data(daily: Daily, d: date) -> bool:
    """Whether a shop has any recorded value on `d` (computed metrics aside)."""
    return any(k not in COMPUTED_METRICS for k in daily.get(d, {}))


@dataclass(frozen=True)
class Target:
    """One row of the targets table, by keys. shop_key None: every shop; dates None: open."""

    id: int
    metric_key: str
    shop_key: str | None
    valid_from: date | None
    valid_to: date | None
    value: float
    amber: float = 0.0
    explicit: bool = False
    """An all-shops target set by a person (not a catalogue default): see domain.all_shops."""

    def covers(self, d: date) -> bool:
        return (self.valid_from is None or self.valid_from <= d) and (
            self.valid_to is None or d <= self.valid_to
        )

    def _rank(self) -> tuple[bool, date, int]:
        return (self.shop_key is not None, self.valid_from or date.min, self.id)


@dataclass(frozen=True)
class PeriodTarget:
    value: float
    amber: float


class Targets:
    """The targets of a store, indexed for 'which target is in force for this shop and day'."""

    def __init__(self, targets: Iterable[Target]) -> None:
        self._by_metric: dict[str, list[Target]] = {}
        for t in targets:
            self._by_metric.setdefault(t.metric_key, []).append(t)

    def in_force(
        self, metric_key: str, shop_key: str | None, d: date, *, explicit_only: bool = False
    ) -> Target | None:
        """The target for a shop (None: the all-shops target only) on a day, or None;
        `explicit_only`: only all-shops targets set by a person count."""
        best: Target | None = None
        for t in self._by_metric.get(metric_key, ()):
            if t.shop_key is not None and t.shop_key != shop_key:
                continue
            if explicit_only and not t.explicit:
                continue
            if t.covers(d) and (best is None or t._rank() > best._rank()):
                best = t
        return best

    def for_period(
        self,
        metric: Metric,
        shop_key: str | None,
        days: Sequence[date],
        *,
        explicit_only: bool = False,
    ) -> PeriodTarget | None:
        """A period's target: the sum of daily targets (summed base metrics) or their mean."""
        found = [self.in_force(metric.key, shop_key, d, explicit_only=explicit_only) for d in days]
        present = [t for t in found if t is not None]
        if not present:
            return None
        if metric.formula is None and metric.aggregation == "sum":
            if len(present) != len(found):
                return None
            return PeriodTarget(sum(t.value for t in present), sum(t.amber for t in present))
        return PeriodTarget(_mean([t.value for t in present]), _mean([t.amber for t in present]))


def status(
    direction: str | None,
    value: float | None,
    target: PeriodTarget | None,
    *,
    data: bool = True,
) -> str:
    """green / amber / red against the target and its amber band; stale without data for the
    day (never green); none without a direction, a target or a value."""
    if not data:
        return "stale"
    if direction is None or target is None or value is None:
        return "none"
    eps = _EPS * max(1.0, abs(target.value))
    if direction == "up":
        if value >= target.value - eps:
            return "green"
        if value >= target.value - target.amber - eps:
            return "amber"
        return "red"
    if value <= target.value + eps:
        return "green"
    if value <= target.value + target.amber + eps:
        return "amber"
    return "red"


def status_rank(s: str) -> int:
    """Sort key: red first, then amber, stale, green, none."""
    return STATUSES.index(s)


@dataclass(frozen=True)
class Kpi:
    """One metric of one shop over a period, with its comparisons and status."""

    metric: Metric
    value: float | None
    previous: float | None
    change: float | None
    last_year: float | None
    change_year: float | None
    target: float | None
    amber: float | None
    status: str


def assess(
    metric: Metric,
    value: float | None,
    previous: float | None,
    last_year: float | None,
    target: PeriodTarget | None,
    *,
    data: bool = True,
) -> Kpi:
    """Put a value next to its previous period, last year and target."""
    return Kpi(
        metric=metric,
        value=value,
        previous=previous,
        change=relative_change(value, previous),
        last_year=last_year,
        change_year=relative_change(value, last_year),
        target=None if target is None else target.value,
        amber=None if target is None else target.amber,
        status=status(metric.direction, value, target, data=data),
    )


def headline_metrics(metrics: Mapping[str, Metric]) -> list[Metric]:
    """The metrics a stand-up shows: base metrics with a direction and every derived one."""
    return [m for m in metrics.values() if m.formula is not None or m.direction is not None]
