"""The weekly review's read model: the agenda for one ISO week, built from the store.

Items, in walking order: the metric deck (6-12 data and the summary row per metric and shop,
all shops first), the exceptions (red/amber against target or a run-chart signal), the GMV
decomposition per shop, traffic mix and paid ROI, SOP adherence with missed runs, PDCA cycles,
risks, and the action items (last review's and this week's) with the decisions. Every number
comes from the KPI engine (ratio of sums) over the days of its span.
"""

from __future__ import annotations

import sqlite3
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from opsdesk.domain import all_shops, columns, coverage
from opsdesk.domain import review as rules
from opsdesk.domain.decomposition import SPLIT_INPUTS, Decomposition, decompose, span_factors
from opsdesk.domain.kpis import COMPUTED_METRICS, Daily, PeriodTarget, Targets, status
from opsdesk.domain.metrics import Metric, format_apart, format_value
from opsdesk.domain.periods import Period
from opsdesk.domain.times import local_label
from opsdesk.store import review as store
from opsdesk.store.catalogue import load_metrics
from opsdesk.store.observations import load_columns
from opsdesk.store.settings import read as read_settings
from opsdesk.store.shops import Shop, list_shops
from opsdesk.store.targets import load_targets
from opsdesk.views import review_pdca

ALL = "all"
TRAFFIC_METRICS = ("paid_share", "roas", "cpc", "ctr")
LOOKBACK = 14
"""Days read before the earliest span, so that its first day is judged against the shop's
earlier days (opsdesk.domain.coverage), as the reports do."""
EXPIRING_DAYS = 30
"""Acceptances that end within this many days after the review week are listed."""


class NoData(ValueError):
    """The week has no data for the shops asked for."""


@dataclass(frozen=True)
class Point:
    key: str
    value: float | None
    last_year: float | None


@dataclass(frozen=True)
class DeckEntry:
    metric: Metric
    shop: str  # a shop key or "all"
    weeks: list[Point]
    months: list[Point]
    summary: dict[str, float | None]  # rules.SUMMARY_FIELDS
    target: float | None  # the review week's target
    status: str  # green / amber / red / none against it
    signals: list[str]  # run-chart signals that fired this week (descriptions)
    note: store.MetricNote | None  # the owner's note for this week
    earlier_notes: dict[str, str] = field(default_factory=dict)  # week key -> note, on chart
    compared: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    """Change name -> (value, reference) it compares: for all shops like for like (the shops
    and days both sides have, opsdesk.domain.all_shops), so not always the summary's value."""
    kind: str = "week"  # week / month: which summary row (rules.COMPARISONS)

    @property
    def exception(self) -> bool:
        return rules.is_exception(self.status, self.signals)

    def change(self, name: str) -> rules.Change:
        """wow, yoy, mtd_yoy, qtd_yoy, ytd_yoy (a month: mom, yoy, qtd_yoy, ytd_yoy)."""
        if name in self.compared:
            return rules.change(self.metric.unit, *self.compared[name])
        _, _, a, b = next(c for c in rules.COMPARISONS[self.kind] if c[0] == name)
        return rules.change(self.metric.unit, self.summary[a], self.summary[b])


@dataclass(frozen=True)
class ShopSplit:
    shop: str
    decomposition: Decomposition | None


@dataclass(frozen=True)
class TrafficRow:
    shop: str
    metric: Metric
    value: float | None
    target: float | None
    status: str


@dataclass(frozen=True)
class SopRow:
    template: str
    shop: str  # '' for store-wide runs
    due: int
    on_time: int
    late: int
    missed: int

    @property
    def ratio(self) -> float | None:
        return self.on_time / self.due if self.due else None


@dataclass(frozen=True)
class RiskLine:
    key: str
    title: str
    owner: str
    what: str  # new / triggered / review due / review overdue / acceptance expiring
    detail: str


