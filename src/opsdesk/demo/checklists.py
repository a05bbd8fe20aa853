"""Demo checklist history: the runs of the last weeks with realistic outcomes.

Every run due in the window (the shipped templates, per shop and store-wide, plus 618 and 双11
campaigns) is created through `store.checklists.backfill_runs`, then given an outcome from a
seeded random generator: mostly done on time, some late, a few missed, the odd item skipped with
a reason and the odd run skipped (shop closed). Shops differ (the first is the most diligent);
Sundays are missed more often. Runs whose window is still open show progress so far; today's
runs are left untouched, and so is any run someone has already ticked. Ticks carry the demo
team's logins by role (`DEMO_PEOPLE`) and times between 09:00 local on the run day and the
deadline. One audit event records the build.
"""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from opsdesk.domain.recurrence import local_instant
from opsdesk.store import audit, settings
from opsdesk.store.checklists import backfill_runs
from opsdesk.store.connection import current_user, now_iso, write_transaction

HISTORY_DAYS = 91
DEMO_PEOPLE = {
    "promotion": "li.na",
    "cs-lead": "wang.fang",
    "supply-chain": "zhang.wei",
    "data-analyst": "liu.yang",
    "operator": "chen.jie",
    "manager": "zhao.min",
    "risk-owner": "zhao.min",
}
ITEM_SKIP_REASONS = (
    "not applicable today",
    "no tickets of this kind",
    "covered in the weekly review",
)
RUN_SKIP_REASONS = ("shop closed for stock-take", "public holiday: shop paused")
P_ITEM_SKIPPED = 0.03
P_RUN_SKIPPED = 0.01
P_LATE = 0.08
P_MISSED = (0.03, 0.06, 0.09)
"""Chance a run is missed, by shop (cycling): the first shop is the most diligent."""


@dataclass(frozen=True)
class ChecklistHistory:
    runs: int
    states: dict[str, int]


def _campaigns(conn: sqlite3.Connection, end: date, actor: str) -> None:
    """618 and 双11 of the end date's year and the next, unless the store has them."""
    for year in (end.year, end.year + 1):
        for key, name, day in (
            (f"618-{year}", "618", date(year, 6, 18)),
            (f"1111-{year}", "双11", date(year, 11, 11)),
        ):
            cur = conn.execute(
                "INSERT OR IGNORE INTO campaigns (key, name, day, created_at, created_by)"
                " VALUES (?, ?, ?, ?, ?)",
                (key, name, day.isoformat(), now_iso(), actor),
            )
            if cur.rowcount:
                audit.record(conn, "campaign", key, "create", None, {"name": name, "day": str(day)})


def clear_history(conn: sqlite3.Connection) -> dict[str, int]:
    """Inside the caller's transaction (`demo --replace`): delete every checklist run, its
    items and the schedules, so the rebuilt demo starts a fresh history; rows per table."""
    return {
        table: conn.execute(f"DELETE FROM {table}").rowcount  # noqa: S608 (fixed names)
        for table in ("sop_run_items", "sop_runs", "sop_schedules")
    }


