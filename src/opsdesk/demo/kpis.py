"""The daily series of every base metric for one demo shop.

A day's numbers follow from the shop's profile (its levels at the end date), yearly growth,
the weekday, the season (campaign warm-ups, peaks and after-periods), slow drifts and noise
from one seeded `random.Random` per shop, then the incidents placed on that shop. Counts are
whole numbers, money has two decimals, and the invariants hold on every day: buyers ≤
visitors, orders ≥ buyers, paid_visitors ≤ visitors, repeat_buyers ≤ buyers, negative_reviews
≤ reviews, late ≤ tickets or shipments, stockout_skus ≤ active_skus, slow ≤ stock value.

The same random draws happen on every day whatever the incidents, so an incident changes only
the numbers it is about.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from opsdesk.demo.incidents import ShopIncidents
from opsdesk.demo.params import Growth, Profile
from opsdesk.demo.seasons import NO_FACTORS, DayFactors

BASE_METRICS = (
    "visitors",
    "paid_visitors",
    "buyers",
    "orders",
    "gmv",
    "ad_spend",
    "ad_clicks",
    "ad_impressions",
    "ad_gmv",
    "refund_amount",
    "repeat_buyers",
    "reviews",
    "negative_reviews",
    "cs_sessions",
    "cs_response_seconds",
    "aftersales_tickets",
    "aftersales_late",
    "shipped_orders",
    "late_shipments",
    "dsr",
    "active_skus",
    "stockout_skus",
    "stock_value",
    "slow_stock_value",
)
"""Every base metric of the shipped catalogue, in the order a day's values are produced."""

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class ShopModel:
    """What a shop's series depends on besides the random draws."""

    profile: Profile
    growth: Growth
    end: date
    stockout_cap: float

    def years_before_end(self, day: date) -> float:
        return (day - self.end).days / DAYS_PER_YEAR

    def visitor_factor(self, factors: DayFactors) -> float:
        """The season's visitor factor; a rise is scaled by how strongly this shop campaigns
        (a lull after a peak is not)."""
        raw = factors.get("visitors", 1.0)
        return 1.0 + (raw - 1.0) * self.profile.campaign_strength if raw > 1.0 else raw

    def expected_gmv(self, day: date, factors: DayFactors) -> float:
        """The day's GMV without noise or drift: what a target is set from."""
        p, t = self.profile, self.years_before_end(day)
        visitors = (
            p.visitors
            * p.weekday[day.weekday()]
            * self.growth.visitors**t
            * self.visitor_factor(factors)
        )
        conversion = p.conversion * factors.get("conversion", 1.0)
        aov = p.aov * self.growth.aov**t * factors.get("aov", 1.0)
        return visitors * conversion * aov


def _stochastic_round(x: float, rng: random.Random) -> int:
    """A whole number whose expectation is x (small counts keep their average)."""
    low = math.floor(x)
    return low + (1 if rng.random() < x - low else 0)


def _jitter(rng: random.Random, sigma: float) -> float:
    return max(0.2, 1.0 + rng.gauss(0.0, sigma))