@dataclass(frozen=True)
class Review:
    week: Period
    ops_day: date
    shops: list[Shop]
    has_data: bool
    rule_set: str
    deck: list[DeckEntry]
    splits: list[ShopSplit]
    traffic: list[TrafficRow]
    sop: list[SopRow]
    missed_runs: list[tuple[str, str, date]]
    risks: list[RiskLine]
    pdca: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    meeting: store.Meeting | None
    decisions: list[store.Decision]
    closed: store.Pack | None
    windows: bool = True
    """False: the first, quick model (build_review's `windows`): no 6-12 data yet."""
    timezone: str = "UTC"
    """The store's timezone: every instant shown to a person is its wall time."""

    @property
    def exceptions(self) -> list[DeckEntry]:
        return [e for e in self.deck if e.exception]

    def entry(self, metric: str, shop: str = ALL) -> DeckEntry:
        return next(e for e in self.deck if e.metric.key == metric and e.shop == shop)


def deck_metrics(metrics: Mapping[str, Metric], order: Sequence[str] = ()) -> list[Metric]:
    """The deck: metrics with a direction (and every derived one) in the deck order."""
    keys = [k for k, m in metrics.items() if m.direction is not None or m.formula is not None]
    return [metrics[k] for k in rules.order_deck(keys, order or rules.DEFAULT_DECK_ORDER)]


SIGNAL_BASELINE_DAYS = 28
"""Run-chart signals compare the review week's days with the 28 days before it."""
MIN_BASELINE_DAYS = 14
"""With fewer days of data before the week, no run-chart rule is applied (too little to
tell a signal from noise)."""


def _signals(
    metric: Metric, metrics: Mapping[str, Metric], cols: Sequence[columns.Columns], week: Period
) -> list[str]:
    """Run-chart signals (the PDCA rule engine: shift, trend, XmR limits) on the metric's
    daily series over the 28 days before the review period and the period itself, that fired
    on a day of the period."""
    from opsdesk.domain import pdca

    rule_set = pdca.RuleSet()
    start = week.start - timedelta(days=SIGNAL_BASELINE_DAYS)
    series = columns.day_series(metric, metrics, cols, start, week.end)
    baseline = [v for d, v in series if d < week.start]
    if len(baseline) < MIN_BASELINE_DAYS or not any(d >= week.start for d, _ in series):
        return []
    found = pdca.shift_signals(series, statistics.median(baseline), rule_set.shift)
    found += pdca.trend_signals(series, rule_set.trend)
    if rule_set.limits:
        limits = pdca.xmr_limits(baseline)
        if limits is not None:
            found += pdca.limit_signals([(d, v) for d, v in series if d in week], limits)
    return [s.describe() for s in found if any(d in week for d in s.days)]


def rule_set_name() -> str:
    from opsdesk.domain import pdca

    rules_named = pdca.RuleSet().name()
    return f"red/amber against target; {rules_named} (daily, vs the 28 days before; 14 needed)"


def attendees_seen(conn: sqlite3.Connection) -> list[str]:
    """Logins seen in the store, offered when the attendees are typed."""
    return store.seen_logins(conn)


def resolve_week(key: str | None, ops_day: date) -> Period:
    """The review week: `key`, or the last complete week; ValueError for a week not over."""
    week = rules.last_complete_week(ops_day) if key is None else rules.parse_week(key)
    rules.check_reviewable(week, ops_day)
    return week


def resolve_month(key: str | None, ops_day: date) -> Period:
    """The monthly review's month: `key`, or the last complete month; ValueError for a month
    not over (or not a month)."""
    from opsdesk.domain.periods import parse

    month = rules.last_complete_month(ops_day) if key is None else parse("month", key)
    rules.check_reviewable(month, ops_day)
    return month


@dataclass
class _Group:
    """What the figures of one deck column read: a shop's own days, or all shops' reported
    days (opsdesk.domain.coverage) as columns and as the day -> values mappings."""

    key: str
    cols: list[columns.Columns]
    dailies: list[Daily]
    shop_keys: list[str]


