"""The demo's shop-specific targets and its chart markers (campaigns and incidents).

GMV targets follow the business: one per period (each campaign's warm-up and peak, and the
ordinary stretches between), set 5 % over the GMV expected in that period, so they grow with
the shop and are higher in the 618 and 双11 weeks. Other targets come from the profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from opsdesk.demo.incidents import Placed
from opsdesk.demo.kpis import ShopModel
from opsdesk.demo.seasons import NO_FACTORS, Window, target_periods


@dataclass(frozen=True)
class TargetRow:
    metric: str
    valid_from: date | None
    valid_to: date | None
    value: float
    amber: float


@dataclass(frozen=True)
class EventRow:
    shop: str | None
    day: date
    kind: str
    title: str


def _three_figures(x: float) -> float:
    """Round to three significant figures, as a person setting a target would."""
    if x <= 0:
        return 0.0
    digits = len(str(int(x)))
    return float(round(x, 3 - digits))


def shop_targets(
    model: ShopModel,
    found: list[Window],
    factors_by_day: dict[date, dict[str, float]],
    first: date,
    uplift: float,
    amber_share: float,
) -> list[TargetRow]:
    """The targets of one shop: per-period GMV (the last one open-ended) and profile targets."""
    rows = []
    periods = target_periods(found, first, model.end)
    for i, (start, stop, _label) in enumerate(periods):
        n = (stop - start).days + 1
        expected = (
            sum(
                model.expected_gmv(
                    start + timedelta(days=k),
                    factors_by_day.get(start + timedelta(days=k), NO_FACTORS),
                )
                for k in range(n)
            )
            / n
        )
        value = _three_figures(expected * uplift)
        last = i == len(periods) - 1
        rows.append(
            TargetRow(
                "gmv", start, None if last else stop, value, _three_figures(value * amber_share)
            )
        )
    for metric, (value, amber) in model.profile.targets.items():
        rows.append(TargetRow(metric, first, None, value, amber))
    return rows


def campaign_events(found: list[Window], first: date, end: date) -> list[EventRow]:
    """Warm-up starts and peaks of the seasons marked `event`, for every shop (shop None)."""
    rows = []
    for w in found:
        if not w.season.event:
            continue
        if first <= w.start <= end and w.start < w.peak:
            rows.append(EventRow(None, w.start, "campaign", f"{w.season.title} warm-up starts"))
        if first <= w.peak <= end:
            rows.append(EventRow(None, w.peak, "campaign", f"{w.season.title} peak"))
    return rows


def incident_events(placed: list[Placed]) -> list[EventRow]:
    """One marker per incident, on its first day, at its shop."""
    return [EventRow(p.shop, p.days[0], "incident", p.title) for p in placed]
