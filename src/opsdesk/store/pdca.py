"""PDCA cycles in the store: open, edit, move through the gates, experiment arms, act.

Every change runs in one `BEGIN IMMEDIATE` transaction, bumps the cycle's `version` and
records an audit event (object `pdca`, key the cycle id) with the OS login. A caller that read
the cycle earlier (a screen) passes `expected_version` (or `expected_stage`): when someone else
changed it meanwhile the change is refused with who moved it from which stage to which — never
a silent overwrite.

Dates: `today` is the store's local today (`clock.local_today`); the ops day is the day
before. The baseline window defaults to the 28 days before the cycle is opened; its value is
computed from the store and frozen (window and value) when the cycle enters Do. The change
date is also an event (`events`, kind `pdca`) so the explorer's chart marks it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from opsdesk.domain import pdca as rules
from opsdesk.domain.alert_record import Alert
from opsdesk.domain.kpis import Daily
from opsdesk.domain.metrics import Metric
from opsdesk.store import actions, audit, versioning
from opsdesk.store.connection import current_user, now_iso, write_transaction

TEXT_FIELDS = ("title", "problem", "root_cause", "hypothesis", "plan", "scope_note", "lesson")
DUE_FIELDS = ("due_plan", "due_do", "due_check", "due_act")


class CycleChanged(ValueError):
    """Someone else changed the cycle since the caller read it; nothing was written."""


@dataclass(frozen=True)
class Cycle:
    id: int
    title: str
    problem: str
    metric_key: str
    shop_key: str | None
    alert_id: int | None
    parent_id: int | None
    stage: str
    version: int
    stage_since: str
    opened_on: date
    baseline_start: date
    baseline_end: date
    baseline_value: float | None
    baseline_frozen: bool
    target: float | None
    root_cause: str
    hypothesis: str
    plan: str
    scope_note: str
    owner: str
    change_date: date | None
    after_end: date | None
    decision: str | None
    lesson: str
    sop_version_id: int | None
    follow_up_on: date | None
    due: dict[str, date | None]
    follow_up_result: str | None
    """`held` or `lost` once someone confirmed the follow-up check; None before."""
    follow_up_value: float | None
    follow_up_note: str
    follow_up_at: str | None
    follow_up_by: str | None
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str

    @property
    def baseline(self) -> tuple[date, date]:
        return self.baseline_start, self.baseline_end

    @property
    def shop_label(self) -> str:
        return self.shop_key or "all shops"

    def due_for_stage(self) -> date | None:
        return self.due.get(self.stage)


@dataclass(frozen=True)
class StageChange:
    from_stage: str | None
    to_stage: str
    reason: str
    at: str
    by: str


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


_SELECT = (
    "SELECT c.*, m.key AS metric_key, s.key AS shop_key FROM pdca_cycles c"
    " JOIN metrics m ON m.id = c.metric_id LEFT JOIN shops s ON s.id = c.shop_id"
)


def _cycle(r: sqlite3.Row) -> Cycle:
    return Cycle(
        id=r["id"],
        title=r["title"],
        problem=r["problem"],
        metric_key=r["metric_key"],
        shop_key=r["shop_key"],
        alert_id=r["alert_id"],
        parent_id=r["parent_id"],
        stage=r["stage"],
        version=r["version"],
        stage_since=r["stage_since"],
        opened_on=date.fromisoformat(r["opened_on"]),
        baseline_start=date.fromisoformat(r["baseline_start"]),
        baseline_end=date.fromisoformat(r["baseline_end"]),
        baseline_value=r["baseline_value"],
        baseline_frozen=bool(r["baseline_frozen"]),
        target=r["target"],
        root_cause=r["root_cause"],
        hypothesis=r["hypothesis"],
        plan=r["plan"],
        scope_note=r["scope_note"],
        owner=r["owner"],
        change_date=_day(r["change_date"]),
        after_end=_day(r["after_end"]),
        decision=r["decision"],
        lesson=r["lesson"],
        sop_version_id=r["sop_version_id"],
        follow_up_on=_day(r["follow_up_on"]),
        due={s: _day(r[f"due_{s}"]) for s in ("plan", "do", "check", "act")},
        follow_up_result=r["follow_up_result"],
        follow_up_value=r["follow_up_value"],
        follow_up_note=r["follow_up_note"],
        follow_up_at=r["follow_up_at"],
        follow_up_by=r["follow_up_by"],
        created_at=r["created_at"],
        created_by=r["created_by"],
        updated_at=r["updated_at"],
        updated_by=r["updated_by"],
    )


def _dict(c: Cycle) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in c.__dict__.items():
        if k in ("version", "updated_at", "updated_by", "created_at", "created_by", "follow_up_at"):
            continue
        if isinstance(v, date):
            v = v.isoformat()
        if isinstance(v, dict):
            v = {kk: None if vv is None else vv.isoformat() for kk, vv in v.items()}
        out[k] = v
    return out


def _changed(old: Cycle, new: Cycle) -> tuple[dict[str, Any], dict[str, Any]]:
    a, b = _dict(old), _dict(new)
    keys = [k for k in a if a[k] != b[k]]
    return {k: a[k] for k in keys}, {k: b[k] for k in keys}


# --- reading -----------------------------------------------------------------------------


def get(conn: sqlite3.Connection, cycle_id: int) -> Cycle:
    row = conn.execute(_SELECT + " WHERE c.id = ?", (cycle_id,)).fetchone()
    if row is None:
        raise ValueError(f"ID: there is no PDCA cycle {cycle_id} (see `opsdesk pdca list --all`)")
    return _cycle(row)


def list_cycles(
    conn: sqlite3.Connection,
    *,
    stage: str | None = None,
    shop_key: str | None = None,
    owner: str | None = None,
    metric_key: str | None = None,
    include_closed: bool = False,
) -> list[Cycle]:
    """Cycles by stage order then id; closed ones only with `include_closed` (or stage)."""
    sql = _SELECT + " WHERE 1 = 1"
    params: list[object] = []
    if stage is not None:
        sql += " AND c.stage = ?"
        params.append(stage)
    elif not include_closed:
        sql += " AND c.stage != 'closed'"
    if shop_key is not None:
        sql += " AND s.key = ?"
        params.append(shop_key)
    if owner is not None:
        sql += " AND c.owner = ?"
        params.append(owner)
    if metric_key is not None:
        sql += " AND m.key = ?"
        params.append(metric_key)
    cycles = [_cycle(r) for r in conn.execute(sql + " ORDER BY c.id", params)]
    return sorted(cycles, key=lambda c: (rules.STAGES.index(c.stage), c.id))


def history(conn: sqlite3.Connection, cycle_id: int) -> list[StageChange]:
    rows = conn.execute(
        "SELECT from_stage, to_stage, reason, at, by FROM pdca_stage_history"
        " WHERE cycle_id = ? ORDER BY id",
        (cycle_id,),
    )
    return [StageChange(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def arms(conn: sqlite3.Connection, cycle_id: int) -> dict[str, rules.Arm]:
    rows = conn.execute(
        "SELECT arm, denominator, numerator, label FROM pdca_experiment_arms WHERE cycle_id = ?",
        (cycle_id,),
    )
    return {r[0]: rules.Arm(r[0], r[1], r[2], r[3]) for r in rows}


def children(conn: sqlite3.Connection, cycle_id: int) -> list[int]:
    return [
        r[0] for r in conn.execute("SELECT id FROM pdca_cycles WHERE parent_id = ?", (cycle_id,))
    ]


def sop_version(conn: sqlite3.Connection, version_id: int | None) -> tuple[str, int] | None:
    """(template key, version) a cycle standardised into."""
    if version_id is None:
        return None
    row = conn.execute(
        "SELECT t.key, v.version FROM sop_template_versions v"
        " JOIN sop_templates t ON t.id = v.template_id WHERE v.id = ?",
        (version_id,),
    ).fetchone()
    return None if row is None else (row[0], int(row[1]))


# --- the metric's data -------------------------------------------------------------------


def _metrics(conn: sqlite3.Connection) -> dict[str, Metric]:
    from opsdesk.store.catalogue import load_metrics

    return load_metrics(conn)


def metric_dailies(
    conn: sqlite3.Connection,
    shop_key: str | None,
    start: date,
    end: date,
    metric: Metric | None = None,
) -> list[Daily]:
    """One shop's daily values (`[daily]`; only the values `metric` is computed from, when
    given), or every shop's with any data in the range."""
    if shop_key is not None:
        return [shop_dailies(conn, [shop_key], start, end, metric).get(shop_key, {})]
    grouped = shop_dailies(conn, None, start, end)  # every shop with any data counts
    return [grouped[k] for k in sorted(grouped)]