def daily_series(
    model: ShopModel,
    days: list[date],
    factors_by_day: dict[date, dict[str, float]],
    rng: random.Random,
    incidents: ShopIncidents,
) -> Iterator[tuple[date, dict[str, float]]]:
    """(day, {metric: value}) for each day that has data (a missing export yields nothing)."""
    p, g = model.profile, model.growth
    weekday_mean = sum(p.weekday) / 7
    momentum = sku_drift = stock_drift = slow_drift = 0.0
    dsr = p.dsr
    prev_orders: int | None = None
    recent: deque[tuple[int, int]] = deque(maxlen=7)  # (visitors, buyers) of recorded days
    for day in days:
        f = factors_by_day.get(day, NO_FACTORS)
        t = model.years_before_end(day)
        v_growth, a_growth = g.visitors**t, g.aov**t

        momentum = 0.85 * momentum + rng.gauss(0.0, 0.025)
        level = p.visitors * p.weekday[day.weekday()] * v_growth * model.visitor_factor(f)
        visitors = max(1, round(level * (1.0 + momentum) * _jitter(rng, 0.05)))
        conversion = p.conversion * f.get("conversion", 1.0) * _jitter(rng, 0.04)
        cap = incidents.conversion_cap.get(day)
        if cap is not None and recent:
            trailing = sum(b for _, b in recent) / max(1, sum(v for v, _ in recent))
            buyers = math.floor(visitors * min(conversion, trailing * cap))
        else:
            buyers = round(visitors * conversion)
        buyers = min(buyers, visitors)
        aov = p.aov * a_growth * f.get("aov", 1.0) * _jitter(rng, 0.03)
        gmv = round(buyers * aov, 2)
        orders = buyers + _stochastic_round(
            buyers * (p.orders_per_buyer - 1.0) * _jitter(rng, 0.1), rng
        )

        paid_share = min(0.95, p.paid_share * f.get("paid_share", 1.0) * _jitter(rng, 0.05))
        paid_visitors = min(visitors, round(visitors * paid_share))
        ad_clicks = round(paid_visitors * p.clicks_per_paid_visitor * _jitter(rng, 0.03))
        ad_impressions = max(ad_clicks, round(ad_clicks / (p.ctr * _jitter(rng, 0.05))))
        ad_gmv = round(min(gmv, gmv * paid_share * _jitter(rng, 0.06)), 2)
        roas = p.roas * f.get("roas", 1.0) * _jitter(rng, 0.07)
        ad_spend = round(ad_gmv / roas, 2)

        refund = round(min(gmv, gmv * p.refund_rate * f.get("refund", 1.0) * _jitter(rng, 0.12)), 2)
        repeat_buyers = min(
            buyers, _stochastic_round(buyers * p.repurchase * _jitter(rng, 0.06), rng)
        )
        shipped = orders if prev_orders is None else round(0.35 * orders + 0.65 * prev_orders)
        prev_orders = orders
        late_rate = p.late_shipment_rate * f.get("late_shipments", 1.0) * _jitter(rng, 0.3)
        late_shipments = min(shipped, _stochastic_round(shipped * late_rate, rng))
        reviews = _stochastic_round(shipped * p.review_rate * _jitter(rng, 0.08), rng)
        negative = min(
            reviews, _stochastic_round(reviews * p.negative_review_rate * _jitter(rng, 0.3), rng)
        )

        sessions = max(1, _stochastic_round(visitors * p.chat_rate * _jitter(rng, 0.06), rng))
        first_response = p.first_response_s * f.get("cs_response", 1.0) * _jitter(rng, 0.06)
        first_response = incidents.first_response_s.get(day, first_response)
        tickets = _stochastic_round(
            orders * p.aftersales_rate * f.get("refund", 1.0) * _jitter(rng, 0.1), rng
        )
        late_tickets = min(
            tickets,
            _stochastic_round(
                tickets * p.aftersales_late_rate * f.get("cs_response", 1.0) * _jitter(rng, 0.5),
                rng,
            ),
        )

        dsr = min(5.0, max(1.0, dsr + 0.08 * (p.dsr - dsr) + rng.gauss(0.0, 0.012)))
        sku_drift = 0.97 * sku_drift + rng.gauss(0.0, 0.002)
        active = max(1, round(p.active_skus * g.skus**t * (1.0 + sku_drift)))
        rate = p.stockout_rate * f.get("stockout", 1.0) * _jitter(rng, 0.2)
        streak = incidents.stockout_rate.get(day)
        if streak is not None:
            stockouts = min(active, math.ceil(active * streak))
        else:
            stockouts = min(
                _stochastic_round(active * rate, rng), math.floor(active * model.stockout_cap)
            )
        stock_drift = 0.95 * stock_drift + rng.gauss(0.0, 0.01)
        annual_cogs = (
            p.visitors
            * weekday_mean
            * v_growth
            * p.conversion
            * p.aov
            * a_growth
            * 365
            * p.cogs_share
        )
        stock_value = round(
            annual_cogs / p.turnover * f.get("stock", 1.0) * max(0.5, 1.0 + stock_drift), 2
        )
        slow_drift = 0.97 * slow_drift + rng.gauss(0.0, 0.004)
        slow_share = min(0.9, max(0.02, p.slow_stock_share + slow_drift))
        slow_stock = round(stock_value * slow_share, 2)

        if day in incidents.missing:
            continue
        recent.append((visitors, buyers))
        yield (
            day,
            {
                "visitors": visitors,
                "paid_visitors": paid_visitors,
                "buyers": buyers,
                "orders": orders,
                "gmv": gmv,
                "ad_spend": ad_spend,
                "ad_clicks": ad_clicks,
                "ad_impressions": ad_impressions,
                "ad_gmv": ad_gmv,
                "refund_amount": refund,
                "repeat_buyers": repeat_buyers,
                "reviews": reviews,
                "negative_reviews": negative,
                "cs_sessions": sessions,
                "cs_response_seconds": round(sessions * first_response),
                "aftersales_tickets": tickets,
                "aftersales_late": late_tickets,
                "shipped_orders": shipped,
                "late_shipments": late_shipments,
                "dsr": round(dsr, 2),
                "active_skus": active,
                "stockout_skus": stockouts,
                "stock_value": stock_value,
                "slow_stock_value": slow_stock,
            },
        )
