"""PDCA cycles (pure): stages and their gates, the computed Check, signals, verdict, A/B test.

Stages run Plan → Do → Check → Act → Closed, one step forward at a time; a step back is
allowed with a reason. Each forward step has a gate that names exactly what is missing.

The Check compares the metric over the (frozen) baseline window with the window after the
change date, **like for like**: the after-window (from the change date, at most as long as the
baseline) is paired day by day with the latest stretch of the baseline of the same length that
starts on the same weekday, so both sides have the same number of days and the same weekdays.
A day without data on either side is dropped from both. Values come from the KPI engine
(`domain.kpis.aggregate`): a derived metric is a ratio of sums, never a mean of daily ratios;
no data (or a zero denominator) gives None.

Signals on the daily series after the change (run-chart rules, as ops people read them):

- shift: `shift` (6) or more consecutive days on the same side of the baseline's median; a day
  equal to the median neither breaks nor extends a run;
- trend: `trend` (5) or more consecutive days each higher (or each lower) than the day before;
  a day equal to the one before neither breaks nor extends a run;
- outside limits: a day beyond the baseline's natural process limits, XmR: mean ± 2.66 × the
  mean moving range of the baseline's daily values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from opsdesk.domain.kpis import Daily, aggregate, relative_change
from opsdesk.domain.metrics import Metric
from opsdesk.domain.text import control_problem
from opsdesk.domain.wording import counted

STAGES = ("plan", "do", "check", "act", "closed")
STAGE_NAMES = {"plan": "Plan", "do": "Do", "check": "Check", "act": "Act", "closed": "Closed"}
DECISIONS = ("standardise", "iterate", "abandon")
ACTION_STATUSES = ("open", "done", "dropped")
MIN_DAYS_AFTER = 7
DEFAULT_BASELINE_DAYS = 28
FOLLOW_UP_DAYS = 28
FOLLOW_UP_RESULTS = ("held", "lost")
FOLLOW_UP_GRACE_DAYS = 7
"""A follow-up check not confirmed this many days after it came due is shown as overdue."""
XMR_FACTOR = 2.66
Z_95 = 1.959963984540054
"""The two-sided 95% point of the standard normal distribution."""


class PdcaError(ValueError):
    """A refused PDCA change; the message says which field and why."""


def stage_name(stage: str) -> str:
    return STAGE_NAMES.get(stage, stage)


def parse_stage(text: str) -> str:
    """A stage by key or name, any case: `do`, `Do`, `closed`."""
    key = text.strip().lower()
    if key not in STAGES:
        raise PdcaError(f"stage: unknown stage {text!r} (one of {', '.join(STAGES)})")
    return key


# --- gates -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GateFacts:
    """What the gates look at, read from a cycle and the store."""

    hypothesis: str = ""
    plan: str = ""
    actions: int = 0
    """Action items that are open or done (dropped ones do not count)."""
    change_date: date | None = None
    days_after: int = 0
    """Days from the change date to the ops day on which the metric has data."""
    decision: str | None = None
    lesson: str = ""


def missing_for(stage: str, facts: GateFacts) -> list[str]:
    """What a cycle still lacks to enter `stage` (empty: the gate is open)."""
    missing: list[str] = []
    if stage == "do":
        if not facts.hypothesis.strip():
            missing.append("hypothesis: write the hypothesis (what change should move the metric)")
        if not facts.plan.strip():
            missing.append("plan: write the plan")
        if facts.actions < 1:
            missing.append("actions: add at least one action item")
    elif stage == "check":
        if facts.change_date is None:
            missing.append("change date: set the day the change went live")
        elif facts.days_after < MIN_DAYS_AFTER:
            missing.append(
                f"data after the change: {counted(facts.days_after, 'day')}"
                f" with data since {facts.change_date},"
                f" at least {MIN_DAYS_AFTER} needed"
            )
    elif stage == "act":
        if facts.decision is None:
            missing.append("decision: choose standardise, iterate or abandon")
    elif stage == "closed" and not facts.lesson.strip():
        missing.append("lesson: write the lesson learnt (required whatever the decision)")
    return missing


def check_move(current: str, to: str, facts: GateFacts, reason: str | None) -> bool:
    """Validate a stage change; returns True for a move back. Raises PdcaError when refused."""
    if to == current:
        raise PdcaError(f"stage: the cycle is already at {stage_name(to)}")
    i, j = STAGES.index(current), STAGES.index(to)
    if j < i:
        if not (reason or "").strip():
            raise PdcaError(
                f"--reason: moving back from {stage_name(current)} to {stage_name(to)}"
                " needs a reason"
            )
        return True
    if j > i + 1:
        raise PdcaError(
            f"stage: one stage at a time: {stage_name(current)} → {stage_name(STAGES[i + 1])}"
        )
    missing = missing_for(to, facts)
    if missing:
        raise PdcaError(f"cannot move to {stage_name(to)}: missing " + "; ".join(missing))
    return False


# --- windows -----------------------------------------------------------------------------


def days_between(start: date, end: date) -> list[date]:
    """Every day from `start` to `end` inclusive (empty when end < start)."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def default_baseline(opened_on: date, days: int = DEFAULT_BASELINE_DAYS) -> tuple[date, date]:
    """The `days` days before the day the cycle is opened."""
    return opened_on - timedelta(days=days), opened_on - timedelta(days=1)


