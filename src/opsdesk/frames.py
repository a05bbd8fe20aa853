"""pandas DataFrames of a store, for analysts: `open_store(path).observations()`, `.kpis()`...

Every number is read from the store or computed by the KPI engine (`views.report.build_report`,
ratio of sums) — never re-computed here. Days are real dates (`datetime64`), instants are
tz-aware in the store's timezone, keys with few values are categoricals, and each frame says
its units in `df.attrs["units"]` (metric key -> unit) and what it is in `df.attrs["what"]`.

pandas is imported by this module only (and by the exporters that write its frames): nothing on
the app's start-up path imports it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any

import pandas as pd

from opsdesk.domain import periods
from opsdesk.domain.kpis import STATUSES

GRAINS = ("day", "week", "month")
KPI_PERIODS_BY_DEFAULT = 8
"""`kpis()` without `start`: this many periods of the grain, ending with the one holding `end`."""


def parse_day(value: str | date | None, name: str) -> date | None:
    """A day from `2026-11-01` (or a date); ValueError naming the argument otherwise."""
    if value is None or isinstance(value, date):
        return value
    try:
        return periods.parse("day", value).start
    except ValueError as e:
        raise ValueError(f"{name}: {e}") from None


def _category(values: Sequence[Any] | pd.Series, categories: Sequence[str]) -> pd.Categorical:
    return pd.Categorical(values, categories=list(dict.fromkeys(categories)))


def _days(values: pd.Series) -> pd.Series:
    """ISO days (text or dates) as datetime64[ns] (NaT for None)."""
    texts = values.map(lambda d: None if d is None else str(d))
    return pd.to_datetime(texts, format="%Y-%m-%d").astype("datetime64[ns]")


def _instants(values: pd.Series, tz: str) -> pd.Series:
    """ISO instants stored in UTC as tz-aware times in the store's timezone (NaT for None)."""
    return pd.to_datetime(values, utc=True, format="ISO8601").dt.tz_convert(tz)


