"""Whether a daily value may be stored: one set of checks for every path that writes values.

The importer, the entry form and the store's write API (`opsdesk.store.observations`) call
these, so a value refused in one place is refused everywhere (CONVENTIONS.md, habit 12):

- only base metrics that people record can be given a value: derived metrics are computed
  from their formula, computed base metrics (SOP adherence) from other records;
- no value for a day after the ops day;
- a value fits its unit: counts are whole, scores lie on their scale, fractions between 0
  and 1, and nothing is negative or beyond a sane bound for the unit (`UNIT_RULES`);
- the day's values, after the change, keep the cross-metric rules (`CROSS_RULES`: buyers ≤
  visitors…), each refusal naming both metrics.

Every check returns the reason alone (or None); the caller names the file, line and field.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date

from opsdesk.domain.kpis import COMPUTED_METRICS
from opsdesk.domain.metrics import Metric


@dataclass(frozen=True)
class UnitRule:
    """What a value of one unit may be: whole or not, and the range it lies in."""

    whole: bool
    low: float
    high: float
    what: str
    """How a refusal names the unit: "a count", "a score from 0 to 5"…"""


UNIT_RULES: Mapping[str, UnitRule] = {
    # A shop's day: ten billion visitors or impressions is already far beyond any platform.
    "count": UnitRule(True, 0.0, 1e10, "a count"),
    # A hundred billion yuan a day: beyond the largest platform's whole 11.11.
    "CNY": UnitRule(False, 0.0, 1e11, "an amount in CNY"),
    "s": UnitRule(False, 0.0, 1e10, "a duration in seconds"),
    "h": UnitRule(False, 0.0, 1e8, "a duration in hours"),
    "d": UnitRule(False, 0.0, 1e6, "a duration in days"),
    # Platform ratings (DSR and the like) are on a five-point scale.
    "score": UnitRule(False, 0.0, 5.0, "a score from 0 to 5"),
    "%": UnitRule(False, 0.0, 1.0, "a fraction from 0 to 1 (0% to 100%)"),
    "x": UnitRule(False, 0.0, 1e4, "a multiple"),
}
"""The rule of each unit of `opsdesk.domain.metrics.UNITS`."""


@dataclass(frozen=True)
class CrossRule:
    """`part` of a day never exceeds `whole` of the same shop and day."""

    part: str
    whole: str


CROSS_RULES: tuple[CrossRule, ...] = (
    CrossRule("buyers", "visitors"),
    CrossRule("paid_visitors", "visitors"),
    CrossRule("ad_clicks", "ad_impressions"),
    CrossRule("negative_reviews", "reviews"),
    CrossRule("aftersales_late", "aftersales_tickets"),
    CrossRule("late_shipments", "shipped_orders"),
    CrossRule("stockout_skus", "active_skus"),
)
"""Cross-metric rules of the catalogue (DOMAIN.md §3): a subset never exceeds its whole.

Kept here as one table rather than in the catalogue file: the store's metrics table has no
place for them, and they hold for the shipped metrics whatever a team adds."""

CROSS_METRICS: frozenset[str] = frozenset(k for r in CROSS_RULES for k in (r.part, r.whole))


class ValueRefused(ValueError):
    """A value that may not be stored: `field` names the metric (or 'day'), `reason` why."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


def shown(value: float) -> str:
    """A value as a refusal quotes it: `12.5`, `7`, `1e+300`."""
    return f"{value:g}" if abs(value) < 1e16 else f"{value:.3g}"


def not_entered(metric: Metric) -> str | None:
    """Why `metric` cannot be given a value by an import or by hand, or None when it can."""
    if metric.formula is not None:
        return (
            f"{metric.key} is a derived metric ({metric.formula}): opsdesk computes it; "
            "give its base metrics instead"
        )
    if metric.key in COMPUTED_METRICS:
        return (
            f"{metric.key} ({metric.name_en}) is computed by opsdesk from other records, "
            "not entered"
        )
    return None


def check_day(day: date, ops_day: date | None) -> str | None:
    """Why no value may be stored for `day`: a day after the ops day has not ended."""
    if ops_day is not None and day > ops_day:
        return (
            f"{day.isoformat()} is after the ops day {ops_day.isoformat()}: "
            "no values for a day that has not been reviewed yet"
        )
    return None


def check_value(metric: Metric, value: float) -> str | None:
    """Why `value` is not a plausible value of `metric`, or None when it is."""
    rule = UNIT_RULES.get(metric.unit)
    if rule is None:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return f"{metric.name_en}: {value} is not a finite number"
    if value < 0:
        return f"{metric.name_en}: {shown(value)} is negative"
    if rule.whole and not value.is_integer():
        return f"{metric.name_en} is {rule.what}: {shown(value)} is not a whole number"
    if not rule.low <= value <= rule.high:
        if metric.unit in ("score", "%"):
            return f"{metric.name_en} is {rule.what}: {shown(value)} is off the scale"
        return (
            f"{metric.name_en}: {shown(value)} is beyond any plausible value "
            f"for {rule.what} (at most {rule.high:,.0f})"
        )
    return None


@dataclass(frozen=True)
class CrossRefusal:
    """A day whose values break a cross-metric rule; `field` is the metric that changed."""

    field: str
    other: str
    reason: str


def check_cross(
    day_values: Mapping[str, float],
    changed: Collection[str],
    metrics: Mapping[str, Metric],
) -> list[CrossRefusal]:
    """The cross-metric rules broken by a shop's day after a change.

    `day_values` are the day's values after the change (the stored ones merged with the new
    ones); only rules that involve a `changed` metric are checked, so a day already stored
    against a rule does not block an unrelated correction.
    """
    out: list[CrossRefusal] = []
    for rule in CROSS_RULES:
        part, whole = day_values.get(rule.part), day_values.get(rule.whole)
        if part is None or whole is None or part <= whole:
            continue
        if rule.part not in changed and rule.whole not in changed:
            continue
        field, other = (rule.part, rule.whole) if rule.part in changed else (rule.whole, rule.part)
        out.append(CrossRefusal(field, other, _cross_reason(rule, part, whole, metrics)))
    return out


def _cross_reason(rule: CrossRule, part: float, whole: float, metrics: Mapping[str, Metric]) -> str:
    def name(key: str) -> str:
        m = metrics.get(key)
        return m.name_en if m is not None else key

    return (
        f"{name(rule.part)} {shown(part)} is more than {name(rule.whole)} {shown(whole)}"
        f" ({rule.part} ≤ {rule.whole})"
    )