def after_window(
    baseline: tuple[date, date], change_date: date, last_day: date
) -> tuple[date, date] | None:
    """The window after the change: from the change date to `last_day`, at most as many days
    as the baseline has. None before the change date."""
    if last_day < change_date:
        return None
    length = (baseline[1] - baseline[0]).days + 1
    return change_date, min(last_day, change_date + timedelta(days=length - 1))


def matched_windows(
    baseline: tuple[date, date], after: tuple[date, date]
) -> tuple[list[date], list[date]]:
    """The like-for-like pair: the after-window's days and as many baseline days with the same
    weekdays, in order (the latest stretch of the baseline starting on the after-window's first
    weekday). The after-window is cut when the baseline is too short to match all of it."""
    b_start, b_end = baseline
    after_days = days_between(*after)
    n = len(after_days)
    while n > 0:
        latest_start = b_end - timedelta(days=n - 1)
        back = (latest_start.weekday() - after_days[0].weekday()) % 7
        start = latest_start - timedelta(days=back)
        if start >= b_start:
            return days_between(start, start + timedelta(days=n - 1)), after_days[:n]
        n -= 1
    return [], []


# --- the daily series --------------------------------------------------------------------


def has_metric(metric: Metric, dailies: Sequence[Daily], d: date) -> bool:
    """Whether every shop has the metric's inputs on `d` (all shops: a missing shop's day
    would make the sum unlike the others, so the day counts only when every shop has it)."""
    keys = metric.formula.inputs if metric.formula is not None else frozenset({metric.key})
    if not dailies:
        return False
    for daily in dailies:
        row = daily.get(d)
        if row is None or not all(k in row for k in keys):
            return False
    return True


def value_over(
    metric: Metric, metrics: Mapping[str, Metric], dailies: Sequence[Daily], days: Sequence[date]
) -> float | None:
    """The metric over `days` by the KPI engine (ratio of sums); None without days or data.

    A summed base metric (visitors, GMV) is given per day (the sum over the days divided by
    their number), like its targets, so windows and targets read in the same unit."""
    if not days:
        return None
    value = aggregate(metric, metrics, dailies, days)
    if value is not None and metric.formula is None and metric.aggregation == "sum":
        return value / len(days)
    return value


def daily_series(
    metric: Metric, metrics: Mapping[str, Metric], dailies: Sequence[Daily], days: Sequence[date]
) -> list[tuple[date, float]]:
    """(day, value) for each day with a defined value, in order."""
    out = []
    for d in days:
        if has_metric(metric, dailies, d):
            v = aggregate(metric, metrics, dailies, [d])
            if v is not None:
                out.append((d, v))
    return out


# --- signals -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSet:
    """The run-chart rules applied; set in the config file's `[pdca]` table."""

    shift: int = 6
    trend: int = 5
    limits: bool = True

    def name(self) -> str:
        text = f"run-chart rules: shift {self.shift}, trend {self.trend}"
        return text + ("; XmR limits" if self.limits else "")

    def __post_init__(self) -> None:
        for label, n in (("shift", self.shift), ("trend", self.trend)):
            if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= 30:
                raise PdcaError(f"pdca.{label}: {n!r} must be a whole number from 2 to 30")