def _groups(
    shops: Sequence[Shop],
    loaded: Mapping[str, tuple[dict[str, list[float]], dict[str, bytearray]]],
    first: date,
    n: int,
    near: tuple[date, date],
) -> list[_Group]:
    """All shops (when more than one) then each shop; `near`: the days the targets and the
    GMV split read as day -> values mappings (the period and the one before)."""
    own: list[_Group] = []
    counted: list[tuple[columns.Columns, Daily]] = []
    for s in shops:
        values, flags = loaded.get(s.key, ({}, {}))
        cols = columns.Columns.laid_out(first, n, values, flags)
        own.append(_Group(s.key, [cols], [cols.daily(*near)], [s.key]))
        recorded = 0
        for k, bits in cols.present.items():
            if k not in COMPUTED_METRICS:
                recorded |= bits
        states = coverage.day_states_of_bits(first, recorded, cols.present)
        reported = 0
        for d, state in states.items():
            if state == coverage.REPORTED:
                reported |= 1 << cols.index(d)
        if reported != cols.any:
            cols = cols.only(reported)
        counted.append((cols, cols.daily(*near)))
    if len(shops) == 1:
        return own
    every = _Group(ALL, [c for c, _ in counted], [d for _, d in counted], [s.key for s in shops])
    return [every, *own]


def _pairs(group: _Group, span: rules.Span, ref: rules.Span) -> list[tuple[set[int], set[int]]]:
    """Per shop, the day indices each side leaves out: like for like, a day counts only when
    the day paired with it (the n-th of the other span) is there too
    (opsdesk.domain.all_shops.paired)."""
    out = []
    for c in group.cols:
        drop_cur: set[int] = set()
        drop_ref: set[int] = set()
        n = min((span.end - span.start).days, (ref.end - ref.start).days) + 1
        i0, j0 = c.index(span.start), c.index(ref.start)
        window = (1 << n) - 1
        odd = (c.any >> i0 & window) ^ (c.any >> j0 & window)  # days only one side has
        k = 0
        while odd:
            if odd & 1:
                drop_cur.add(i0 + k)
                drop_ref.add(j0 + k)
            odd >>= 1
            k += 1
        out.append((drop_cur, drop_ref))
    return out


def _compared(
    m: Metric,
    metrics: Mapping[str, Metric],
    group: _Group,
    span: rules.Span,
    ref: rules.Span,
    pairs: list[tuple[set[int], set[int]]],
) -> tuple[float | None, float | None]:
    """All shops' figure over `span` against `ref`, like for like (all_shops.like_for_like):
    the shops that have the metric on both sides of the paired days."""
    keys = m.formula.inputs if m.formula is not None else frozenset((m.key,))
    kept = [
        (c, dc, dr)
        for c, (dc, dr) in zip(group.cols, pairs, strict=True)
        if columns.count(c, keys, span.start, span.end, dc)
        and columns.count(c, keys, ref.start, ref.end, dr)
    ]
    if not kept:
        return None, None
    cols = [c for c, _, _ in kept]
    return (
        columns.value(m, metrics, cols, span.start, span.end, [dc for _, dc, _ in kept]),
        columns.value(m, metrics, cols, ref.start, ref.end, [dr for _, _, dr in kept]),
    )


def _target(
    targets: Targets, m: Metric, metrics: Mapping[str, Metric], group: _Group, period: Period
) -> PeriodTarget | None:
    if group.key != ALL:
        return targets.for_period(m, group.key, period.days())
    by_key = dict(zip(group.shop_keys, group.dailies, strict=True))
    return all_shops.target(targets, m, metrics, by_key, period.days())


