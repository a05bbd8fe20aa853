"""Alert rules and raised alerts in the store: load rules, persist alerts, acknowledge them.

Alerts are `opsdesk.domain.alert_record.Alert` records in and out, identified by their
`identity` (rule, shop, metric, day); the audit trail names them by their `key`. Persisting an
alert that exists already refreshes its message and numbers but keeps when it was first
raised and who acknowledged it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import date

from opsdesk.domain.alert_record import Alert, Identity, key_of
from opsdesk.domain.alerts import Rule, rule_severity
from opsdesk.store import audit
from opsdesk.store.connection import current_user, now_iso, write_transaction


def load_rules(conn: sqlite3.Connection) -> list[Rule]:
    rows = conn.execute(
        "SELECT r.key, r.kind, m.key AS metric_key, s.key AS shop_key, r.baseline, r.threshold,"
        " r.severity, r.enabled, r.description FROM alert_rules r"
        " LEFT JOIN metrics m ON m.id = r.metric_id LEFT JOIN shops s ON s.id = r.shop_id"
        " ORDER BY r.id"
    ).fetchall()
    return [
        Rule(
            key=r["key"],
            kind=r["kind"],
            metric_key=r["metric_key"],
            shop_key=r["shop_key"],
            baseline=r["baseline"],
            threshold=r["threshold"],
            severity=r["severity"],
            enabled=bool(r["enabled"]),
            description=r["description"],
        )
        for r in rows
    ]


_ALERT_SELECT = (
    "SELECT a.id, a.rule_key, s.key AS shop_key, a.metric_key, a.day, a.severity, a.message,"
    " a.value, a.reference, a.raised_at, a.acked_at, a.acked_by"
    " FROM alerts a JOIN shops s ON s.id = a.shop_id"
)


def _stored(r: sqlite3.Row) -> Alert:
    return Alert(
        r["rule_key"],
        r["shop_key"],
        r["metric_key"],
        date.fromisoformat(r["day"]),
        r["severity"],
        r["message"],
        r["value"],
        r["reference"],
        r["acked_by"],
        r["acked_at"],
    )


def alerts_for_day(conn: sqlite3.Connection, day: date) -> list[Alert]:
    """The alerts stored for `day`, with their acknowledgements, in the order raised."""
    rows = conn.execute(_ALERT_SELECT + " WHERE a.day = ? ORDER BY a.id", (day.isoformat(),))
    return [_stored(r) for r in rows]


def _shop_id(conn: sqlite3.Connection, shop_key: str) -> int:
    row = conn.execute("SELECT id FROM shops WHERE key = ?", (shop_key,)).fetchone()
    if row is None:
        raise ValueError(f"shop: unknown shop {shop_key!r} (see `opsdesk shop list`)")
    return int(row[0])


def _find(
    conn: sqlite3.Connection, rule_key: str, shop_id: int, metric_key: str | None, day: date
) -> sqlite3.Row | None:
    # `IS ?` so that a stale alert (metric NULL) is found: UNIQUE treats NULLs as distinct.
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM alerts WHERE rule_key = ? AND shop_id = ? AND metric_key IS ? AND day = ?",
        (rule_key, shop_id, metric_key, day.isoformat()),
    ).fetchone()
    return row


def _alert_dict(a: Alert) -> dict[str, object]:
    return {
        "severity": a.severity,
        "message": a.message,
        "value": a.value,
        "reference": a.reference,
    }


def persist(conn: sqlite3.Connection, alerts: Iterable[Alert]) -> int:
    """Store raised alerts (insert new, refresh changed ones); returns how many were new.

    On a read-only store nothing is kept (0): the alerts are still raised and shown.
    """
    if getattr(conn, "read_only", False):
        return 0
    alerts = list(alerts)
    new = 0
    with write_transaction(conn):
        for a in alerts:
            shop_id = _shop_id(conn, a.shop_key)
            key = a.key
            row = _find(conn, a.rule_key, shop_id, a.metric_key, a.day)
            if row is None:
                conn.execute(
                    "INSERT INTO alerts (rule_key, shop_id, metric_key, day, severity, message,"
                    " value, reference, raised_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        a.rule_key,
                        shop_id,
                        a.metric_key,
                        a.day.isoformat(),
                        a.severity,
                        a.message,
                        a.value,
                        a.reference,
                        now_iso(),
                    ),
                )
                audit.record(conn, "alert", key, "raise", None, _alert_dict(a))
                new += 1
                continue
            old = {k: row[k] for k in ("severity", "message", "value", "reference")}
            if old != _alert_dict(a):
                conn.execute(
                    "UPDATE alerts SET severity = ?, message = ?, value = ?, reference = ?"
                    " WHERE id = ?",
                    (a.severity, a.message, a.value, a.reference, row["id"]),
                )
                audit.record(conn, "alert", key, "update", old, _alert_dict(a))
    return new


def acknowledge(conn: sqlite3.Connection, target: Alert | Identity) -> None:
    """Mark an alert acknowledged by the current user, now; audited.

    The stand-up evaluates alerts live, so the alert may not be stored yet: it is then stored
    from the `Alert` given, or, given only an identity, with its rule's severity and
    description (a later `opsdesk check` fills in the message and numbers and keeps the
    acknowledgement).
    """
    if isinstance(target, Alert):
        alert, identity = target, target.identity
    else:
        alert, identity = None, target
    rule_key, shop_key, metric_key, day = identity
    shop_id = _shop_id(conn, shop_key)
    key = key_of(identity)
    actor = current_user()
    at = now_iso()
    with write_transaction(conn):
        row = _find(conn, rule_key, shop_id, metric_key, day)
        if row is None:
            rule = conn.execute(
                "SELECT kind, severity, description FROM alert_rules WHERE key = ?", (rule_key,)
            ).fetchone()
            if alert is None and rule is None:
                raise ValueError(f"alert rule {rule_key!r} is unknown")
            severity = alert.severity if alert else rule_severity(rule["kind"], rule["severity"])
            message = alert.message if alert else f"{shop_key}: {rule['description'] or rule_key}"
            conn.execute(
                "INSERT INTO alerts (rule_key, shop_id, metric_key, day, severity, message,"
                " value, reference, raised_at, acked_at, acked_by)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    rule_key,
                    shop_id,
                    metric_key,
                    day.isoformat(),
                    severity,
                    message,
                    alert.value if alert else None,
                    alert.reference if alert else None,
                    at,
                    at,
                    actor,
                ),
            )
            audit.record(conn, "alert", key, "acknowledge", None, {"acked_by": actor})
            return
        if row["acked_at"] is not None:
            return
        conn.execute(
            "UPDATE alerts SET acked_at = ?, acked_by = ? WHERE id = ?", (at, actor, row["id"])
        )
        audit.record(conn, "alert", key, "acknowledge", None, {"acked_by": actor})