@dataclass(frozen=True)
class StoreFrames:
    """One store, read on demand: each method opens a connection, reads, and closes it."""

    path: Path

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        from opsdesk.store.db import open_store as open_db

        conn = open_db(self.path)
        try:
            yield conn
        finally:
            conn.close()

    def _query(self, conn: sqlite3.Connection, sql: str, params: Sequence[object]) -> pd.DataFrame:
        cursor = conn.execute(sql, list(params))
        columns = [c[0] for c in cursor.description]
        return pd.DataFrame([tuple(r) for r in cursor.fetchall()], columns=columns)

    def _shops(self, conn: sqlite3.Connection, shops: Sequence[str] | None) -> list[str]:
        from opsdesk.store.shops import list_shops

        known = [s.key for s in list_shops(conn)]
        if shops is None:
            return known
        for key in shops:
            if key not in known:
                raise ValueError(f"shop: unknown shop {key!r} (see `opsdesk shop list`)")
        return [k for k in known if k in shops]

    def shops(self, keys: Sequence[str] | None = None) -> list[str]:
        """The store's shop keys (in its order); with `keys`, those, ValueError for unknown."""
        with self.connect() as conn:
            return self._shops(conn, keys)

    def timezone(self) -> str:
        from opsdesk.store import settings

        with self.connect() as conn:
            return settings.read(conn).timezone

    def today(self) -> date:
        """The store's ops day (yesterday, after the day cutoff): the default end of periods."""
        from opsdesk.clock import ops_day, system_clock
        from opsdesk.store import settings

        with self.connect() as conn:
            s = settings.read(conn)
        return ops_day(system_clock, s.timezone, s.day_cutoff_hour)

    # -- recorded values ----------------------------------------------------------------

    def observations(
        self,
        *,
        shops: Sequence[str] | None = None,
        metrics: Sequence[str] | None = None,
        start: str | date | None = None,
        end: str | date | None = None,
    ) -> pd.DataFrame:
        """Tidy recorded values: date, shop, metric, value, import_id (<NA>: entered by hand)."""
        from opsdesk.store.catalogue import load_metrics

        first, last = parse_day(start, "start"), parse_day(end, "end")
        with self.connect() as conn:
            keys = self._shops(conn, shops)
            catalogue = load_metrics(conn)
            base = [k for k, m in catalogue.items() if m.formula is None]
            wanted = base if metrics is None else self._metrics(metrics, catalogue, base=True)
            sql = (
                "SELECT o.day AS date, s.key AS shop, m.key AS metric, o.value, o.import_id"  # noqa: S608
                " FROM observations o JOIN shops s ON s.id = o.shop_id"
                " JOIN metrics m ON m.id = o.metric_id"
                f" WHERE s.key IN ({', '.join('?' for _ in keys)})"  # placeholders only
                f" AND m.key IN ({', '.join('?' for _ in wanted)})"
                " AND o.day BETWEEN ? AND ? ORDER BY o.day, s.id, m.id"
            )
            params = [
                *keys,
                *wanted,
                (first or date.min).isoformat(),
                (last or date.max).isoformat(),
            ]
            df = self._query(conn, sql, params)
        df["date"] = _days(df["date"])
        df["shop"] = _category(df["shop"], keys)
        df["metric"] = _category(df["metric"], wanted)
        df["value"] = df["value"].astype("float64")
        df["import_id"] = df["import_id"].astype("Int64")
        df.attrs = {"what": "observations", "units": {k: catalogue[k].unit for k in wanted}}
        return df

    @staticmethod
    def _metrics(
        metrics: Sequence[str], catalogue: dict[str, Any], *, base: bool = False
    ) -> list[str]:
        for key in metrics:
            if key not in catalogue:
                raise ValueError(f"metric: unknown metric {key!r} (see `opsdesk metrics`)")
            if base and catalogue[key].formula is not None:
                raise ValueError(f"metric: {key!r} is computed, not recorded: use kpis()")
        return [k for k in catalogue if k in metrics]

    # -- the KPI engine's rollups ---------------------------------------------------------

    def kpis(
        self,
        *,
        grain: str = "week",
        metrics: Sequence[str] | None = None,
        shops: Sequence[str] | None = None,
        start: str | date | None = None,
        end: str | date | None = None,
        all_shops: bool = True,
    ) -> pd.DataFrame:
        """The engine's report rows for every period of `grain` from `start` to `end`.

        One row per period, shop (and `all`, the all-shops rollup, unless `all_shops=False`)
        and metric: value, previous, change, last_year, change_year, target, status — exactly
        what `opsdesk report daily|weekly|monthly --format json` gives for each period. A period
        still running (holding the ops day) is to date, as in the report.
        """
        from opsdesk.store.catalogue import load_metrics
        from opsdesk.views.report import ALL_SHOPS_KEY, build_report

        if grain not in GRAINS:
            raise ValueError(f"grain: {grain!r} is not one of {', '.join(GRAINS)}")
        today = self.today()
        last = parse_day(end, "end") or today
        first = parse_day(start, "start")
        if first is not None and first > last:
            raise ValueError(f"start: {first} is after end {last}")
        period = periods.containing(grain, last)
        chosen = [period]
        while True:
            before = chosen[-1].previous()
            if first is None and len(chosen) >= KPI_PERIODS_BY_DEFAULT:
                break
            if first is not None and before.end < first:
                break
            chosen.append(before)
        chosen.reverse()
        rows: list[tuple[Any, ...]] = []
        with self.connect() as conn:
            keys = self._shops(conn, shops)
            catalogue = load_metrics(conn)
            wanted = list(catalogue) if metrics is None else self._metrics(metrics, catalogue)
            for p in chosen:
                report = build_report(conn, p, as_of=today, shop_keys=keys)
                for s in [*report.shops, *([report.total] if all_shops else [])]:
                    for k in s.kpis:
                        if k.metric.key not in wanted:
                            continue
                        rows.append(
                            (p.key, report.current.start, report.current.end, s.shop_key)
                            + (k.metric.key, k.value, k.previous, k.change, k.last_year)
                            + (k.change_year, k.target, k.status)
                        )
        columns = ["period", "start", "end", "shop", "metric", "value", "previous", "change"]
        columns += ["last_year", "change_year", "target", "status"]
        df = pd.DataFrame(rows, columns=columns)
        df["period"] = _category(df["period"], [p.key for p in chosen])
        df["start"] = _days(df["start"])
        df["end"] = _days(df["end"])
        df["shop"] = _category(df["shop"], [*keys, ALL_SHOPS_KEY])
        df["metric"] = _category(df["metric"], wanted)
        for c in ("value", "previous", "change", "last_year", "change_year", "target"):
            df[c] = df[c].astype("float64")
        df["status"] = _category(df["status"], STATUSES)
        df.attrs = {
            "what": "kpis",
            "grain": grain,
            "units": {k: catalogue[k].unit for k in wanted},
            "change": "relative change, a fraction (0.05 is +5%)",
        }
        return df

    def actions(
        self,
        *,
        open: bool | None = None,  # noqa: A002 (the name analysts type: actions(open=True))
        start: str | date | None = None,
        end: str | date | None = None,
    ) -> pd.DataFrame:
        """Action items of every source (PDCA cycles, risks, reviews), one row each: key
        (`pdca/3/2`), source, source_id, number, text, owner, due, status, overdue_days (on the
        store's today: 0 due today, <NA> not open or not due), created_at/by, closed_at/by,
        note. `open=True` the open ones, False the done and dropped; `start`/`end` the store
        days they were created."""
        return _actions(self, open, parse_day(start, "start"), parse_day(end, "end"))

    def cycles(
        self,
        *,
        shops: Sequence[str] | None = None,
        start: str | date | None = None,
        end: str | date | None = None,
    ) -> pd.DataFrame:
        """PDCA cycles, one row each, every stage (closed ones too): the plan, stage and days
        in it, overdue, the baseline, the Check as `opsdesk pdca check` computes it (before,
        after, days_compared, difference = after - before, change = the relative change,
        target_met, signals, verdict), the decision, lesson and follow-up, and the counts of
        open and done action items. `shops`: cycles on those shops (all-shops
        cycles have shop <NA>); `start`/`end`: the days they were opened."""
        return _cycles(self, shops, parse_day(start, "start"), parse_day(end, "end"))

    def risks(self) -> pd.DataFrame:
        """The risk register: one row per risk with its inherent and residual likelihood,
        impact, score and level, status, response, acceptance, next review and its texts."""
        return _risks(self)

    # -- targets, checklists, audit ---------------------------------------------------------

    def targets(self) -> pd.DataFrame:
        """Every target: metric, shop (<NA>: every shop), valid_from/valid_to (NaT: open),
        value and amber in the metric's unit (summed metrics: per day)."""
        from opsdesk.store.catalogue import load_metrics
        from opsdesk.store.targets import list_targets

        with self.connect() as conn:
            catalogue = load_metrics(conn)
            shops = self._shops(conn, None)
            rows = [
                (t.id, t.metric_key, t.shop_key, t.valid_from, t.valid_to, t.value, t.amber)
                for t in list_targets(conn)
            ]
        columns = ["id", "metric", "shop", "valid_from", "valid_to", "value", "amber"]
        df = pd.DataFrame(rows, columns=columns)
        df["id"] = df["id"].astype("int64")
        df["metric"] = _category(df["metric"], list(catalogue))
        df["shop"] = _category(df["shop"], shops)
        df["valid_from"] = _days(df["valid_from"])
        df["valid_to"] = _days(df["valid_to"])
        df["value"] = df["value"].astype("float64")
        df["amber"] = df["amber"].astype("float64")
        used = df["metric"].unique().tolist()
        df.attrs = {"what": "targets", "units": {k: catalogue[k].unit for k in used}}
        return df

    def checklist_runs(
        self, *, start: str | date | None = None, end: str | date | None = None
    ) -> pd.DataFrame:
        """One row per SOP checklist run: its template, shop (<NA>: the store), day, status,
        items resolved and total, the skip reason, and when it was due and completed."""
        first, last = parse_day(start, "start"), parse_day(end, "end")
        sql = (
            "SELECT r.id, t.key AS template, v.title, s.key AS shop, r.run_day AS date,"
            " r.status, (SELECT count(*) FROM sop_run_items i"
            "   WHERE i.run_id = r.id AND i.state != 'open') AS done,"
            " (SELECT count(*) FROM sop_run_items i WHERE i.run_id = r.id) AS total,"
            " r.skip_reason, r.due_at, r.completed_at, r.closed_by"
            " FROM sop_runs r JOIN sop_templates t ON t.id = r.template_id"
            " JOIN sop_template_versions v ON v.id = r.version_id"
            " LEFT JOIN shops s ON s.id = r.shop_id"
            " WHERE r.run_day BETWEEN ? AND ? ORDER BY r.run_day, t.key, s.key, r.id"
        )
        with self.connect() as conn:
            from opsdesk.store import settings

            tz = settings.read(conn).timezone
            shops = self._shops(conn, None)
            params = [(first or date.min).isoformat(), (last or date.max).isoformat()]
            df = self._query(conn, sql, params)
        df["date"] = _days(df["date"])
        df["template"] = df["template"].astype("category")
        df["shop"] = _category(df["shop"], shops)
        df["status"] = _category(df["status"], ["open", "done", "missed", "skipped"])
        for c in ("id", "done", "total"):
            df[c] = df[c].astype("int64")
        df["due_at"] = _instants(df["due_at"], tz)
        df["completed_at"] = _instants(df["completed_at"], tz)
        df.attrs = {"what": "checklists", "timezone": tz, "units": {}}
        return df

    def audit(self, *, since: str | date | None = None) -> pd.DataFrame:
        """The audit trail from the store's local day `since` on: at (store time), actor,
        object_type, object_key, action, old and new (JSON text)."""
        from opsdesk.domain.recurrence import local_instant
        from opsdesk.store import settings

        first = parse_day(since, "since")
        with self.connect() as conn:
            tz = settings.read(conn).timezone
            bound = "" if first is None else local_instant(first, time(0), tz).isoformat()
            df = self._query(
                conn,
                "SELECT id, at, actor, object_type, object_key, action, old, new"
                " FROM audit_events WHERE at >= ? ORDER BY id",
                [bound],
            )
        df["id"] = df["id"].astype("int64")
        df["at"] = _instants(df["at"], tz)
        for c in ("actor", "object_type", "action"):
            df[c] = df[c].astype("category")
        df.attrs = {"what": "audit", "timezone": tz, "units": {}}
        return df


