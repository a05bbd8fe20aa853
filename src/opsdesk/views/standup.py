"""The daily stand-up: yesterday's KPIs per shop and for all shops, and the alerts that fired.

Read-only and fast (it is the app's first paint): it reads the fifteen days it needs (the day,
the 14-day sparkline, the same weekday a week earlier, the 7-day baseline) through the
observations (day, shop_id) index, never the whole history.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from opsdesk.domain import alerts as alert_rules
from opsdesk.domain import all_shops
from opsdesk.domain.alert_record import Alert, with_acks
from opsdesk.domain.coverage import (
    MISSING,
    PARTIAL,
    REPORTED,
    Coverage,
    coverage,
    day_states,
    missing_headline,
    reported_only,
    summary_name,
)
from opsdesk.domain.kpis import (
    Daily,
    PeriodTarget,
    Targets,
    day_values,
    headline_metrics,
    relative_change,
    status,
    status_rank,
)
from opsdesk.domain.metrics import Metric
from opsdesk.store import settings
from opsdesk.store.alerts import alerts_for_day, load_rules
from opsdesk.store.catalogue import load_metrics
from opsdesk.store.observations import by_shop, load_daily
from opsdesk.store.shops import Shop, list_shops
from opsdesk.store.targets import load_targets

SPARK_DAYS = 14
ALL_SHOPS_KEY = "all"


@dataclass(frozen=True)
class KpiLine:
    metric: Metric
    value: float | None
    target: float | None
    amber: float | None
    status: str  # "green" | "amber" | "red" | "stale" | "none"
    previous_day: float | None
    change_day: float | None  # relative change, 0.05 = +5%
    same_weekday: float | None
    change_week: float | None  # vs the same weekday last week
    spark: tuple[float | None, ...]  # SPARK_DAYS days ending on the day


@dataclass(frozen=True)
class ShopStandup:
    shop_key: str
    shop_name: str
    platform: str
    has_data: bool  # the day counts as reported (opsdesk.domain.coverage)
    lines: list[KpiLine]  # red first, then amber, stale, green, none; catalogue order within
    state: str = REPORTED  # reported / partial / missing; all shops: complete / partial / missing
    note: str = ""  # what keeps the day from counting: "no data", "partial: visitors missing"


@dataclass(frozen=True)
class Standup:
    day: date
    summary: ShopStandup  # all shops: the reporting shops, like for like (domain.all_shops)
    shops: list[ShopStandup]
    alerts: list[Alert]  # red first; acknowledged ones included (acked_by set)
    coverage: Coverage | None = None  # which shops reported the day


def spark_series(
    metrics: Mapping[str, Metric], dailies: Sequence[Daily], day: date
) -> list[dict[str, float | None]]:
    """Every metric on each of the SPARK_DAYS days ending on `day`, oldest first, for one shop
    (`[daily]`) or several combined."""
    out = []
    for i in range(SPARK_DAYS - 1, -1, -1):
        d = day - timedelta(days=i)
        out.append(day_values(metrics, [row for daily in dailies if (row := daily.get(d))]))
    return out


def kpi_line(
    metric: Metric,
    series: Sequence[Mapping[str, float | None]],
    target: PeriodTarget | None,
    state: str,
    compared: tuple[all_shops.Compared, all_shops.Compared] | None = None,
) -> KpiLine:
    """One metric from its `spark_series` (the last entry is the day under review).

    `state` is the day's: missing makes the line stale; partial makes it stale unless the
    metric itself has a value. `compared`: the all-shops like-for-like comparisons (vs the
    day before, vs the same weekday), instead of the series' own earlier days.
    """
    spark = tuple(values[metric.key] for values in series)
    value = spark[-1]
    data = state == REPORTED or (state == PARTIAL and value is not None)
    if compared is None:
        previous, change_day = spark[-2], relative_change(value, spark[-2])
        same_weekday, change_week = spark[-8], relative_change(value, spark[-8])
    else:
        previous, change_day = compared[0].reference, compared[0].change
        same_weekday, change_week = compared[1].reference, compared[1].change
    return KpiLine(
        metric=metric,
        value=value,
        target=None if target is None else target.value,
        amber=None if target is None else target.amber,
        status=status(metric.direction, value, target, data=data),
        previous_day=previous,
        change_day=change_day,
        same_weekday=same_weekday,
        change_week=change_week,
        spark=spark,
    )


def order_lines(lines: list[KpiLine]) -> list[KpiLine]:
    """Red, amber, stale, green, none; the given (catalogue) order within each group."""
    return sorted(lines, key=lambda line: status_rank(line.status))


@dataclass(frozen=True)
class _DayInputs:
    """What the stand-up and the alert rules read for a day, loaded once."""

    metrics: dict[str, Metric]
    shops: list[Shop]
    values: dict[str, dict[date, dict[str, float]]]  # the day and the 14 days before
    targets: Targets
    rules: list[alert_rules.Rule]

    def daily(self, shop_key: str) -> Daily:
        return self.values.get(shop_key, {})

    def alerts(self, day: date) -> list[alert_rules.Alert]:
        raised: list[alert_rules.Alert] = []
        for shop in self.shops:
            raised.extend(
                alert_rules.evaluate(
                    self.rules, self.metrics, shop.key, self.daily(shop.key), day, self.targets
                )
            )
        return alert_rules.sort_alerts(raised)


def _inputs(conn: sqlite3.Connection, day: date) -> _DayInputs:
    return _DayInputs(
        metrics=load_metrics(conn),
        shops=list_shops(conn),
        values=by_shop(load_daily(conn, day - timedelta(days=SPARK_DAYS), day)),
        targets=load_targets(conn),
        rules=load_rules(conn),
    )


def raise_alerts(conn: sqlite3.Connection, day: date) -> list[alert_rules.Alert]:
    """Every alert the enabled rules raise for every shop on `day`, red first."""
    return _inputs(conn, day).alerts(day)


def check_day(conn: sqlite3.Connection, day: date) -> tuple[list[alert_rules.Alert], Coverage]:
    """What `opsdesk check` says: the alerts of `day` and which shops reported it."""
    inputs = _inputs(conn, day)
    return inputs.alerts(day), coverage({s.key: inputs.daily(s.key) for s in inputs.shops}, day)


def summary(inputs: _DayInputs, shown: list[Metric], day: date) -> tuple[ShopStandup, Coverage]:
    """All shops together by the one all-shops rule (opsdesk.domain.all_shops): each day's
    figure sums the shops that reported that day, the comparisons are like for like, and the
    targets derive from the counted shops' own; the name says "2 of 3 reporting"."""
    metrics = inputs.metrics
    full = {s.key: inputs.daily(s.key) for s in inputs.shops}
    states = {k: day_states(d) for k, d in full.items()}
    cov = coverage(full, day, states)
    counted = {k: reported_only(d, states[k]) for k, d in full.items()}  # the days that count
    dailies = list(counted.values())
    series = spark_series(metrics, dailies, day)
    before, week_ago = [day - timedelta(days=1)], [day - timedelta(days=7)]
    state = REPORTED if cov.state != "missing" else MISSING
    lines = [
        kpi_line(
            m,
            series,
            all_shops.target(inputs.targets, m, metrics, counted, [day]),
            state,
            (
                all_shops.like_for_like(m, metrics, dailies, dailies, [day], before),
                all_shops.like_for_like(m, metrics, dailies, dailies, [day], week_ago),
            ),
        )
        for m in shown
    ]
    view = ShopStandup(
        ALL_SHOPS_KEY,
        summary_name(cov),
        "",
        cov.state != "missing",
        order_lines(lines),
        cov.state,
        cov.not_reporting,
    )
    return view, cov


