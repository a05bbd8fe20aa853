"""SOP checklists in the store: template versions, campaigns, dated runs, items and ticks.

- Loading templates is idempotent: a template whose content (fingerprint) is unchanged is not
  re-versioned; a changed one gets version n+1. Runs copy their steps from the version they
  start from, so editing a template never changes a run already under way.
- `ensure_runs(conn, today)` creates the runs due since the last time it ran (no daemon: every
  command and the app call it), per shop where the template is per shop. Runs are keyed by a
  unique slot and inserted with INSERT OR IGNORE inside one BEGIN IMMEDIATE transaction, so two
  sessions doing it at once create each run once. Open runs whose window has closed become
  *missed*; a due date whose window closed before anyone looked is created missed: one record
  per due date, never a backlog of open copies.
- Ticking, unticking, skipping an item (with a reason) and notes record who and when on the
  item and in the audit trail. Each change is one short write transaction that reads the row
  it changes under the write lock, so two people ticking the same run never lose a tick.
- Adherence: `daily_adherence` provides the base metrics `sop_due` and `sop_on_time` per shop
  and run day to the KPI engine (registered in `observations.DAILY_PROVIDERS` on import).
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from opsdesk.clock import Clock, local_today, system_clock
from opsdesk.domain import recurrence
from opsdesk.domain.checklists import Step, Template, is_overdue, run_state
from opsdesk.paths import FIXTURES_DIR
from opsdesk.store import audit, settings
from opsdesk.store.connection import current_user, write_transaction
from opsdesk.store.sop_adherence import daily_adherence as daily_adherence  # registers it

SOPS_DIR = FIXTURES_DIR / "sops"
METRICS_FILE = SOPS_DIR / "metrics.toml"
STORE_WIDE = 0
"""shop_id of store-wide schedules (templates with scope 'store')."""


# ----------------------------------------------------------------------------- helpers


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).replace(microsecond=0).isoformat()


def _parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


# ----------------------------------------------------------------------------- templates


@dataclass(frozen=True)
class LoadResult:
    added: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TemplateInfo:
    key: str
    version: int
    version_id: int
    title: str
    owner: str
    cadence: str
    scope: str
    due: str | None
    steps: int
    source_file: str


def load_templates(
    conn: sqlite3.Connection,
    templates: Sequence[Template],
    source_files: Sequence[str] | None = None,
) -> LoadResult:
    """Add templates or new versions of them, all in one transaction; unchanged ones are kept."""
    result = LoadResult()
    actor = current_user()
    files = list(source_files) if source_files is not None else [""] * len(templates)
    with write_transaction(conn):
        for t, source_file in zip(templates, files, strict=True):
            row = conn.execute("SELECT id FROM sop_templates WHERE key = ?", (t.key,)).fetchone()
            now = _iso(_now(None))
            if row is None:
                cur = conn.execute(
                    "INSERT INTO sop_templates (key, created_at, created_by) VALUES (?, ?, ?)",
                    (t.key, now, actor),
                )
                template_id, version = int(cur.lastrowid or 0), 1
            else:
                template_id = row[0]
                latest = conn.execute(
                    "SELECT version, fingerprint FROM sop_template_versions"
                    " WHERE template_id = ? ORDER BY version DESC LIMIT 1",
                    (template_id,),
                ).fetchone()
                if latest is not None and latest["fingerprint"] == t.fingerprint():
                    result.unchanged.append(t.key)
                    continue
                version = (latest["version"] if latest else 0) + 1
            canon = t.canonical()
            conn.execute(
                "INSERT INTO sop_template_versions (template_id, version, fingerprint, title,"
                " owner, cadence, scope, due, description, source_ref, source_file, steps,"
                " created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    template_id,
                    version,
                    t.fingerprint(),
                    t.title,
                    t.owner,
                    canon["cadence"],
                    t.scope,
                    canon["due"],
                    t.description,
                    t.source,
                    source_file,
                    json.dumps(canon["steps"], ensure_ascii=False),
                    now,
                    actor,
                ),
            )
            (result.added if version == 1 else result.new_versions).append(t.key)
            audit.record(
                conn,
                "sop_template",
                t.key,
                "create" if version == 1 else "new_version",
                None,
                {"version": version, "fingerprint": t.fingerprint(), "file": source_file},
                actor=actor,
            )
    return result


def load_template_files(conn: sqlite3.Connection, paths: Iterable[Path]) -> LoadResult:
    """Parse every file first (a malformed one raises TemplateError, nothing loaded), then load."""
    from opsdesk.io.sop_templates import TemplateError, parse_file

    parsed: list[Template] = []
    files: list[str] = []
    seen: dict[str, Path] = {}
    for p in paths:
        t = parse_file(p)
        if t.key in seen:
            raise TemplateError(p, 1, f"key {t.key!r} is already used by {seen[t.key]}")
        seen[t.key] = p
        parsed.append(t)
        files.append(str(p))
    return load_templates(conn, parsed, files)


def load_shipped(conn: sqlite3.Connection, directory: Path = SOPS_DIR) -> LoadResult:
    """The shipped templates and the adherence metrics (what `opsdesk init` loads)."""
    from opsdesk.store.catalogue import load_catalogue

    if METRICS_FILE.exists():
        load_catalogue(conn, METRICS_FILE, source="checklists")
    return load_template_files(conn, sorted(directory.glob("*.md")))


def _version_template(row: sqlite3.Row, key: str) -> Template:
    steps = tuple(
        Step(
            s["text"],
            s["section"],
            recurrence.parse_deadline(s["by"]) if s["by"] else None,
            s["detail"],
        )
        for s in json.loads(row["steps"])
    )
    return Template(
        key=key,
        title=row["title"],
        owner=row["owner"],
        rule=recurrence.parse_rule(row["cadence"]),
        scope=row["scope"],
        due=recurrence.parse_deadline(row["due"]) if row["due"] else None,
        steps=steps,
        description=row["description"],
        source=row["source_ref"],
    )


def _latest_versions(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT t.key, t.id AS template_id, v.* FROM sop_templates t"
        " JOIN sop_template_versions v ON v.template_id = t.id"
        " WHERE v.version = (SELECT max(version) FROM sop_template_versions"
        "                    WHERE template_id = t.id)"
        " ORDER BY t.key"
    ).fetchall()


def list_templates(conn: sqlite3.Connection) -> list[TemplateInfo]:
    return [
        TemplateInfo(
            key=r["key"],
            version=r["version"],
            version_id=r["id"],
            title=r["title"],
            owner=r["owner"],
            cadence=r["cadence"],
            scope=r["scope"],
            due=r["due"],
            steps=len(json.loads(r["steps"])),
            source_file=r["source_file"],
        )
        for r in _latest_versions(conn)
    ]


def get_template(conn: sqlite3.Connection, key: str, version: int | None = None) -> Template:
    """A template as stored (latest version unless one is asked for)."""
    sql = (
        "SELECT v.* FROM sop_template_versions v JOIN sop_templates t ON t.id = v.template_id"
        " WHERE t.key = ?"
    )
    params: list[object] = [key]
    if version is not None:
        sql += " AND v.version = ?"
        params.append(version)
    row = conn.execute(sql + " ORDER BY v.version DESC LIMIT 1", params).fetchone()
    if row is None:
        known = ", ".join(t.key for t in list_templates(conn))
        raise ValueError(f"unknown template {key!r}" + (f" (known: {known})" if known else ""))
    return _version_template(row, key)


# ----------------------------------------------------------------------------- campaigns


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


# ----------------------------------------------------------------------------- runs


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

    A read-only or locked store is left as it is (None): the next session creates the runs.
    """
    try:
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
    template = get_template(conn, template_key)
    with write_transaction(conn):
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


