"""What the KPI explorer charts, read from the store (no Textual here; runs in a worker).

A series is one metric for one shop (or all shops combined) over consecutive periods ending
with the ops day's period: 60 days, 26 ISO weeks or 24 months, each value a rollup by
opsdesk.domain.kpis (ratio of sums). Next to it: the target in force per period, the trailing
7-day mean (daily grain), the events of the window (markers) and the ops week's GMV
decomposition (the latest complete week against the one before). All shops follow the one
all-shops rule (opsdesk.domain.all_shops): each day counts the shops that reported it, the
targets derive from theirs, and the GMV split compares like for like.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta

from opsdesk.domain import all_shops
from opsdesk.domain import periods as period_kinds
from opsdesk.domain.coverage import reported_only
from opsdesk.domain.decomposition import Decomposition, decompose, factors
from opsdesk.domain.kpis import aggregate
from opsdesk.domain.metrics import Metric
from opsdesk.domain.periods import Period
from opsdesk.store.catalogue import load_metrics
from opsdesk.store.observations import Event, by_shop, load_daily, load_events
from opsdesk.store.shops import list_shops
from opsdesk.store.targets import load_targets
from opsdesk.views.note_marks import note_events

GRAINS = ("day", "week", "month")
WINDOW = {"day": 60, "week": 26, "month": 24}
MEAN_DAYS = 7
LOOKBACK = 14  # days read before the window: whether a day counts depends on the days before


@dataclass(frozen=True)
class Series:
    label: str
    values: list[float | None]


@dataclass(frozen=True)
class ExplorerData:
    metric: Metric
    metrics: list[Metric]
    shop_keys: list[str]
    shop_key: str | None
    grain: str
    periods: list[Period]
    series: list[Series]
    target: list[float | None]
    mean_7d: list[float | None]
    events: list[Event]
    decomposition: Decomposition | None
    week: Period


def window(grain: str, day: date) -> list[Period]:
    """The periods charted for `grain`, oldest first, the last one holding `day`."""
    last = period_kinds.containing(grain, day)
    out = [last]
    for _ in range(WINDOW[grain] - 1):
        out.append(out[-1].previous())
    return out[::-1]


def last_complete_week(day: date) -> Period:
    """The latest ISO week that ends on or before `day` (the week a weekly review looks at)."""
    week = period_kinds.week_of(day)
    return week if week.end == day else week.previous()


def trailing_mean(values: list[float | None], n: int = MEAN_DAYS) -> list[float | None]:
    """Mean of the last `n` values (those present) at each point; None until n points exist."""
    out: list[float | None] = []
    for i in range(len(values)):
        if i + 1 < n:
            out.append(None)
            continue
        present = [v for v in values[i + 1 - n : i + 1] if v is not None]
        out.append(sum(present) / len(present) if present else None)
    return out


def load_explorer(
    conn: sqlite3.Connection,
    day: date,
    metric_key: str,
    shop_key: str | None,
    grain: str = "day",
    compare: bool = False,
) -> ExplorerData:
    """The chart's data; ValueError for an unknown metric or grain."""
    if grain not in GRAINS:
        raise ValueError(f"grain {grain!r}: one of {', '.join(GRAINS)}")
    metrics = load_metrics(conn)
    metric = metrics.get(metric_key)
    if metric is None:
        raise ValueError(f"metric: unknown metric {metric_key!r}")
    shop_keys = [s.key for s in list_shops(conn)]
    if shop_key is not None and shop_key not in shop_keys:
        shop_key = None
    chart = window(grain, day)
    week = last_complete_week(day)
    start = min(chart[0].start, week.previous().start)
    end = max(chart[-1].end, week.end)
    daily = by_shop(load_daily(conn, start - timedelta(days=LOOKBACK), end))
    targets = load_targets(conn)
    counted = {k: reported_only(daily.get(k, {})) for k in shop_keys}

    def values(keys: list[str]) -> list[float | None]:
        dailies = [daily.get(k, {}) for k in keys]
        return [aggregate(metric, metrics, dailies, p.days()) for p in chart]

    def all_values() -> list[float | None]:
        dailies = list(counted.values())
        return [aggregate(metric, metrics, dailies, p.days()) for p in chart]

    if compare:
        series = [Series(k, values([k])) for k in shop_keys]
    elif shop_key is None:
        series = [Series("all shops", all_values())]
    else:
        series = [Series(shop_key, values([shop_key]))]
    if shop_key is None:
        target = [
            None
            if (t := all_shops.target(targets, metric, metrics, counted, p.days())) is None
            else t.value
            for p in chart
        ]
    else:
        target = [
            None if (t := targets.for_period(metric, shop_key, p.days())) is None else t.value
            for p in chart
        ]
    mean = trailing_mean(series[0].values) if grain == "day" and not compare else []

    def week_factors(p: Period, key: str) -> dict[str, float | None]:
        dailies = [daily.get(key, {})]
        return {
            k: aggregate(metrics[k], metrics, dailies, p.days())
            for k in ("visitors", "buyers", "gmv")
            if k in metrics
        }

    if shop_key is None:
        dailies = list(counted.values())
        before = week.previous().days()
        split = decompose(*all_shops.split_factors(metrics, dailies, dailies, week.days(), before))
    else:
        split = decompose(
            factors(week_factors(week.previous(), shop_key)), factors(week_factors(week, shop_key))
        )
    events = load_events(conn, chart[0].start, chart[-1].end, shop_key)
    events += note_events(conn, metric.key, shop_key, chart[0].start, chart[-1].end)  # owners'
    return ExplorerData(
        metric=metric,
        metrics=list(metrics.values()),
        shop_keys=shop_keys,
        shop_key=shop_key,
        grain=grain,
        periods=chart,
        series=series,
        target=target,
        mean_7d=mean,
        events=events,
        decomposition=split,
        week=week,
    )