RISK_LEVELS = ("low", "medium", "high")


def _risks(frames: StoreFrames) -> pd.DataFrame:
    """The risk register through its read model (views.risks.build_register): scores, levels,
    acceptance and the overdue mark are the register's, not recomputed here."""
    from opsdesk.views.risks import build_register

    with frames.connect() as conn:
        today, _ = _store_today(conn)
        register = build_register(conn, today)
    rows = []
    for row in register.rows:
        r = row.risk
        rows.append(
            (r.key, r.title, r.category, r.owner, r.status)
            + (r.inherent.likelihood, r.inherent.impact, r.inherent.value, r.inherent.level)
            + (r.residual.likelihood, r.residual.impact, r.residual.value, r.residual.level)
            + (r.response, r.response_level, row.acceptance, r.accept_until)
            + (r.next_review, row.overdue, r.mitigation, r.contingency, r.description)
        )
    columns = ["key", "title", "category", "owner", "status", "likelihood", "impact", "score"]
    columns += ["level", "residual_likelihood", "residual_impact", "residual_score"]
    columns += ["residual_level", "response", "response_level", "acceptance", "accept_until"]
    columns += ["next_review", "overdue", "mitigation", "contingency", "description"]
    df = pd.DataFrame(rows, columns=columns)
    for c in ("category", "owner", "status", "response", "response_level", "acceptance"):
        df[c] = df[c].astype("category")
    for c in ("level", "residual_level"):
        df[c] = _category(df[c], RISK_LEVELS)
    for c in ("accept_until", "next_review"):
        df[c] = _days(df[c])
    df["overdue"] = df["overdue"].astype(bool)
    df.attrs = {"what": "risks", "units": {}, "scores": "likelihood × impact, 1–25"}
    return df