def shop_note(daily: Daily, day: date, state: str) -> str:
    """Why a shop's day does not count: `no data`, `partial: visitors, gmv missing`."""
    if state == MISSING:
        return "no data"
    if state == PARTIAL:
        return f"partial: {', '.join(missing_headline(daily, day))} missing"
    return ""


def build_standup(conn: sqlite3.Connection, day: date) -> Standup:
    inputs = _inputs(conn, day)
    metrics, shops, targets = inputs.metrics, inputs.shops, inputs.targets
    shown = headline_metrics(metrics)

    shop_views: list[ShopStandup] = []
    for shop in shops:
        daily = inputs.daily(shop.key)
        state = day_states(daily).get(day, MISSING)
        series = spark_series(metrics, [daily], day)
        lines = [kpi_line(m, series, targets.for_period(m, shop.key, [day]), state) for m in shown]
        shop_views.append(
            ShopStandup(
                shop.key,
                shop.name,
                shop.platform,
                state == REPORTED,
                order_lines(lines),
                state,
                shop_note(daily, day, state),
            )
        )

    total, cov = summary(inputs, shown, day)

    tz = settings.read(conn).timezone
    alerts = with_acks(inputs.alerts(day), alerts_for_day(conn, day), tz)
    return Standup(day, total, shop_views, alerts, cov)