def shop_dailies(
    conn: sqlite3.Connection,
    shop_keys: list[str] | None,
    start: date,
    end: date,
    metric: Metric | None = None,
) -> Mapping[str, Daily]:
    """Shop key -> its daily values (every shop with data when `shop_keys` is None), in one
    read; only the values `metric` is computed from, when given."""
    from opsdesk.store.observations import by_shop, load_daily

    inputs = None
    if metric is not None:
        inputs = sorted(metric.formula.inputs) if metric.formula else [metric.key]
    return by_shop(load_daily(conn, start, end, shop_keys, metric_keys=inputs))


def baseline_value(
    conn: sqlite3.Connection, metric: Metric, shop_key: str | None, start: date, end: date
) -> float | None:
    """The metric over the baseline window (days with data), by the KPI engine."""
    dailies = metric_dailies(conn, shop_key, start, end, metric)
    days = [d for d in rules.days_between(start, end) if rules.has_metric(metric, dailies, d)]
    return rules.value_over(metric, _metrics(conn), dailies, days)


def days_with_data(
    conn: sqlite3.Connection, metric: Metric, shop_key: str | None, start: date, end: date
) -> int:
    if end < start:
        return 0
    dailies = metric_dailies(conn, shop_key, start, end, metric)
    return sum(1 for d in rules.days_between(start, end) if rules.has_metric(metric, dailies, d))


