"""Alert rules evaluated for one shop on one ops day (pure: no I/O).

Rule kinds (table `alert_rules`, defaults in fixtures/catalogue.toml):

- `stale`: the shop's day does not count as reported (opsdesk.domain.coverage): no value at
  all (an export not imported; other rules are not evaluated: there is nothing to compare) or
  only part of it (a headline metric missing; the other rules look at the values present).
- `target`: the day's value is outside its target and amber band (status red). Its severity
  is the status's (`STATUS_SEVERITY`), never the rule's own: the KPI table's ✗ and the alert
  come from one `opsdesk.domain.kpis.status`, so a red line never has a mere warning.
- `drop` / `rise`: the day's value changed by more than `threshold` (relative: 0.02 = 2%)
  against a baseline: `previous_day`, `same_weekday` (a week earlier) or `mean_7d` (the seven
  days before the day; for a derived metric the ratio of sums over those days, for a base
  metric the mean of the daily values present).

A metric without a value (missing inputs, zero denominator) or a baseline without one raises
nothing: an undefined number is shown as undefined, not alerted on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from opsdesk.domain.alert_record import SEVERITIES as SEVERITIES
from opsdesk.domain.alert_record import Alert as Alert
from opsdesk.domain.alert_record import sort_key
from opsdesk.domain.coverage import MISSING, PARTIAL, day_state, missing_headline
from opsdesk.domain.kpis import Daily, Targets, aggregate, relative_change, status
from opsdesk.domain.metrics import Metric, format_value

KINDS = ("target", "drop", "rise", "stale")
BASELINES = ("previous_day", "same_weekday", "mean_7d")
STATUS_SEVERITY = {"red": "red"}
"""The severity of a `target` alert by the KPI status that raised it (only red raises one)."""
BASELINE_NAMES = {
    "previous_day": "the previous day",
    "same_weekday": "the same weekday last week",
    "mean_7d": "its 7-day mean",
}
_EPS = 1e-9


@dataclass(frozen=True)
class Rule:
    key: str
    kind: str
    metric_key: str | None = None
    shop_key: str | None = None
    baseline: str | None = None
    threshold: float | None = None
    severity: str = "warning"
    """Of `drop`, `rise` and `stale` alerts; a `target` alert takes its status's."""
    enabled: bool = True
    description: str = ""


def rule_severity(kind: str, severity: str) -> str:
    """The severity of a rule's alerts: a `target` alert fires on a red status, so it is red
    whatever the rule says; the other kinds take the rule's."""
    return STATUS_SEVERITY["red"] if kind == "target" else severity


def baseline_window(baseline: str, day: date) -> list[date]:
    """The days a baseline reads, oldest first."""
    if baseline == "previous_day":
        return [day - timedelta(days=1)]
    if baseline == "same_weekday":
        return [day - timedelta(days=7)]
    if baseline == "mean_7d":
        return [day - timedelta(days=i) for i in range(7, 0, -1)]
    raise ValueError(f"baseline {baseline!r}: one of {', '.join(BASELINES)}")


def baseline_value(
    metric: Metric, metrics: Mapping[str, Metric], daily: Daily, day: date, baseline: str
) -> float | None:
    """The reference a `drop`/`rise` rule compares the day's value with."""
    window = baseline_window(baseline, day)
    if metric.formula is not None:
        return aggregate(metric, metrics, [daily], window)
    values = [row[metric.key] for d in window if (row := daily.get(d)) and metric.key in row]
    return sum(values) / len(values) if values else None


def sort_alerts(alerts: Iterable[Alert]) -> list[Alert]:
    """Red first, then by shop, rule and metric."""
    return sorted(alerts, key=sort_key)


def evaluate(
    rules: Iterable[Rule],
    metrics: Mapping[str, Metric],
    shop_key: str,
    daily: Daily,
    day: date,
    targets: Targets,
) -> list[Alert]:
    """Every alert the enabled rules raise for `shop_key` on `day`, red first."""
    applicable = [r for r in rules if r.enabled and r.shop_key in (None, shop_key)]
    state = day_state(daily, day)
    if state == MISSING:
        message = f"{shop_key}: no data for {day.isoformat()} (an export not imported?)"
    else:
        gaps = ", ".join(missing_headline(daily, day))
        message = f"{shop_key}: partial data for {day.isoformat()}: no {gaps} (not all imported?)"
    stale = [
        Alert(r.key, shop_key, None, day, r.severity, message, None, None)
        for r in applicable
        if r.kind == "stale" and state in (MISSING, PARTIAL)
    ]
    if state == MISSING:
        return stale
    out: list[Alert] = stale
    for rule in applicable:
        metric = metrics.get(rule.metric_key or "")
        if rule.kind == "stale" or metric is None:
            continue
        value = aggregate(metric, metrics, [daily], [day])
        if value is None:
            continue
        alert = None
        if rule.kind == "target":
            alert = _target_alert(rule, metric, shop_key, day, value, targets)
        elif rule.kind in ("drop", "rise") and rule.baseline is not None:
            alert = _change_alert(rule, metric, metrics, shop_key, daily, day, value)
        if alert is not None:
            out.append(alert)
    return sort_alerts(out)


def _target_alert(
    rule: Rule, metric: Metric, shop_key: str, day: date, value: float, targets: Targets
) -> Alert | None:
    target = targets.for_period(metric, shop_key, [day])
    if target is None:
        return None
    severity = STATUS_SEVERITY.get(status(metric.direction, value, target))
    if severity is None:
        return None
    side = "below" if metric.direction == "up" else "above"
    message = (
        f"{shop_key}: {metric.name_en} {format_value(metric, value)} is {side} its target "
        f"{format_value(metric, target.value)}"
    )
    if target.amber:
        edge = (
            target.value - target.amber
            if metric.direction == "up"
            else (target.value + target.amber)
        )
        reach = "down" if metric.direction == "up" else "up"
        message += f" (amber band {reach} to {format_value(metric, edge)})"
    return Alert(rule.key, shop_key, metric.key, day, severity, message, value, target.value)


def _change_alert(
    rule: Rule,
    metric: Metric,
    metrics: Mapping[str, Metric],
    shop_key: str,
    daily: Daily,
    day: date,
    value: float,
) -> Alert | None:
    assert rule.baseline is not None
    reference = baseline_value(metric, metrics, daily, day, rule.baseline)
    change = relative_change(value, reference)
    if change is None or reference is None:
        return None
    threshold = rule.threshold or 0.0
    if rule.kind == "drop" and not change < -threshold - _EPS:
        return None
    if rule.kind == "rise" and not change > threshold + _EPS:
        return None
    side = "below" if change < 0 else "above"
    message = (
        f"{shop_key}: {metric.name_en} {format_value(metric, value)} is {abs(change) * 100:.1f}% "
        f"{side} {BASELINE_NAMES[rule.baseline]} {format_value(metric, reference)}"
    )
    return Alert(rule.key, shop_key, metric.key, day, rule.severity, message, value, reference)
