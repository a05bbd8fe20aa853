"""Demo risk register activity: the incidents trigger their risks, some reviews are overdue,
one risk was re-scored, and one drill was run with its time to respond.

The seed register itself comes from `opsdesk init` (fixtures/risks.toml). The KRIs are
evaluated on every day an incident touched and on the ops day, so the stock-out streak
triggers the bestseller stock-out risk and the chat spike the service-capacity risk. With
`--replace` the previous demo's triggers are cleared first.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from opsdesk.demo.checklists import DEMO_PEOPLE
from opsdesk.demo.incidents import Placed
from opsdesk.domain.risks import Score
from opsdesk.store import audit, risk_runs, risks, settings
from opsdesk.store.checklists import get_run
from opsdesk.store.connection import write_transaction

OVERDUE = (("ecommerce-law-breach", 20), ("ip-complaint", 9), ("key-person-loss", 3))
"""Risks whose review the demo leaves overdue, by days past due on the ops day."""
DRILL_RISK = "system-outage"
DRILL_MINUTES = (2, 4, 9, 15, 21, 26)
"""Minutes after the drill's start at which its items were ticked (time to respond: 26 min)."""
INCIDENT_RISKS = {
    "stockout_streak": "stockout-bestseller",
    "cs_spike": "chat-response-peak",
    "conversion_slide": "price-war",
    "missing_day": "system-outage",
}
"""Which seed risk each kind of demo incident materialises."""


def clear(conn: sqlite3.Connection) -> dict[str, int]:
    """Inside the caller's transaction: forget the previous demo's triggers and statuses."""
    n = conn.execute("DELETE FROM risk_triggers").rowcount
    conn.execute(
        "UPDATE risks SET status = 'open', acceptance_voided_on = NULL WHERE status = 'triggered'"
    )
    return {"risk_triggers": n}


def build_risk_demo(
    conn: sqlite3.Connection, *, end: date, placed: tuple[Placed, ...], replace: bool
) -> int:
    """Triggers, overdue reviews, a re-score and a drill; returns the triggers recorded."""
    if not conn.execute("SELECT 1 FROM risks LIMIT 1").fetchone():
        return 0
    today = end + timedelta(days=1)
    if replace:
        with write_transaction(conn):
            cleared = clear(conn)
            audit.record(conn, "risk_demo", "register", "replace", cleared, None)
    triggers = 0
    for p in placed:
        key = INCIDENT_RISKS.get(p.kind)
        if key is None:
            continue
        for d in p.days:
            triggers += len(risks.evaluate_kris(conn, d, today, keys=[key]).new_triggers)
    triggers += len(risks.evaluate_kris(conn, end, today).new_triggers)
    with write_transaction(conn):
        for key, late in OVERDUE:
            due = (today - timedelta(days=late)).isoformat()
            row = conn.execute("SELECT next_review FROM risks WHERE key = ?", (key,)).fetchone()
            if row is None or row[0] <= due:
                continue
            conn.execute("UPDATE risks SET next_review = ? WHERE key = ?", (due, key))
            audit.record(conn, "risk", key, "demo", {"next_review": row[0]}, {"next_review": due})
    paid = risks.get_risk(conn, "paid-share-cpc") if _has(conn, "paid-share-cpc") else None
    if paid is not None and paid.risk.inherent == Score(4, 3):
        risks.rescore(
            conn, "paid-share-cpc", Score(4, 4), None, "CPC up 18% since the summer", today
        )
    if _has(conn, DRILL_RISK) and not any(
        r.purpose == "drill" for r in risks.runs_for(conn, risks.get_risk(conn, DRILL_RISK).id)
    ):
        tz = ZoneInfo(settings.read(conn).timezone)
        start = datetime.combine(end, time(10, 0), tz).astimezone(UTC)
        run_id = risks.start_linked_run(conn, DRILL_RISK, "drill", end, now=start)
        who = DEMO_PEOPLE["risk-owner"]
        with write_transaction(conn):  # ticked by the demo team, like the checklist history
            items = get_run(conn, run_id).items
            for item, minutes in zip(items, DRILL_MINUTES, strict=True):
                at = (start + timedelta(minutes=minutes)).isoformat()
                conn.execute(
                    "UPDATE sop_run_items SET state = 'done', changed_at = ?, changed_by = ?"
                    " WHERE run_id = ? AND position = ?",
                    (at, who, run_id, item.position),
                )
            done_at = (start + timedelta(minutes=DRILL_MINUTES[-1])).isoformat()
            conn.execute(
                "UPDATE sop_runs SET status = 'done', completed_at = ? WHERE id = ?",
                (done_at, run_id),
            )
            audit.record(conn, "risk", DRILL_RISK, "demo-drill", None, {"run": run_id}, actor=who)
            risk_runs.record_run_done(conn, run_id, done_at, who)  # as the last tick would
    return triggers


def _has(conn: sqlite3.Connection, key: str) -> bool:
    return conn.execute("SELECT 1 FROM risks WHERE key = ?", (key,)).fetchone() is not None
