"""Campaign days (618, 双11…) that campaign templates count their T-minus offsets from."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from opsdesk.domain.text import refuse_control
from opsdesk.store import audit
from opsdesk.store.checklists._common import _iso, _now
from opsdesk.store.connection import current_user, write_transaction


@dataclass(frozen=True)
class Campaign:
    id: int
    key: str
    name: str
    day: date


def add_campaign(conn: sqlite3.Connection, key: str, name: str, day: date) -> Campaign:
    from opsdesk.store.shops import validate_key

    validate_key(key)
    if not name.strip():
        raise ValueError("campaign name: must not be empty")
    refuse_control(name, "campaign name")
    with write_transaction(conn):
        if conn.execute("SELECT 1 FROM campaigns WHERE key = ?", (key,)).fetchone():
            raise ValueError(f"campaign {key!r} exists already")
        cur = conn.execute(
            "INSERT INTO campaigns (key, name, day, created_at, created_by) VALUES (?, ?, ?, ?, ?)",
            (key, name, day.isoformat(), _iso(_now(None)), current_user()),
        )
        audit.record(conn, "campaign", key, "create", None, {"name": name, "day": str(day)})
        # campaign templates look at the campaigns afresh on the next ensure_runs
        conn.execute(
            "DELETE FROM sop_schedules WHERE template_id IN (SELECT template_id FROM"
            " sop_template_versions WHERE cadence LIKE 'campaign%')"
        )
    return Campaign(int(cur.lastrowid or 0), key, name, day)


def list_campaigns(conn: sqlite3.Connection) -> list[Campaign]:
    return [
        Campaign(r["id"], r["key"], r["name"], date.fromisoformat(r["day"]))
        for r in conn.execute("SELECT * FROM campaigns ORDER BY day, key")
    ]
