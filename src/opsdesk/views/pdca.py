"""PDCA read models: the board (cards by stage), a cycle's detail with its Check, the steps due.

The command line, the app and (later) the weekly review show cycles from these, so nothing
here formats for one screen. `today` is the store's local today; the ops day is the day before.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from opsdesk.domain import pdca as rules
from opsdesk.domain.metrics import Metric, format_value
from opsdesk.store import actions, pdca
from opsdesk.store.actions import ActionItem
from opsdesk.store.catalogue import load_metrics


@dataclass(frozen=True)
class Card:
    id: int
    title: str
    stage: str
    shop: str
    metric: str
    owner: str
    days_in_stage: int
    overdue: bool
    due: date | None


@dataclass(frozen=True)
class Board:
    columns: dict[str, list[Card]]
    """Stage -> cards (every stage present, Closed last)."""
    shops: list[str]
    owners: list[str]
    metrics: list[str]


def _zone(conn: sqlite3.Connection) -> Any:
    from zoneinfo import ZoneInfo

    from opsdesk.store import settings

    return ZoneInfo(settings.read(conn).timezone)


def _age(conn: sqlite3.Connection, at: str, today: date, zone: Any = None) -> int:
    """Whole days from the store-local day of the instant `at` to `today`."""
    local = datetime.fromisoformat(at).astimezone(zone or _zone(conn)).date()
    return max(0, (today - local).days)


def card(conn: sqlite3.Connection, c: pdca.Cycle, today: date, zone: Any = None) -> Card:
    due = c.due_for_stage()
    return Card(
        id=c.id,
        title=c.title,
        stage=c.stage,
        shop=c.shop_label,
        metric=c.metric_key,
        owner=c.owner,
        days_in_stage=_age(conn, c.stage_since, today, zone),
        overdue=due is not None and due < today and c.stage != "closed",
        due=due,
    )


def build_board(
    conn: sqlite3.Connection,
    today: date,
    *,
    shop_key: str | None = None,
    owner: str | None = None,
    metric_key: str | None = None,
    include_closed: bool = True,
) -> Board:
    everything = pdca.list_cycles(conn, include_closed=True)
    zone = _zone(conn)
    columns: dict[str, list[Card]] = {s: [] for s in rules.STAGES}
    for c in everything:
        if c.stage == "closed" and not include_closed:
            continue
        if shop_key is not None and c.shop_label != shop_key and c.shop_key != shop_key:
            continue
        if owner is not None and c.owner != owner:
            continue
        if metric_key is not None and c.metric_key != metric_key:
            continue
        columns[c.stage].append(card(conn, c, today, zone))
    return Board(
        columns=columns,
        shops=sorted({c.shop_label for c in everything}),
        owners=sorted({c.owner for c in everything}),
        metrics=sorted({c.metric_key for c in everything}),
    )


@dataclass(frozen=True)
class HistoryLine:
    from_stage: str | None
    to_stage: str
    reason: str
    at: str
    """The store's wall time."""
    by: str


@dataclass(frozen=True)
class CycleDetail:
    cycle: pdca.Cycle
    metric: Metric
    actions: list[ActionItem]
    history: list[HistoryLine]
    arms: dict[str, rules.Arm]
    check: rules.Check | None
    next_stage: str | None
    missing: list[str]
    """What the next stage's gate still lacks (empty: it can move)."""
    sop: tuple[str, int] | None
    children: list[int]
    where_else: list[str] = field(default_factory=list)
    """Other shops whose same metric shows the same signal over the same windows."""
    follow_up: rules.Check | None = None
    """A standardised cycle's follow-up check (the follow-up window against the baseline),
    once a day past the after-window has data; `follow_up_suggestion` says held or lost."""
    follow_up_suggestion: tuple[str | None, str] = (None, "")
    follow_up_at: str | None = None
    """When the follow-up was confirmed, in the store's wall time."""

    def fmt(self, value: float | None, *, signed: bool = False) -> str:
        return format_value(self.metric, value, signed=signed)


