"""The all-shops figures: one rule for the stand-up, every report, `check` and the explorer
(pure: no I/O).

- **What counts.** Only a shop's *reported* days (opsdesk.domain.coverage) count: the
  all-shops figure of a day sums (ratio of sums, levels added, scores averaged) the shops
  that reported that day; a period's sums every shop's reported days in it. A missing or
  partial day does not drag the total down nor turn it stale; the summary says
  "2 of 3 reporting" instead. With no shop reporting the summary is stale.
- **Like for like.** A comparison (vs the day before, the same weekday a week earlier, the
  previous period, last year, the GMV split) pairs each shop's n-th day with the n-th day of
  the compared period and drops the pair when only one side is reported; then, per metric, a
  shop counts only when the metric (every input of a ratio) has a value on both sides. So a
  shop missing today is missing from yesterday's figure too, and one shop's DSR missing
  today does not move the all-shops DSR. `previous` is the compared shops' earlier figure.
- **Targets.** Derived from the targets in force for the shops counted, over the days counted,
  combined the way the values combine: summed metrics and levels that add up (stock, SKUs)
  add the shops' targets; scores (DSR) take their mean; a ratio's target is weighted by each
  shop's actual denominator over the days counted, Σ targetᵢ × visitorsᵢ ÷ Σ visitorsᵢ for
  conversion, so the all-shops ratio meets its target exactly when every shop meets its own
  (the plain mean when no shop has a denominator). For a ratio or a score, an all-shops
  target set by a person (`opsdesk target set` without `--shop`) wins over the derived one;
  the catalogue's defaults do not (they are each shop's fallback).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from opsdesk.domain.decomposition import SPLIT_INPUTS, Factors
from opsdesk.domain.kpis import Daily, PeriodTarget, Targets, aggregate, day_value
from opsdesk.domain.metrics import Metric


def _keys(metric: Metric) -> frozenset[str]:
    return metric.formula.inputs if metric.formula is not None else frozenset((metric.key,))


def _has(keys: frozenset[str], daily: Daily, days: Sequence[date]) -> bool:
    return any((row := daily.get(d)) is not None and keys <= row.keys() for d in days)


def paired(
    current: Daily, reference: Daily, days: Sequence[date], ref_days: Sequence[date]
) -> tuple[dict[date, Mapping[str, float]], dict[date, Mapping[str, float]]]:
    """One shop's two spans with every n-th day dropped on both sides when only one side has
    it (days beyond the shorter span are kept)."""
    cur = {d: current[d] for d in days if d in current}
    ref = {d: reference[d] for d in ref_days if d in reference}
    for d, r in zip(days, ref_days, strict=False):
        if (d in cur) != (r in ref):
            cur.pop(d, None)
            ref.pop(r, None)
    return cur, ref


@dataclass(frozen=True)
class Compared:
    """A like-for-like comparison: both figures over the same shops and paired days."""

    current: float | None
    reference: float | None
    shops: int  # how many shops were compared

    @property
    def change(self) -> float | None:
        from opsdesk.domain.kpis import relative_change

        return relative_change(self.current, self.reference)


def like_for_like(
    metric: Metric,
    metrics: Mapping[str, Metric],
    current: Sequence[Daily],
    reference: Sequence[Daily],
    days: Sequence[date],
    ref_days: Sequence[date],
) -> Compared:
    """`metric` over the shops' (reported) days, compared like for like (module docstring)."""
    keys = _keys(metric)
    if len(days) == 1 and len(ref_days) == 1:  # the stand-up's case, on its first paint: fast
        pairs = [
            (row, ref_row)
            for shop, ref_shop in zip(current, reference, strict=True)
            if (row := shop.get(days[0])) is not None
            and (ref_row := ref_shop.get(ref_days[0])) is not None
            and keys <= row.keys()
            and keys <= ref_row.keys()
        ]
        if not pairs:
            return Compared(None, None, 0)
        return Compared(
            day_value(metric, metrics, [row for row, _ in pairs]),
            day_value(metric, metrics, [ref_row for _, ref_row in pairs]),
            len(pairs),
        )
    cur_kept: list[Daily] = []
    ref_kept: list[Daily] = []
    for c, r in zip(current, reference, strict=True):
        c2, r2 = paired(c, r, days, ref_days)
        if _has(keys, c2, days) and _has(keys, r2, ref_days):
            cur_kept.append(c2)
            ref_kept.append(r2)
    if not cur_kept:
        return Compared(None, None, 0)
    return Compared(
        aggregate(metric, metrics, cur_kept, days),
        aggregate(metric, metrics, ref_kept, ref_days),
        len(cur_kept),
    )