@dataclass(frozen=True)
class Signal:
    rule: str
    """`shift`, `trend` or `limits`."""
    direction: str
    """`up` or `down`."""
    days: tuple[date, ...]

    def describe(self) -> str:
        days = counted(len(self.days), "day") + (" in a row" if self.rule == "trend" else "")
        side = {
            "shift": "above the baseline median"
            if self.direction == "up"
            else "below the baseline median",
            "trend": "rising" if self.direction == "up" else "falling",
            "limits": "above the upper limit"
            if self.direction == "up"
            else "below the lower limit",
        }[self.rule]
        span = (
            f"{self.days[0]}..{self.days[-1]}"
            if self.rule != "limits"
            else ", ".join(str(d) for d in self.days)
        )
        return f"{self.rule}: {days} {side} ({span})"


def _runs(steps: Sequence[tuple[date, int]], n: int, rule: str) -> list[Signal]:
    """Signals for every run of `n`+ equal signs (+1 up, -1 down) in `steps`."""
    found: list[Signal] = []
    run: list[date] = []
    sign = 0
    for d, s in [*steps, (date.max, 0)]:
        if s != sign:
            if sign != 0 and len(run) >= n:
                found.append(Signal(rule, "up" if sign > 0 else "down", tuple(run)))
            run, sign = [], s
        run.append(d)
    return found


def shift_signals(series: Sequence[tuple[date, float]], median: float, n: int) -> list[Signal]:
    """Runs of `n`+ days on one side of `median`; days equal to it are skipped."""
    return _runs([(d, 1 if v > median else -1) for d, v in series if v != median], n, "shift")


def trend_signals(series: Sequence[tuple[date, float]], n: int) -> list[Signal]:
    """Runs of `n`+ days each higher (or lower) than the day before; a day equal to the one
    before is skipped (it neither breaks nor extends the run)."""
    steps: list[tuple[date, int]] = []
    previous: float | None = None
    for d, v in series:
        if previous is not None and v != previous:
            steps.append((d, 1 if v > previous else -1))
        if previous is None or v != previous:
            previous = v
    return _runs(steps, n, "trend")


@dataclass(frozen=True)
class Limits:
    mean: float
    moving_range: float
    lower: float
    upper: float


def xmr_limits(values: Sequence[float]) -> Limits | None:
    """Natural process limits of a baseline series: mean ± 2.66 × the mean moving range."""
    if len(values) < 2:
        return None
    mean = math.fsum(values) / len(values)
    mr = math.fsum(abs(b - a) for a, b in zip(values, values[1:], strict=False)) / (len(values) - 1)
    return Limits(mean, mr, mean - XMR_FACTOR * mr, mean + XMR_FACTOR * mr)


def limit_signals(series: Sequence[tuple[date, float]], limits: Limits) -> list[Signal]:
    """Days beyond the limits: one signal for the days above, one for the days below."""
    above = tuple(d for d, v in series if v > limits.upper)
    below = tuple(d for d, v in series if v < limits.lower)
    out = []
    if above:
        out.append(Signal("limits", "up", above))
    if below:
        out.append(Signal("limits", "down", below))
    return out


# --- experiment --------------------------------------------------------------------------


@dataclass(frozen=True)
class Arm:
    arm: str
    denominator: int
    numerator: int
    label: str = ""

    @property
    def rate(self) -> float:
        return self.numerator / self.denominator


def validate_arm(arm: str, denominator: int, numerator: int) -> None:
    if arm not in ("A", "B"):
        raise PdcaError(f"arm: {arm!r} must be A or B")
    if denominator <= 0:
        raise PdcaError(f"visitors: {denominator} must be more than 0")
    if numerator < 0:
        raise PdcaError(f"buyers: {numerator} must be 0 or more")
    if numerator > denominator:
        raise PdcaError(f"buyers: {numerator} buyers is more than the {denominator} visitors")


@dataclass(frozen=True)
class Experiment:
    a: Arm
    b: Arm
    difference: float
    """B's rate minus A's."""
    low: float
    high: float
    within_noise: bool

    def describe(self) -> str:
        pct = lambda x: f"{x * 100:+.2f} pp"  # noqa: E731
        head = (
            f"A {self.a.rate * 100:.2f}% ({self.a.numerator}/{self.a.denominator}),"
            f" B {self.b.rate * 100:.2f}% ({self.b.numerator}/{self.b.denominator}):"
            f" B − A {pct(self.difference)}, 95% CI {pct(self.low)} to {pct(self.high)}"
        )
        if self.within_noise:
            return head + ": within noise (the interval includes 0)"
        return head + ": a real difference at 95%"


