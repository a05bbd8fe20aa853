"""The deterministic demo store: shops on several platforms with years of daily KPIs.

`build_demo(conn, shops=3, days=1096, end=..., seed=618)` fills an initialised store with the
shops of fixtures/demo.toml, every base metric for every day up to `end` (the ops day), shop
targets, campaign and incident markers, and the incidents that make alerts fire. The same
arguments give the same rows. It refuses a store that already has shops or observations
unless `replace` is set, which clears them first. The whole build — clearing, values,
targets, checklist history, risk activity, cycles — is one transaction.
Nothing imports this package at start-up.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from opsdesk.demo import writer
from opsdesk.demo.checklists import HISTORY_DAYS, build_checklist_history, clear_history
from opsdesk.demo.incidents import Placed, place
from opsdesk.demo.kpis import BASE_METRICS, ShopModel, daily_series
from opsdesk.demo.params import DemoError, DemoParams, load_params
from opsdesk.demo.pdca import build_cycles, clear_pdca
from opsdesk.demo.risks import build_risk_demo
from opsdesk.demo.seasons import day_factors, windows
from opsdesk.demo.targets import TargetRow, campaign_events, incident_events, shop_targets
from opsdesk.store import audit
from opsdesk.store.connection import current_user, now_iso, write_transaction

__all__ = ["BASE_METRICS", "DemoError", "DemoSummary", "build_demo", "load_params"]

STEPS = ("generated", "cleared", "values", "checklists", "risks", "cycles", "committed")
"""The steps `build_demo` reports to its `progress` callback, in order."""
MIN_DAYS = 28
MAX_DAYS = 366 * 20
MAX_SHOPS = 500
BUILD_CACHE_KIB = 64 * 1024


@dataclass(frozen=True)
class DemoSummary:
    shops: tuple[str, ...]
    start: date
    end: date
    days: int
    values: int
    targets: int
    events: int
    incidents: tuple[Placed, ...]
    seed: int
    seconds: float

    def line(self) -> str:
        """The one-line summary the command prints."""
        incidents = ", ".join(f"{p.key} at {p.shop}" for p in self.incidents) or "none"
        return (
            f"demo: {len(self.shops)} shops ({', '.join(self.shops)}), {self.days} days "
            f"{self.start}..{self.end}, {self.values:,} values, {len(self.incidents)} incidents "
            f"({incidents}), seed {self.seed}"
        )


def build_demo(
    conn: sqlite3.Connection,
    *,
    shops: int | None = None,
    days: int | None = None,
    end: date,
    seed: int | None = None,
    replace: bool = False,
    params: DemoParams | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Fill the store with the demo; None takes the default from fixtures/demo.toml.

    `progress` is told each step done, in order: `generated`, `cleared`, `values`,
    `checklists`, `risks`, `cycles` (all in the one transaction), `committed` (STEPS).
    """
    started = time.perf_counter()
    params = params or load_params()
    n_shops = params.shops if shops is None else shops
    n_days = params.days if days is None else days
    seed = params.seed if seed is None else seed
    if not 1 <= n_shops <= MAX_SHOPS:
        raise DemoError(f"--shops: {n_shops} is not between 1 and {MAX_SHOPS}")
    if not MIN_DAYS <= n_days <= MAX_DAYS:
        raise DemoError(f"--days: {n_days} is not between {MIN_DAYS} and {MAX_DAYS}")
    if not replace:
        writer.refuse_if_filled(conn)
    metric_ids = writer.metric_ids(conn, BASE_METRICS)

    first = end - timedelta(days=n_days - 1)
    all_days = [first + timedelta(days=i) for i in range(n_days)]
    found = windows(params.seasons, first, end)
    factors = day_factors(found, first, end)
    profiles = params.shop_profiles(n_shops)
    keys = [p.key for p in profiles]
    overrides, placed = place(params.incidents, keys, first, end, found)

    values: dict[str, list[tuple[int, str, float]]] = {}
    targets: dict[str, list[TargetRow]] = {}
    for profile in profiles:
        model = ShopModel(profile, params.growth, end, params.normal_stockout_cap)
        rng = random.Random(f"opsdesk-demo/{seed}/{profile.key}")
        rows: list[tuple[int, str, float]] = []
        for day, day_values in daily_series(model, all_days, factors, rng, overrides[profile.key]):
            iso = day.isoformat()
            rows.extend((metric_ids[k], iso, v) for k, v in day_values.items())
        values[profile.key] = rows
        targets[profile.key] = shop_targets(
            model, found, factors, first, params.gmv_target_uplift, params.gmv_target_amber
        )
    events = campaign_events(found, first, end) + incident_events(placed)
    step = progress or (lambda _done: None)
    step("generated")

    actor, at = current_user(), now_iso()
    cache = int(conn.execute("PRAGMA cache_size").fetchone()[0])
    conn.execute(f"PRAGMA cache_size = {-BUILD_CACHE_KIB:d}")  # keep the index pages in memory
    try:
        # One transaction for everything, checklist history, risks and cycles included (their
        # own writes become savepoints in it): a build killed at any point leaves the store as
        # it was, never new values without their SOP runs.
        with write_transaction(conn):
            cleared = clear_pdca(conn) if replace else {}  # cycles point at alerts and shops
            cleared.update(writer.clear(conn) if replace else {})
            cleared.update(clear_history(conn) if replace else {})  # the demo's SOP runs
            if not replace:
                writer.refuse_if_filled(conn)
            shop_ids = writer.put_shops(conn, profiles, actor, at, cleared)
            step("cleared")
            total = writer.insert_observations(conn, values, shop_ids)
            step("values")
            n_targets = writer.insert_targets(conn, targets, shop_ids, actor, at)
            writer.insert_events(conn, events, shop_ids, actor, at)
            audit.record(
                conn,
                "demo",
                "store",
                "replace" if replace else "build",
                cleared or None,
                {
                    "shops": list(keys),
                    "start": first.isoformat(),
                    "end": end.isoformat(),
                    "days": n_days,
                    "seed": seed,
                    "values": total,
                    "targets": n_targets,
                    "events": len(events),
                    "incidents": [f"{p.key}@{p.shop}" for p in placed],
                },
                actor=actor,
            )
            days_back = min(n_days, HISTORY_DAYS)
            build_checklist_history(conn, end=end, seed=seed, days=days_back, replace=replace)
            step("checklists")
            build_risk_demo(conn, end=end, placed=tuple(placed), replace=replace)
            step("risks")
            build_cycles(conn, end, keys, found)
            step("cycles")
        step("committed")
    finally:
        conn.execute(f"PRAGMA cache_size = {cache:d}")
    return DemoSummary(
        shops=tuple(keys),
        start=first,
        end=end,
        days=n_days,
        values=total,
        targets=n_targets,
        events=len(events),
        incidents=tuple(placed),
        seed=seed,
        seconds=time.perf_counter() - started,
    )
