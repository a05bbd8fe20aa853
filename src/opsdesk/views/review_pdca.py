"""The weekly (or monthly) review's PDCA section: the cycles stage by stage over the period —
opened, moved (forward or back, with the reason), overdue at the period's end, and the checks
that came in (a cycle moved from Check to Act) with their verdict.

Read from the PDCA store (opsdesk.store.pdca) and the computed Check (opsdesk.views.pdca);
each entry is a plain dict (the pack's JSON, the frozen copy): `cycle`, `title`, `metric`,
`shop`, `owner`, `what` (`opened`, `moved`, `overdue`, `check`), `stage` (as of the period's
end), `detail` and `line` (the one line the screen and the packs show).
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from opsdesk.domain import pdca as rules
from opsdesk.store import pdca, settings

WHAT_ORDER = ("check", "overdue", "moved", "opened")
"""How the section lists them: checks and overdue steps first."""


def _local_day(at: str, tz: ZoneInfo) -> date:
    return datetime.fromisoformat(at).astimezone(tz).date()


def _verdict(conn: sqlite3.Connection, c: pdca.Cycle, end: date) -> str:
    """The decision taken at Act, else the computed Check's suggested verdict."""
    if c.decision:
        return f"decided: {c.decision}"
    from opsdesk.views.pdca import build_check

    check = build_check(conn, c, end + timedelta(days=1))
    if check is None:
        return "no change date: no check computed"
    return f"suggested: {check.verdict} ({check.verdict_reason})"


def moves(conn: sqlite3.Connection, start: date, end: date) -> list[dict[str, Any]]:
    """What happened to the PDCA cycles from `start` to `end` (store-local days)."""
    tz = ZoneInfo(settings.read(conn).timezone)
    out: list[dict[str, Any]] = []
    for c in pdca.list_cycles(conn, include_closed=True):
        if c.opened_on > end:
            continue

        def entry(what: str, detail: str, c: pdca.Cycle = c) -> dict[str, Any]:
            head = f"#{c.id} {c.title} ({c.metric_key}, {c.shop_label}; {c.owner})"
            return {
                "cycle": c.id,
                "title": c.title,
                "metric": c.metric_key,
                "shop": c.shop_key,
                "owner": c.owner,
                "what": what,
                "stage": c.stage,
                "detail": detail,
                "line": f"{what}: {head} — {detail}",
            }

        stage = "plan"
        found: list[dict[str, Any]] = []
        if start <= c.opened_on:
            found.append(entry("opened", f"opened {c.opened_on}"))
        for h in sorted(pdca.history(conn, c.id), key=lambda h: h.at):
            day = _local_day(h.at, tz)
            if day > end:
                break
            stage = h.to_stage
            if h.from_stage is None or day < start:
                continue
            move = f"{rules.stage_name(h.from_stage)} → {rules.stage_name(h.to_stage)} {day}"
            move += f" by {h.by}" + (f": {h.reason}" if h.reason else "")
            found.append(entry("moved", move))
            if h.from_stage == "check" and h.to_stage == "act":
                found.append(entry("check", _verdict(conn, c, end)))
        due = c.due.get(stage)
        if stage != "closed" and due is not None and due < end:
            late = (end - due).days
            found.append(entry("overdue", f"{rules.stage_name(stage)} due {due}, {late} d overdue"))
        for f in found:
            f["stage"] = stage  # as of the period's end
        out += found
    out.sort(key=lambda e: (WHAT_ORDER.index(e["what"]), e["cycle"]))
    return out


def title(entries: list[dict[str, Any]]) -> str:
    """`PDCA cycles: 1 check in, 2 overdue, 3 moved, 1 opened` or `PDCA cycles: nothing moved`."""
    counts = [(w, sum(1 for e in entries if e["what"] == w)) for w in WHAT_ORDER]
    said = [
        f"{n} {'checks in' if w == 'check' and n > 1 else 'check in' if w == 'check' else w}"
        for w, n in counts
        if n
    ]
    return "PDCA cycles: " + (", ".join(said) if said else "nothing moved")