def two_proportion(a: Arm, b: Arm) -> Experiment:
    """B − A with its 95% interval by the (unpooled) two-proportion z method."""
    pa, pb = a.rate, b.rate
    se = math.sqrt(pa * (1 - pa) / a.denominator + pb * (1 - pb) / b.denominator)
    diff = pb - pa
    low, high = diff - Z_95 * se, diff + Z_95 * se
    return Experiment(a, b, diff, low, high, within_noise=low <= 0 <= high)


# --- the check ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    start: date | None
    end: date | None
    days: int
    value: float | None


@dataclass(frozen=True)
class Check:
    before: Window
    after: Window
    change: float | None
    change_relative: float | None
    target: float | None
    target_met: bool | None
    rules: str
    signals: tuple[Signal, ...]
    median: float | None
    limits: Limits | None
    verdict: str
    verdict_reason: str
    confounders: tuple[str, ...] = ()
    experiment: Experiment | None = None
    baseline_series: tuple[tuple[date, float], ...] = field(default=(), repr=False)
    after_series: tuple[tuple[date, float], ...] = field(default=(), repr=False)


def good_direction(metric: Metric, direction: str) -> bool | None:
    if metric.direction is None:
        return None
    return direction == metric.direction


def suggest(metric: Metric, signals: Sequence[Signal]) -> tuple[str, str]:
    """A suggested verdict (never imposed) and why."""
    if not signals:
        return "adjust or extend", "no signal after the change"
    if metric.direction is None:
        return "adjust or extend", "signals, but the metric has no good direction"
    good = [s for s in signals if good_direction(metric, s.direction)]
    bad = [s for s in signals if not good_direction(metric, s.direction)]
    if good and not bad:
        return "standardise", "a signal in the good direction: " + good[0].describe()
    if bad and not good:
        return "abandon", "a signal in the wrong direction: " + bad[0].describe()
    return "adjust or extend", "signals in both directions"


def compute_check(
    metric: Metric,
    metrics: Mapping[str, Metric],
    dailies: Sequence[Daily],
    baseline: tuple[date, date],
    change_date: date,
    last_day: date,
    target: float | None,
    rules: RuleSet | None = None,
    experiment: tuple[Arm, Arm] | None = None,
    confounders: Sequence[str] = (),
) -> Check:
    """The before/after comparison, signals and suggested verdict (see the module doc)."""
    rules = rules or RuleSet()
    window = after_window(baseline, change_date, last_day)
    before_days, after_days = matched_windows(baseline, window) if window else ([], [])
    pairs = [
        (b, a)
        for b, a in zip(before_days, after_days, strict=True)
        if has_metric(metric, dailies, b) and has_metric(metric, dailies, a)
    ]
    used_before = [b for b, _ in pairs]
    used_after = [a for _, a in pairs]
    before_value = value_over(metric, metrics, dailies, used_before)
    after_value = value_over(metric, metrics, dailies, used_after)
    before = Window(
        before_days[0] if before_days else None,
        before_days[-1] if before_days else None,
        len(used_before),
        before_value,
    )
    after = Window(
        after_days[0] if after_days else None,
        after_days[-1] if after_days else None,
        len(used_after),
        after_value,
    )
    change = None if before_value is None or after_value is None else after_value - before_value
    base_series = daily_series(metric, metrics, dailies, days_between(*baseline))
    after_series = daily_series(metric, metrics, dailies, days_between(*window)) if window else []
    import statistics  # not at import time: the app's config reads RuleSet at start-up

    values = [v for _, v in base_series]
    median = statistics.median(values) if values else None
    limits = xmr_limits(values) if rules.limits else None
    signals: list[Signal] = []
    if median is not None:
        signals += shift_signals(after_series, median, rules.shift)
    signals += trend_signals(after_series, rules.trend)
    if limits is not None:
        signals += limit_signals(after_series, limits)
    target_met = None
    if target is not None and after_value is not None and metric.direction is not None:
        target_met = after_value >= target if metric.direction == "up" else after_value <= target
    verdict, why = suggest(metric, signals)
    return Check(
        before=before,
        after=after,
        change=change,
        change_relative=relative_change(after_value, before_value),
        target=target,
        target_met=target_met,
        rules=rules.name(),
        signals=tuple(signals),
        median=median,
        limits=limits,
        verdict=verdict,
        verdict_reason=why,
        confounders=tuple(confounders),
        experiment=two_proportion(*experiment) if experiment else None,
        baseline_series=tuple(base_series),
        after_series=tuple(after_series),
    )