def build_review(
    conn: sqlite3.Connection,
    week: Period,
    ops_day: date,
    *,
    shop_keys: Sequence[str] | None = None,
    order: Sequence[str] = (),
    windows: bool = True,
) -> Review:
    """The review of `week` (a complete ISO week, or a complete month for the monthly review)
    for the shops asked for (default: every one).

    `windows=False` builds what the agenda shows first, from the period, the one before it and
    the signals' baseline only (a few weeks of data instead of two years): every item, the
    exceptions, statuses and the change against the period before; the 6-12 windows are empty
    and the other summary cells None until the full model (`windows=True`) is built.

    Raises NoData when no selected shop has a value in the period.
    """
    rules.check_reviewable(week, ops_day)
    metrics = load_metrics(conn)
    shops = list_shops(conn)
    if shop_keys:
        known = {s.key for s in shops}
        for k in shop_keys:
            if k not in known:
                raise ValueError(f"--shop: unknown shop {k!r} (see `opsdesk shop list`)")
        shops = [s for s in shops if s.key in shop_keys]
    keys = [s.key for s in shops]
    # LOOKBACK days more: whether the first day counts depends on the days before it
    spans = rules.named_spans(week)
    if windows:
        first = rules.first_day_needed(week)
    else:
        first = min(spans[1][1].start, week.start - timedelta(days=SIGNAL_BASELINE_DAYS))
        spans = spans[:2]
    first -= timedelta(days=LOOKBACK)
    n_days = (week.end - first).days + 1
    loaded = load_columns(conn, first, week.end, keys)
    since = (week.start - first).days
    if not any(any(f[since:]) for _, flags in loaded.values() for f in flags.values()):
        what = "month" if week.kind == "month" else "week"
        raise NoData(
            f"{what} {week.key} ({week.start}…{week.end}): no data for "
            + (", ".join(keys) if shop_keys else "any shop")
            + " (nothing imported or typed in for those days)"
        )
    targets = load_targets(conn)
    weeks, months = rules.windows(week) if windows else ([], [])
    span_of = dict(spans)
    kind = "month" if week.kind == "month" else "week"
    comparisons = rules.COMPARISONS[kind][: None if windows else 1]
    notes = {(n.metric_key, n.shop_key): n for n in store.notes_for_week(conn, week.key)}
    week_keys = {w.current.key for w in weeks}
    earlier: dict[tuple[str, str], dict[str, str]] = {}
    for n in store.notes_in_weeks(conn, sorted(week_keys - {week.key})):
        earlier.setdefault((n.metric_key, n.shop_key), {})[n.week] = n.text()

    groups = _groups(shops, loaded, first, n_days, (week.previous().start, week.end))
    deck: list[DeckEntry] = []
    metric_list = deck_metrics(metrics, order)
    for group in groups:
        pairs = (
            {name: _pairs(group, span_of[a], span_of[b]) for name, _, a, b in comparisons}
            if group.key == ALL
            else {}
        )
        for m in metric_list:

            def val(
                s: rules.Span, m: Metric = m, cols: list[columns.Columns] = group.cols
            ) -> float | None:
                return columns.value(m, metrics, cols, s.start, s.end)

            summary = dict.fromkeys(rules.summary_fields(kind)) | {
                name: val(s) for name, s in spans
            }
            if group.key == ALL:
                compared = {
                    name: _compared(m, metrics, group, span_of[a], span_of[b], pairs[name])
                    for name, _, a, b in comparisons
                }
                for name, _, _, b in comparisons:
                    summary[b] = compared[name][1]
            else:
                compared = {name: (summary[a], summary[b]) for name, _, a, b in comparisons}
            target = _target(targets, m, metrics, group, week)
            deck.append(
                DeckEntry(
                    metric=m,
                    shop=group.key,
                    weeks=[_point(w, val) for w in weeks],
                    months=[_point(w, val) for w in months],
                    summary=summary,
                    target=None if target is None else target.value,
                    status=status(m.direction, summary[spans[0][0]], target),
                    signals=_signals(m, metrics, group.cols, week),
                    note=notes.get((m.key, group.key)),
                    earlier_notes=earlier.get((m.key, group.key), {}),
                    compared=compared,
                    kind=kind,
                )
            )
    order_of = {m.key: i for i, m in enumerate(metric_list)}
    deck.sort(key=lambda e: order_of[e.metric.key])  # metric by metric, all shops first

    prev = week.previous()
    splits = []
    traffic = []
    for group in groups:
        splits.append(ShopSplit(group.key, _split(metrics, group, week, prev)))
        for k in TRAFFIC_METRICS:
            if k not in metrics:
                continue
            m = metrics[k]
            t = _target(targets, m, metrics, group, week)
            v = columns.value(m, metrics, group.cols, week.start, week.end)
            traffic.append(
                TrafficRow(
                    group.key, m, v, None if t is None else t.value, status(m.direction, v, t)
                )
            )

    from opsdesk.store.checklists.adherence import adherence_by_template

    sop = [
        SopRow(a.template_key, a.shop_key or "", a.due, a.on_time, a.late, a.missed)
        for a in adherence_by_template(conn, week.start, week.end)
        if a.shop_key is None or a.shop_key in keys
    ]
    missed = [r for r in store.missed_runs(conn, week.start, week.end) if not r[1] or r[1] in keys]

    return Review(
        week=week,
        ops_day=ops_day,
        shops=shops,
        has_data=True,
        windows=windows,
        rule_set=rule_set_name(),
        deck=deck,
        splits=splits,
        traffic=traffic,
        sop=sop,
        missed_runs=missed,
        risks=_risks(conn, week),
        pdca=review_pdca.moves(conn, week.start, week.end),
        # a month: the action items as they stood at its last weekly review
        actions=_actions(conn, rules.last_week_in(week), ops_day),
        meeting=store.get_meeting(conn, "review", week.key),
        decisions=store.decisions(conn, "review", week.key),
        closed=store.frozen_pack(conn, week.key),
        timezone=read_settings(conn).timezone,
    )