ACTION_STATUSES = ("open", "done", "dropped")


def _store_today(conn: sqlite3.Connection) -> tuple[date, str]:
    """The store's local today (the ops day is the day before) and its timezone."""
    from opsdesk.store import settings

    return settings.store_today(conn), settings.read(conn).timezone


def _actions(
    frames: StoreFrames, open_only: bool | None, first: date | None, last: date | None
) -> pd.DataFrame:
    from opsdesk.store.actions import list_items

    with frames.connect() as conn:
        today, tz = _store_today(conn)
        items = list_items(conn, open_only=open_only)
    rows = [
        (i.key, i.source_kind, i.source_id, i.number, i.text, i.owner, i.due, i.status)
        + (i.days_overdue(today), i.created_at, i.created_by, i.closed_at, i.closed_by, i.note)
        for i in items
    ]
    columns = ["key", "source", "source_id", "number", "text", "owner", "due", "status"]
    columns += ["overdue_days", "created_at", "created_by", "closed_at", "closed_by", "note"]
    df = pd.DataFrame(rows, columns=columns)
    df["source"] = df["source"].astype("category")
    df["owner"] = df["owner"].astype("category")
    df["status"] = _category(df["status"], ACTION_STATUSES)
    for c in ("source_id", "number"):
        df[c] = df[c].astype("int64")
    df["overdue_days"] = df["overdue_days"].astype("Int64")
    df["due"] = _days(df["due"])
    df["created_at"] = _instants(df["created_at"], tz)
    df["closed_at"] = _instants(df["closed_at"], tz)
    if first is not None or last is not None:
        created = df["created_at"].dt.date
        keep = (created >= (first or date.min)) & (created <= (last or date.max))
        df = df[keep].reset_index(drop=True)
    df.attrs = {"what": "actions", "timezone": tz, "units": {}}
    return df


