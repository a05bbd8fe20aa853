"""The GMV decomposition: parts add up to the change exactly; a hand-computed case."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from opsdesk.domain.decomposition import Factors, decompose, factors


def test_hand_computed_case() -> None:
    # Week 0: 1,000 visitors, 40 buyers (4%), GMV 8,000 (AOV 200).
    # Week 1: 1,100 visitors (+10%), 44 buyers (still 4%), GMV 9,680 (AOV 220, +10%).
    # ln(9680/8000) = ln(1.21) = 2 ln(1.1), so visitors and AOV each take half of +1,680;
    # a sequential split would give 800 / 0 / 880 instead, depending on the order.
    d = decompose(Factors(1000, 40, 8000), Factors(1100, 44, 9680))
    assert d is not None
    assert d.change == Decimal("1680.00")
    assert d.visitors_effect == Decimal("840.00")
    assert d.conversion_effect == Decimal("0.00")
    assert d.aov_effect == Decimal("840.00")


def test_conversion_slide_with_flat_traffic() -> None:
    # Visitors flat, conversion 4% -> 3.4%, AOV flat at 200: the whole drop is conversion.
    d = decompose(Factors(7000, 280, 56000), Factors(7000, 238, 47600))
    assert d is not None
    assert (d.change, d.visitors_effect, d.conversion_effect, d.aov_effect) == (
        Decimal("-8400.00"),
        Decimal("0.00"),
        Decimal("-8400.00"),
        Decimal("0.00"),
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ((23000, 874, 173052.0), (25117, 912, 187391.37)),
        ((1234, 17, 3456.78), (987, 23, 6543.21)),
        ((500000, 29000, 8120000.0), (31000, 1178, 233244.0)),
        ((3, 1, 0.01), (1000003, 99999, 987654321.99)),
    ],
)
def test_parts_add_up_to_the_change_exactly(
    before: tuple[float, float, float], after: tuple[float, float, float]
) -> None:
    d = decompose(Factors(*before), Factors(*after))
    assert d is not None
    assert d.visitors_effect + d.conversion_effect + d.aov_effect == d.change
    assert d.change == d.gmv_current - d.gmv_previous
    # the remainder folded into AOV is rounding only: within a few fen of the exact LMDI term
    w = (after[2] - before[2]) / math.log(after[2] / before[2])
    exact_aov = w * math.log((after[2] / after[1]) / (before[2] / before[1]))
    assert abs(float(d.aov_effect) - exact_aov) < 0.02 + 1e-9 * abs(exact_aov)


def test_undefined_without_visitors_or_with_zeros() -> None:
    assert decompose(None, Factors(1, 1, 1)) is None
    assert decompose(Factors(0, 0, 0), Factors(10, 1, 100)) is None
    assert decompose(Factors(10, 1, 100), Factors(10, 0, 0)) is None
    assert factors({"visitors": None, "buyers": 3.0, "gmv": 10.0}) is None
    assert factors({"visitors": 5.0, "buyers": 3.0, "gmv": 10.0}) == Factors(5.0, 3.0, 10.0)


def test_flat_gmv_uses_the_limit_of_the_log_mean() -> None:
    d = decompose(Factors(1000, 40, 8000), Factors(1250, 40, 8000))
    assert d is not None
    assert d.change == Decimal("0.00")
    # visitors +25%, conversion -20%: effects cancel; 8000 × ln(1.25) = 8000 × 0.2231436 = 1785.149
    assert d.visitors_effect == Decimal("1785.15")
    assert d.conversion_effect == Decimal("-1785.15")
    assert d.aov_effect == Decimal("0.00")
