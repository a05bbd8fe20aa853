"""Many operators on one store: the concurrency proof's workload, writers, readers and audit.

Used by `tests/bench/test_concurrency_bench.py` (20 writers, `make bench`) and
`tests/unit/test_concurrency_quick.py` (a few writers for a few seconds, `make test`).

`run(...)` prepares a real SQLite store in a directory every uid may enter, then starts each
writer and reader as its own interpreter (`python tests/proof_writers.py writer|reader …`),
as one SSH session per operator would be. Run as root (with `setpriv`), every writer runs as
its own uid, so the audit trail's "who" can be checked writer by writer; otherwise they all
share this login. They start together (a `go` file), write through the store API — the same
functions the CLI and the app call — until the deadline (and past it until each has made
every write type of its kinds once), and append one JSON line per committed write: what it
wrote (rows to find in the store) and which audit events it made (object, key, action).
`verify(...)` then checks, in a fresh connection:

- every recorded write is in the store: each row as written (the last write of each row
  it owns, every row it added), with who wrote it;
- the audit trail holds, for every writer's login, exactly the events it recorded (none lost,
  none extra, none under another login), each stamped while a call that made it ran;
- no "database is locked" (nor any other) error in any writer or reader;
- `PRAGMA integrity_check` is `ok` and `PRAGMA foreign_key_check` is empty.

Writer kinds (one write type or a few per kind): checklist runs and ticks, imports, manual
entries (`store.observations.set_values`, what the entry screen calls), targets, PDCA cycles
(open, edit, stage moves), action items (added to and closed on a shared cycle and a shared
risk: numbering races), risks (add, score, review, drill), weekly-review notes, decisions (on
a shared meeting: numbering races) and meeting notes.
"""

from __future__ import annotations

import csv
import heapq
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from opsdesk.bootstrap import initialise
from opsdesk.domain import risks as risk_rules
from opsdesk.io.importer import parse_file
from opsdesk.store import actions, imports, pdca, review, risks, shops
from opsdesk.store.checklists import ensure_runs, tick
from opsdesk.store.checklists.runs import start_run
from opsdesk.store.connection import connect, current_user
from opsdesk.store.db import open_store
from opsdesk.store.observations import set_values, store_ops_day
from opsdesk.store.targets import set_target
from opsdesk.views import checklists as checklist_views
from opsdesk.views import pdca as pdca_views
from opsdesk.views import risks as risk_views
from opsdesk.views import standup_model

KIND_TYPES = {
    "ticks": ("checklist run started", "checklist tick"),
    "imports": ("import",),
    "entries": ("manual entry",),
    "targets": ("target",),
    "pdca": ("PDCA cycle opened", "PDCA cycle edit", "PDCA stage move", "action item added"),
    "actions": ("action item added", "action item closed"),
    "risks": ("risk added", "risk scored", "risk reviewed", "risk drill started"),
    "review": ("review note", "review decision", "review meeting notes"),
}
"""The kinds of writer and the write types each makes."""
KINDS = tuple(KIND_TYPES)
WRITE_TYPES = tuple(dict.fromkeys(t for types in KIND_TYPES.values() for t in types))
"""Every write type the writers make (what `Outcome.writes` counts)."""
OVERTIME = 120.0
"""Seconds a writer may run past the deadline to make each of its write types once."""
UID_BASE = 61000
"""Writers run as uids UID_BASE + index when this process is root."""

SHARED_WEEK = "2026-W01"
VALUE_METRICS = ("gmv", "orders", "ad_spend")
"""Metrics the import and entry writers write: no cross-metric rule ties them to others."""


# ---- what a writer records -------------------------------------------------------------