def build_check(
    conn: sqlite3.Connection,
    c: pdca.Cycle,
    today: date,
    rule_set: rules.RuleSet | None = None,
    metrics: dict[str, Metric] | None = None,
) -> rules.Check | None:
    """The computed Check (None without a change date). Once the cycle reached Act its
    after-window end is frozen; before that it runs to the ops day."""
    if c.change_date is None:
        return None
    ops_day = today - timedelta(days=1)
    last = c.after_end or ops_day
    window = rules.after_window(c.baseline, c.change_date, last)
    end = window[1] if window else c.change_date
    metrics = metrics or load_metrics(conn)
    dailies = pdca.metric_dailies(
        conn, c.shop_key, c.baseline_start, max(end, c.baseline_end), metrics[c.metric_key]
    )
    arm_map = pdca.arms(conn, c.id)
    experiment = (arm_map["A"], arm_map["B"]) if {"A", "B"} <= arm_map.keys() else None
    return rules.compute_check(
        metrics[c.metric_key],
        metrics,
        dailies,
        c.baseline,
        c.change_date,
        last,
        c.target,
        rule_set,
        experiment,
        pdca.confounders(conn, c, window),
    )


def where_else(
    conn: sqlite3.Connection,
    c: pdca.Cycle,
    check: rules.Check | None,
    today: date,
    rule_set: rules.RuleSet | None = None,
    metrics: dict[str, Metric] | None = None,
) -> list[str]:
    """For an agency: the other shops whose same metric, over the cycle's baseline and
    after-window, shows a signal of the same rule and direction as the cycle's own."""
    if check is None or c.shop_key is None or c.change_date is None or not check.signals:
        return []
    wanted = {(s.rule, s.direction) for s in check.signals}
    ops_day = today - timedelta(days=1)
    last = c.after_end or ops_day
    metrics = metrics or load_metrics(conn)
    out = []
    shops = [
        r[0]
        for r in conn.execute("SELECT key FROM shops WHERE key != ? ORDER BY key", (c.shop_key,))
    ]
    every = pdca.shop_dailies(  # one read for every other shop
        conn, shops, c.baseline_start, max(last, c.baseline_end), metrics[c.metric_key]
    )
    for shop in shops:
        dailies = [every.get(shop, {})]
        other = rules.compute_check(
            metrics[c.metric_key], metrics, dailies, c.baseline, c.change_date, last, None, rule_set
        )
        same = [s for s in other.signals if (s.rule, s.direction) in wanted]
        if same:
            out.append(f"{shop}: {same[0].describe()}")
    return out


def build_detail(
    conn: sqlite3.Connection,
    cycle_id: int,
    today: date,
    rule_set: rules.RuleSet | None = None,
) -> CycleDetail:
    c = pdca.get(conn, cycle_id)
    metrics = load_metrics(conn)
    metric = metrics[c.metric_key]
    i = rules.STAGES.index(c.stage)
    next_stage = rules.STAGES[i + 1] if i + 1 < len(rules.STAGES) else None
    missing = (
        []
        if next_stage is None
        else rules.missing_for(next_stage, pdca.gate_facts(conn, c, today - timedelta(days=1)))
    )
    check = build_check(conn, c, today, rule_set, metrics)
    follow_up = (
        None
        if c.follow_up_result is not None
        else pdca.follow_up_check(conn, c, today - timedelta(days=1), rule_set)
    )
    return CycleDetail(
        cycle=c,
        metric=metric,
        actions=actions.for_source(conn, "pdca", c.id),
        history=[
            HistoryLine(h.from_stage, h.to_stage, h.reason, pdca.local_time(conn, h.at), h.by)
            for h in pdca.history(conn, c.id)
        ],
        arms=pdca.arms(conn, c.id),
        check=check,
        next_stage=next_stage,
        missing=missing,
        sop=pdca.sop_version(conn, c.sop_version_id),
        children=pdca.children(conn, c.id),
        where_else=where_else(conn, c, check, today, rule_set, metrics),
        follow_up=follow_up,
        follow_up_suggestion=rules.suggest_follow_up(metric, follow_up),
        follow_up_at=None if c.follow_up_at is None else pdca.local_time(conn, c.follow_up_at),
    )


def follow_up_lines(d: CycleDetail) -> list[str]:
    """The follow-up check of a standard in words (none for a cycle that has no follow-up)."""
    c = d.cycle
    if c.follow_up_on is None:
        return []
    if c.follow_up_result is not None:
        note = f": {c.follow_up_note}" if c.follow_up_note else ""
        return [
            f"follow-up check (due {c.follow_up_on}): gain {c.follow_up_result}, confirmed by"
            f" {c.follow_up_by} at {d.follow_up_at}; value then {d.fmt(c.follow_up_value)}{note}"
        ]
    lines = [f"follow-up check: due {c.follow_up_on}, not confirmed yet"]
    f = d.follow_up
    if f is not None:
        lines.append(
            f"follow-up: {d.fmt(f.after.value)} ({f.after.start}..{f.after.end}, {f.after.days}"
            f" days) against the baseline's {d.fmt(f.before.value)} ({f.before.start}.."
            f"{f.before.end}, {f.before.days} days)"
        )
    result, why = d.follow_up_suggestion
    lines.append(f"follow-up suggestion: {result or 'none'} ({why})")
    return lines