def _point(w: rules.Window, val: Callable[[rules.Span], float | None]) -> Point:
    return Point(w.current.key, val(w.current), val(w.last_year))


def _split(
    metrics: Mapping[str, Metric], group: _Group, span: Period, prev: Period
) -> Decomposition | None:
    """The GMV split of the span against the one before: one shop's from its rollups
    (decomposition.span_factors); all shops' like for like (all_shops.split_factors)."""
    if group.key == ALL:
        return decompose(
            *all_shops.split_factors(
                metrics, group.dailies, group.dailies, span.days(), prev.days()
            )
        )
    if not set(SPLIT_INPUTS) <= metrics.keys():
        return None

    def rollup(p: Period) -> dict[str, float | None]:
        return {
            k: columns.value(metrics[k], metrics, group.cols, p.start, p.end) for k in SPLIT_INPUTS
        }

    return decompose(
        span_factors(rollup(prev), group.dailies, prev.days()),
        span_factors(rollup(span), group.dailies, span.days()),
    )


def _actions(conn: sqlite3.Connection, week: Period, ops_day: date) -> list[dict[str, Any]]:
    """Action items of the reviews up to `week`, as they stood at its review (the ops day, or
    for an older week the end of the week after it): the last review's and this week's, and
    every other one still open (carried over, with its age and the reviews it went through
    since; three or more: flagged for a decision)."""
    from opsdesk.store import actions as action_store
    from opsdesk.views.meetings import standup_actions_for_review, store_day

    cut = week.end + timedelta(days=7)  # an older week's review: as the week after ended
    current = cut >= ops_day
    # ages: to the store's local today (the day after the ops day) for the current review
    as_of = ops_day + timedelta(days=1) if current else cut
    tz = read_settings(conn).timezone
    meetings = store.review_meetings_until(conn, week.key)
    weeks = [k for _, k in meetings]
    before = [k for k in weeks if k < week.key]
    last_week = before[-1] if before else None
    out: list[dict[str, Any]] = []
    for meeting_id, key in meetings:
        for item in action_store.for_source(conn, "review", meeting_id):
            created = store_day(item.created_at, tz)
            closed = item.closed_at is not None and store_day(item.closed_at, tz)
            status = item.status if closed and (current or closed <= cut) else "open"
            if key not in (week.key, last_week) and status != "open":
                continue
            carried = rules.reviews_carried(weeks, key, week.key) if status == "open" else 0
            out.append(
                {
                    "action": item.key,
                    "from_week": key,
                    "text": item.text,
                    "owner": item.owner,
                    "due": None if item.due is None else item.due.isoformat(),
                    "status": status,
                    "age_days": rules.age_days(created, as_of) if status == "open" else None,
                    "carried": carried,
                    "flagged": rules.flagged(carried),
                }
            )
    return out + standup_actions_for_review(conn, week.key, weeks, as_of, current=current)