# ----------------------------------------------------------------------------- reading runs


@dataclass(frozen=True)
class Item:
    position: int
    section: str
    text: str
    detail: str
    due_at: datetime | None
    state: str
    changed_at: datetime | None
    changed_by: str | None
    note: str
    skip_reason: str | None
    overdue: bool


@dataclass(frozen=True)
class Run:
    id: int
    template_key: str
    title: str
    owner: str
    version: int
    shop_key: str | None
    campaign: str | None
    run_day: date
    due_at: datetime | None
    closes_on: date | None
    status: str
    state: str
    completed_at: datetime | None
    skip_reason: str | None
    done: int
    total: int
    overdue: bool
    items: tuple[Item, ...] = ()

    @property
    def label(self) -> str:
        where = self.shop_key or "store"
        extra = f" {self.campaign}" if self.campaign else ""
        return f"{self.title}{extra} · {where} · {self.run_day}"


_RUN_SELECT = (
    "SELECT r.*, t.key AS template_key, v.title, v.owner, v.version, s.key AS shop_key,"
    " c.name AS campaign_name,"
    " (SELECT count(*) FROM sop_run_items i WHERE i.run_id = r.id AND i.state != 'open')"
    "   AS done_items,"
    " (SELECT count(*) FROM sop_run_items i WHERE i.run_id = r.id) AS total_items"
    " FROM sop_runs r JOIN sop_templates t ON t.id = r.template_id"
    " JOIN sop_template_versions v ON v.id = r.version_id"
    " LEFT JOIN shops s ON s.id = r.shop_id LEFT JOIN campaigns c ON c.id = r.campaign_id"
)


