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
from opsdesk.domain.alert_record import Alert, with_acks
from opsdesk.domain.kpis import (
    Daily,
    PeriodTarget,
    Targets,
    day_values,
    has_data,
    headline_metrics,
    relative_change,
    status,
    status_rank,
)
from opsdesk.domain.metrics import Metric
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
    has_data: bool  # False: no value at all for the day, so every line is stale
    lines: list[KpiLine]  # red first, then amber, stale, green, none; catalogue order within


@dataclass(frozen=True)
class Standup:
    day: date
    summary: ShopStandup  # all shops: base metrics summed, ratios as ratio of sums
    shops: list[ShopStandup]
    alerts: list[Alert]  # red first; acknowledged ones included (acked_by set)


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
    data: bool,
) -> KpiLine:
    """One metric from its `spark_series` (the last entry is the day under review)."""
    spark = tuple(values[metric.key] for values in series)
    value = spark[-1]
    previous = spark[-2]
    same_weekday = spark[-8]
    return KpiLine(
        metric=metric,
        value=value,
        target=None if target is None else target.value,
        amber=None if target is None else target.amber,
        status=status(metric.direction, value, target, data=data),
        previous_day=previous,
        change_day=relative_change(value, previous),
        same_weekday=same_weekday,
        change_week=relative_change(value, same_weekday),
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


def _summary(
    inputs: _DayInputs, shop_views: list[ShopStandup], shown: list[Metric], day: date
) -> ShopStandup:
    """All shops together, over the shops that reported for the day.

    A shop whose export is missing is left out of every day of the summary (its value, the
    days it is compared with and its targets), so one missing file does not make the agency's
    totals look like a slump nor turn the whole summary stale; the shop's own page and the
    stale alert say it is missing, and the summary's name says how many shops it covers.
    """
    reporting = [s.shop_key for s in shop_views if s.has_data]
    keys = reporting or [s.shop_key for s in shop_views]
    series = spark_series(inputs.metrics, [inputs.daily(k) for k in keys], day)
    data = bool(reporting)
    lines = [
        kpi_line(m, series, inputs.targets.for_period_all_shops(m, keys, [day]), data)
        for m in shown
    ]
    name = "All shops"
    if reporting and len(reporting) < len(shop_views):
        name = f"All shops ({len(reporting)} of {len(shop_views)} reporting)"
    return ShopStandup(ALL_SHOPS_KEY, name, "", data, order_lines(lines))


def build_standup(conn: sqlite3.Connection, day: date) -> Standup:
    inputs = _inputs(conn, day)
    metrics, shops, targets = inputs.metrics, inputs.shops, inputs.targets
    shown = headline_metrics(metrics)

    shop_views: list[ShopStandup] = []
    for shop in shops:
        daily = inputs.daily(shop.key)
        data = has_data(daily, day)
        series = spark_series(metrics, [daily], day)
        lines = [kpi_line(m, series, targets.for_period(m, shop.key, [day]), data) for m in shown]
        shop_views.append(ShopStandup(shop.key, shop.name, shop.platform, data, order_lines(lines)))

    summary = _summary(inputs, shop_views, shown, day)

    alerts = with_acks(inputs.alerts(day), alerts_for_day(conn, day))
    return Standup(day, summary, shop_views, alerts)
