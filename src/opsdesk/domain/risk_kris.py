"""Key risk indicators: metric rules that say when a risk has materialised (pure: no I/O).

The rule kinds are the alert rules' (domain/alerts.py) plus plain thresholds, in the metric's
own units (ratios as fractions):

- `above` / `below`: the day's value is above / below `threshold`;
- `target`: the day's value is red against its target (outside target and amber band);
- `drop` / `rise`: the relative change against a `baseline` (previous_day, same_weekday,
  mean_7d) is more than `threshold` (0.02 = 2%), exactly as an alert rule;
- `stale`: no data at all for the day.

`days = N` asks for N days in a row (the day and the N-1 before, every one breached). `shop`
names one shop, `all` the all-shops total (sums; ratios as ratios of sums; `stale` when any
shop has no data); without it every shop is evaluated on its own. A missing value or baseline
never breaches: an undefined number is shown as undefined.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from opsdesk.domain import all_shops
from opsdesk.domain.alerts import BASELINE_NAMES, BASELINES, baseline_window
from opsdesk.domain.coverage import reported_only
from opsdesk.domain.kpis import Daily, Targets, aggregate, has_data, relative_change, status
from opsdesk.domain.metrics import Metric, format_value

KINDS = ("above", "below", "target", "drop", "rise", "stale")
ALL_SHOPS = "all"
_EPS = 1e-9


class KriError(ValueError):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{f}: {r}" for f, r in problems))


@dataclass(frozen=True)
class Kri:
    kind: str
    metric_key: str | None = None
    threshold: float | None = None
    baseline: str | None = None
    days: int = 1
    shop_key: str | None = None  # None: every shop on its own; "all": the all-shops total
    voids_acceptance: bool = False

    def describe(self, metrics: Mapping[str, Metric] | None = None) -> str:
        """The rule in words: `stockout_rate above 3.00% for 3 days in a row (tmall-apparel)`."""
        metric = (metrics or {}).get(self.metric_key or "")
        name = self.metric_key or "data"

        def amount(v: float | None) -> str:
            if v is None:
                return "?"
            return format_value(metric, v) if metric is not None else f"{v:g}"

        if self.kind in ("above", "below"):
            text = f"{name} {self.kind} {amount(self.threshold)}"
        elif self.kind == "target":
            text = f"{name} red against its target"
        elif self.kind in ("drop", "rise"):
            pct = (self.threshold or 0.0) * 100
            base = BASELINE_NAMES.get(self.baseline or "", "?")
            text = f"{name} {self.kind} > {pct:g}% vs {base}"
        else:
            text = "no data for the day"
        if self.days > 1:
            text += f" for {self.days} days in a row"
        shop = {None: "any shop", ALL_SHOPS: "all shops"}.get(self.shop_key, self.shop_key)
        text += f" ({shop})"
        if self.voids_acceptance:
            text += " [voids acceptance]"
        return text


def parse_kri(raw: Any, metrics: Collection[str], shops: Collection[str] | None = None) -> Kri:
    """A KRI from a TOML table; raises KriError with every (field, problem)."""
    if not isinstance(raw, Mapping):
        raise KriError([("", "a KRI is a table: [[risk.kri]]")])
    problems: list[tuple[str, str]] = []
    allowed = {"metric", "kind", "threshold", "baseline", "days", "shop", "voids_acceptance"}
    problems.extend((k, "unknown field") for k in raw if k not in allowed)
    kind = raw.get("kind")
    if kind not in KINDS:
        problems.append(("kind", f"{kind!r} is not one of {', '.join(KINDS)}"))
    metric = raw.get("metric")
    if kind != "stale":
        if not metric:
            problems.append(("metric", "is required"))
        elif metric not in metrics:
            problems.append(("metric", f"unknown metric {metric!r} (see `opsdesk metrics`)"))
    elif metric:
        problems.append(("metric", "a stale KRI watches the whole export: no metric"))
    threshold = raw.get("threshold")
    if kind in ("above", "below", "drop", "rise"):
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            problems.append(("threshold", f"{threshold!r}: a number is required for {kind}"))
        elif kind in ("drop", "rise") and threshold < 0:
            problems.append(("threshold", "a relative change threshold is 0 or more"))
    elif threshold is not None:
        problems.append(("threshold", f"not used by kind {kind!r}"))
    baseline = raw.get("baseline")
    if kind in ("drop", "rise"):
        if baseline not in BASELINES:
            problems.append(("baseline", f"{baseline!r} is not one of {', '.join(BASELINES)}"))
    elif baseline is not None:
        problems.append(("baseline", f"not used by kind {kind!r}"))
    days = raw.get("days", 1)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 90:
        problems.append(("days", f"{days!r} is not a number of days from 1 to 90"))
    shop = raw.get("shop")
    if shop is not None:
        if not isinstance(shop, str) or not shop:
            problems.append(("shop", f"{shop!r} is not a shop key"))
        elif shops is not None and shop != ALL_SHOPS and shop not in shops:
            problems.append(("shop", f"unknown shop {shop!r} (or 'all' for the total)"))
    voids = raw.get("voids_acceptance", False)
    if not isinstance(voids, bool):
        problems.append(("voids_acceptance", "true or false"))
    if problems:
        raise KriError(problems)
    return Kri(
        kind=str(kind),
        metric_key=metric or None,
        threshold=None if threshold is None else float(threshold),
        baseline=baseline,
        days=int(days),
        shop_key=shop,
        voids_acceptance=bool(voids),
    )


def kri_dict(kri: Kri) -> dict[str, Any]:
    """The TOML/JSON shape of a KRI (what `parse_kri` reads)."""
    out: dict[str, Any] = {"kind": kri.kind}
    for name, value in (
        ("metric", kri.metric_key),
        ("threshold", kri.threshold),
        ("baseline", kri.baseline),
        ("shop", kri.shop_key),
    ):
        if value is not None:
            out[name] = value
    if kri.days != 1:
        out["days"] = kri.days
    if kri.voids_acceptance:
        out["voids_acceptance"] = True
    return out


def kri_text(kri: Kri) -> str:
    """A KRI as one editable line: `kind=above metric=stockout_rate threshold=0.03 days=3`."""
    parts = []
    for name, value in kri_dict(kri).items():
        text = "true" if value is True else f"{value:g}" if isinstance(value, float) else value
        parts.append(f"{name}={text}")
    return " ".join(parts)


def parse_kri_text(
    text: str, metrics: Collection[str], shops: Collection[str] | None = None
) -> Kri:
    """A KRI from the line `kri_text` writes (the app's editor); KriError names each problem."""
    raw: dict[str, Any] = {}
    for token in text.split():
        name, sep, value = token.partition("=")
        if not sep or not value:
            raise KriError([(token, "write name=value (kind=above metric=… threshold=…)")])
        if name == "threshold":
            try:
                raw[name] = float(value.rstrip("%")) / (100 if value.endswith("%") else 1)
            except ValueError:
                raise KriError([(name, f"{value!r} is not a number")]) from None
        elif name == "days":
            raw[name] = int(value) if value.isdigit() else value
        elif name == "voids_acceptance":
            raw[name] = {"true": True, "false": False}.get(value.lower(), value)
        else:
            raw[name] = value
    return parse_kri(raw, metrics, shops)


@dataclass(frozen=True)
class Reading:
    """A KRI evaluated for one shop (or 'all') on a day: the day's value and whether it fired."""

    shop_key: str
    day: date
    value: float | None
    breached: bool
    message: str


def _baseline(
    metric: Metric, metrics: Mapping[str, Metric], dailies: Sequence[Daily], day: date, b: str
) -> float | None:
    window = baseline_window(b, day)
    if metric.formula is not None:
        return aggregate(metric, metrics, dailies, window)
    values = [v for d in window if (v := aggregate(metric, metrics, dailies, [d])) is not None]
    return sum(values) / len(values) if values else None


def _one_day(
    kri: Kri,
    metrics: Mapping[str, Metric],
    dailies: Sequence[Daily],
    shop_keys: Sequence[str],
    label: str,
    day: date,
    targets: Targets,
) -> tuple[float | None, bool, str]:
    """(value, breached, what happened) for one day."""
    with_data = [has_data(d, day) for d in dailies]
    if kri.kind == "stale":
        missing = [k for k, ok in zip(shop_keys, with_data, strict=True) if not ok]
        if missing:
            return None, True, f"{label}: no data for {day} ({', '.join(missing)})"
        return None, False, f"{label}: data present for {day}"
    metric = metrics.get(kri.metric_key or "")
    if metric is None:
        return None, False, f"{label}: unknown metric {kri.metric_key}"
    value = aggregate(metric, metrics, dailies, [day])
    shown = format_value(metric, value)
    if value is None:
        return None, False, f"{label}: {metric.name_en} has no value for {day}"
    if kri.kind in ("above", "below"):
        limit = kri.threshold or 0.0
        fired = value > limit + _EPS if kri.kind == "above" else value < limit - _EPS
        return (
            value,
            fired,
            (
                f"{label}: {metric.name_en} {shown} on {day} "
                f"({'breaches' if fired else 'within'} {kri.kind} {format_value(metric, limit)})"
            ),
        )
    if kri.kind == "target":
        if label == ALL_SHOPS:  # the one all-shops rule: the shops that reported, their targets
            counted = {k: reported_only(d) for k, d in zip(shop_keys, dailies, strict=True)}
            value = aggregate(metric, metrics, list(counted.values()), [day])
            if value is None:
                return None, False, f"{label}: {metric.name_en} has no value for {day}"
            shown = format_value(metric, value)
            target = all_shops.target(targets, metric, metrics, counted, [day])
        else:
            target = targets.for_period(metric, label, [day])
        fired = target is not None and status(metric.direction, value, target) == "red"
        ref = "no target" if target is None else f"target {format_value(metric, target.value)}"
        return value, fired, f"{label}: {metric.name_en} {shown} on {day} ({ref})"
    reference = _baseline(metric, metrics, dailies, day, kri.baseline or "previous_day")
    change = relative_change(value, reference)
    if change is None:
        return value, False, f"{label}: {metric.name_en} {shown} on {day} (no baseline)"
    limit = kri.threshold or 0.0
    fired = change < -limit - _EPS if kri.kind == "drop" else change > limit + _EPS
    side = "below" if change < 0 else "above"
    return (
        value,
        fired,
        (
            f"{label}: {metric.name_en} {shown} on {day} is {abs(change) * 100:.1f}% {side} "
            f"{BASELINE_NAMES[kri.baseline or 'previous_day']} {format_value(metric, reference)}"
        ),
    )


def evaluate(
    kri: Kri,
    metrics: Mapping[str, Metric],
    dailies: Mapping[str, Daily],
    day: date,
    targets: Targets,
) -> list[Reading]:
    """The KRI's readings on `day`: one per shop it watches (`dailies`: shop key -> daily)."""
    if kri.shop_key == ALL_SHOPS:
        scopes = [(ALL_SHOPS, list(dailies))]
    elif kri.shop_key is not None:
        scopes = [(kri.shop_key, [kri.shop_key])] if kri.shop_key in dailies else []
    else:
        scopes = [(k, [k]) for k in dailies]
    out = []
    for label, keys in scopes:
        ds = [dailies[k] for k in keys]
        value, fired, message = _one_day(kri, metrics, ds, keys, label, day, targets)
        for back in range(1, kri.days):
            if not fired:
                break
            earlier = day - timedelta(days=back)
            fired = _one_day(kri, metrics, ds, keys, label, earlier, targets)[1]
        if fired and kri.days > 1:
            message += f"; {kri.days} days in a row"
        out.append(Reading(label, day, value, fired, message))
    return out


def days_needed(kris: Sequence[Kri]) -> int:
    """How many days before the evaluated day the KRIs read (streaks and baselines)."""
    span = 1
    for k in kris:
        base = 7 if k.baseline in ("same_weekday", "mean_7d") else 1
        span = max(span, k.days + base)
    return span