def check_lines(d: CycleDetail) -> list[str]:
    """The Check in words, a line each (the CLI prints them, the cycle screen shows them)."""
    check = d.check
    if check is None:
        return ["check: no change date yet", *follow_up_lines(d)]
    b, a = check.before, check.after
    lines = [
        f"before: {d.fmt(b.value)} ({b.start}..{b.end}, {b.days} days with data,"
        " like for like with after)",
        f"after:  {d.fmt(a.value)} ({a.start}..{a.end}, {a.days} days with data)",
        f"change: {d.fmt(check.change, signed=True)}"
        + ("" if check.change_relative is None else f" ({check.change_relative * 100:+.1f}%)"),
    ]
    if check.target is not None:
        met = {True: "reached", False: "not reached", None: "undefined"}[check.target_met]
        lines.append(f"target: {d.fmt(check.target)}: {met}")
    lines.append(f"rules: {check.rules}")
    lines.extend(f"signal {s.describe()}" for s in check.signals)
    if not check.signals:
        lines.append("signals: none")
    lines.append(f"suggested verdict: {check.verdict} ({check.verdict_reason})")
    lines.extend(f"confounder: {w}" for w in check.confounders)
    if check.experiment is not None:
        lines.append(f"experiment: {check.experiment.describe()}")
    lines.extend(f"where else: {w}" for w in d.where_else)
    return lines + follow_up_lines(d)


# --- JSON --------------------------------------------------------------------------------