def _cycles(
    frames: StoreFrames, shops: Sequence[str] | None, first: date | None, last: date | None
) -> pd.DataFrame:
    """Through the PDCA read models (views.pdca): the cards' age and overdue mark, and each
    cycle's Check by `build_check` — the numbers `opsdesk pdca list/check` print."""
    from opsdesk.domain.pdca import DECISIONS, FOLLOW_UP_RESULTS, STAGES
    from opsdesk.store import pdca
    from opsdesk.store.actions import list_items
    from opsdesk.store.catalogue import load_metrics
    from opsdesk.views.pdca import build_board, build_check

    with frames.connect() as conn:
        today, tz = _store_today(conn)
        keys = frames._shops(conn, shops)
        catalogue = load_metrics(conn)
        cards = {
            card.id: card for column in build_board(conn, today).columns.values() for card in column
        }
        cycles = [
            c
            for c in pdca.list_cycles(conn, include_closed=True)
            if (shops is None or c.shop_key in keys)
            and (first or date.min) <= c.opened_on <= (last or date.max)
        ]
        checks = {c.id: build_check(conn, c, today, None, catalogue) for c in cycles}
        counts: dict[tuple[int, str], int] = {}
        for item in list_items(conn):
            if item.source_kind == "pdca":
                counts[(item.source_id, item.status)] = (
                    counts.get((item.source_id, item.status), 0) + 1
                )
    rows = []
    for c in cycles:
        k, check = cards[c.id], checks[c.id]
        rows.append(
            (c.id, c.title, c.stage, c.metric_key, c.shop_key, c.owner, c.opened_on)
            + (c.stage_since, k.days_in_stage, k.overdue, c.due_for_stage())
            + (c.baseline_start, c.baseline_end, c.baseline_value, c.baseline_frozen)
            + (c.target, c.change_date, c.after_end)
            + (
                (None,) * 9
                if check is None
                else (
                    check.before.value,
                    check.after.value,
                    check.before.days,
                    check.change,
                    check.change_relative,
                    check.target_met,
                    ", ".join(s.rule for s in check.signals),
                    check.verdict,
                    check.rules,
                )
            )
            + (c.decision, c.lesson, c.follow_up_on, c.follow_up_result, c.parent_id)
            + (counts.get((c.id, "open"), 0), counts.get((c.id, "done"), 0))
            + (c.problem, c.root_cause, c.hypothesis, c.plan, c.scope_note)
        )
    columns = ["id", "title", "stage", "metric", "shop", "owner", "opened_on", "stage_since"]
    columns += ["days_in_stage", "overdue", "stage_due", "baseline_start", "baseline_end"]
    columns += ["baseline_value", "baseline_frozen", "target", "change_date", "after_end"]
    columns += ["before", "after", "days_compared", "difference", "change", "target_met"]
    columns += ["signals", "verdict", "rules", "decision", "lesson", "follow_up_on"]
    columns += ["follow_up_result", "parent_id", "actions_open", "actions_done", "problem"]
    columns += ["root_cause", "hypothesis", "plan", "scope_note"]
    df = pd.DataFrame(rows, columns=columns)
    df["stage"] = _category(df["stage"], STAGES)
    df["metric"] = _category(df["metric"], list(catalogue))
    df["shop"] = _category(df["shop"], keys)
    df["owner"] = df["owner"].astype("category")
    for col in ("id", "days_in_stage", "actions_open", "actions_done"):
        df[col] = df[col].astype("int64")
    for col in ("days_compared", "parent_id"):
        df[col] = df[col].astype("Int64")
    for col in ("overdue", "baseline_frozen"):
        df[col] = df[col].astype(bool)
    df["target_met"] = df["target_met"].astype("boolean")
    for col in ("baseline_value", "target", "before", "after", "difference", "change"):
        df[col] = df[col].astype("float64")
    for col in ("opened_on", "stage_due", "baseline_start", "baseline_end", "change_date"):
        df[col] = _days(df[col])
    for col in ("after_end", "follow_up_on"):
        df[col] = _days(df[col])
    df["stage_since"] = _instants(df["stage_since"], tz)
    df["decision"] = _category(df["decision"], DECISIONS)
    df["follow_up_result"] = _category(df["follow_up_result"], FOLLOW_UP_RESULTS)
    df["verdict"] = df["verdict"].astype("category")
    used = df["metric"].unique().tolist()
    df.attrs = {
        "what": "cycles",
        "timezone": tz,
        "units": {k: catalogue[k].unit for k in used},
        "change": "relative change after/before, a fraction (0.05 is +5%);"
        " difference: after - before in the metric's unit",
    }
    return df


def open_store(path: str | Path | None = None) -> StoreFrames:
    """The frames of the store at `path`; None: `$OPSDESK_DB`, else the default store."""
    from opsdesk.paths import default_db_path

    target = Path(path).expanduser() if path is not None else default_db_path()
    if not target.exists():
        raise FileNotFoundError(f"{target}: no store there (create one with `opsdesk init`)")
    return StoreFrames(target)
