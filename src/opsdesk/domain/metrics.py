"""Metric definitions and derived-metric formulas.

A derived metric is `numerator / denominator`, each side a linear combination of base
metrics (`gmv - refund_amount`, `2 * buyers`). It is always evaluated as a ratio of sums:
sum each side over the period first, then divide. A zero or missing denominator gives None.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

Linear = dict[str, float]
"""A linear combination of base metrics: key -> coefficient."""

UNITS = ("count", "CNY", "s", "h", "d", "score", "%", "x")
DIRECTIONS = ("up", "down")
AGGREGATIONS = ("sum", "last")


class FormulaError(ValueError):
    """A formula that cannot be parsed or refers to unknown metrics."""


@dataclass(frozen=True)
class Formula:
    numerator: Linear
    denominator: Linear

    @property
    def inputs(self) -> frozenset[str]:
        return frozenset(self.numerator) | frozenset(self.denominator)

    def evaluate(self, sums: Mapping[str, float | None]) -> float | None:
        """Ratio of the two sides over already-summed inputs; None when undefined."""
        num = _combine(self.numerator, sums)
        den = _combine(self.denominator, sums)
        if num is None or den is None or den == 0:
            return None
        value = num / den
        return value if math.isfinite(value) else None

    def __str__(self) -> str:
        return f"{_render(self.numerator)} / {_render(self.denominator)}"


@dataclass(frozen=True)
class Metric:
    key: str
    name_en: str
    name_zh: str = ""
    unit: str = "count"
    direction: str | None = None
    aggregation: str = "sum"
    formula: Formula | None = None
    aliases: tuple[str, ...] = field(default_factory=tuple)
    description: str = ""

    @property
    def is_derived(self) -> bool:
        return self.formula is not None

    @property
    def is_ratio_unit(self) -> bool:
        return self.unit == "%"

    def headers(self) -> tuple[str, ...]:
        """Every column header that names this metric in an import file."""
        return (self.key, self.name_en, self.name_zh, *self.aliases)


def _combine(side: Linear, sums: Mapping[str, float | None]) -> float | None:
    total = 0.0
    for key, coef in side.items():
        v = sums.get(key)
        if v is None:
            return None
        total += coef * v
    return total


def _render(side: Linear) -> str:
    parts = []
    for i, (key, coef) in enumerate(side.items()):
        sign = "-" if coef < 0 else "+"
        mag = abs(coef)
        term = key if mag == 1 else f"{mag:g} * {key}"
        parts.append(term if i == 0 and sign == "+" else f"{sign} {term}")
    text = " ".join(parts)
    if text.startswith("- "):
        text = "-" + text[2:]
    return f"({text})" if len(side) > 1 else text


_TERM = re.compile(r"\s*([+-])?\s*(?:(\d+(?:\.\d+)?)\s*\*\s*)?([a-z][a-z0-9_]*)\s*", re.IGNORECASE)


def _parse_side(text: str, known_base: set[str] | None, whole: str) -> Linear:
    text = text.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    out: Linear = {}
    pos = 0
    first = True
    while pos < len(text):
        m = _TERM.match(text, pos)
        if not m or m.end() == pos or (not first and not m.group(1)):
            raise FormulaError(f"cannot read {whole!r} at {text[pos:]!r}")
        sign = -1.0 if m.group(1) == "-" else 1.0
        coef = float(m.group(2)) if m.group(2) else 1.0
        key = m.group(3)
        if known_base is not None and key not in known_base:
            raise FormulaError(f"{whole!r}: {key!r} is not a base metric")
        out[key] = out.get(key, 0.0) + sign * coef
        pos = m.end()
        first = False
    if not out:
        raise FormulaError(f"{whole!r}: an empty side")
    return out


def parse_formula(text: str, known_base: set[str] | None = None) -> Formula:
    """Parse `numerator / denominator`; with `known_base`, every key must be one of them."""
    if text.count("/") != 1:
        raise FormulaError(f"{text!r}: a formula is `numerator / denominator` (exactly one /)")
    num, den = text.split("/")
    return Formula(_parse_side(num, known_base, text), _parse_side(den, known_base, text))


def format_value(metric: Metric, value: float | None, *, signed: bool = False) -> str:
    """A value for people: ratios as percentages, money with separators; '—' when undefined."""
    if value is None:
        return "—"
    sign = "+" if signed and value > 0 else ""
    if metric.unit == "%":
        return f"{sign}{value * 100:.2f}%"
    if metric.unit == "x":
        return f"{sign}{value:.2f}×"
    if metric.unit == "score":
        return f"{sign}{value:.2f}"
    if metric.unit == "s":
        return f"{sign}{value:.1f} s"
    if metric.unit == "CNY":
        return f"{sign}{value:,.0f}" if abs(value) >= 1000 else f"{sign}{value:,.2f}"
    if float(value).is_integer():
        return f"{sign}{int(value):,}"
    return f"{sign}{value:,.2f}"


def format_apart(metric: Metric, value: float | None, other: float | None) -> tuple[str, str]:
    """`value` and `other` for people, with as many more decimals as it takes for two
    different values not to read the same (an amber 3.327% against a target of 3.332%, not
    "3.33% vs 3.33%")."""
    a, b = format_value(metric, value), format_value(metric, other)
    if value is None or other is None or value == other or a != b:
        return a, b
    scale, suffix = (100.0, "%") if metric.unit == "%" else (1.0, "")
    suffix = {"x": "×", "s": " s"}.get(metric.unit, suffix)
    for digits in range(2, 7):
        a = f"{value * scale:,.{digits}f}{suffix}"
        b = f"{other * scale:,.{digits}f}{suffix}"
        if a != b:
            break
    return a, b