def split_factors(
    metrics: Mapping[str, Metric],
    current: Sequence[Daily],
    reference: Sequence[Daily],
    days: Sequence[date],
    ref_days: Sequence[date],
) -> tuple[Factors | None, Factors | None]:
    """Visitors, buyers and GMV of both spans over the shops that have all three on both
    sides (paired days); (None, None) when some counted day has GMV without visitors or
    buyers (the split would credit one shop's sales to another's traffic)."""
    keys = frozenset(SPLIT_INPUTS)
    if not keys <= metrics.keys():
        return None, None
    cur_kept: list[Daily] = []
    ref_kept: list[Daily] = []
    for c, r in zip(current, reference, strict=True):
        c2, r2 = paired(c, r, days, ref_days)
        if not (_has(frozenset(("gmv",)), c2, days) or _has(frozenset(("gmv",)), r2, ref_days)):
            continue
        for span in (c2, r2):
            if any("gmv" in row and not keys <= row.keys() for row in span.values()):
                return None, None
        cur_kept.append(c2)
        ref_kept.append(r2)
    if not cur_kept:
        return None, None

    def factors(dailies: list[Daily], span: Sequence[date]) -> Factors | None:
        v, b, g = (aggregate(metrics[k], metrics, dailies, span) for k in SPLIT_INPUTS)
        return None if v is None or b is None or g is None else Factors(v, b, g)

    return factors(ref_kept, ref_days), factors(cur_kept, days)


def _denominator(
    metric: Metric, metrics: Mapping[str, Metric], daily: Daily, days: Sequence[date]
) -> float | None:
    assert metric.formula is not None
    total = 0.0
    for key, coef in metric.formula.denominator.items():
        inputs = metric.formula.inputs
        complete = [d for d in days if (row := daily.get(d)) is not None and inputs <= row.keys()]
        value = aggregate(metrics[key], metrics, [daily], complete) if key in metrics else None
        if value is None:
            return None
        total += coef * value
    return total


def _weighted(parts: list[tuple[PeriodTarget, float | None]]) -> PeriodTarget:
    weights = [(t, w) for t, w in parts if w is not None and math.isfinite(w) and w > 0]
    if not weights:
        n = len(parts)
        return PeriodTarget(
            _same_or(math.fsum(t.value for t, _ in parts) / n, [t.value for t, _ in parts]),
            _same_or(math.fsum(t.amber for t, _ in parts) / n, [t.amber for t, _ in parts]),
        )
    total = math.fsum(w for _, w in weights)
    return PeriodTarget(
        _same_or(math.fsum(t.value * w for t, w in weights) / total, [t.value for t, _ in weights]),
        _same_or(math.fsum(t.amber * w for t, w in weights) / total, [t.amber for t, _ in weights]),
    )


def _same_or(value: float, values: list[float]) -> float:
    """Exactly the shops' common value when they all agree (no 0.049999…)."""
    return values[0] if all(v == values[0] for v in values) else value


def target(
    targets: Targets,
    metric: Metric,
    metrics: Mapping[str, Metric],
    counted: Mapping[str, Daily],
    days: Sequence[date],
) -> PeriodTarget | None:
    """The all-shops target over `days` for the shops counted (shop key -> its reported
    days): see the module docstring. None when a counted shop has no target in force."""
    adds_up = metric.formula is None and metric.unit != "score"
    if not adds_up:
        explicit = targets.for_period(metric, None, days, explicit_only=True)
        if explicit is not None:
            return explicit
    parts: list[tuple[PeriodTarget, float | None]] = []
    for key, daily in counted.items():
        shop_days = [d for d in days if d in daily]
        if not shop_days:
            continue
        t = targets.for_period(metric, key, shop_days)
        if t is None:
            return None
        weight = _denominator(metric, metrics, daily, shop_days) if metric.formula else None
        parts.append((t, weight))
    if not parts:
        return None
    if adds_up:
        return PeriodTarget(
            math.fsum(t.value for t, _ in parts), math.fsum(t.amber for t, _ in parts)
        )
    return _weighted(parts)
