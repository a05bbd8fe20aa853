"""The demo parameters (fixtures/demo.toml, shipped in the package): shop profiles, seasons and
incidents, validated.

Everything that shapes the demo store is data in that file; this module only reads it and says
which file, entry and field is wrong when it cannot.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any

from opsdesk import shipped

SEASON_FACTORS = (
    "visitors",
    "conversion",
    "aov",
    "paid_share",
    "roas",
    "refund",
    "cs_response",
    "late_shipments",
    "stockout",
    "stock",
)
"""The quantities a season may scale, each as [warm-up, peak, after]."""

INCIDENT_KINDS = ("conversion_slide", "cs_spike", "stockout_streak", "missing_day")


class DemoError(ValueError):
    """Bad demo parameters or a store the demo may not fill; the message says what and where."""


@dataclass(frozen=True)
class Profile:
    """One kind of shop: its levels on an ordinary day at the end date."""

    key: str
    name: str
    platform: str
    visitors: float
    conversion: float
    aov: float
    campaign_strength: float
    weekday: tuple[float, ...]
    paid_share: float
    roas: float
    ctr: float
    clicks_per_paid_visitor: float
    orders_per_buyer: float
    refund_rate: float
    repurchase: float
    review_rate: float
    negative_review_rate: float
    chat_rate: float
    first_response_s: float
    aftersales_rate: float
    aftersales_late_rate: float
    late_shipment_rate: float
    dsr: float
    active_skus: float
    stockout_rate: float
    turnover: float
    cogs_share: float
    slow_stock_share: float
    targets: dict[str, tuple[float, float]]

    def scaled(self, cycle: int, scale: float) -> Profile:
        """The profile reused for another shop: a distinct key and name, a smaller scale."""
        if cycle == 0:
            return self
        factor = scale**cycle
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(
            key=f"{self.key}-{cycle + 1}",
            name=f"{self.name} {cycle + 1}",
            visitors=self.visitors * factor,
            active_skus=max(20.0, self.active_skus * factor),
        )
        return Profile(**values)


@dataclass(frozen=True)
class Season:
    """A campaign or holiday that recurs every year (dates as month and day)."""

    key: str
    title: str
    start: tuple[int, int]
    peak: tuple[int, int]
    end: tuple[int, int]
    major: bool
    target: bool
    event: bool
    factors: dict[str, tuple[float, float, float]]


@dataclass(frozen=True)
class Incident:
    key: str
    kind: str
    shop: str
    title: str
    days: int = 0
    factor: float = 1.0
    offset: int = 0
    first_response_s: tuple[float, ...] = ()
    rate_from: float = 0.0
    rate_to: float = 0.0
    days_before_end: int = 0


@dataclass(frozen=True)
class Growth:
    visitors: float
    aov: float
    skus: float


@dataclass(frozen=True)
class DemoParams:
    seed: int
    shops: int
    days: int
    cycle_scale: float
    normal_stockout_cap: float
    gmv_target_uplift: float
    gmv_target_amber: float
    growth: Growth
    profiles: tuple[Profile, ...]
    seasons: tuple[Season, ...]
    incidents: tuple[Incident, ...]

    def shop_profiles(self, n: int) -> list[Profile]:
        """The first `n` shops: the profiles in order, then again at a smaller scale."""
        count = len(self.profiles)
        return [self.profiles[i % count].scaled(i // count, self.cycle_scale) for i in range(n)]


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DemoError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _month_day(value: Any, where: str) -> tuple[int, int]:
    try:
        month, day = (int(p) for p in str(value).split("-"))
        date(2023, month, day)  # not a leap year: 02-29 would not recur
    except ValueError:
        raise DemoError(f"{where}: expected a date as MM-DD, got {value!r}") from None
    return month, day


def _profile(entry: dict[str, Any], where: str) -> Profile:
    values: dict[str, Any] = {}
    for f in fields(Profile):
        if f.name not in entry:
            raise DemoError(f"{where}: field {f.name!r} is required")
        raw = entry[f.name]
        here = f"{where}: field {f.name!r}"
        if f.name in ("key", "name", "platform"):
            if not isinstance(raw, str) or not raw:
                raise DemoError(f"{here}: expected text")
            values[f.name] = raw
        elif f.name == "weekday":
            if not isinstance(raw, list) or len(raw) != 7:
                raise DemoError(f"{here}: expected 7 factors, Monday..Sunday")
            values[f.name] = tuple(_number(x, here) for x in raw)
        elif f.name == "targets":
            if not isinstance(raw, dict):
                raise DemoError(f"{here}: expected {{ metric = [value, amber], … }}")
            pairs = {}
            for metric, pair in raw.items():
                if not isinstance(pair, list) or len(pair) != 2:
                    raise DemoError(f"{here}: {metric} must be [value, amber]")
                pairs[metric] = (_number(pair[0], here), _number(pair[1], here))
            values[f.name] = pairs
        else:
            values[f.name] = _number(raw, here)
            if values[f.name] <= 0 and f.name != "aftersales_late_rate":
                raise DemoError(f"{here}: must be positive")
    return Profile(**values)


def _season(entry: dict[str, Any], where: str) -> Season:
    for name in ("key", "title", "start", "peak", "end"):
        if name not in entry:
            raise DemoError(f"{where}: field {name!r} is required")
    factors = {}
    for name in SEASON_FACTORS:
        if name in entry:
            raw = entry[name]
            if not isinstance(raw, list) or len(raw) != 3:
                raise DemoError(f"{where}: field {name!r}: expected [warm-up, peak, after]")
            a, b, c = (_number(x, f"{where}: field {name!r}") for x in raw)
            factors[name] = (a, b, c)
    unknown = (
        set(entry)
        - set(SEASON_FACTORS)
        - {"key", "title", "start", "peak", "end", "major", "target", "event"}
    )
    if unknown:
        raise DemoError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    return Season(
        key=str(entry["key"]),
        title=str(entry["title"]),
        start=_month_day(entry["start"], f"{where}: field 'start'"),
        peak=_month_day(entry["peak"], f"{where}: field 'peak'"),
        end=_month_day(entry["end"], f"{where}: field 'end'"),
        major=bool(entry.get("major", False)),
        target=bool(entry.get("target", False)),
        event=bool(entry.get("event", False)),
        factors=factors,
    )


def _incident(entry: dict[str, Any], where: str) -> Incident:
    known = {f.name for f in fields(Incident)}
    unknown = set(entry) - known
    if unknown:
        raise DemoError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    for name in ("key", "kind", "shop", "title"):
        if not isinstance(entry.get(name), str) or not entry[name]:
            raise DemoError(f"{where}: field {name!r} is required (text)")
    if entry["kind"] not in INCIDENT_KINDS:
        raise DemoError(
            f"{where}: field 'kind': {entry['kind']!r} is not one of {', '.join(INCIDENT_KINDS)}"
        )
    values: dict[str, Any] = dict(entry)
    for name in ("days", "offset", "days_before_end"):
        if name in values and (isinstance(values[name], bool) or not isinstance(values[name], int)):
            raise DemoError(f"{where}: field {name!r}: expected a whole number")
    for name in ("factor", "rate_from", "rate_to"):
        if name in values:
            values[name] = _number(values[name], f"{where}: field {name!r}")
    if "first_response_s" in values:
        raw = values["first_response_s"]
        if not isinstance(raw, list) or not raw:
            raise DemoError(f"{where}: field 'first_response_s': expected a list of seconds")
        values["first_response_s"] = tuple(
            _number(x, f"{where}: field 'first_response_s'") for x in raw
        )
    return Incident(**values)


def load_params(path: Path | None = None) -> DemoParams:
    """Read and validate the demo parameters (default: the shipped ones)."""
    path = path or shipped.demo_file()
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise DemoError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as e:
        raise DemoError(f"{path}: not valid TOML: {e}") from None
    defaults = doc.get("defaults", {})
    growth = doc.get("growth", {})

    def need(table: dict[str, Any], section: str, name: str) -> float:
        if name not in table:
            raise DemoError(f"{path}: [{section}]: field {name!r} is required")
        return _number(table[name], f"{path}: [{section}]: field {name!r}")

    profiles = tuple(
        _profile(e, f"{path}: profile #{i} ({e.get('key', '?')})")
        for i, e in enumerate(doc.get("profile", []), 1)
    )
    if not profiles:
        raise DemoError(f"{path}: at least one [[profile]] is required")
    keys = [p.key for p in profiles]
    if len(set(keys)) != len(keys):
        raise DemoError(f"{path}: profile keys must be distinct")
    return DemoParams(
        seed=int(need(defaults, "defaults", "seed")),
        shops=int(need(defaults, "defaults", "shops")),
        days=int(need(defaults, "defaults", "days")),
        cycle_scale=need(defaults, "defaults", "cycle_scale"),
        normal_stockout_cap=need(defaults, "defaults", "normal_stockout_cap"),
        gmv_target_uplift=need(defaults, "defaults", "gmv_target_uplift"),
        gmv_target_amber=need(defaults, "defaults", "gmv_target_amber"),
        growth=Growth(
            visitors=need(growth, "growth", "visitors"),
            aov=need(growth, "growth", "aov"),
            skus=need(growth, "growth", "skus"),
        ),
        profiles=profiles,
        seasons=tuple(
            _season(e, f"{path}: season #{i} ({e.get('key', '?')})")
            for i, e in enumerate(doc.get("season", []), 1)
        ),
        incidents=tuple(
            _incident(e, f"{path}: incident #{i} ({e.get('key', '?')})")
            for i, e in enumerate(doc.get("incident", []), 1)
        ),
    )
