"""Reading runs: today's runs, one run with its items and who ticked them, the history strip."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime

from opsdesk.domain.checklists import is_overdue, run_state
from opsdesk.store.checklists._common import _now, _parse_time
from opsdesk.store.checklists.templates import get_template


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
