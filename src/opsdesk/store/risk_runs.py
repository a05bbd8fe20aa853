"""What a checklist run linked to a risk records on the risk when it is done or reopened.

The checklist store calls these inside the transaction that settles a run (its last item
ticked, or an item of a done run unticked), so a drill done and the risk's drill dates are
one change. Kept apart from `opsdesk.store.risks`, which starts linked runs through the
checklist store: neither imports the other's package at import time.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from typing import Any

from opsdesk.domain import risks as rules
from opsdesk.store import audit


def record_run_done(conn: sqlite3.Connection, run_id: int, completed_at: str, actor: str) -> None:
    """Inside the caller's write transaction, as checklist run `run_id` became done at
    `completed_at` (ISO, UTC) by `actor`: for every risk it is linked to, store when, by whom
    and the time to respond (start to done); a drill also sets the risk's last drill (its
    run's day) and next drill (+ drill_days). Audited as the risk's `drill-done` / `run-done`.
    """
    rows = conn.execute(
        "SELECT l.risk_id, l.purpose, k.key, k.last_drill, k.next_drill, k.drill_days,"
        " r.run_day, r.created_at FROM risk_runs l JOIN risks k ON k.id = l.risk_id"
        " JOIN sop_runs r ON r.id = l.run_id WHERE l.run_id = ?",
        (run_id,),
    ).fetchall()
    for row in rows:
        started = datetime.fromisoformat(row["created_at"])
        seconds = max(0, round((datetime.fromisoformat(completed_at) - started).total_seconds()))
        old = {"last_drill": row["last_drill"], "next_drill": row["next_drill"]}
        new: dict[str, Any] = {}
        if row["purpose"] == "drill":
            before = date.fromisoformat(row["last_drill"]) if row["last_drill"] else None
            day = date.fromisoformat(row["run_day"])
            last, nxt = rules.after_drill(before, day, row["drill_days"])
            new = {"last_drill": last.isoformat(), "next_drill": nxt.isoformat()}
            conn.execute(
                "UPDATE risks SET last_drill = ?, next_drill = ? WHERE id = ?",
                (new["last_drill"], new["next_drill"], row["risk_id"]),
            )
        conn.execute(
            "UPDATE risk_runs SET completed_at = ?, completed_by = ?, time_to_respond_s = ?,"
            " prior_last_drill = ?, prior_next_drill = ? WHERE risk_id = ? AND run_id = ?",
            (completed_at, actor, seconds, *old.values(), row["risk_id"], run_id),
        )
        audit.record(
            conn,
            "risk",
            row["key"],
            f"{row['purpose'] if row['purpose'] == 'drill' else 'run'}-done",
            old if new else None,
            {**new, "run": run_id, "completed_at": completed_at, "time_to_respond_s": seconds},
            actor=actor,
        )


def record_run_reopened(conn: sqlite3.Connection, run_id: int, actor: str) -> None:
    """Inside the caller's write transaction, as done run `run_id` was reopened: its stored
    completion is cleared and a drill's risk gets back the drill dates it had before (unless a
    person changed its last drill since)."""
    rows = conn.execute(
        "SELECT l.risk_id, l.purpose, l.prior_last_drill, l.prior_next_drill, k.key,"
        " k.last_drill, k.next_drill, r.run_day FROM risk_runs l"
        " JOIN risks k ON k.id = l.risk_id JOIN sop_runs r ON r.id = l.run_id"
        " WHERE l.run_id = ? AND l.completed_at IS NOT NULL",
        (run_id,),
    ).fetchall()
    for row in rows:
        old = {"last_drill": row["last_drill"], "next_drill": row["next_drill"]}
        new = {"last_drill": row["prior_last_drill"], "next_drill": row["prior_next_drill"]}
        set_by_it = max(filter(None, (row["run_day"], row["prior_last_drill"])))
        drill = row["purpose"] == "drill" and row["last_drill"] == set_by_it
        if drill:
            conn.execute(
                "UPDATE risks SET last_drill = ?, next_drill = ? WHERE id = ?",
                (*new.values(), row["risk_id"]),
            )
        conn.execute(
            "UPDATE risk_runs SET completed_at = NULL, completed_by = NULL,"
            " time_to_respond_s = NULL, prior_last_drill = NULL, prior_next_drill = NULL"
            " WHERE risk_id = ? AND run_id = ?",
            (row["risk_id"], run_id),
        )
        audit.record(
            conn,
            "risk",
            row["key"],
            f"{'drill' if row['purpose'] == 'drill' else 'run'}-reopen",
            {**(old if drill else {}), "run": run_id},
            new if drill else None,
            actor=actor,
        )