def build_checklist_history(
    conn: sqlite3.Connection,
    *,
    end: date,
    seed: int = 618,
    days: int = HISTORY_DAYS,
    replace: bool = False,
) -> ChecklistHistory:
    """Runs from `end - days + 1` to the day after `end` (today) with outcomes, in one write."""
    rng = random.Random(f"opsdesk-demo-checklists/{seed}")
    today = end + timedelta(days=1)
    start = end - timedelta(days=days - 1)
    s = settings.read(conn)
    actor = current_user()
    states: Counter[str] = Counter()
    with write_transaction(conn):
        _campaigns(conn, end, actor)
        backfill_runs(conn, start, today)
        shop_order = {
            r[0]: i for i, r in enumerate(conn.execute("SELECT id FROM shops ORDER BY id"))
        }
        runs = conn.execute(
            "SELECT r.id, r.run_day, r.due_at, r.closes_on, r.shop_id, v.owner FROM sop_runs r"
            " JOIN sop_template_versions v ON v.id = r.version_id"
            " WHERE (r.run_day >= ? OR r.closes_on >= ?) AND r.status IN ('open', 'missed')"
            " AND NOT EXISTS"
            " (SELECT 1 FROM sop_run_items i WHERE i.run_id = r.id AND i.state != 'open')"
            " ORDER BY r.id",
            (start.isoformat(), start.isoformat()),
        ).fetchall()
        for r in runs:
            run_day = date.fromisoformat(r["run_day"])
            items = conn.execute(
                "SELECT position, due_at FROM sop_run_items WHERE run_id = ? ORDER BY position",
                (r["id"],),
            ).fetchall()
            who = DEMO_PEOPLE.get(r["owner"], "chen.jie")
            begin = local_instant(run_day, time(9, 0), s.timezone)
            due = datetime.fromisoformat(r["due_at"])
            closed = r["closes_on"] is not None and date.fromisoformat(r["closes_on"]) < today
            if run_day >= today:  # today's runs: nobody has started yet
                states["open"] += 1
                continue
            if not closed:  # window still open: progress so far, done on time once it is due
                now = local_instant(today, time(9, 0), s.timezone)
                if now >= due:
                    _finish(conn, r["id"], items, begin, due - timedelta(minutes=5), who, rng)
                    states["on_time"] += 1
                else:
                    n = int(len(items) * (now - begin) / (due - begin))
                    _tick(conn, r["id"], items[:n], begin, now, who, rng)
                    states["open"] += 1
                continue
            p_missed = P_MISSED[shop_order.get(r["shop_id"], 0) % len(P_MISSED)]
            if run_day.weekday() == 6:
                p_missed *= 2
            roll = rng.random()
            if roll < P_RUN_SKIPPED:
                conn.execute(
                    "UPDATE sop_runs SET status = 'skipped', skip_reason = ?, closed_at = ?,"
                    " closed_by = ? WHERE id = ?",
                    (rng.choice(RUN_SKIP_REASONS), begin.isoformat(), who, r["id"]),
                )
                states["skipped"] += 1
            elif roll < P_RUN_SKIPPED + p_missed:
                n = rng.randrange(len(items))
                _tick(conn, r["id"], items[:n], begin, due, who, rng)
                states["missed"] += 1
            elif roll < P_RUN_SKIPPED + p_missed + P_LATE:
                late_by = timedelta(minutes=rng.randint(20, 360))
                _finish(conn, r["id"], items, begin, due + late_by, who, rng)
                states["late"] += 1
            else:
                _finish(conn, r["id"], items, begin, due - timedelta(minutes=5), who, rng)
                states["on_time"] += 1
        audit.record(
            conn,
            "demo_checklists",
            "store",
            "replace" if replace else "build",
            None,
            {"start": start.isoformat(), "today": today.isoformat(), "runs": dict(states)},
            actor=actor,
        )
    return ChecklistHistory(len(runs), dict(states))


def _tick(
    conn: sqlite3.Connection,
    run_id: int,
    items: list[sqlite3.Row],
    begin: datetime,
    until: datetime,
    who: str,
    rng: random.Random,
) -> datetime | None:
    """Tick `items` in order at times from `begin` to each one's deadline (or `until`)."""
    last = None
    at = begin
    for item in items:
        limit = min(until, datetime.fromisoformat(item["due_at"]))
        limit = max(limit, at)
        at = at + (limit - at) * rng.uniform(0.05, 0.5)
        last = at.astimezone(UTC).replace(microsecond=0)
        skipped = rng.random() < P_ITEM_SKIPPED
        conn.execute(
            "UPDATE sop_run_items SET state = ?, changed_at = ?, changed_by = ?, skip_reason = ?"
            " WHERE run_id = ? AND position = ?",
            (
                "skipped" if skipped else "done",
                last.isoformat(),
                who,
                rng.choice(ITEM_SKIP_REASONS) if skipped else None,
                run_id,
                item["position"],
            ),
        )
    return last


def _finish(
    conn: sqlite3.Connection,
    run_id: int,
    items: list[sqlite3.Row],
    begin: datetime,
    completed: datetime,
    who: str,
    rng: random.Random,
) -> None:
    """Every item resolved, the last one at `completed` (before or after the deadline)."""
    _tick(conn, run_id, items[:-1], begin, completed, who, rng)
    done_at = completed.astimezone(UTC).replace(microsecond=0)
    conn.execute(
        "UPDATE sop_run_items SET state = 'done', changed_at = ?, changed_by = ?,"
        " skip_reason = NULL WHERE run_id = ? AND position = ?",
        (done_at.isoformat(), who, run_id, items[-1]["position"]),
    )
    conn.execute(
        "UPDATE sop_runs SET status = 'done', completed_at = ?, closed_at = NULL,"
        " closed_by = NULL WHERE id = ?",
        (done_at.isoformat(), run_id),
    )
