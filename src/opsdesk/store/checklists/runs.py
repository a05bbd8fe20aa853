"""Creating runs: those due since the last look (per shop or store-wide), missed ones marked,
and on-demand starts."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from opsdesk.clock import Clock, local_today, system_clock
from opsdesk.domain import recurrence
from opsdesk.domain.checklists import Template
from opsdesk.store import audit, settings
from opsdesk.store.checklists._common import STORE_WIDE, _iso, _now
from opsdesk.store.checklists.campaigns import Campaign, list_campaigns
from opsdesk.store.checklists.templates import _latest_versions, _version_template, get_template
from opsdesk.store.connection import brief_wait, current_user, write_transaction


@dataclass(frozen=True)
class EnsureResult:
    created: int = 0
    missed: int = 0


@dataclass(frozen=True)
class _Context:
    tz: str
    cutoff: int
    today: date
    now: datetime
    actor: str


def _create_run(
    conn: sqlite3.Connection,
    ctx: _Context,
    version: sqlite3.Row,
    template: Template,
    run_day: date,
    shop: sqlite3.Row | None,
    campaign: Campaign | None = None,
    slot_suffix: str = "",
) -> int | None:
    """Insert one run and its items unless its slot exists; returns the new run id."""
    rule = template.rule
    campaign_day = campaign.day if campaign else None
    due = template.due or recurrence.Deadline(
        0, None, "campaign" if rule.kind == "campaign" else "run"
    )
    due_at = recurrence.deadline_at(due, run_day, ctx.tz, ctx.cutoff, campaign_day)
    closes = recurrence.closes_on(
        rule, run_day, recurrence.deadline_day(due, run_day, campaign_day)
    )
    status = "missed" if closes is not None and closes < ctx.today else "open"
    slot = "|".join(
        (
            template.key,
            shop["key"] if shop is not None else "*",
            run_day.isoformat(),
            (campaign.key if campaign else "") + slot_suffix,
        )
    )
    now = _iso(ctx.now)
    cur = conn.execute(
        "INSERT OR IGNORE INTO sop_runs (slot, template_id, version_id, shop_id, campaign_id,"
        " run_day, due_at, closes_on, status, closed_at, closed_by, created_at, created_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            slot,
            version["template_id"],
            version["id"],
            shop["id"] if shop is not None else None,
            campaign.id if campaign else None,
            run_day.isoformat(),
            _iso(due_at),
            closes.isoformat() if closes else None,
            status,
            now if status == "missed" else None,
            ctx.actor if status == "missed" else None,
            now,
            ctx.actor,
        ),
    )
    if cur.rowcount == 0:
        return None
    run_id = int(cur.lastrowid or 0)
    conn.executemany(
        "INSERT INTO sop_run_items (run_id, position, section, text, detail, due_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                run_id,
                i,
                s.section,
                s.text,
                s.detail,
                _iso(
                    recurrence.deadline_at(s.by, run_day, ctx.tz, ctx.cutoff, campaign_day)
                    if s.by
                    else due_at
                ),
            )
            for i, s in enumerate(template.steps, 1)
        ],
    )
    audit.record(
        conn,
        "sop_run",
        slot,
        "create",
        None,
        {"id": run_id, "version": version["version"], "status": status},
        actor=ctx.actor,
    )
    return run_id


def _context(conn: sqlite3.Connection, today: date, now: datetime | None) -> _Context:
    s = settings.read(conn)
    return _Context(s.timezone, s.day_cutoff_hour, today, _now(now), current_user())


def _needs_work(conn: sqlite3.Connection, today: date) -> bool:
    """A read-only check so that an up-to-date store costs no write transaction."""
    overdue = conn.execute(
        "SELECT 1 FROM sop_runs WHERE status = 'open' AND closes_on < ? LIMIT 1",
        (today.isoformat(),),
    ).fetchone()
    if overdue:
        return True
    ensured = {
        (r[0], r[1]): r[2]
        for r in conn.execute("SELECT template_id, shop_id, ensured_through FROM sop_schedules")
    }
    shop_ids = [r[0] for r in conn.execute("SELECT id FROM shops")]
    for v in _latest_versions(conn):
        if v["cadence"] == "on demand":
            continue
        for shop_id in shop_ids if v["scope"] == "shop" else [STORE_WIDE]:
            if ensured.get((v["template_id"], shop_id), "") < today.isoformat():
                return True
    return False


def ensure_runs(
    conn: sqlite3.Connection, today: date, *, now: datetime | None = None
) -> EnsureResult:
    """Create the runs due up to `today` and mark runs whose window closed as missed."""
    if not _needs_work(conn, today):
        return EnsureResult()
    with write_transaction(conn):
        ctx = _context(conn, today, now)
        created = _ensure_all(conn, ctx, None)
        missed = _mark_missed(conn, ctx)
    return EnsureResult(created, missed)


def backfill_runs(
    conn: sqlite3.Connection, start: date, today: date, *, now: datetime | None = None
) -> EnsureResult:
    """Inside the caller's write transaction: every run due from `start` to `today`, as if
    `ensure_runs` had run every day since `start` (the demo's history uses it)."""
    ctx = _context(conn, today, now)
    created = _ensure_all(conn, ctx, start - timedelta(days=1))
    return EnsureResult(created, _mark_missed(conn, ctx))


def _ensure_all(conn: sqlite3.Connection, ctx: _Context, since: date | None) -> int:
    """Runs of every scheduled template and shop after their `ensured_through` (or `since`)."""
    created = 0
    shops = conn.execute("SELECT id, key FROM shops ORDER BY key").fetchall()
    campaigns = list_campaigns(conn)
    for version in _latest_versions(conn):
        template = _version_template(version, version["key"])
        if template.rule.kind == "on_demand":
            continue
        for shop in shops if template.scope == "shop" else [None]:
            shop_id = shop["id"] if shop is not None else STORE_WIDE
            after = since
            if after is None:
                sched = conn.execute(
                    "SELECT ensured_through FROM sop_schedules WHERE template_id = ?"
                    " AND shop_id = ?",
                    (version["template_id"], shop_id),
                ).fetchone()
                after = date.fromisoformat(sched[0]) if sched else None
                if after is not None and after >= ctx.today:
                    continue
            created += _ensure_one(conn, ctx, version, template, shop, after, campaigns)
            conn.execute(
                "INSERT INTO sop_schedules (template_id, shop_id, ensured_through)"
                " VALUES (?, ?, ?) ON CONFLICT (template_id, shop_id)"
                " DO UPDATE SET ensured_through = excluded.ensured_through",
                (version["template_id"], shop_id, ctx.today.isoformat()),
            )
    return created


def _ensure_one(
    conn: sqlite3.Connection,
    ctx: _Context,
    version: sqlite3.Row,
    template: Template,
    shop: sqlite3.Row | None,
    since: date | None,
    campaigns: list[Campaign],
) -> int:
    """Runs of one template (for one shop) due after `since` (first time: the current one)."""
    rule = template.rule
    created = 0
    if rule.kind == "campaign":
        for c in campaigns:
            start = recurrence.campaign_start(rule, c.day)
            due_day = recurrence.deadline_day(
                template.due or recurrence.Deadline(0, None, "campaign"), start, c.day
            )
            closes = recurrence.closes_on(rule, start, due_day) or start
            # first time: campaigns under way today; later: also those that closed meanwhile
            if start <= ctx.today and closes >= (since or ctx.today):
                created += _create_run(conn, ctx, version, template, start, shop, c) is not None
        return created
    if since is None:
        first = recurrence.previous_occurrence(rule, ctx.today)
        days = [first] if first is not None else []
    else:
        days = recurrence.occurrences(rule, since + timedelta(days=1), ctx.today)
    for d in days:
        created += _create_run(conn, ctx, version, template, d, shop) is not None
    return created


def _mark_missed(conn: sqlite3.Connection, ctx: _Context) -> int:
    rows = conn.execute(
        "SELECT id, slot FROM sop_runs WHERE status = 'open' AND closes_on < ?",
        (ctx.today.isoformat(),),
    ).fetchall()
    for r in rows:
        conn.execute(
            "UPDATE sop_runs SET status = 'missed', closed_at = ?, closed_by = ?"
            " WHERE id = ? AND status = 'open'",
            (_iso(ctx.now), ctx.actor, r["id"]),
        )
        audit.record(conn, "sop_run", r["slot"], "missed", "open", "missed", actor=ctx.actor)
    return len(rows)


def ensure_today(conn: sqlite3.Connection, clock: Clock = system_clock) -> EnsureResult:
    """`ensure_runs` for the local today of the store (timezone and cutoff from its settings)."""
    s = settings.read(conn)
    return ensure_runs(conn, local_today(clock, s.timezone, s.day_cutoff_hour), now=clock())


def ensure_on_open(conn: sqlite3.Connection, clock: Clock = system_clock) -> EnsureResult | None:
    """`ensure_today` for a unit of work that opens the store (every command, the app).

    A read-only or busy store (another session's import holding the write lock) is left as it
    is after a brief wait (None): the next session creates the runs.
    """
    if getattr(conn, "read_only", False):
        return None
    try:
        with brief_wait(conn):
            return ensure_today(conn, clock)
    except sqlite3.OperationalError:
        return None


def start_run(
    conn: sqlite3.Connection,
    template_key: str,
    today: date,
    *,
    shop_key: str | None = None,
    now: datetime | None = None,
) -> int:
    """Start a run now, e.g. of an on-demand template (crisis response); returns its id."""
    get_template(conn, template_key)
    with write_transaction(conn):
        return start_run_in_transaction(conn, template_key, today, shop_key=shop_key, now=now)


def start_run_in_transaction(
    conn: sqlite3.Connection,
    template_key: str,
    today: date,
    *,
    shop_key: str | None = None,
    now: datetime | None = None,
) -> int:
    """`start_run` inside the caller's write transaction (a run linked to something else)."""
    template = get_template(conn, template_key)
    ctx = _context(conn, today, now)
    version = next(v for v in _latest_versions(conn) if v["key"] == template_key)
    shop = None
    if template.scope == "shop":
        if shop_key is None:
            raise ValueError(f"{template_key} runs per shop: name the shop (--shop KEY)")
        shop = conn.execute("SELECT id, key FROM shops WHERE key = ?", (shop_key,)).fetchone()
        if shop is None:
            raise ValueError(f"unknown shop {shop_key!r} (see `opsdesk shop list`)")
    elif shop_key is not None:
        raise ValueError(f"{template_key} runs once for the store, not per shop")
    if template.rule.kind == "campaign":
        raise ValueError(f"{template_key} runs per campaign: add one with `campaign add`")
    n = conn.execute(
        "SELECT count(*) FROM sop_runs WHERE template_id = ? AND run_day = ?",
        (version["template_id"], today.isoformat()),
    ).fetchone()[0]
    run_id = _create_run(conn, ctx, version, template, today, shop, None, f"#{n + 1}")
    if run_id is None:
        raise ValueError(f"{template_key}: a run for {today} exists already")
    return run_id
