"""Daily, weekly and monthly reports: every metric per shop and for all shops, compared with
the previous period and the same period last year, with targets, status and the GMV split.

A period still running (the week or month holding the ops day) is reported to date: only its
days up to `as_of` count, and the previous period and last year are cut to as many days, so
the comparison is like for like; the targets of summed metrics cover the same days.

A shop's report is stale when its last day has no data at all; on a partial last day
(opsdesk.domain.coverage) the metrics without a value that day are stale. The all-shops total
follows the one all-shops rule (opsdesk.domain.all_shops): it counts the shops' reported days,
compares like for like, derives its targets from the shops' own, and says which shops
reported the last day ("2 of 3 reporting").
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from opsdesk.domain import all_shops
from opsdesk.domain.coverage import (
    MISSING,
    PARTIAL,
    REPORTED,
    Coverage,
    coverage,
    day_states,
    reported_only,
    summary_name,
)
from opsdesk.domain.decomposition import Decomposition, decompose, span_factors
from opsdesk.domain.kpis import Daily, Kpi, PeriodTarget, Targets, assess, rollup, status
from opsdesk.domain.metrics import Metric
from opsdesk.domain.periods import Period
from opsdesk.store.catalogue import load_metrics
from opsdesk.store.observations import by_shop, load_daily
from opsdesk.store.shops import Shop, list_shops
from opsdesk.store.targets import load_targets

ALL_SHOPS_KEY = "all"
LOOKBACK = 14
"""Days read before each span, so that a span's first day is judged against the shop's
earlier days (opsdesk.domain.coverage)."""


@dataclass(frozen=True)
class Span:
    """The days of a period actually compared (a running period is cut to date)."""

    period: Period
    start: date
    end: date

    @property
    def days(self) -> list[date]:
        return [d for d in self.period.days() if self.start <= d <= self.end]


@dataclass(frozen=True)
class ShopReport:
    shop_key: str
    shop_name: str
    platform: str
    has_data: bool  # the last day reported counts as reported (domain.coverage)
    kpis: list[Kpi]  # every metric, catalogue order
    decomposition: Decomposition | None  # GMV change vs the previous period
    state: str = REPORTED  # reported / partial / missing; all shops: complete / partial / missing
    reporting: tuple[str, ...] = ()  # all shops: the shops that reported the last day

    def kpi(self, key: str) -> Kpi:
        return next(k for k in self.kpis if k.metric.key == key)


@dataclass(frozen=True)
class Report:
    period: Period
    current: Span
    previous: Span
    last_year: Span
    shops: list[ShopReport]
    total: ShopReport  # all shops: the reporting shops, like for like (domain.all_shops)
    coverage: Coverage | None = None  # which shops reported the last day

    @property
    def complete(self) -> bool:
        return self.current.end == self.period.end


def _spans(period: Period, as_of: date | None) -> tuple[Span, Span, Span]:
    end = period.end if as_of is None or not period.start <= as_of < period.end else as_of
    n = (end - period.start).days + 1
    out = [Span(period, period.start, end)]
    for other in (period.previous(), period.last_year()):
        days = other.days()[:n]
        out.append(Span(other, days[0], days[-1]))
    return out[0], out[1], out[2]


def _shop_report(
    key: str,
    name: str,
    platform: str,
    metrics: Mapping[str, Metric],
    spans: tuple[Span, Span, Span],
    dailies: tuple[Sequence[Daily], Sequence[Daily], Sequence[Daily]],
    target_of: dict[str, PeriodTarget | None],
    state: str,
) -> ShopReport:
    now, before, year_ago = (
        rollup(metrics, d, s.days) for d, s in zip(dailies, spans, strict=True)
    )
    last = dailies[0][0].get(spans[0].end, {}) if dailies[0] else {}

    def data(m: Metric) -> bool:
        keys = m.formula.inputs if m.formula is not None else {m.key}
        return state == REPORTED or (state == PARTIAL and keys <= last.keys())

    kpis = [
        assess(m, now[k], before[k], year_ago[k], target_of[k], data=data(m))
        for k, m in metrics.items()
    ]
    split = decompose(
        span_factors(before, dailies[1], spans[1].days),
        span_factors(now, dailies[0], spans[0].days),
    )
    return ShopReport(key, name, platform, state == REPORTED, kpis, split, state)


def _total(
    metrics: Mapping[str, Metric],
    spans: tuple[Span, Span, Span],
    counted: tuple[list[Daily], list[Daily], list[Daily]],
    keys: Sequence[str],
    targets: Targets,
    cov: Coverage,
) -> ShopReport:
    """The all-shops total by the one all-shops rule (opsdesk.domain.all_shops)."""
    days, before, year_ago = (s.days for s in spans)
    now = rollup(metrics, counted[0], days)
    data = cov.state != "missing"
    by_shop = dict(zip(keys, counted[0], strict=True))
    kpis = []
    for k, m in metrics.items():
        prev = all_shops.like_for_like(m, metrics, counted[0], counted[1], days, before)
        ly = all_shops.like_for_like(m, metrics, counted[0], counted[2], days, year_ago)
        target = all_shops.target(targets, m, metrics, by_shop, days)
        kpis.append(
            Kpi(
                metric=m,
                value=now[k],
                previous=prev.reference,
                change=prev.change,
                last_year=ly.reference,
                change_year=ly.change,
                target=None if target is None else target.value,
                amber=None if target is None else target.amber,
                status=status(m.direction, now[k], target, data=data),
            )
        )
    split = decompose(*all_shops.split_factors(metrics, counted[0], counted[1], days, before))
    return ShopReport(
        ALL_SHOPS_KEY, summary_name(cov), "", data, kpis, split, cov.state, cov.reporting
    )


def build_report(
    conn: sqlite3.Connection,
    period: Period,
    *,
    as_of: date | None = None,
    shop_keys: Sequence[str] | None = None,
) -> Report:
    """The report for `period`; with `as_of` inside it, the period to date."""
    metrics = load_metrics(conn)
    shops: list[Shop] = list_shops(conn)
    if shop_keys is not None:
        known = {s.key for s in shops}
        unknown = [k for k in shop_keys if k not in known]
        if unknown:
            raise ValueError(f"--shop: unknown shop {unknown[0]!r} (see `opsdesk shop list`)")
        shops = [s for s in shops if s.key in shop_keys]
    keys = [s.key for s in shops]
    spans = _spans(period, as_of)
    # each span with LOOKBACK days before it: whether a day counts depends on the days before
    loaded = [
        by_shop(load_daily(conn, s.start - timedelta(days=LOOKBACK), s.end, keys)) for s in spans
    ]
    targets = load_targets(conn)
    days = spans[0].days

    reports = []
    for shop in shops:
        dailies = (
            [loaded[0].get(shop.key, {})],
            [loaded[1].get(shop.key, {})],
            [loaded[2].get(shop.key, {})],
        )
        target_of = {k: targets.for_period(m, shop.key, days) for k, m in metrics.items()}
        state = day_states(dailies[0][0]).get(spans[0].end, MISSING)
        reports.append(
            _shop_report(
                shop.key, shop.name, shop.platform, metrics, spans, dailies, target_of, state
            )
        )
    cov = coverage({k: loaded[0].get(k, {}) for k in keys}, spans[0].end)
    counted: tuple[list[Daily], list[Daily], list[Daily]] = (
        [reported_only(loaded[0].get(k, {})) for k in keys],
        [reported_only(loaded[1].get(k, {})) for k in keys],
        [reported_only(loaded[2].get(k, {})) for k in keys],
    )
    total = _total(metrics, spans, counted, keys, targets, cov)
    return Report(period, spans[0], spans[1], spans[2], reports, total, cov)
