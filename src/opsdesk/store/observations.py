"""Daily values in the store: reading them for a date range, and writing values by hand.

`load_daily` reads the `observations` table by its primary key (shop, metric, day): one seek
per shop and metric straight to the days asked for, so the cost follows the range, never the
history (on 10 shops × 5 years this is about twice as fast as the (day, shop_id) index, which
has to look every row up again in the table). The computed base metrics of
`opsdesk.store.computed.PROVIDERS` (SOP adherence: `sop_due`, `sop_on_time` per shop and day)
are merged in as if they had been recorded.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from opsdesk.clock import Clock
from opsdesk.domain.validation import (
    ValueRefused,
    check_cross,
    check_day,
    check_value,
    not_entered,
)
from opsdesk.store import audit
from opsdesk.store.catalogue import load_metrics, metric_ids
from opsdesk.store.computed import PROVIDERS, DailyValues, Provider
from opsdesk.store.connection import write_transaction


def _id_maps(conn: sqlite3.Connection) -> tuple[dict[int, str], dict[int, str]]:
    """Shop id -> key, and base metric id -> key."""
    shops = {r[0]: r[1] for r in conn.execute("SELECT id, key FROM shops")}
    metrics = {r[0]: r[1] for r in conn.execute("SELECT id, key FROM metrics WHERE kind = 'base'")}
    return shops, metrics


def load_daily(
    conn: sqlite3.Connection,
    start: date,
    end: date,
    shop_keys: Iterable[str] | None = None,
    *,
    computed: Iterable[Provider] = PROVIDERS,
    metric_keys: Iterable[str] | None = None,
) -> DailyValues:
    """Every recorded (and computed) base value from `start` to `end` inclusive (only those
    of `metric_keys` when given: computed ones only from providers that give one of them)."""
    shop_names, metric_names = _id_maps(conn)
    wanted = None if shop_keys is None else set(shop_keys)
    shop_ids = [i for i, k in shop_names.items() if wanted is None or k in wanted]
    keys = None if metric_keys is None else set(metric_keys)
    metric_ids = [i for i, k in metric_names.items() if keys is None or k in keys]
    if keys is not None:
        computed = [p for p in computed if p.keys & keys]
    sql = (
        "SELECT shop_id, metric_id, day, value FROM observations"  # noqa: S608 (placeholders)
        f" WHERE shop_id IN ({', '.join('?' for _ in shop_ids)})"
        f" AND metric_id IN ({', '.join('?' for _ in metric_ids)}) AND day BETWEEN ? AND ?"
    )
    params: list[object] = [*shop_ids, *metric_ids, start.isoformat(), end.isoformat()]
    out: DailyValues = {}
    days: dict[str, date] = {}
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: thousands of rows on the stand-up's first paint
    for shop_id, metric_id, day_text, value in cursor.execute(sql, params):
        d = days.get(day_text)
        if d is None:
            d = days[day_text] = date.fromisoformat(day_text)
        key = (shop_names[shop_id], d)
        row = out.get(key)
        if row is None:
            row = out[key] = {}
        row[metric_names[metric_id]] = value
    for provider in computed:
        for (shop, d), values in provider.load(conn, start, end).items():
            if (wanted is None or shop in wanted) and start <= d <= end:
                out.setdefault((shop, d), {}).update(values)
    return out


def by_shop(values: DailyValues) -> dict[str, dict[date, dict[str, float]]]:
    """Regroup `load_daily`'s result per shop: shop key -> day -> metric key -> value."""
    out: dict[str, dict[date, dict[str, float]]] = {}
    for (shop, d), row in values.items():
        out.setdefault(shop, {})[d] = row
    return out


def get_value(conn: sqlite3.Connection, shop_key: str, metric_key: str, day: date) -> float | None:
    row = conn.execute(
        "SELECT o.value FROM observations o JOIN shops s ON s.id = o.shop_id"
        " JOIN metrics m ON m.id = o.metric_id WHERE s.key = ? AND m.key = ? AND o.day = ?",
        (shop_key, metric_key, day.isoformat()),
    ).fetchone()
    return None if row is None else float(row[0])


def store_ops_day(conn: sqlite3.Connection, clock: Clock | None = None) -> date:
    """The store's ops day by its timezone and cutoff: the last day values may be stored for."""
    from opsdesk.clock import ops_day, system_clock
    from opsdesk.store.settings import read

    s = read(conn)
    return ops_day(clock or system_clock, s.timezone, s.day_cutoff_hour)


def set_value(
    conn: sqlite3.Connection,
    shop_key: str,
    metric_key: str,
    day: date,
    value: float | None,
    *,
    clock: Clock | None = None,
) -> None:
    """Record (or with None, remove) one base value typed in by hand; see `set_values`."""
    set_values(conn, shop_key, day, {metric_key: value}, clock=clock)


