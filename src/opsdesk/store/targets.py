"""Targets in the store: reading them for the KPI engine, setting and listing them (audited).

A target row is (metric, shop or every shop, valid_from..valid_to, value, amber). Setting a
target with exactly the scope of an existing one (same metric, shop and dates) replaces its
value and amber; any other scope adds a row, and the engine picks the one in force per day
(see opsdesk.domain.kpis).
"""

from __future__ import annotations

import math
import sqlite3
from datetime import date

from opsdesk.domain.kpis import Target, Targets
from opsdesk.store import audit, versioning
from opsdesk.store.connection import current_user, now_iso, write_transaction

_SELECT = (
    "SELECT t.id, m.key AS metric_key, s.key AS shop_key, t.valid_from, t.valid_to, t.value,"
    " t.amber, t.created_at, t.created_by,"
    " t.shop_id IS NULL AND EXISTS (SELECT 1 FROM audit_events a WHERE a.object_type = 'target'"
    " AND a.object_key = CAST(t.id AS TEXT)) AS explicit"
    " FROM targets t JOIN metrics m ON m.id = t.metric_id"
    " LEFT JOIN shops s ON s.id = t.shop_id"
)
"""`explicit`: an all-shops target that a person set (`set_target`, audited); the catalogue's
default targets are inserted by `opsdesk init` without a target audit event, so they are each
shop's fallback and never the all-shops summary's own target (opsdesk.domain.all_shops)."""


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _target(r: sqlite3.Row) -> Target:
    return Target(
        id=r["id"],
        metric_key=r["metric_key"],
        shop_key=r["shop_key"],
        valid_from=_day(r["valid_from"]),
        valid_to=_day(r["valid_to"]),
        value=float(r["value"]),
        amber=float(r["amber"]),
        explicit=bool(r["explicit"]),
    )


def list_targets(
    conn: sqlite3.Connection, metric_key: str | None = None, shop_key: str | None = None
) -> list[Target]:
    """Targets, optionally for one metric and/or one shop (a shop's list includes the
    all-shops targets that apply to it), ordered by metric, shop, valid_from."""
    sql = _SELECT + " WHERE 1 = 1"
    params: list[object] = []
    if metric_key is not None:
        sql += " AND m.key = ?"
        params.append(metric_key)
    if shop_key is not None:
        sql += " AND (t.shop_id IS NULL OR s.key = ?)"
        params.append(shop_key)
    sql += " ORDER BY m.id, s.key IS NOT NULL, s.key, coalesce(t.valid_from, ''), t.id"
    return [_target(r) for r in conn.execute(sql, params)]


def load_targets(conn: sqlite3.Connection) -> Targets:
    """Every target, indexed for the engine."""
    return Targets(list_targets(conn))


def _target_dict(t: Target) -> dict[str, object]:
    return {
        "metric": t.metric_key,
        "shop": t.shop_key,
        "valid_from": None if t.valid_from is None else t.valid_from.isoformat(),
        "valid_to": None if t.valid_to is None else t.valid_to.isoformat(),
        "value": t.value,
        "amber": t.amber,
    }


def set_target(
    conn: sqlite3.Connection,
    metric_key: str,
    value: float,
    *,
    shop_key: str | None = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
    amber: float = 0.0,
    based_on: int | None = None,
) -> Target:
    """Set a target (value and amber in the metric's unit, ratios as fractions); audited.

    `based_on`: the target's version when it was read (`store.versioning`); a value or amber
    someone changed since is refused with EditConflict, never overwritten."""
    metric = conn.execute("SELECT id FROM metrics WHERE key = ?", (metric_key,)).fetchone()
    if metric is None:
        raise ValueError(f"metric: unknown metric {metric_key!r} (see `opsdesk metrics`)")
    shop_id = None
    if shop_key is not None:
        shop = conn.execute("SELECT id FROM shops WHERE key = ?", (shop_key,)).fetchone()
        if shop is None:
            raise ValueError(f"--shop: unknown shop {shop_key!r} (see `opsdesk shop list`)")
        shop_id = shop["id"]
    for name, number in (("value", value), ("amber", amber)):
        if not math.isfinite(number):
            raise ValueError(f"{name}: {number!r} is not a finite number")
    if amber < 0:
        raise ValueError(f"amber: {amber!r} must be zero or more (a band on the bad side)")
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        raise ValueError(f"--to: {valid_to} is before --from {valid_from}")
    vf = None if valid_from is None else valid_from.isoformat()
    vt = None if valid_to is None else valid_to.isoformat()
    with write_transaction(conn):
        existing = conn.execute(
            _SELECT + " WHERE t.metric_id = ? AND t.shop_id IS ? AND t.valid_from IS ?"
            " AND t.valid_to IS ? ORDER BY t.id DESC LIMIT 1",
            (metric["id"], shop_id, vf, vt),
        ).fetchone()
        if existing is not None:
            old = _target(existing)
            versioning.check(
                conn,
                "target",
                str(old.id),
                based_on,
                theirs={"value": old.value, "amber": old.amber},
                yours={"value": value, "amber": amber},
            )
            conn.execute(
                "UPDATE targets SET value = ?, amber = ?, created_at = ?, created_by = ?"
                " WHERE id = ?",
                (value, amber, now_iso(), current_user(), old.id),
            )
            target_id = old.id
        else:
            cur = conn.execute(
                "INSERT INTO targets (metric_id, shop_id, valid_from, valid_to, value, amber,"
                " created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (metric["id"], shop_id, vf, vt, value, amber, now_iso(), current_user()),
            )
            target_id = int(cur.lastrowid or 0)
        new = Target(
            target_id, metric_key, shop_key, valid_from, valid_to, value, amber, shop_key is None
        )
        audit.record(
            conn,
            "target",
            str(target_id),
            "update" if existing is not None else "create",
            None if existing is None else _target_dict(old),
            _target_dict(new),
        )
    return new


def delete_target(conn: sqlite3.Connection, target_id: int) -> None:
    """Remove a target (what undoing its creation does); audited."""
    with write_transaction(conn):
        row = conn.execute(_SELECT + " WHERE t.id = ?", (target_id,)).fetchone()
        if row is None:
            raise ValueError(f"no target {target_id} (see `opsdesk target list`)")
        conn.execute("DELETE FROM targets WHERE id = ?", (target_id,))
        audit.record(conn, "target", str(target_id), "delete", _target_dict(_target(row)), None)