@dataclass
class Write:
    """One committed write: its type, the rows to find, the audit events it made."""

    type: str
    rows: list[tuple[str, dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    """(table, where, expected columns); `#rows` in expected counts the matching rows."""
    audits: list[tuple[str, str, str]] = field(default_factory=list)
    """(object_type, object_key, action) of every audit event the write made."""


# ---- preparing the store -----------------------------------------------------------------


def switch_users() -> bool:
    """Whether writers run as their own uids (needs root and setpriv)."""
    return os.geteuid() == 0 and shutil.which("setpriv") is not None


def prepare(directory: Path, writers: int) -> dict[str, Any]:
    """An initialised store in `directory` with a shop per writer, a shared cycle, a shared
    risk and a shared review meeting; returns what the workers need to know."""

    path = directory / "team.sqlite"
    conn = initialise(path)
    try:
        for i in range(writers):
            shops.add(conn, shop_key(i), f"Proof shop {i}", "tmall")
        ops_day = store_ops_day(conn)
        today = ops_day + timedelta(days=1)
        shared_cycle = pdca.open_cycle(
            conn, today=today, title="Shared cycle", metric_key="gmv", owner="ops"
        ).id
        shared_risk = risks.add_risks(conn, [make_risk(conn, "proof-shared", today)], source="x")[0]
        risk_id = conn.execute("SELECT id FROM risks WHERE key = ?", (shared_risk,)).fetchone()[0]
        review.add_decision(conn, SHARED_WEEK, today, "The shared meeting exists")
        ensure_runs(conn, today)  # the runs due today: sessions find them made
        setup_events = conn.execute("SELECT max(id) FROM audit_events").fetchone()[0]
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    if switch_users():
        directory.chmod(0o777)
        for p in directory.iterdir():
            p.chmod(0o666)
    return {
        "db": str(path),
        "ops_day": ops_day.isoformat(),
        "today": today.isoformat(),
        "shared_cycle": shared_cycle,
        "shared_risk": shared_risk,
        "shared_risk_id": risk_id,
        "setup_events": setup_events,
    }


def shop_key(i: int) -> str:
    return f"proof-{i:02d}"


def make_risk(conn: sqlite3.Connection, key: str, today: date) -> Any:

    metrics, sops, names = risks.known_names(conn)
    entry = {
        "key": key,
        "title": f"Proof risk {key}",
        "category": "platform",
        "owner": "ops",
        "likelihood": 3,
        "impact": 3,
        "residual_likelihood": 2,
        "residual_impact": 2,
        "mitigation": "Watch it",
    }
    risk, problems = risk_rules.validate_risk(entry, today, metrics=metrics, sops=sops, shops=names)
    assert risk is not None, problems
    return risk


# ---- the writers ---------------------------------------------------------------------------


class Writer:
    """A writer's session: one connection, its own shop, a numbered sequence of writes."""

    def __init__(self, conn: sqlite3.Connection, index: int, info: dict[str, Any], work: Path):

        self.conn = conn
        self.i = index
        self.info = info
        self.work = work
        self.login = current_user()
        self.owner = f"w{index:02d}"
        self.shop = shop_key(index)
        self.today = date.fromisoformat(info["today"])
        self.ops_day = date.fromisoformat(info["ops_day"])
        self.k = 0

    def next(self) -> int:
        self.k += 1
        return self.k

    # checklist runs and ticks --------------------------------------------------------------
    def ticks(self) -> Iterator[Write]:

        while True:
            run_id = start_run(self.conn, "crisis-response", self.today)
            slot, items = self.conn.execute(
                "SELECT slot, (SELECT count(*) FROM sop_run_items WHERE run_id = r.id)"
                " FROM sop_runs r WHERE id = ?",
                (run_id,),
            ).fetchone()
            yield Write(
                "checklist run started",
                [("sop_runs", {"id": run_id}, {"created_by": self.login})],
                [("sop_run", slot, "create")],
            )
            for position in range(1, items + 1):
                note = f"{self.owner} tick {self.next()}"
                change = tick(self.conn, run_id, position, note=note)
                audits = [
                    ("sop_run_item", f"{run_id}/{position}", "tick"),
                    ("sop_run_item", f"{run_id}/{position}", "note"),
                ]
                rows = [
                    (
                        "sop_run_items",
                        {"run_id": run_id, "position": position},
                        {"state": "done", "note": note, "changed_by": self.login},
                    )
                ]
                if change.run_status == "done":
                    audits.append(("sop_run", slot, "done"))
                    rows.append(("sop_runs", {"id": run_id}, {"status": "done"}))
                yield Write("checklist tick", rows, audits)

    # imports ---------------------------------------------------------------------------------
    def imports(self) -> Iterator[Write]:

        days = [self.ops_day - timedelta(days=400 + d) for d in range(30)]
        while True:
            k = self.next()
            path = self.work / f"{self.owner}-import-{k}.csv"
            cells = {}
            with path.open("w", newline="", encoding="utf-8") as fh:
                out = csv.writer(fh, lineterminator="\n")
                out.writerow(["date", "shop", "metric", "value"])
                for d, day in enumerate(days):
                    for m, metric in enumerate(VALUE_METRICS):
                        value = float(1000 * k + 10 * d + m)
                        cells[(metric, day)] = value
                        out.writerow([day.isoformat(), self.shop, metric, f"{value:.0f}"])
            plan = parse_file(path, imports.read_catalogue(self.conn), None)
            result = imports.apply(self.conn, plan)
            assert result.import_id is not None
            rows: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
                (
                    "imports",
                    {"id": result.import_id},
                    {
                        "imported_by": self.login,
                        "rows_new": result.diff.new,
                        "rows_changed": result.diff.changed,
                        "file_name": path.name,
                    },
                )
            ]
            rows += [
                self._cell(metric, day, value, result.import_id)
                for (metric, day), value in cells.items()
            ]
            yield Write("import", rows, [("import", str(result.import_id), "import")])
            path.unlink()

    def _cell(
        self, metric: str, day: date, value: float, import_id: int | None
    ) -> tuple[str, dict[str, Any], dict[str, Any]]:
        return (
            "observation",
            {"shop": self.shop, "metric": metric, "day": day.isoformat()},
            {"value": value, "import_id": import_id},
        )

    # manual entries ---------------------------------------------------------------------------
    def entries(self) -> Iterator[Write]:

        while True:
            k = self.next()
            day = self.ops_day - timedelta(days=k % 10)
            values = {m: float(100 * k + j) for j, m in enumerate(VALUE_METRICS)}
            changed = set_values(self.conn, self.shop, day, values)
            assert changed == len(values)
            yield Write(
                "manual entry",
                [self._cell(m, day, v, None) for m, v in values.items()],
                [("observation", f"{self.shop}/{m}/{day.isoformat()}", "set") for m in values],
            )

    # targets ----------------------------------------------------------------------------------
    def targets(self) -> Iterator[Write]:

        while True:
            k = self.next()
            start = self.ops_day - timedelta(days=(k + 1) // 2)  # even k: updates k - 1's
            target = set_target(
                self.conn,
                "gmv",
                float(5000 + k),
                shop_key=self.shop,
                valid_from=start,
                amber=float(k % 7),
            )
            yield Write(
                "target",
                [
                    (
                        "targets",
                        {"id": target.id},
                        {"value": 5000.0 + k, "amber": float(k % 7), "created_by": self.login},
                    )
                ],
                [("target", str(target.id), "create" if k % 2 else "update")],
            )

    # PDCA cycles and stage moves ---------------------------------------------------------------
    def pdca(self) -> Iterator[Write]:

        while True:
            k = self.next()
            title = f"{self.owner} cycle {k}"
            c = pdca.open_cycle(
                self.conn,
                today=self.today,
                title=title,
                metric_key="gmv",
                shop_key=self.shop,
                owner=self.owner,
            )
            key = str(c.id)
            where = {"id": c.id}
            yield Write(
                "PDCA cycle opened",
                [("pdca_cycles", where, {"title": title, "created_by": self.login})],
                [("pdca", key, "open")],
            )
            hypothesis, plan = f"{title}: cheaper shipping lifts gmv", f"{title}: try it a week"
            pdca.edit(self.conn, c.id, today=self.today, hypothesis=hypothesis, plan=plan)
            yield Write(
                "PDCA cycle edit",
                [("pdca_cycles", where, {"hypothesis": hypothesis, "plan": plan})],
                [("pdca", key, "edit")],
            )
            item = pdca.add_action(self.conn, c.id, f"{title}: action", self.owner, None)
            yield Write(
                "action item added",
                [self._action("pdca", c.id, item.number, f"{title}: action", "open")],
                [("action_item", item.key, "create")],
            )
            moves = [("do", None), ("plan", "proof: back to plan"), ("do", None)]
            for n, (to, reason) in enumerate(moves, 2):
                pdca.move(self.conn, c.id, to, today=self.today, reason=reason)
                yield Write(
                    "PDCA stage move",
                    [
                        ("pdca_cycles", where, {"stage": to, "updated_by": self.login}),
                        ("pdca_stage_history", {"cycle_id": c.id}, {"#rows": n}),
                    ],
                    [("pdca", key, "move_back" if reason else "move")],
                )

    def _action(
        self, kind: str, source: int, number: int, text: str, status: str
    ) -> tuple[str, dict[str, Any], dict[str, Any]]:
        by = "created_by" if status == "open" else "closed_by"
        return (
            "action_items",
            {"source_kind": kind, "source_id": source, "number": number},
            {"text": text, "status": status, by: self.login},
        )

    # action items on shared sources ------------------------------------------------------------
    def actions(self) -> Iterator[Write]:

        sources = (("pdca", self.info["shared_cycle"]), ("risk", self.info["shared_risk_id"]))
        while True:
            k = self.next()
            kind, source = sources[k % 2]
            text = f"{self.owner} action {k}"
            item = actions.add(self.conn, kind, source, text, self.owner, None)
            yield Write(
                "action item added",
                [self._action(kind, source, item.number, text, "open")],
                [("action_item", item.key, "create")],
            )
            if k % 3 == 0:
                done = actions.close(self.conn, kind, source, item.number, "done", "proof")
                yield Write(
                    "action item closed",
                    [self._action(kind, source, done.number, text, "done")],
                    [("action_item", done.key, "done")],
                )

    # risks ------------------------------------------------------------------------------------
    def risks(self) -> Iterator[Write]:

        while True:
            k = self.next()
            key = f"proof-{self.owner}-{k}"
            risks.add_risks(self.conn, [make_risk(self.conn, key, self.today)], source="proof")
            rid = self.conn.execute("SELECT id FROM risks WHERE key = ?", (key,)).fetchone()[0]
            yield Write(
                "risk added",
                [("risks", {"key": key}, {"title": f"Proof risk {key}", "created_by": self.login})],
                [("risk", key, "create")],
            )
            risks.rescore(
                self.conn, key, risk_rules.Score(4, 4), None, f"{key} rescored", self.today
            )
            yield Write(
                "risk scored",
                [
                    ("risks", {"key": key}, {"likelihood": 4, "impact": 4}),
                    (
                        "risk_reviews",
                        {"risk_id": rid, "kind": "score"},
                        {"note": f"{key} rescored", "by": self.login},
                    ),
                ],
                [("risk", key, "score")],
            )
            risks.review(self.conn, key, f"{key} reviewed", self.today)
            yield Write(
                "risk reviewed",
                [
                    (
                        "risk_reviews",
                        {"risk_id": rid, "kind": "review"},
                        {"note": f"{key} reviewed", "by": self.login},
                    )
                ],
                [("risk", key, "review")],
            )
            run_id = risks.start_linked_run(self.conn, key, "drill", self.today)
            slot = self.conn.execute("SELECT slot FROM sop_runs WHERE id = ?", (run_id,)).fetchone()
            yield Write(
                "risk drill started",
                [
                    (
                        "risk_runs",
                        {"risk_id": rid, "run_id": run_id},
                        {"purpose": "drill", "created_by": self.login},
                    )
                ],
                [("risk", key, "drill"), ("sop_run", slot[0], "create")],
            )

    # weekly review ----------------------------------------------------------------------------
    def review(self) -> Iterator[Write]:

        while True:
            k = self.next()
            week = f"2025-W{1 + k % 10:02d}"
            old = review.get_note(self.conn, "gmv", self.shop, week)
            text = f"{self.owner} note {k}"
            review.set_note(
                self.conn, "gmv", self.shop, week, text, based_on=old.version if old else 0
            )
            key = f"gmv/{self.shop}/{week}"
            yield Write(
                "review note",
                [
                    (
                        "metric_notes",
                        {"metric_key": "gmv", "shop_key": self.shop, "week": week},
                        {"note": text, "written_by": self.login},
                    )
                ],
                [("metric_note", key, "update" if old else "create")],
            )
            text = f"{self.owner} decision {k}"
            decision = review.add_decision(self.conn, SHARED_WEEK, self.today, text)
            yield Write(
                "review decision",
                [
                    (
                        "meeting_decisions",
                        {"meeting": SHARED_WEEK, "number": decision.number},
                        {"text": text, "decided_by": self.login},
                    )
                ],
                [("meeting", f"review/{SHARED_WEEK}", "decision")],
            )
            period = f"2024-W{1 + self.i:02d}"
            meeting = review.get_meeting(self.conn, "review", period)
            text = f"{self.owner} meeting notes {k}"
            review.update_meeting(
                self.conn,
                "review",
                period,
                self.today,
                based_on=meeting.version if meeting else 1,
                notes=text,
            )
            audits = [("meeting", f"review/{period}", "update")]
            if meeting is None:
                audits.insert(0, ("meeting", f"review/{period}", "create"))
            yield Write(
                "review meeting notes",
                [("meetings", {"kind": "review", "period": period}, {"notes": text})],
                audits,
            )


def _stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def writer_main(args: dict[str, Any]) -> None:
    """A writer process: wait for `go`, write until the deadline, log each committed write."""

    work = Path(args["work"])
    log = (work / f"writer-{args['index']:02d}.jsonl").open("w", encoding="utf-8")
    conn = open_store(args["info"]["db"], migrate=False)
    w = Writer(conn, args["index"], args["info"], work)

    def fresh() -> Iterator[Write]:
        return _round_robin([getattr(w, kind)() for kind in args["kinds"]])

    steps = [fresh()]

    pause = random.Random(args["index"])

    def step() -> dict[str, Any]:
        time.sleep(pause.uniform(0, 2 * args["pause"]))  # an operator's think time
        try:
            return _timed(steps[0])
        except Exception:
            steps[0] = fresh()  # a failed write ends its sequence: start the next one
            raise

    deadline = _wait_for_go(work, args["seconds"])
    log.write(json.dumps({"login": w.login, "kinds": args["kinds"]}) + "\n")
    _loop(log, deadline, step, {t for kind in args["kinds"] for t in KIND_TYPES[kind]})
    conn.close()


def _round_robin(generators: list[Iterator[Write]]) -> Iterator[Write]:
    """One write of each kind in turn (a writer with several kinds)."""
    while True:
        for g in generators:
            yield next(g)


def _timed(steps: Iterator[Write]) -> dict[str, Any]:
    t0 = _stamp()
    write = next(steps)
    return {"t0": t0, "t1": _stamp(), **write.__dict__}


def _loop(log: Any, deadline: float, step: Callable[[], dict[str, Any]], needed: set[str]) -> None:
    """Step until the deadline, and past it (up to OVERTIME) until every type in `needed`
    has been written once: on a slow machine a short run still covers every write type."""
    done = locked = failed = 0
    errors: list[str] = []
    """The first tracebacks; `failed` counts them all."""
    missing = set(needed)
    while time.time() < deadline or (missing and time.time() < deadline + OVERTIME):
        try:
            record = step()
        except Exception as e:  # noqa: BLE001 - every failure is reported, none hidden
            if isinstance(e, sqlite3.OperationalError) and "locked" in str(e):
                locked += 1
            failed += 1
            if len(errors) < 10:
                errors.append(traceback.format_exc())
            continue
        log.write(json.dumps(record, ensure_ascii=False) + "\n")
        log.flush()
        missing.discard(record["type"])
        done += 1
    end = {"end": True, "done": done, "locked": locked, "failed": failed, "errors": errors}
    log.write(json.dumps(end) + "\n")
    log.close()


def _wait_for_go(work: Path, seconds: float) -> float:
    (work / f"ready-{os.getpid()}").touch()
    go = work / "go"
    while not go.exists():
        time.sleep(0.02)
    return float(go.read_text()) + seconds


# ---- the readers ---------------------------------------------------------------------------


def reader_main(args: dict[str, Any]) -> None:
    """A reader process: the stand-up, the risk register, the PDCA board and today's
    checklists, each read in its own short unit of work, over and over."""

    work = Path(args["work"])
    info = args["info"]
    ops_day, today = date.fromisoformat(info["ops_day"]), date.fromisoformat(info["today"])
    log = (work / f"reader-{args['index']:02d}.jsonl").open("w", encoding="utf-8")
    reads: list[Callable[[sqlite3.Connection], object]] = [
        lambda c: standup_model.build(c, ops_day),
        lambda c: risk_views.build_register(c, today),
        lambda c: pdca_views.build_board(c, today),
        lambda c: checklist_views.today_rows(c, today),
        lambda c: c.execute("SELECT count(*), sum(value) FROM observations").fetchone(),
    ]
    deadline = _wait_for_go(work, args["seconds"])
    log.write(json.dumps({"login": "reader", "kind": "reader"}) + "\n")
    n = 0

    def step() -> dict[str, Any]:
        nonlocal n
        n += 1
        t0 = _stamp()
        conn = open_store(info["db"], migrate=False)
        try:
            reads[n % len(reads)](conn)
        finally:
            conn.close()
        return {"type": "read", "read": n % len(reads), "t0": t0, "t1": _stamp()}

    _loop(log, deadline, step, {"read"})


# ---- running them all --------------------------------------------------------------------


@dataclass
class Outcome:
    """What a run did and what the store holds afterwards."""

    writes: Counter[str]
    reads: int
    locked: int
    failed: int
    """Writes and reads that raised (locked ones too); `errors` has the first tracebacks."""
    errors: list[str]
    write_ms: list[float]
    read_ms: list[float]
    lost: list[str]
    audit_mismatches: list[str]
    integrity: str
    foreign_key_problems: int
    seconds: float
    writers: int
    readers: int
    distinct_logins: int
    pause: float

    def summary(self) -> str:
        lines = [
            f"{self.writers} writers (think time {self.pause:g} s on average) + "
            f"{self.readers} readers x {self.seconds:g} s, "
            f"{self.distinct_logins} logins: {sum(self.writes.values()):,} writes, "
            f"{self.reads:,} reads",
            *(f"  {n:>7,} {kind}" for kind, n in sorted(self.writes.items())),
            f"write call ms {_spread(self.write_ms)}; read ms {_spread(self.read_ms)}",
            f"lost: {len(self.lost)}; audit mismatches: {len(self.audit_mismatches)}; "
            f'"database is locked": {self.locked}; failed calls: {self.failed}; '
            f"integrity_check: {self.integrity}; foreign key problems: "
            f"{self.foreign_key_problems}",
        ]
        return "\n".join(lines)


def assert_nothing_lost(outcome: Outcome, writers: int) -> None:
    """The proof: no failure, nothing lost or misattributed, every write type, an intact store."""
    said = outcome.summary()
    assert outcome.locked == 0, said
    assert outcome.failed == 0, f"{said}\n{outcome.errors[0]}"
    assert outcome.lost == [], f"{said}\n{outcome.lost[:10]}"
    assert outcome.audit_mismatches == [], f"{said}\n{outcome.audit_mismatches[:10]}"
    assert outcome.integrity == "ok", said
    assert outcome.foreign_key_problems == 0, said
    assert sorted(outcome.writes) == sorted(WRITE_TYPES), said  # every write type happened
    assert outcome.distinct_logins == (writers if switch_users() else 1), said
    assert outcome.reads > 0, said


def _spread(ms: list[float]) -> str:
    if not ms:
        return "-"
    ms = sorted(ms)
    return f"median {ms[len(ms) // 2]:.1f}, p99 {ms[int(len(ms) * 0.99)]:.0f}, max {ms[-1]:.0f}"


def _ms(record: dict[str, Any]) -> float:
    t0, t1 = datetime.fromisoformat(record["t0"]), datetime.fromisoformat(record["t1"])
    return (t1 - t0).total_seconds() * 1000


def run(
    writers: int,
    readers: int,
    seconds: float,
    pause: float = 0.0,
    tamper: Callable[[Path], None] | None = None,
) -> tuple[Outcome, Outcome | None]:
    """Prepare a store, run `writers` writers and `readers` readers for `seconds`, and
    verify the store. Writer i takes kinds i, i + writers, … of KINDS (kind i % 8 when there
    are more writers than kinds) and pauses between its writes for a random time of `pause`
    seconds on average (0 to 2 × pause: the operator's think time). With `tamper(store
    path)`, the store is verified again after it (the second outcome: the check must see what
    tamper did)."""
    directory = Path(tempfile.mkdtemp(prefix="opsdesk-proof-"))
    try:
        info = prepare(directory, writers)
        # A session that has the store open all along, as on a team's server: the -wal/-shm
        # files exist before the writers open it. (Logins that open a store nobody has open
        # at the same moment race to create them: tests/bench/test_concurrency_first_open.py.)
        keeper = connect(info["db"])
        keeper.execute("SELECT count(*) FROM shops").fetchone()
        work = directory / "work"
        work.mkdir()
        if switch_users():
            work.chmod(0o777)
        procs = []
        for i in range(writers + readers):
            role = "writer" if i < writers else "reader"
            args = {
                "work": str(work),
                "info": info,
                "index": i if role == "writer" else i - writers,
                "kinds": [KINDS[k] for k in range(i % len(KINDS), len(KINDS), writers)],
                "seconds": seconds,
                "pause": pause,
            }
            command = [sys.executable, __file__, role, json.dumps(args)]
            if role == "writer" and switch_users():
                uid = UID_BASE + i
                command = [
                    "setpriv",
                    f"--reuid={uid}",
                    f"--regid={uid}",
                    "--clear-groups",
                    *command,
                ]
            procs.append(
                subprocess.Popen(  # noqa: S603 - our own interpreter and this file
                    command, cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
                )
            )
        _start(work, procs)
        outputs = [p.communicate(timeout=seconds + 300)[0].decode(errors="replace") for p in procs]
        failed = [o for p, o in zip(procs, outputs, strict=True) if p.returncode != 0]
        assert not failed, failed[0][-3000:]
        keeper.close()
        outcome = verify(info, work, writers, readers, seconds, pause)
        if tamper is None:
            return outcome, None
        tamper(Path(info["db"]))
        return outcome, verify(info, work, writers, readers, seconds, pause)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _start(work: Path, procs: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.time() + 300
    while len(list(work.glob("ready-*"))) < len(procs):
        dead = [p for p in procs if p.poll() not in (None, 0)]
        if dead:
            raise AssertionError(dead[0].communicate()[0].decode(errors="replace")[-3000:])
        assert time.time() < deadline, "workers did not start within 300 s"
        time.sleep(0.05)
    (work / "go").write_text(repr(time.time()))


def _logs(work: Path, prefix: str) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    for path in sorted(work.glob(f"{prefix}-*.jsonl")):
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        yield lines[0], lines[1:]


def verify(
    info: dict[str, Any], work: Path, writers: int, readers: int, seconds: float, pause: float
) -> Outcome:
    """Check every writer's log against the store (see the module's docstring)."""

    conn = connect(info["db"])
    writes: Counter[str] = Counter()
    locked = reads = failed = 0
    errors: list[str] = []
    write_ms: list[float] = []
    read_ms: list[float] = []
    lost: list[str] = []
    expected_rows: dict[str, tuple[str, dict[str, Any], dict[str, Any], str]] = {}
    expected_audit: Counter[tuple[str, str, str, str]] = Counter()
    windows: dict[tuple[str, str, str, str], list[tuple[str, str]]] = {}
    """Each audit event's (start, end) of the call that made it, in the writer's order."""
    logins = set()
    for head, records in _logs(work, "writer"):
        end = records[-1]
        assert end.get("end"), f"writer {head} did not finish its log"
        locked += end["locked"]
        failed += end["failed"]
        errors += end["errors"]
        logins.add(head["login"])
        for r in records[:-1]:
            writes[r["type"]] += 1
            write_ms.append(_ms(r))
            for table, where, expect in r["rows"]:
                ident = json.dumps([table, where], sort_keys=True)
                expected_rows[ident] = (table, where, expect, r["type"])  # the last write wins
            for audit in r["audits"]:
                a = (head["login"], *audit)
                expected_audit[a] += 1  # type: ignore[index]
                windows.setdefault(a, []).append((r["t0"], r["t1"]))  # type: ignore[arg-type]
    for _head, records in _logs(work, "reader"):
        end = records[-1]
        locked += end["locked"]
        failed += end["failed"]
        errors += end["errors"]
        reads += end["done"]
        read_ms += [_ms(r) for r in records[:-1]]
    for table, where, expect, kind in expected_rows.values():
        found = _find(conn, table, where, expect)
        if found != expect:
            lost.append(f"{kind}: {table} {where}: expected {expect}, found {found}")
    stored: Counter[tuple[str, str, str, str]] = Counter()
    stamps: dict[tuple[str, str, str, str], list[str]] = {}
    for row in conn.execute(
        "SELECT actor, object_type, object_key, action, at FROM audit_events WHERE id > ?"
        " ORDER BY id",
        (info["setup_events"],),
    ):
        a = (row[0], row[1], row[2], row[3])
        stored[a] += 1
        stamps.setdefault(a, []).append(row[4])
    due_runs = [a for a in stored if a not in expected_audit and _due_run(a)]
    mismatches = [
        f"{a}: recorded {expected_audit[a]}, audited {stored[a]}"
        for a in sorted(set(expected_audit) | set(stored))
        if expected_audit[a] != stored[a] and a not in due_runs
    ]
    for a, spans in windows.items():
        mismatches += [f"{a}: {problem}" for problem in _match_times(spans, stamps.get(a, []))]
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    fk = len(conn.execute("PRAGMA foreign_key_check").fetchall())
    conn.close()
    return Outcome(
        writes,
        reads,
        locked,
        failed,
        errors,
        write_ms,
        read_ms,
        lost,
        mismatches,
        integrity,
        fk,
        seconds,
        writers,
        readers,
        len(logins),
        pause,
    )


def _match_times(spans: list[tuple[str, str]], stamps: list[str]) -> list[str]:
    """Each audit time matched to a different call that was running then (to the second),
    earliest-ending call first: the times no call can account for."""
    calls = sorted((t0[:19], t1[:19]) for t0, t1 in spans)
    running: list[str] = []  # ends of the calls started by now, a heap
    problems, i = [], 0
    for at in sorted(a[:19] for a in stamps):
        while i < len(calls) and calls[i][0] <= at:
            heapq.heappush(running, calls[i][1])
            i += 1
        while running and running[0] < at:
            heapq.heappop(running)  # ended before this event: left without one
        if running:
            heapq.heappop(running)
        else:
            problems.append(f"audited at {at}, when no call of it was running")
    return problems


def _due_run(event: tuple[str, str, str, str]) -> bool:
    """A checklist run due by its schedule (slot `template|shop|day|`, no `#n` of a run
    started by hand), which any session creates when the day turns (`ensure_runs`)."""
    return event[1] == "sop_run" and not event[2].rsplit("|", 1)[-1].startswith("#")


def _find(
    conn: sqlite3.Connection, table: str, where: dict[str, Any], expect: dict[str, Any]
) -> dict[str, Any] | None:
    """The expected columns of the row `where` names, as stored (None: no such row)."""
    if table == "observation":
        sql = (
            "SELECT o.value, o.import_id FROM observations o JOIN shops s ON s.id = o.shop_id"
            " JOIN metrics m ON m.id = o.metric_id WHERE s.key = ? AND m.key = ? AND o.day = ?"
        )
        row = conn.execute(sql, (where["shop"], where["metric"], where["day"])).fetchone()
        return None if row is None else {"value": row[0], "import_id": row[1]}
    if table == "meeting_decisions":
        where = {
            "meeting_id": conn.execute(
                "SELECT id FROM meetings WHERE kind = 'review' AND period = ?", (where["meeting"],)
            ).fetchone()[0],
            "number": where["number"],
        }
    cond = " AND ".join(f"{k} = ?" for k in where)
    if "#rows" in expect:
        n = conn.execute(f"SELECT count(*) FROM {table} WHERE {cond}", [*where.values()])  # noqa: S608
        return {"#rows": n.fetchone()[0]}
    cols = ", ".join(expect) or "1"
    rows = conn.execute(f"SELECT {cols} FROM {table} WHERE {cond}", [*where.values()]).fetchall()  # noqa: S608
    if len(rows) != 1:
        return None
    return dict(zip(expect, rows[0], strict=True))


if __name__ == "__main__":
    role, payload = sys.argv[1], json.loads(sys.argv[2])
    {"writer": writer_main, "reader": reader_main}[role](payload)