def _risks(conn: sqlite3.Connection, week: Period) -> list[RiskLine]:
    """New risks, risks triggered in the week (with the KRI value), reviews due or overdue at
    the week's end, acceptances expiring within EXPIRING_DAYS after it."""
    from opsdesk.views.risks import build_register

    day_after = week.end + timedelta(days=1)
    register = build_register(conn, day_after, with_triggers=True)
    new = set(store.risks_created(conn, week.start, week.end))
    out: list[RiskLine] = []
    for row in register.rows:
        r = row.risk
        if r.key in new:
            out.append(RiskLine(r.key, r.title, r.owner, "new", f"score {r.inherent.value}"))
        if week.kind == "month":
            out += [
                RiskLine(r.key, r.title, r.owner, "re-scored", t)
                for t in _rescored(conn, row.id, week)
            ]
        for t in row.triggers:
            if t.day in week:
                value = "" if t.value is None else f" (KRI value {t.value:g})"
                out.append(
                    RiskLine(r.key, r.title, r.owner, "triggered", f"{t.day}: {t.message}{value}")
                )
        if row.overdue or row.due:
            what = "review overdue" if row.overdue else "review due"
            out.append(RiskLine(r.key, r.title, r.owner, what, f"next review {r.next_review}"))
        if (
            row.acceptance == "active"
            and r.accept_until is not None
            and r.accept_until <= week.end + timedelta(days=EXPIRING_DAYS)
        ):
            out.append(
                RiskLine(r.key, r.title, r.owner, "acceptance expiring", f"until {r.accept_until}")
            )
    return out


def _rescored(conn: sqlite3.Connection, risk_id: int, period: Period) -> list[str]:
    """The risk's re-scorings in the period (the monthly review): `2026-10-14: inherent 12 →
    16, residual 6 → 8 (li.na)`."""
    from opsdesk.store.risks import reviews_for

    out = []
    for rv in reviews_for(conn, risk_id):
        day = date.fromisoformat(rv.at[:10])
        if day not in period or rv.old_inherent is None:
            continue
        old_res = rv.old_residual
        if rv.old_inherent == rv.inherent and old_res == rv.residual:
            continue
        res = (
            ""
            if old_res is None or old_res == rv.residual
            else f", residual {old_res.value} → {rv.residual.value}"
        )
        out.append(f"{day}: inherent {rv.old_inherent.value} → {rv.inherent.value}{res} ({rv.by})")
    return out


# --- the walk -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaItem:
    """One stop of the walk: a one-line title and the lines shown when it is expanded."""

    kind: str  # deck, exception, split, traffic, sop, pdca, risks, actions, decisions
    key: str
    title: str
    lines: list[str]
    entry: DeckEntry | None = None


def summary_line(e: DeckEntry) -> str:
    """`GMV all: 3,958,326 · WoW -1.8% · YoY +26.3% · MTD 34,490,569 (YoY +26.6%) · QTD YoY …`
    (a month: MoM, YoY, QTD (YoY), YTD YoY); `…` where the quick model has no figure yet."""
    s, m = e.summary, e.metric

    def change(name: str) -> str:
        return e.change(name).text() if name in e.compared else "…"

    (n1, l1, _, _), (n2, l2, _, _), (n3, _, a3, _), *rest = rules.COMPARISONS[e.kind]
    to_date = "…" if s[a3] is None and n3 not in e.compared else format_value(m, s[a3])
    line = f"{m.name_en} {e.shop}: {format_value(m, s[e.kind])}"
    line += f" · {l1} {change(n1)} · {l2} {change(n2)}"
    line += f" · {a3.upper()} {to_date} ({change(n3)})"
    return line + "".join(f" · {label} {change(name)}" for name, label, _, _ in rest)