def _run(r: sqlite3.Row, now: datetime, items: tuple[Item, ...] = ()) -> Run:
    due_at = _parse_time(r["due_at"])
    completed_at = _parse_time(r["completed_at"])
    return Run(
        id=r["id"],
        template_key=r["template_key"],
        title=r["title"],
        owner=r["owner"],
        version=r["version"],
        shop_key=r["shop_key"],
        campaign=r["campaign_name"],
        run_day=date.fromisoformat(r["run_day"]),
        due_at=due_at,
        closes_on=date.fromisoformat(r["closes_on"]) if r["closes_on"] else None,
        status=r["status"],
        state=run_state(r["status"], completed_at, due_at),
        completed_at=completed_at,
        skip_reason=r["skip_reason"],
        done=r["done_items"],
        total=r["total_items"],
        overdue=r["status"] == "open" and is_overdue(due_at, now, False),
        items=items,
    )


def today_runs(
    conn: sqlite3.Connection,
    today: date,
    *,
    shop_key: str | None = None,
    now: datetime | None = None,
) -> list[Run]:
    """Runs whose window includes `today` (plus open on-demand runs), by template and shop."""
    sql = (
        _RUN_SELECT + " WHERE r.run_day <= ? AND (r.closes_on >= ?"
        " OR (r.closes_on IS NULL AND (r.status = 'open' OR r.run_day = ?)))"
    )
    params: list[object] = [today.isoformat()] * 3
    if shop_key is not None:
        sql += " AND (s.key = ? OR r.shop_id IS NULL)"
        params.append(shop_key)
    sql += " ORDER BY r.due_at, t.key, s.key"
    moment = _now(now)
    return [_run(r, moment) for r in conn.execute(sql, params)]


def get_run(conn: sqlite3.Connection, run_id: int, *, now: datetime | None = None) -> Run:
    """One run with its items."""
    row = conn.execute(_RUN_SELECT + " WHERE r.id = ?", (run_id,)).fetchone()
    if row is None:
        raise ValueError(f"no checklist run {run_id} (see `opsdesk checklists today`)")
    moment = _now(now)
    items = tuple(
        Item(
            position=i["position"],
            section=i["section"],
            text=i["text"],
            detail=i["detail"],
            due_at=_parse_time(i["due_at"]),
            state=i["state"],
            changed_at=_parse_time(i["changed_at"]),
            changed_by=i["changed_by"],
            note=i["note"],
            skip_reason=i["skip_reason"],
            overdue=row["status"] == "open"
            and is_overdue(_parse_time(i["due_at"]), moment, i["state"] != "open"),
        )
        for i in conn.execute(
            "SELECT * FROM sop_run_items WHERE run_id = ? ORDER BY position", (run_id,)
        )
    )
    return _run(row, moment, items)