def _d(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def check_json(check: rules.Check | None) -> dict[str, Any] | None:
    """The documented keys of `opsdesk pdca check --format json`."""
    if check is None:
        return None
    e = check.experiment
    return {
        "before": {
            "start": _d(check.before.start),
            "end": _d(check.before.end),
            "days": check.before.days,
            "value": check.before.value,
        },
        "after": {
            "start": _d(check.after.start),
            "end": _d(check.after.end),
            "days": check.after.days,
            "value": check.after.value,
        },
        "change": check.change,
        "change_relative": check.change_relative,
        "target": check.target,
        "target_met": check.target_met,
        "rules": check.rules,
        "baseline_median": check.median,
        "limits": None
        if check.limits is None
        else {"lower": check.limits.lower, "upper": check.limits.upper},
        "signals": [
            {"rule": s.rule, "direction": s.direction, "days": [d.isoformat() for d in s.days]}
            for s in check.signals
        ],
        "verdict": check.verdict,
        "verdict_reason": check.verdict_reason,
        "confounders": list(check.confounders),
        "experiment": None
        if e is None
        else {
            "a": {"visitors": e.a.denominator, "buyers": e.a.numerator, "rate": e.a.rate},
            "b": {"visitors": e.b.denominator, "buyers": e.b.numerator, "rate": e.b.rate},
            "difference": e.difference,
            "ci_low": e.low,
            "ci_high": e.high,
            "within_noise": e.within_noise,
        },
    }


def action_json(i: ActionItem) -> dict[str, Any]:
    return {
        "number": i.number,
        "text": i.text,
        "owner": i.owner,
        "due": _d(i.due),
        "status": i.status,
        "closed_by": i.closed_by,
    }


def cycle_json(c: pdca.Cycle, today: date | None = None) -> dict[str, Any]:
    return {
        "id": c.id,
        "title": c.title,
        "stage": c.stage,
        "metric": c.metric_key,
        "shop": c.shop_key,
        "owner": c.owner,
        "problem": c.problem,
        "root_cause": c.root_cause,
        "hypothesis": c.hypothesis,
        "plan": c.plan,
        "scope_note": c.scope_note,
        "baseline": {
            "start": _d(c.baseline_start),
            "end": _d(c.baseline_end),
            "value": c.baseline_value,
            "frozen": c.baseline_frozen,
        },
        "target": c.target,
        "change_date": _d(c.change_date),
        "decision": c.decision,
        "lesson": c.lesson,
        "due": {k: _d(v) for k, v in c.due.items()},
        "follow_up_on": _d(c.follow_up_on),
        "follow_up": None
        if c.follow_up_on is None
        else {
            "due": _d(c.follow_up_on),
            "result": c.follow_up_result,
            "value": c.follow_up_value,
            "note": c.follow_up_note,
            "by": c.follow_up_by,
            "at": c.follow_up_at,
        },
        "alert_id": c.alert_id,
        "parent_id": c.parent_id,
        "opened_on": _d(c.opened_on),
    }


def detail_json(d: CycleDetail) -> dict[str, Any]:
    out = cycle_json(d.cycle)
    out["actions"] = [action_json(i) for i in d.actions]
    out["history"] = [
        {"from": h.from_stage, "to": h.to_stage, "reason": h.reason, "at": h.at, "by": h.by}
        for h in d.history
    ]
    out["next_stage"] = d.next_stage
    out["missing"] = d.missing
    out["sop"] = None if d.sop is None else {"template": d.sop[0], "version": d.sop[1]}
    out["children"] = d.children
    out["where_else"] = d.where_else
    out["check"] = check_json(d.check)
    if out["follow_up"] is not None:
        out["follow_up"]["check"] = check_json(d.follow_up)
        out["follow_up"]["suggestion"] = d.follow_up_suggestion[0]
    return out


# --- the stand-up's "PDCA steps due" ------------------------------------------------------


@dataclass(frozen=True)
class StepDue:
    status: str
    """`due` (today) or `overdue`."""
    text: str
    cycle_id: int


def steps_due(conn: sqlite3.Connection, day: date) -> list[StepDue]:
    """Open action items of cycles due on `day` or before (with their age), stages past their
    due date, and follow-up checks of standardised cycles that have come due — overdue first."""
    out: list[StepDue] = []
    for item in actions.open_due(conn, day, "pdca"):
        late = (day - item.due).days if item.due else 0
        age = _age(conn, item.created_at, day)
        out.append(
            StepDue(
                "overdue" if late > 0 else "due",
                f"#{item.source_id}.{item.number} {item.text} — {item.owner},"
                + (f" {late} d overdue" if late else " due today")
                + f", open {age} d",
                item.source_id,
            )
        )
    for c in pdca.list_cycles(conn, include_closed=True):
        due = c.due_for_stage()
        if c.stage != "closed" and due is not None and due <= day:
            late = (day - due).days
            out.append(
                StepDue(
                    "overdue" if late else "due",
                    f"#{c.id} {c.title}: {rules.stage_name(c.stage)} "
                    + (f"{late} d overdue" if late else "due today")
                    + f" — {c.owner}",
                    c.id,
                )
            )
        if c.follow_up_on is not None and c.follow_up_result is None and c.follow_up_on <= day:
            late = (day - c.follow_up_on).days
            out.append(
                StepDue(
                    "overdue" if late > rules.FOLLOW_UP_GRACE_DAYS else "due",
                    f"#{c.id} {c.title}: follow-up check of the standard (did the gain hold?)"
                    + (f", due {late} d ago" if late else ""),
                    c.id,
                )
            )
    out.sort(key=lambda s: (s.status != "overdue", s.cycle_id))
    return out


# --- the Check chart ---------------------------------------------------------------------


@dataclass(frozen=True)
class CheckChartData:
    """What the cycle screen's chart draws: the metric's daily series over the baseline and
    the after-window, with the baseline median, the target and the signal days."""

    title: str
    unit: str
    days: list[date]
    values: list[float | None]
    baseline: tuple[date, date]
    after: tuple[date, date] | None
    median: float | None
    target: float | None
    lower: float | None
    upper: float | None
    signal_days: frozenset[date]


def check_chart(d: CycleDetail) -> CheckChartData | None:
    check = d.check
    c = d.cycle
    if check is None:
        return None
    series = dict(check.baseline_series) | dict(check.after_series)
    end = check.after_series[-1][0] if check.after_series else c.baseline_end
    days = rules.days_between(c.baseline_start, max(end, c.baseline_end))
    after = None
    if c.change_date is not None and check.after_series:
        after = (c.change_date, check.after_series[-1][0])
    return CheckChartData(
        title=f"{d.metric.name_en}: baseline and after the change",
        unit=d.metric.unit,
        days=days,
        values=[series.get(x) for x in days],
        baseline=c.baseline,
        after=after,
        median=check.median,
        target=c.target,
        lower=None if check.limits is None else check.limits.lower,
        upper=None if check.limits is None else check.limits.upper,
        signal_days=frozenset(x for s in check.signals for x in s.days),
    )