def gate_facts(conn: sqlite3.Connection, c: Cycle, ops_day: date) -> rules.GateFacts:
    metric = _metric(conn, c.metric_key)
    live = [i for i in actions.for_source(conn, "pdca", c.id) if i.status != "dropped"]
    return rules.GateFacts(
        hypothesis=c.hypothesis,
        plan=c.plan,
        actions=len(live),
        change_date=c.change_date,
        days_after=0
        if c.change_date is None
        else days_with_data(conn, metric, c.shop_key, c.change_date, ops_day),
        decision=c.decision,
        lesson=c.lesson,
    )


# --- writing -----------------------------------------------------------------------------


def _metric(conn: sqlite3.Connection, key: str) -> Metric:
    m = _metrics(conn).get(key)
    if m is None:
        raise ValueError(f"--metric: unknown metric {key!r} (see `opsdesk metrics`)")
    return m


def _shop_id(conn: sqlite3.Connection, key: str | None) -> int | None:
    if key is None:
        return None
    row = conn.execute("SELECT id FROM shops WHERE key = ?", (key,)).fetchone()
    if row is None:
        raise ValueError(f"--shop: unknown shop {key!r} (see `opsdesk shop list`)")
    return int(row[0])


def _tz(conn: sqlite3.Connection) -> str:
    from opsdesk.store import settings

    return settings.read(conn).timezone


def local_time(conn: sqlite3.Connection, at: str) -> str:
    """A stored UTC instant as the store's wall time."""
    from opsdesk.domain.checklists import local_label

    return local_label(datetime.fromisoformat(at), _tz(conn))


def _refuse_if_changed(
    conn: sqlite3.Connection,
    c: Cycle,
    expected_version: int | None,
    expected_stage: str | None,
) -> None:
    stale_version = expected_version is not None and expected_version != c.version
    stale_stage = expected_stage is not None and expected_stage != c.stage
    if not (stale_version or stale_stage):
        return
    moves = history(conn, c.id)
    last = moves[-1] if moves else None
    if stale_stage and last is not None:
        what = (
            f"cycle {c.id} was moved from {rules.stage_name(last.from_stage or '')} to"
            f" {rules.stage_name(last.to_stage)} by {last.by} at {local_time(conn, last.at)}"
        )
    else:
        what = (
            f"cycle {c.id} was changed by {c.updated_by} at {local_time(conn, c.updated_at)}"
            f" (it is at {rules.stage_name(c.stage)})"
        )
    raise CycleChanged(f"{what} since you read it: nothing changed; look at it again")


def _due_texts(c: Cycle) -> list[str | None]:
    return [
        None if (d := c.due[s]) is None else d.isoformat() for s in ("plan", "do", "check", "act")
    ]


def _write(
    conn: sqlite3.Connection, old: Cycle, new: Cycle, action: str, actor: str, at: str
) -> Cycle:
    """Store `new` over `old` if nobody changed it meanwhile (optimistic check), audited."""
    cur = conn.execute(
        "UPDATE pdca_cycles SET title = ?, problem = ?, metric_id = (SELECT id FROM metrics"
        " WHERE key = ?), shop_id = ?, stage = ?, stage_since = ?, baseline_start = ?,"
        " baseline_end = ?, baseline_value = ?, baseline_frozen = ?, target = ?,"
        " root_cause = ?, hypothesis = ?, plan = ?, scope_note = ?, owner = ?,"
        " change_date = ?, after_end = ?, decision = ?, lesson = ?, sop_version_id = ?,"
        " follow_up_on = ?, due_plan = ?, due_do = ?, due_check = ?, due_act = ?,"
        " follow_up_result = ?, follow_up_value = ?, follow_up_note = ?, follow_up_at = ?,"
        " follow_up_by = ?,"
        " updated_at = ?, updated_by = ?, version = version + 1 WHERE id = ? AND version = ?",
        (
            new.title,
            new.problem,
            new.metric_key,
            _shop_id(conn, new.shop_key),
            new.stage,
            new.stage_since,
            new.baseline_start.isoformat(),
            new.baseline_end.isoformat(),
            new.baseline_value,
            int(new.baseline_frozen),
            new.target,
            new.root_cause,
            new.hypothesis,
            new.plan,
            new.scope_note,
            new.owner,
            None if new.change_date is None else new.change_date.isoformat(),
            None if new.after_end is None else new.after_end.isoformat(),
            new.decision,
            new.lesson,
            new.sop_version_id,
            None if new.follow_up_on is None else new.follow_up_on.isoformat(),
            *_due_texts(new),
            new.follow_up_result,
            new.follow_up_value,
            new.follow_up_note,
            new.follow_up_at,
            new.follow_up_by,
            at,
            actor,
            old.id,
            old.version,
        ),
    )
    if cur.rowcount != 1:  # cannot happen inside BEGIN IMMEDIATE, but never overwrite silently
        raise CycleChanged(f"cycle {old.id} changed while saving: nothing changed")
    before, after = _changed(old, new)
    audit.record(conn, "pdca", str(old.id), action, before, after, actor=actor)
    return get(conn, old.id)