def history(
    conn: sqlite3.Connection,
    template_key: str,
    start: date,
    end: date,
    *,
    shop_key: str | None = None,
    now: datetime | None = None,
) -> list[Run]:
    """Runs of a template with run days from `start` to `end`, oldest first."""
    get_template(conn, template_key)  # a clear error for an unknown key
    sql = _RUN_SELECT + " WHERE t.key = ? AND r.run_day BETWEEN ? AND ?"
    params: list[object] = [template_key, start.isoformat(), end.isoformat()]
    if shop_key is not None:
        sql += " AND s.key = ?"
        params.append(shop_key)
    moment = _now(now)
    return [_run(r, moment) for r in conn.execute(sql + " ORDER BY r.run_day, s.key, r.id", params)]


# ----------------------------------------------------------------------------- ticking


@dataclass(frozen=True)
class ItemChange:
    run_id: int
    position: int
    state: str
    changed: bool
    by: str | None
    at: datetime | None
    run_status: str


def _set_item(
    conn: sqlite3.Connection,
    run_id: int,
    position: int,
    state: str,
    *,
    note: str | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> ItemChange:
    if state == "skipped" and not (reason or "").strip():
        raise ValueError("skipping an item needs a reason (--reason '…')")
    actor = current_user()
    moment = _iso(_now(now))
    with write_transaction(conn):
        run = conn.execute(
            "SELECT id, slot, status FROM sop_runs WHERE id = ?", (run_id,)
        ).fetchone()
        if run is None:
            raise ValueError(f"no checklist run {run_id} (see `opsdesk checklists today`)")
        if run["status"] in ("missed", "skipped"):
            raise ValueError(f"run {run_id} is closed ({run['status']}); it cannot be changed")
        item = conn.execute(
            "SELECT * FROM sop_run_items WHERE run_id = ? AND position = ?", (run_id, position)
        ).fetchone()
        if item is None:
            total = conn.execute(
                "SELECT count(*) FROM sop_run_items WHERE run_id = ?", (run_id,)
            ).fetchone()[0]
            raise ValueError(f"run {run_id} has no item {position} (items 1–{total})")
        key = f"{run_id}/{position}"
        changed = item["state"] != state or (state == "skipped" and item["skip_reason"] != reason)
        by, at = item["changed_by"], item["changed_at"]
        if changed:
            by, at = actor, moment
            conn.execute(
                "UPDATE sop_run_items SET state = ?, changed_at = ?, changed_by = ?,"
                " skip_reason = ? WHERE run_id = ? AND position = ?",
                (state, moment, actor, reason if state == "skipped" else None, run_id, position),
            )
            audit.record(
                conn,
                "sop_run_item",
                key,
                {"done": "tick", "open": "untick", "skipped": "skip"}[state],
                item["state"],
                state if state != "skipped" else {"state": state, "reason": reason},
                actor=actor,
            )
        if note is not None and note != item["note"]:
            conn.execute(
                "UPDATE sop_run_items SET note = ? WHERE run_id = ? AND position = ?",
                (note, run_id, position),
            )
            audit.record(conn, "sop_run_item", key, "note", item["note"], note, actor=actor)
        status = _settle_run(conn, run, moment, actor)
    return ItemChange(run_id, position, state, changed, by, _parse_time(at), status)


def _settle_run(conn: sqlite3.Connection, run: sqlite3.Row, moment: str, actor: str) -> str:
    """Done when no item is open; reopened when an item of a done run is unticked."""
    open_items = conn.execute(
        "SELECT count(*) FROM sop_run_items WHERE run_id = ? AND state = 'open'", (run["id"],)
    ).fetchone()[0]
    if open_items == 0 and run["status"] == "open":
        conn.execute(
            "UPDATE sop_runs SET status = 'done', completed_at = ? WHERE id = ?",
            (moment, run["id"]),
        )
        audit.record(conn, "sop_run", run["slot"], "done", "open", "done", actor=actor)
        return "done"
    if open_items and run["status"] == "done":
        conn.execute(
            "UPDATE sop_runs SET status = 'open', completed_at = NULL WHERE id = ?", (run["id"],)
        )
        audit.record(conn, "sop_run", run["slot"], "reopen", "done", "open", actor=actor)
        return "open"
    return str(run["status"])


def tick(
    conn: sqlite3.Connection,
    run_id: int,
    position: int,
    *,
    note: str | None = None,
    now: datetime | None = None,
) -> ItemChange:
    """Tick an item; ticking a ticked item changes nothing (the first tick's who/when stay)."""
    return _set_item(conn, run_id, position, "done", note=note, now=now)


def untick(
    conn: sqlite3.Connection, run_id: int, position: int, *, now: datetime | None = None
) -> ItemChange:
    return _set_item(conn, run_id, position, "open", now=now)


def skip_item(
    conn: sqlite3.Connection,
    run_id: int,
    position: int,
    reason: str,
    *,
    now: datetime | None = None,
) -> ItemChange:
    """Skip an item with a reason (it counts as resolved for the run's completion)."""
    return _set_item(conn, run_id, position, "skipped", reason=reason.strip(), now=now)


def set_note(conn: sqlite3.Connection, run_id: int, position: int, note: str) -> ItemChange:
    """Set an item's note, leaving its state as it is."""
    row = conn.execute(
        "SELECT state, skip_reason FROM sop_run_items WHERE run_id = ? AND position = ?",
        (run_id, position),
    ).fetchone()
    state = row["state"] if row else "open"
    reason = row["skip_reason"] if row else None
    return _set_item(conn, run_id, position, state, note=note, reason=reason)


def skip_run(
    conn: sqlite3.Connection, run_id: int, reason: str, *, now: datetime | None = None
) -> None:
    """Skip a whole open run with a reason: it is excused (not due) and closed."""
    if not reason.strip():
        raise ValueError("skipping a run needs a reason (--reason '…')")
    actor = current_user()
    with write_transaction(conn):
        run = conn.execute("SELECT slot, status FROM sop_runs WHERE id = ?", (run_id,)).fetchone()
        if run is None:
            raise ValueError(f"no checklist run {run_id} (see `opsdesk checklists today`)")
        if run["status"] != "open":
            raise ValueError(f"run {run_id} is {run['status']}; only an open run can be skipped")
        conn.execute(
            "UPDATE sop_runs SET status = 'skipped', skip_reason = ?, closed_at = ?,"
            " closed_by = ? WHERE id = ?",
            (reason.strip(), _iso(_now(now)), actor, run_id),
        )
        audit.record(
            conn, "sop_run", run["slot"], "skip", "open", {"reason": reason.strip()}, actor=actor
        )


# ----------------------------------------------------------------------------- adherence


@dataclass(frozen=True)
class TemplateAdherence:
    template_key: str
    shop_key: str | None
    due: int
    on_time: int
    late: int
    missed: int
    skipped: int

    @property
    def ratio(self) -> float | None:
        return self.on_time / self.due if self.due else None


def adherence_by_template(
    conn: sqlite3.Connection, start: date, end: date
) -> list[TemplateAdherence]:
    """On-time ÷ due per template and shop over run days `start`…`end`."""
    tally: dict[tuple[str, str | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in conn.execute(
        "SELECT t.key, s.key, r.status, r.completed_at, r.due_at FROM sop_runs r"
        " JOIN sop_templates t ON t.id = r.template_id LEFT JOIN shops s ON s.id = r.shop_id"
        " WHERE r.run_day BETWEEN ? AND ?",
        (start.isoformat(), end.isoformat()),
    ):
        tally[(r[0], r[1])][run_state(r[2], _parse_time(r[3]), _parse_time(r[4]))] += 1
    out = []
    for (tkey, skey), c in sorted(tally.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        out.append(
            TemplateAdherence(
                tkey,
                skey,
                c["on_time"] + c["late"] + c["missed"],
                c["on_time"],
                c["late"],
                c["missed"],
                c["skipped"],
            )
        )
    return out
