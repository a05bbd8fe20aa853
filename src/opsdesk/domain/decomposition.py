"""The GMV change between two periods, split into visitors, conversion and AOV effects.

GMV = visitors × conversion × AOV holds exactly (conversion = buyers / visitors, AOV = gmv /
buyers), so a change in GMV splits into the three factors. opsdesk uses the additive log-mean
Divisia index (LMDI-I): with L(a, b) = (a − b) / (ln a − ln b) (and L(a, a) = a),

    effect of factor x = L(GMV₁, GMV₀) × ln(x₁ / x₀)

The three effects sum to GMV₁ − GMV₀ with no residual term, and unlike a sequential split the
result does not depend on the order the factors are taken in. Effects are given in fen (0.01
CNY, as Decimal): the rounding remainder (a fen or two at most) is folded into the AOV effect
so that the parts add up to the change exactly. The split is undefined (None) when a factor is
missing or zero in either period — e.g. no visitor counts, as in the olist data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

METHOD = "LMDI-I (additive log-mean Divisia index)"
_FEN = Decimal("0.01")


@dataclass(frozen=True)
class Factors:
    """One period's totals."""

    visitors: float
    buyers: float
    gmv: float

    @property
    def conversion(self) -> float:
        return self.buyers / self.visitors

    @property
    def aov(self) -> float:
        return self.gmv / self.buyers


@dataclass(frozen=True)
class Decomposition:
    previous: Factors
    current: Factors
    gmv_previous: Decimal
    gmv_current: Decimal
    change: Decimal
    visitors_effect: Decimal
    conversion_effect: Decimal
    aov_effect: Decimal
    method: str = METHOD


def _fen(x: float) -> Decimal:
    return Decimal(repr(x)).quantize(_FEN, rounding=ROUND_HALF_EVEN)


def _log_mean(a: float, b: float) -> float:
    if a == b:
        return a
    return (a - b) / (math.log(a) - math.log(b))


def _usable(f: Factors | None) -> bool:
    return f is not None and all(math.isfinite(v) and v > 0 for v in (f.visitors, f.buyers, f.gmv))


def decompose(previous: Factors | None, current: Factors | None) -> Decomposition | None:
    """Split the GMV change from `previous` to `current`; None when it is undefined."""
    if previous is None or current is None or not (_usable(previous) and _usable(current)):
        return None
    weight = _log_mean(current.gmv, previous.gmv)
    visitors = _fen(weight * math.log(current.visitors / previous.visitors))
    conversion = _fen(weight * math.log(current.conversion / previous.conversion))
    g0, g1 = _fen(previous.gmv), _fen(current.gmv)
    change = g1 - g0
    return Decomposition(
        previous=previous,
        current=current,
        gmv_previous=g0,
        gmv_current=g1,
        change=change,
        visitors_effect=visitors,
        conversion_effect=conversion,
        aov_effect=change - visitors - conversion,
    )


def factors(values: dict[str, float | None]) -> Factors | None:
    """The factors from a rollup (`visitors`, `buyers`, `gmv`), None when one is missing."""
    v, b, g = values.get("visitors"), values.get("buyers"), values.get("gmv")
    if v is None or b is None or g is None:
        return None
    return Factors(v, b, g)


SPLIT_INPUTS = ("visitors", "buyers", "gmv")
"""The base metrics behind the split."""


def span_factors(
    values: Mapping[str, float | None],
    dailies: Sequence[Mapping[date, Mapping[str, float]]],
    days: Sequence[date],
) -> Factors | None:
    """The factors of one span from its rollup (`values`: visitors, buyers, GMV); None unless
    every (shop, day) of the span with GMV also has visitors and buyers (else the split would
    credit one shop's sales to another's traffic). The report's and the weekly review's split
    of one shop; all shops pair the days first (opsdesk.domain.all_shops.split_factors)."""
    for daily in dailies:
        for d in days:
            row = daily.get(d)
            if row and "gmv" in row and not all(k in row for k in SPLIT_INPUTS):
                return None
    return factors(dict(values))