def agenda(review: Review) -> list[AgendaItem]:
    """The review's walk, in order; items with nothing to say are one line saying so."""
    items: list[AgendaItem] = []
    m = review.meeting
    who = ", ".join(m.attendees) if m and m.attendees else "no attendees yet (t)"
    closed = review.closed
    state = (
        f"closed by {closed.closed_by} {local_label(closed.closed_at, review.timezone)}"
        if closed
        else "open"
    )
    items.append(
        AgendaItem(
            "meeting",
            "meeting",
            f"Review {review.week.key} ({state}): {who}",
            [m.notes] if m and m.notes else [],
        )
    )
    exceptions = review.exceptions
    metrics = {e.metric.key for e in review.deck}
    items.append(
        AgendaItem(
            "deck",
            "deck",
            f"Metric deck: {len(metrics)} metrics, {len(exceptions)} exceptions"
            f" · {review.rule_set}",
            [summary_line(e) for e in review.deck if e.shop == (review.deck[0].shop)],
        )
    )
    for e in exceptions:
        why = [e.status] if e.status in rules.EXCEPTION_STATUSES else []
        why += [s.split(":")[0] for s in e.signals]  # the rule's name; in full when expanded
        note = f"note: {e.note.text()}" if e.note else "no note yet"
        value, target = format_apart(e.metric, e.summary["week"], e.target)
        items.append(
            AgendaItem(
                "exception",
                f"{e.metric.key}/{e.shop}",
                f"{e.metric.name_en} ({e.shop}) {value} vs {target}: {', '.join(why)} — {note}",
                [summary_line(e), *e.signals]
                + [f"note {wk}: {text}" for wk, text in sorted(e.earlier_notes.items())],
                e,
            )
        )
    split_lines = []
    for s in review.splits:
        d = s.decomposition
        if d is None:
            split_lines.append(f"{s.shop}: undefined (no visitor counts behind the GMV)")
        else:
            split_lines.append(
                f"{s.shop}: {d.gmv_previous:,.2f} → {d.gmv_current:,.2f} ({d.change:+,.2f}) ="
                f" visitors {d.visitors_effect:+,.2f}, conversion {d.conversion_effect:+,.2f},"
                f" AOV {d.aov_effect:+,.2f}"
            )
    items.append(AgendaItem("split", "split", "GMV = visitors × conversion × AOV", split_lines))
    off = [t for t in review.traffic if t.status in rules.EXCEPTION_STATUSES]
    items.append(
        AgendaItem(
            "traffic",
            "traffic",
            f"Traffic mix and paid ROI: {len(off)} off target"
            if off
            else "Traffic mix and paid ROI: on target or no target",
            [
                f"{t.shop} {t.metric.name_en}: {format_value(t.metric, t.value)}"
                f" (target {format_value(t.metric, t.target)}, {t.status})"
                for t in review.traffic
            ],
        )
    )
    missed = review.missed_runs
    items.append(
        AgendaItem(
            "sop",
            "sop",
            f"SOP adherence: {len(missed)} missed runs" if missed else "SOP adherence: none missed",
            [
                f"{s.template} {s.shop or '(store)'}: {s.on_time}/{s.due} on time,"
                f" {s.late} late, {s.missed} missed"
                for s in review.sop
            ]
            + [f"missed: {t} {shop or '(store)'} {d}" for t, shop, d in missed],
        )
    )
    items.append(
        AgendaItem(
            "pdca",
            "pdca",
            review_pdca.title(review.pdca),
            [str(c.get("line", c)) for c in review.pdca],
        )
    )
    items.append(
        AgendaItem(
            "risks",
            "risks",
            f"Risks: {len(review.risks)} to look at"
            if review.risks
            else "Risks: nothing new or due",
            [f"{r.what}: {r.key} — {r.detail}" for r in review.risks],
        )
    )
    carried = [a for a in review.actions if a["from_week"] != review.week.key]
    flagged = [a for a in review.actions if a["flagged"]]
    title = "Action items: none"
    if review.actions:
        title = f"Action items: {len(carried)} from earlier reviews, "
        title += f"{len(review.actions) - len(carried)} new"
        if flagged:
            title += f"; {len(flagged)} carried 3+ reviews without progress: decide"
    items.append(AgendaItem("actions", "actions", title, [action_line(a) for a in review.actions]))
    items.append(
        AgendaItem(
            "decisions",
            "decisions",
            f"Decisions: {len(review.decisions)}" if review.decisions else "Decisions: none yet",
            [f"{d.number}. {d.text} ({d.decided_by})" for d in review.decisions],
        )
    )
    return items


def action_line(a: dict[str, Any]) -> str:
    """`[open 9 days] text — owner, due D, from 2026-W46; carried 3 reviews …: decide`."""
    return rules.action_text(
        a["action"],
        a["status"],
        a["text"],
        a["owner"],
        origin=a["from_week"],
        due=a.get("due"),
        age=a.get("age_days"),
        carried=a.get("carried", 0),
        flagged=bool(a.get("flagged")),
    )