def open_cycle(
    conn: sqlite3.Connection,
    *,
    today: date,
    title: str | None = None,
    metric_key: str | None = None,
    shop_key: str | None = None,
    owner: str | None = None,
    alert_id: int | None = None,
    problem: str = "",
    baseline: tuple[date, date] | None = None,
    parent_id: int | None = None,
) -> Cycle:
    """A new cycle at Plan: blank (title + metric), from a stored alert (its metric, shop and
    message filled in), or from a metric and shop. Audited."""
    with write_transaction(conn):
        return _open_in_transaction(
            conn,
            today=today,
            title=title,
            metric_key=metric_key,
            shop_key=shop_key,
            owner=owner,
            alert_id=alert_id,
            problem=problem,
            baseline=baseline,
            parent_id=parent_id,
            actor=current_user(),
            at=now_iso(),
        )


def _open_in_transaction(
    conn: sqlite3.Connection,
    *,
    today: date,
    title: str | None,
    metric_key: str | None,
    shop_key: str | None,
    owner: str | None,
    alert_id: int | None,
    problem: str,
    baseline: tuple[date, date] | None,
    parent_id: int | None,
    actor: str,
    at: str,
) -> Cycle:
    if alert_id is not None:
        row = conn.execute(
            "SELECT a.metric_key, s.key AS shop_key, a.message, a.day FROM alerts a"
            " JOIN shops s ON s.id = a.shop_id WHERE a.id = ?",
            (alert_id,),
        ).fetchone()
        if row is None:
            raise ValueError(f"--from-alert: there is no alert {alert_id}")
        if row["metric_key"] is None:
            raise ValueError(
                f"--from-alert: alert {alert_id} is about missing data, not a metric: "
                "import the data instead"
            )
        if metric_key is not None and metric_key != row["metric_key"]:
            raise ValueError(
                f"--metric: {metric_key!r} differs from the alert's metric {row['metric_key']!r}"
            )
        metric_key = row["metric_key"]
        shop_key = shop_key or row["shop_key"]
        problem = problem or row["message"]
        title = title or f"{row['message']}"[:80]
    if not title or not title.strip():
        raise ValueError("--title: a cycle needs a title")
    if metric_key is None:
        raise ValueError("--metric: a cycle needs a metric (or --from-alert)")
    rules.validate_text("--title", title, required=True)
    rules.validate_text("problem", problem)
    metric = _metric(conn, metric_key)
    shop_id = _shop_id(conn, shop_key)
    owner = actions.validate_login(owner or actor)
    ops_day = today - timedelta(days=1)
    start, end = baseline or rules.default_baseline(today)
    rules.validate_baseline(start, end, ops_day)
    value = baseline_value(conn, metric, shop_key, start, end)
    cur = conn.execute(
        "INSERT INTO pdca_cycles (title, problem, metric_id, shop_id, alert_id, parent_id,"
        " stage, stage_since, opened_on, baseline_start, baseline_end, baseline_value, owner,"
        " created_at, created_by, updated_at, updated_by)"
        " VALUES (?, ?, (SELECT id FROM metrics WHERE key = ?), ?, ?, ?, 'plan', ?, ?, ?, ?,"
        " ?, ?, ?, ?, ?, ?)",
        (
            title,
            problem,
            metric.key,
            shop_id,
            alert_id,
            parent_id,
            at,
            today.isoformat(),
            start.isoformat(),
            end.isoformat(),
            value,
            owner,
            at,
            actor,
            at,
            actor,
        ),
    )
    cycle_id = int(cur.lastrowid or 0)
    conn.execute(
        "INSERT INTO pdca_stage_history (cycle_id, from_stage, to_stage, reason, at, by)"
        " VALUES (?, NULL, 'plan', ?, ?, ?)",
        (
            cycle_id,
            f"from alert {alert_id}"
            if alert_id
            else (f"iterates cycle {parent_id}" if parent_id else ""),
            at,
            actor,
        ),
    )
    c = get(conn, cycle_id)
    audit.record(conn, "pdca", str(cycle_id), "open", None, _dict(c), actor=actor)
    return c


