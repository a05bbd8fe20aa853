"""The deterministic demo store: shops on several platforms with years of daily KPIs.

`build_demo(conn, shops=3, days=1096, end=..., seed=618)` fills an initialised store with the
shops of fixtures/demo.toml, every base metric for every day up to `end` (the ops day), shop
targets, campaign and incident markers, and the incidents that make alerts fire. The same
arguments give the same rows. It refuses a store that already has shops or observations
unless `replace` is set, which clears them first, in the same transaction as the build.
Nothing imports this package at start-up.
"""

from __future__ import annotations

import random
import sqlite3
import time
from dataclasses import dataclass
from datetime import date, timedelta

from opsdesk.demo.incidents import Placed, place
from opsdesk.demo.kpis import BASE_METRICS, ShopModel, daily_series
from opsdesk.demo.params import DemoError, DemoParams, load_params
from opsdesk.demo.seasons import day_factors, windows
from opsdesk.demo.targets import EventRow, TargetRow, campaign_events, incident_events, shop_targets
from opsdesk.store import audit
from opsdesk.store.connection import current_user, now_iso, write_transaction

__all__ = ["BASE_METRICS", "DemoError", "DemoSummary", "build_demo", "load_params"]

MIN_DAYS = 28
MAX_DAYS = 366 * 20
MAX_SHOPS = 500

# Cleared by `replace`, children before parents (foreign keys). Targets and alert rules only
# where they belong to a shop: the catalogue's defaults for every shop stay.
_CLEAR = (
    ("alerts", "DELETE FROM alerts"),
    ("events", "DELETE FROM events"),
    ("targets", "DELETE FROM targets WHERE shop_id IS NOT NULL"),
    ("alert_rules", "DELETE FROM alert_rules WHERE shop_id IS NOT NULL"),
    ("import_changes", "DELETE FROM import_changes"),
    ("observations", "DELETE FROM observations"),
    ("imports", "DELETE FROM imports"),
    ("shops", "DELETE FROM shops"),
)


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


def _existing(conn: sqlite3.Connection) -> tuple[int, int]:
    shops = conn.execute("SELECT count(*) FROM shops").fetchone()[0]
    values = conn.execute("SELECT count(*) FROM observations").fetchone()[0]
    return int(shops), int(values)


def _refuse_if_filled(conn: sqlite3.Connection) -> None:
    shops, values = _existing(conn)
    if shops or values:
        raise DemoError(
            f"the store already has {shops} shop(s) and {values:,} value(s); "
            "use --replace to clear them (and their targets, events and alerts) first"
        )


def _clear(conn: sqlite3.Connection) -> dict[str, int]:
    cleared = {}
    for table, sql in _CLEAR:
        try:
            cleared[table] = conn.execute(sql).rowcount
        except sqlite3.IntegrityError:
            raise DemoError(
                f"cannot clear {table}: other records still refer to them "
                "(clear those first, or build the demo in a new store)"
            ) from None
    return cleared


def _ids(conn: sqlite3.Connection, keys: list[str] | tuple[str, ...]) -> dict[str, int]:
    ids = {r[0]: int(r[1]) for r in conn.execute("SELECT key, id FROM metrics")}
    missing = [k for k in keys if k not in ids]
    if missing:
        raise DemoError(
            f"the store's catalogue lacks {', '.join(missing)}: run `opsdesk init` first"
        )
    return ids


def build_demo(
    conn: sqlite3.Connection,
    *,
    shops: int | None = None,
    days: int | None = None,
    end: date,
    seed: int | None = None,
    replace: bool = False,
    params: DemoParams | None = None,
) -> DemoSummary:
    """Fill the store with the demo; None takes the default from fixtures/demo.toml."""
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
        _refuse_if_filled(conn)
    metric_ids = _ids(conn, BASE_METRICS)

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
    _ids(conn, sorted({t.metric for rows in targets.values() for t in rows}))
    events = campaign_events(found, first, end) + incident_events(placed)

    actor, at = current_user(), now_iso()
    with write_transaction(conn):
        cleared = _clear(conn) if replace else {}
        if not replace:
            _refuse_if_filled(conn)
        shop_ids = {}
        for profile in profiles:
            cur = conn.execute(
                "INSERT INTO shops (key, name, platform, created_at, created_by)"
                " VALUES (?, ?, ?, ?, ?)",
                (profile.key, profile.name, profile.platform, at, actor),
            )
            shop_ids[profile.key] = int(cur.lastrowid or 0)
        total = 0
        for key, rows in values.items():
            sid = shop_ids[key]
            conn.executemany(
                "INSERT INTO observations (shop_id, metric_id, day, value, import_id)"
                " VALUES (?, ?, ?, ?, NULL)",
                ((sid, mid, day, v) for mid, day, v in rows),
            )
            total += len(rows)
        n_targets = _insert_targets(conn, targets, shop_ids, actor, at)
        _insert_events(conn, events, shop_ids, actor, at)
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


def _insert_targets(
    conn: sqlite3.Connection,
    targets: dict[str, list[TargetRow]],
    shop_ids: dict[str, int],
    actor: str,
    at: str,
) -> int:
    metric_ids = {r[0]: int(r[1]) for r in conn.execute("SELECT key, id FROM metrics")}
    rows = [
        (
            metric_ids[t.metric],
            shop_ids[key],
            None if t.valid_from is None else t.valid_from.isoformat(),
            None if t.valid_to is None else t.valid_to.isoformat(),
            t.value,
            t.amber,
            at,
            actor,
        )
        for key, shop_rows in targets.items()
        for t in shop_rows
    ]
    conn.executemany(
        "INSERT INTO targets (metric_id, shop_id, valid_from, valid_to, value, amber,"
        " created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return len(rows)


def _insert_events(
    conn: sqlite3.Connection,
    events: list[EventRow],
    shop_ids: dict[str, int],
    actor: str,
    at: str,
) -> None:
    conn.executemany(
        "INSERT INTO events (shop_id, day, kind, title, created_at, created_by)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                None if e.shop is None else shop_ids[e.shop],
                e.day.isoformat(),
                e.kind,
                e.title,
                at,
                actor,
            )
            for e in sorted(events, key=lambda e: (e.day, e.shop or "", e.kind, e.title))
        ],
    )