def set_values(
    conn: sqlite3.Connection,
    shop_key: str,
    day: date,
    values: Mapping[str, float | None],
    *,
    clock: Clock | None = None,
) -> int:
    """Record (None: remove) a shop's base values for one day, all or none; each audited.

    Checked by `opsdesk.domain.validation` like every other path: ValueRefused names the
    field ('shop', 'day' or the metric key) when the shop or metric is unknown, the metric is
    derived or computed, the day is after the ops day (by `clock`), a value does not fit its
    unit, or the day's values after the change break a cross-metric rule. Returns how many
    values changed.
    """
    shop = conn.execute("SELECT id FROM shops WHERE key = ?", (shop_key,)).fetchone()
    if shop is None:
        raise ValueRefused("shop", f"unknown shop {shop_key!r} (see `opsdesk shop list`)")
    metrics = load_metrics(conn)
    ids = metric_ids(conn)
    checked: dict[str, float | None] = {}
    for key, value in values.items():
        metric = metrics.get(key)
        if metric is None:
            raise ValueRefused("metric", f"unknown metric {key!r} (see `opsdesk metrics`)")
        reason = not_entered(metric)
        if reason is None and value is not None:
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ValueRefused(key, f"{value!r} is not a number") from None
            reason = check_value(metric, value)
        if reason is not None:
            raise ValueRefused(key, reason)
        checked[key] = value
    reason = check_day(day, store_ops_day(conn, clock))
    if reason is not None:
        raise ValueRefused("day", reason)
    names = {v: k for k, v in ids.items()}
    with write_transaction(conn):
        stored = {
            names[r[0]]: float(r[1])
            for r in conn.execute(
                "SELECT metric_id, value FROM observations WHERE shop_id = ? AND day = ?",
                (shop["id"], day.isoformat()),
            )
        }
        changed = {k: v for k, v in checked.items() if stored.get(k) != v}
        after = {**stored, **changed}
        day_values = {k: v for k, v in after.items() if v is not None}
        for refusal in check_cross(day_values, changed, metrics):
            raise ValueRefused(refusal.field, refusal.reason)
        for key, value in changed.items():
            _write(conn, shop["id"], ids[key], day, value, f"{shop_key}/{key}", stored.get(key))
    return len(changed)


def _write(
    conn: sqlite3.Connection,
    shop_id: int,
    metric_id: int,
    day: date,
    value: float | None,
    object_key: str,
    old: float | None,
) -> None:
    params = (shop_id, metric_id, day.isoformat())
    object_key = f"{object_key}/{day.isoformat()}"
    if value is None:
        conn.execute(
            "DELETE FROM observations WHERE shop_id = ? AND metric_id = ? AND day = ?", params
        )
        audit.record(conn, "observation", object_key, "delete", old, None)
        return
    conn.execute(
        "INSERT INTO observations (shop_id, metric_id, day, value, import_id)"
        " VALUES (?, ?, ?, ?, NULL) ON CONFLICT (shop_id, metric_id, day)"
        " DO UPDATE SET value = excluded.value, import_id = NULL",
        (*params, value),
    )
    audit.record(conn, "observation", object_key, "set", old, value)


@dataclass(frozen=True)
class Event:
    """Something that happened, shown as a marker on charts. shop_key None: every shop."""

    id: int
    day: date
    shop_key: str | None
    kind: str
    title: str


def load_events(
    conn: sqlite3.Connection, start: date, end: date, shop_key: str | None = None
) -> list[Event]:
    """Events from `start` to `end`; with a shop, that shop's events and the all-shops ones."""
    sql = (
        "SELECT e.id, e.day, s.key AS shop_key, e.kind, e.title FROM events e"
        " LEFT JOIN shops s ON s.id = e.shop_id WHERE e.day BETWEEN ? AND ?"
    )
    params: list[object] = [start.isoformat(), end.isoformat()]
    if shop_key is not None:
        sql += " AND (e.shop_id IS NULL OR s.key = ?)"
        params.append(shop_key)
    sql += " ORDER BY e.day, e.id"
    return [
        Event(r["id"], date.fromisoformat(r["day"]), r["shop_key"], r["kind"], r["title"])
        for r in conn.execute(sql, params)
    ]


def load_columns(
    conn: sqlite3.Connection,
    start: date,
    end: date,
    shop_keys: Iterable[str],
    *,
    computed: Iterable[Provider] = PROVIDERS,
) -> dict[str, tuple[dict[str, list[float]], dict[str, bytearray]]]:
    """What `load_daily` reads, laid out per shop as a column per metric over the days from
    `start` to `end` (index 0 = `start`): values (0.0 where none) and a 0/1 flag per day.
    For rollups over many spans (opsdesk.domain.columns): no mapping per day is built, and
    SQLite numbers the days."""
    shop_names, metric_names = _id_maps(conn)
    wanted = set(shop_keys)
    shop_ids = [i for i, k in shop_names.items() if k in wanted]
    metric_ids = list(metric_names)
    n = (end - start).days + 1
    sql = (
        "SELECT shop_id, metric_id, CAST(julianday(day) - julianday(?) AS INTEGER), value"  # noqa: S608
        f" FROM observations WHERE shop_id IN ({', '.join('?' for _ in shop_ids)})"
        f" AND metric_id IN ({', '.join('?' for _ in metric_ids)}) AND day BETWEEN ? AND ?"
    )
    params: list[object] = [start.isoformat(), *shop_ids, *metric_ids]
    params += [start.isoformat(), end.isoformat()]
    out: dict[str, tuple[dict[str, list[float]], dict[str, bytearray]]] = {
        k: ({}, {}) for k in shop_names.values() if k in wanted
    }
    cursor = conn.cursor()
    cursor.row_factory = None
    current: tuple[int, int] | None = None
    values: list[float] = []
    flags = bytearray()
    for shop_id, metric_id, i, value in cursor.execute(sql, params):
        if (shop_id, metric_id) != current:  # rows come in primary key order
            current = (shop_id, metric_id)
            cols, present = out[shop_names[shop_id]]
            key = metric_names[metric_id]
            values = cols.setdefault(key, [0.0] * n)
            flags = present.setdefault(key, bytearray(n))
        values[i] = value
        flags[i] = 1
    for provider in computed:
        for (shop, d), row in provider.load(conn, start, end).items():
            if shop in out and start <= d <= end:
                cols, present = out[shop]
                for key, value in row.items():
                    cols.setdefault(key, [0.0] * n)[(d - start).days] = value
                    present.setdefault(key, bytearray(n))[(d - start).days] = 1
    return out