def edit(
    conn: sqlite3.Connection,
    cycle_id: int,
    *,
    today: date,
    expected_version: int | None = None,
    **fields: Any,
) -> Cycle:
    """Change fields of a cycle. Text fields as typed; `target` a float in the metric's unit
    (validated by `domain.pdca.validate_target` first); `baseline` (start, end) only before Do;
    `change_date` after the baseline and not after the ops day; `metric_key`/`shop_key` only
    at Plan; `decision` one of DECISIONS; `due_<stage>` dates."""
    actor, at = current_user(), now_iso()
    ops_day = today - timedelta(days=1)
    with write_transaction(conn):
        old = get(conn, cycle_id)
        # a field changed since it was read: EditConflict, old → theirs → yours (one check)
        versioning.check_counted(
            conn, "pdca", str(cycle_id), based_on=expected_version, now=old.version,
            record=old, fields=fields,
        )  # fmt: skip
        _refuse_if_changed(conn, old, expected_version, None)
        new = old
        for name, value in fields.items():
            if name in TEXT_FIELDS:
                option = "--scope" if name == "scope_note" else f"--{name.replace('_', '-')}"
                rules.validate_text(option, value, required=name == "title")
                new = replace(new, **{name: value})
            elif name == "owner":
                new = replace(new, owner=actions.validate_login(value))
            elif name == "target":
                new = replace(new, target=value)
            elif name == "decision":
                if value is not None and value not in rules.DECISIONS:
                    raise ValueError(
                        f"--decision: {value!r} is not one of {', '.join(rules.DECISIONS)}"
                    )
                new = replace(new, decision=value)
            elif name in DUE_FIELDS:
                due = dict(new.due)
                due[name[4:]] = value
                new = replace(new, due=due)
            elif name in ("metric_key", "shop_key", "baseline"):
                if old.stage != "plan" or old.baseline_frozen:
                    raise ValueError(
                        f"--{name.replace('_key', '')}: frozen when the cycle entered Do"
                        f" (baseline {old.baseline_start}..{old.baseline_end}); move it back"
                        " to Plan to change it"
                    )
                if name == "metric_key":
                    _metric(conn, value)
                    new = replace(new, metric_key=value)
                elif name == "shop_key":
                    _shop_id(conn, value)
                    new = replace(new, shop_key=value)
                else:
                    rules.validate_baseline(value[0], value[1], ops_day)
                    new = replace(new, baseline_start=value[0], baseline_end=value[1])
            elif name == "change_date":
                if value is not None:
                    rules.validate_change_date(value, new.baseline, ops_day)
                new = replace(new, change_date=value)
            else:
                raise ValueError(f"{name}: not a field of a cycle")
        if new.change_date is not None and (
            "baseline" in fields and new.change_date <= new.baseline_end
        ):
            rules.validate_change_date(new.change_date, new.baseline, ops_day)
        if not new.baseline_frozen and (
            new.baseline != old.baseline
            or new.metric_key != old.metric_key
            or new.shop_key != old.shop_key
        ):
            new = replace(
                new,
                baseline_value=baseline_value(
                    conn, _metric(conn, new.metric_key), new.shop_key, *new.baseline
                ),
            )
        if new == old:
            return old
        if new.change_date != old.change_date or (new.change_date and new.title != old.title):
            _put_change_event(conn, new, actor, at)
        return _write(conn, old, new, "edit", actor, at)


def _put_change_event(conn: sqlite3.Connection, c: Cycle, actor: str, at: str) -> None:
    """The change date as a chart marker (kind `pdca`), replacing the cycle's earlier one."""
    row = conn.execute("SELECT change_event_id FROM pdca_cycles WHERE id = ?", (c.id,)).fetchone()
    if row is not None and row[0] is not None:
        conn.execute("DELETE FROM events WHERE id = ?", (row[0],))
    event_id = None
    if c.change_date is not None:
        cur = conn.execute(
            "INSERT INTO events (shop_id, day, kind, title, created_at, created_by)"
            " VALUES (?, ?, 'pdca', ?, ?, ?)",
            (
                _shop_id(conn, c.shop_key),
                c.change_date.isoformat(),
                f"PDCA #{c.id} change: {c.title}",
                at,
                actor,
            ),
        )
        event_id = int(cur.lastrowid or 0)
    conn.execute("UPDATE pdca_cycles SET change_event_id = ? WHERE id = ?", (event_id, c.id))