# --- the follow-up check of a standard ---------------------------------------------------


def follow_up_window(change_date: date, after_end: date, ops_day: date) -> tuple[date, date] | None:
    """The follow-up window: as many days as the Check's after-window, ending on the ops day
    (never before the after-window ends). None until a day past the after-window exists."""
    length = (after_end - change_date).days + 1
    start = max(after_end + timedelta(days=1), ops_day - timedelta(days=length - 1))
    return None if start > ops_day else (start, ops_day)


def gain_held(metric: Metric, before: float | None, now: float | None) -> bool | None:
    """Whether the metric is still on the good side of the baseline (None: undefined, or a
    metric without a good direction)."""
    if before is None or now is None or metric.direction is None:
        return None
    return now > before if metric.direction == "up" else now < before


def suggest_follow_up(metric: Metric, check: Check | None) -> tuple[str | None, str]:
    """A suggested result of the follow-up check (`held`, `lost` or None) and why; the person
    confirming it decides."""
    if check is None:
        return None, "no day of data after the Check's after-window yet"
    held = gain_held(metric, check.before.value, check.after.value)
    if held is None:
        return None, "undefined: no data on one side, or the metric has no good direction"
    side = "better" if held else "no better"
    return ("held" if held else "lost"), f"the follow-up window is {side} than the baseline"


# --- field validation --------------------------------------------------------------------


def validate_target(metric: Metric, value: float, raw: str) -> float:
    """A target in the metric's unit: a percentage given as a plain number above 1 is refused."""
    if not math.isfinite(value):
        raise PdcaError(f"--target: {raw!r} is not a finite number")
    if metric.unit == "%" and not raw.strip().endswith("%") and value > 1:
        raise PdcaError(
            f"--target: {raw!r} is a plain number for a percentage metric ({metric.key}):"
            f" write {raw.strip()}% or {value / 100:g}"
        )
    return value


def validate_baseline(start: date, end: date, ops_day: date) -> None:
    if end < start:
        raise PdcaError(f"--baseline: the end {end} is before the start {start}")
    if end > ops_day:
        raise PdcaError(f"--baseline: the end {end} is after the ops day {ops_day}")


def validate_change_date(change: date, baseline: tuple[date, date], ops_day: date) -> None:
    if change <= baseline[1]:
        raise PdcaError(
            f"--change-date: {change} is not after the baseline ({baseline[0]}..{baseline[1]})"
        )
    if change > ops_day:
        raise PdcaError(f"--change-date: {change} is after the ops day {ops_day}")


def validate_text(name: str, text: str, *, required: bool = False) -> str:
    """Free text as typed (newlines and tabs kept); control characters (C0, DEL, C1: terminal
    escapes) and bidi controls are refused, naming the character (`domain.text`)."""
    problem = control_problem(text, multiline=True)
    if problem is not None:
        raise PdcaError(f"{name}: {problem}")
    if required and not text.strip():
        raise PdcaError(f"{name}: must not be empty")
    return text


def parse_day(text: str, name: str) -> date:
    """A date as typed (`2026-11-23`); the error names the field."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PdcaError(f"{name}: {text!r} is not a date (YYYY-MM-DD)") from None


def parse_window(text: str, name: str = "--baseline") -> tuple[date, date]:
    """`START..END` as typed."""
    start, sep, end = text.partition("..")
    if not sep:
        raise PdcaError(f"{name}: {text!r} is not a window START..END (2026-08-03..2026-08-30)")
    return parse_day(start, name), parse_day(end, name)


def parse_target(metric: Metric, raw: str, name: str = "--target") -> float:
    """A target as typed, in the metric's unit: `5%` or `0.05` for a percentage (a plain `5`
    is refused), `12,000` or `¥12000` for money."""
    text = raw.strip().replace(",", "").lstrip("¥￥")
    percent = text.endswith("%")
    try:
        value = float(text.rstrip("%").strip())
    except ValueError:
        raise PdcaError(f"{name}: {raw!r} is not a number") from None
    if percent:
        value /= 100
    if value < 0:
        raise PdcaError(f"{name}: {raw!r} must be zero or more")
    return validate_target(metric, value, raw)