def move(
    conn: sqlite3.Connection,
    cycle_id: int,
    to: str,
    *,
    today: date,
    reason: str | None = None,
    expected_stage: str | None = None,
    expected_version: int | None = None,
) -> Cycle:
    """Move a cycle one stage forward through its gate, or back with a reason; recorded in
    the stage history and audited. Entering Do freezes the baseline (window and value);
    entering Act freezes the after-window's end."""
    to = rules.parse_stage(to)
    actor, at = current_user(), now_iso()
    ops_day = today - timedelta(days=1)
    with write_transaction(conn):
        old = get(conn, cycle_id)
        _refuse_if_changed(conn, old, expected_version, expected_stage)
        moves = history(conn, cycle_id)
        if to == old.stage and moves and moves[-1].from_stage is not None:
            last = moves[-1]
            raise CycleChanged(
                f"cycle {cycle_id} is already at {rules.stage_name(to)}: moved from"
                f" {rules.stage_name(last.from_stage or '')} to {rules.stage_name(last.to_stage)}"
                f" by {last.by} at {local_time(conn, last.at)}; nothing changed"
            )
        if to == "closed" and old.stage == "act" and old.decision in ("standardise", "iterate"):
            raise ValueError(
                f"stage: a {old.decision} decision closes through act (`opsdesk pdca act`), which"
                " versions the SOP or opens the next cycle"
            )
        back = rules.check_move(old.stage, to, gate_facts(conn, old, ops_day), reason)
        new = replace(old, stage=to, stage_since=at)
        if to == "do" and not old.baseline_frozen:
            value = baseline_value(conn, _metric(conn, old.metric_key), old.shop_key, *old.baseline)
            new = replace(new, baseline_value=value, baseline_frozen=True)
        if to == "act" and old.change_date is not None:
            window = rules.after_window(old.baseline, old.change_date, ops_day)
            new = replace(new, after_end=None if window is None else window[1])
        if back and to in ("plan", "do", "check"):
            new = replace(new, after_end=None)
        if back and to == "plan":
            new = replace(new, baseline_frozen=False)
        conn.execute(
            "INSERT INTO pdca_stage_history (cycle_id, from_stage, to_stage, reason, at, by)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (cycle_id, old.stage, to, (reason or "").strip(), at, actor),
        )
        return _write(conn, old, new, "move_back" if back else "move", actor, at)


def set_arm(
    conn: sqlite3.Connection,
    cycle_id: int,
    arm: str,
    denominator: int,
    numerator: int,
    label: str = "",
) -> rules.Arm:
    """Record (or replace) an experiment arm's visitors and buyers; audited."""
    arm = arm.upper()
    rules.validate_arm(arm, denominator, numerator)
    rules.validate_text("--label", label)
    actor, at = current_user(), now_iso()
    with write_transaction(conn):
        old = get(conn, cycle_id)
        before = arms(conn, cycle_id).get(arm)
        conn.execute(
            "INSERT INTO pdca_experiment_arms (cycle_id, arm, label, denominator, numerator)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (cycle_id, arm) DO UPDATE SET"
            " label = excluded.label, denominator = excluded.denominator,"
            " numerator = excluded.numerator",
            (cycle_id, arm, label, denominator, numerator),
        )
        conn.execute(
            "UPDATE pdca_cycles SET version = version + 1, updated_at = ?, updated_by = ?"
            " WHERE id = ?",
            (at, actor, old.id),
        )
        audit.record(
            conn,
            "pdca",
            str(cycle_id),
            "experiment_arm",
            None if before is None else before.__dict__,
            {"arm": arm, "label": label, "denominator": denominator, "numerator": numerator},
            actor=actor,
        )
    return rules.Arm(arm, denominator, numerator, label)


def add_action(
    conn: sqlite3.Connection, cycle_id: int, text: str, owner: str, due: date | None
) -> actions.ActionItem:
    """An action item of the cycle (its number is the next within the cycle)."""
    with write_transaction(conn):
        c = get(conn, cycle_id)
        if c.stage == "closed":
            raise ValueError(f"ID: cycle {cycle_id} is closed")
        return actions.add_in_transaction(conn, "pdca", cycle_id, text, owner, due)


@dataclass(frozen=True)
class ActResult:
    cycle: Cycle
    new_cycle: Cycle | None = None
    sop: tuple[str, int] | None = None


def act(
    conn: sqlite3.Connection,
    cycle_id: int,
    *,
    today: date,
    decision: str,
    lesson: str,
    sop_key: str | None = None,
    expected_version: int | None = None,
) -> ActResult:
    """Decide and close a cycle at Check or Act: the lesson is kept whatever the decision.

    standardise: version n+1 of the SOP template `sop_key` records this cycle, the cycle
    links to it, and a follow-up check is scheduled 4 weeks later; iterate: a new cycle at
    Plan linked to this one, with the metric, shop and the after-window as its baseline;
    abandon: closed with its lesson (kept, never deleted)."""
    if decision not in rules.DECISIONS:
        raise ValueError(f"--decision: {decision!r} is not one of {', '.join(rules.DECISIONS)}")
    rules.validate_text("--lesson", lesson, required=True)
    if decision == "standardise" and not sop_key:
        raise ValueError("--sop: standardise names the SOP template to version (--sop KEY)")
    if decision != "standardise" and sop_key:
        raise ValueError("--sop: only a standardise decision versions an SOP template")
    actor, at = current_user(), now_iso()
    ops_day = today - timedelta(days=1)
    with write_transaction(conn):
        c = get(conn, cycle_id)
        _refuse_if_changed(conn, c, expected_version, None)
        if c.stage not in ("check", "act"):
            raise ValueError(
                f"ID: cycle {cycle_id} is at {rules.stage_name(c.stage)}: act at Check or Act"
            )
        stage_path = ["act", "closed"] if c.stage == "check" else ["closed"]
        new = replace(c, decision=decision, lesson=lesson)
        if new.after_end is None and new.change_date is not None:
            window = rules.after_window(new.baseline, new.change_date, ops_day)
            new = replace(new, after_end=None if window is None else window[1])
        sop = None
        if decision == "standardise":
            from opsdesk.store.checklists.templates import new_version_from_cycle

            version_id, number = new_version_from_cycle(
                conn,
                sop_key or "",
                cycle_id,
                f"Standardised by PDCA cycle #{cycle_id} ({c.title}): {lesson}",
                actor=actor,
                at=at,
            )
            sop = (sop_key or "", number)
            new = replace(
                new,
                sop_version_id=version_id,
                follow_up_on=today + timedelta(days=rules.FOLLOW_UP_DAYS),
            )
        for stage in stage_path:
            conn.execute(
                "INSERT INTO pdca_stage_history (cycle_id, from_stage, to_stage, reason, at, by)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (cycle_id, new.stage, stage, f"decision: {decision}", at, actor),
            )
            new = replace(new, stage=stage, stage_since=at)
        closed = _write(conn, c, new, "act", actor, at)
        child = None
        if decision == "iterate":
            if closed.change_date is None or closed.after_end is None:
                raise ValueError("--decision: iterate needs a change date and its after-window")
            child = _open_in_transaction(
                conn,
                today=today,
                title=f"{c.title} (iteration)",
                metric_key=c.metric_key,
                shop_key=c.shop_key,
                owner=c.owner,
                alert_id=None,
                problem=c.problem,
                baseline=(closed.change_date, closed.after_end),
                parent_id=cycle_id,
                actor=actor,
                at=at,
            )
        return ActResult(closed, child, sop)


def follow_up_check(
    conn: sqlite3.Connection, c: Cycle, ops_day: date, rule_set: rules.RuleSet | None = None
) -> rules.Check | None:
    """The follow-up check of a standardised cycle: the Check again, with the follow-up window
    (as long as the after-window, ending on the ops day) against the same baseline, like for
    like. None for a cycle without a follow-up, or before a day past its after-window."""
    if c.follow_up_on is None or c.change_date is None or c.after_end is None:
        return None
    window = rules.follow_up_window(c.change_date, c.after_end, ops_day)
    if window is None:
        return None
    metrics = _metrics(conn)
    dailies = metric_dailies(conn, c.shop_key, c.baseline_start, ops_day, metrics[c.metric_key])
    return rules.compute_check(
        metrics[c.metric_key], metrics, dailies, c.baseline, window[0], ops_day, c.target, rule_set
    )


def confirm_follow_up(
    conn: sqlite3.Connection,
    cycle_id: int,
    *,
    today: date,
    result: str,
    note: str = "",
    expected_version: int | None = None,
) -> Cycle:
    """A person confirms the follow-up check of a standardised cycle: the gain `held` or was
    `lost` (the computed comparison only suggests it). Stored with the follow-up window's
    value then, who and when; audited (action `follow_up`). Refused before it is due, for a
    cycle without a follow-up, and when it was already confirmed."""
    if result not in rules.FOLLOW_UP_RESULTS:
        raise ValueError(f"--result: {result!r} is not one of {', '.join(rules.FOLLOW_UP_RESULTS)}")
    rules.validate_text("--note", note)
    actor, at = current_user(), now_iso()
    ops_day = today - timedelta(days=1)
    with write_transaction(conn):
        c = get(conn, cycle_id)
        _refuse_if_changed(conn, c, expected_version, None)
        if c.follow_up_on is None:
            raise ValueError(
                f"ID: cycle {cycle_id} has no follow-up check (a standardised cycle has one)"
            )
        if c.follow_up_result is not None:
            raise CycleChanged(
                f"the follow-up check of cycle {cycle_id} was already confirmed"
                f" ({c.follow_up_result}) by {c.follow_up_by} at"
                f" {local_time(conn, c.follow_up_at or at)}; nothing changed"
            )
        if ops_day < c.follow_up_on:
            raise ValueError(
                f"ID: the follow-up check of cycle {cycle_id} is due on {c.follow_up_on}"
                f" ({rules.FOLLOW_UP_DAYS} days after standardising): confirm it then"
            )
        check = follow_up_check(conn, c, ops_day)
        new = replace(
            c,
            follow_up_result=result,
            follow_up_value=None if check is None else check.after.value,
            follow_up_note=note,
            follow_up_at=at,
            follow_up_by=actor,
        )
        return _write(conn, c, new, "follow_up", actor, at)


# --- confounders -------------------------------------------------------------------------


def confounders(conn: sqlite3.Connection, c: Cycle, after: tuple[date, date] | None) -> list[str]:
    """Warnings to read beside the verdict: campaigns in the after-window, another open cycle
    on the same metric and shop, a target change over the windows, days corrected later."""
    out: list[str] = []
    start, end = c.baseline_start, after[1] if after else c.baseline_end
    if after is not None:
        a0, a1 = after[0].isoformat(), after[1].isoformat()
        for key, name, day in conn.execute(
            "SELECT key, name, day FROM campaigns WHERE day BETWEEN ? AND ? ORDER BY day",
            (a0, a1),
        ):
            out.append(f"campaign: {name} ({key}) on {day} is in the after-window")
        shop_id = _shop_id(conn, c.shop_key)
        for day, title in conn.execute(
            "SELECT day, title FROM events WHERE kind = 'campaign' AND day BETWEEN ? AND ?"
            " AND (shop_id IS NULL OR shop_id IS ?) ORDER BY day, id",
            (a0, a1, shop_id),
        ):
            out.append(f"campaign: {title} on {day} is in the after-window")
    for other in conn.execute(
        "SELECT c.id, c.title FROM pdca_cycles c JOIN metrics m ON m.id = c.metric_id"
        " LEFT JOIN shops s ON s.id = c.shop_id WHERE m.key = ? AND s.key IS ?"
        " AND c.stage != 'closed' AND c.id != ? ORDER BY c.id",
        (c.metric_key, c.shop_key, c.id),
    ):
        out.append(
            f"another open cycle on {c.metric_key} at {c.shop_label}: #{other[0]} {other[1]}"
        )
    for vf, value in conn.execute(
        "SELECT t.valid_from, t.value FROM targets t JOIN metrics m ON m.id = t.metric_id"
        " LEFT JOIN shops s ON s.id = t.shop_id WHERE m.key = ? AND (s.key IS ? OR t.shop_id"
        " IS NULL) AND t.valid_from > ? AND t.valid_from <= ? ORDER BY t.valid_from",
        (c.metric_key, c.shop_key, start.isoformat(), end.isoformat()),
    ):
        out.append(f"target change: {c.metric_key} target {value:g} from {vf}")
    metric = _metric(conn, c.metric_key)
    inputs = sorted(metric.formula.inputs) if metric.formula else [metric.key]
    marks = ", ".join("?" for _ in inputs)
    shop_clause = "" if c.shop_key is None else " AND s.key = ?"
    params: list[object] = [*inputs, start.isoformat(), end.isoformat()]
    if c.shop_key is not None:
        params.append(c.shop_key)
    corrected = [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT ic.day FROM import_changes ic"  # noqa: S608 (placeholders only)
            " JOIN imports i ON i.id = ic.import_id JOIN metrics m ON m.id = ic.metric_id"
            " JOIN shops s ON s.id = ic.shop_id"
            f" WHERE m.key IN ({marks}) AND ic.day BETWEEN ? AND ?{shop_clause}"
            " AND ic.old_value IS NOT NULL AND i.undone_at IS NULL ORDER BY ic.day",
            params,
        )
    ]
    if corrected:
        shown = ", ".join(corrected[:5]) + (
            f" and {len(corrected) - 5} more" if len(corrected) > 5 else ""
        )
        out.append(f"corrected days: values of {shown} were replaced by a later import")
    return out


def open_cycle_for_alert(conn: sqlite3.Connection, alert: Alert, today: date) -> Cycle:
    """Store the alert (the stand-up evaluates alerts live) and open a cycle from it."""
    from opsdesk.store.alerts import persist

    persist(conn, [alert])
    row = conn.execute(
        "SELECT a.id FROM alerts a JOIN shops s ON s.id = a.shop_id WHERE a.rule_key = ?"
        " AND s.key = ? AND a.metric_key IS ? AND a.day = ?",
        (alert.rule_key, alert.shop_key, alert.metric_key, alert.day.isoformat()),
    ).fetchone()
    return open_cycle(conn, today=today, alert_id=int(row[0]))
