"""All or nothing: SIGKILL a command at random points and check the store is whole.

Used by `tests/bench/test_sigkill_bench.py` (a 300,000-row import and `demo --replace`, ten
kills each, `make bench`) and `tests/unit/test_sigkill_quick.py` (smaller, three kills).

`kill_at_random(...)` runs the command once to the end on a copy of the store (its duration
and the store's "after" state), then, on a fresh copy each time, starts it again as a real
process (`python -m opsdesk …`), sends SIGKILL after a random delay within that duration and
opens the store as the next session would. Each time the store must be exactly as before
or exactly as after (`signature`: every table's rows, timestamps and logins aside) and
`PRAGMA integrity_check` must say `ok`.
"""

from __future__ import annotations

import csv
import hashlib
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from opsdesk.bootstrap import initialise
from opsdesk.demo import build_demo
from opsdesk.store import shops
from opsdesk.store.checklists import ensure_on_open
from opsdesk.store.db import open_store
from opsdesk.store.observations import store_ops_day

IMPORT_METRICS = ("gmv", "orders", "ad_spend")
"""No cross-metric rule ties these to others: any plausible value imports."""

VOLATILE = ("_at", "_by", "at", "by", "actor", "seconds")
"""Columns that say when and who, not what: left out of the signature."""
AUDIT_COLUMNS = ["object_type", "object_key", "action"]
"""An audit event's old and new values hold times too: the event is what, on what."""


def opsdesk(db: Path, *args: str) -> list[str]:
    """The command line of `opsdesk --db DB ARGS…` as its own interpreter."""
    return [sys.executable, "-m", "opsdesk", "--db", str(db), *args]


def signature(db: Path) -> dict[str, str]:
    """Every table's row count and a hash of its rows in order (when/who columns left out).

    Read as the next session would find it (the WAL recovered), without changing it."""
    conn = sqlite3.connect(db)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'search_fts%' ORDER BY name"
            )
        ]
        out = {}
        for table in tables:
            cols = [
                r[1]
                for r in conn.execute(f"PRAGMA table_info({table})")
                if not r[1].endswith(VOLATILE) and r[1] not in VOLATILE
            ]
            if table == "audit_events":
                cols = AUDIT_COLUMNS
            digest = hashlib.sha256()
            n = 0
            order = ", ".join(cols)
            select = f"SELECT {order} FROM {table} ORDER BY {order}"  # noqa: S608
            for row in conn.execute(select):
                digest.update(repr(row).encode())
                n += 1
            out[table] = f"{n} rows {digest.hexdigest()[:16]}"
        return out
    finally:
        conn.close()


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def copy_store(template: Path, to: Path) -> Path:
    """A fresh copy of a checkpointed store (no -wal/-shm left from the last kill)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{to}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, to)
    return to


def settle(db: Path) -> None:
    """Make today's due checklist runs (what every command does first, in a transaction of
    its own) and checkpoint: the template is what the killed command will find."""
    conn = open_store(db)
    try:
        ensure_on_open(conn)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


# ---- workloads ------------------------------------------------------------------------------


def import_workload(directory: Path, shops_n: int, days: int) -> tuple[Path, Path]:
    """A store with `shops_n` shops and a long CSV of shops × days × 3 metrics to import."""
    db = directory / "import-template.sqlite"
    conn = initialise(db)
    try:
        for i in range(shops_n):
            shops.add(conn, f"kill-{i:02d}", f"Kill shop {i}", "jd")
        ops_day = store_ops_day(conn)
    finally:
        conn.close()
    settle(db)
    path = directory / "big.csv"
    first = ops_day - timedelta(days=days)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["date", "shop", "metric", "value"])
        for d in range(days):
            day = (first + timedelta(days=d)).isoformat()
            for i in range(shops_n):
                for m, metric in enumerate(IMPORT_METRICS):
                    out.writerow([day, f"kill-{i:02d}", metric, (d * 7 + i * 13 + m) % 9000 + 100])
    return db, path


def demo_workload(directory: Path, shops_n: int, days: int, end: date) -> Path:
    """A demo store (seed 618) that `demo --replace --seed 7` rebuilds."""
    db = directory / "demo-template.sqlite"
    conn = initialise(db)
    try:
        build_demo(conn, shops=shops_n, days=days, end=end)
    finally:
        conn.close()
    settle(db)
    return db


# ---- the kills ------------------------------------------------------------------------------


@dataclass
class Kills:
    """What the kills found."""

    what: str
    full_seconds: float
    writing: tuple[float, float] | None
    """When the calibrating run held the write lock (first and last probe that found it)."""
    delays: list[float] = field(default_factory=list)
    before: int = 0
    after: int = 0
    in_transaction: int = 0
    """Kills that landed while the command held the write lock (a write transaction open)."""
    ended: int = 0
    """Kills that came after the command had exited (then the store must be as after)."""
    neither: list[str] = field(default_factory=list)
    not_ok: list[str] = field(default_factory=list)

    @property
    def kills(self) -> int:
        return len(self.delays)

    def summary(self) -> str:
        window = (
            ""
            if self.writing is None
            else (f", writing {self.writing[0]:.2f}-{self.writing[1]:.2f} s")
        )
        return (
            f"{self.what}: {self.kills} kills at {min(self.delays, default=0):.2f}-"
            f"{max(self.delays, default=0):.2f} s of a {self.full_seconds:.2f} s run{window}: "
            f"{self.in_transaction} inside the write transaction, {self.ended} after the end; "
            f"store {self.before} x before, {self.after} x after, {len(self.neither)} x neither; "
            f"integrity_check not ok: {len(self.not_ok)}"
        )


def writing(db: Path) -> bool:
    """Whether some process holds the store's write lock right now (probed without waiting)."""
    conn = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as e:
        if "locked" in str(e) or "busy" in str(e):
            return True
        raise
    finally:
        conn.close()


def _calibrate(db: Path, args: Sequence[str]) -> tuple[float, tuple[float, float] | None]:
    """Run the command to its end: how long it took and when it held the write lock."""
    started = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603
        opsdesk(db, *args), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    seen: list[float] = []
    while proc.poll() is None:
        if writing(db):
            seen.append(time.perf_counter() - started)
        time.sleep(0.01)
    full = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr.read().decode() if proc.stderr else ""
    return full, (seen[0], seen[-1]) if seen else None


def kill_at_random(
    what: str,
    template: Path,
    args: Sequence[str],
    kills: int,
    seed: int,
    work: Path,
) -> Kills:
    """Run `opsdesk ARGS` on copies of `template`, killing it `kills` times (see the module):
    every other kill at a random point of the whole run, the others a random time (up to as
    long as the calibrating run held the write lock) after the command takes the lock."""
    db = work / "victim.sqlite"
    before = signature(template)
    copy_store(template, db)
    full, window = _calibrate(db, args)
    after = signature(db)
    assert after != before, f"{what}: the command changed nothing"
    result = Kills(what, full, window)
    rng = random.Random(seed)
    for n in range(kills):
        copy_store(template, db)
        started = time.perf_counter()
        proc = subprocess.Popen(  # noqa: S603
            opsdesk(db, *args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if window is not None and n % 2:  # inside the write: from the moment it takes the lock
            while proc.poll() is None and not writing(db):
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, window[1] - window[0]))
        else:
            time.sleep(rng.uniform(0.0, full))
        delay = time.perf_counter() - started
        if proc.poll() is not None:
            result.ended += 1
        elif writing(db):
            result.in_transaction += 1
        proc.send_signal(signal.SIGKILL)  # nothing when it has ended
        proc.wait()
        result.delays.append(delay)
        check = integrity(db)
        if check != "ok":
            result.not_ok.append(f"kill {n} at {delay:.2f} s: {check}")
        found = signature(db)
        if found == before:
            result.before += 1
        elif found == after:
            result.after += 1
        else:
            changed = {t for t in found.keys() | before.keys() if found.get(t) != before.get(t)}
            missing = {t for t in found.keys() | after.keys() if found.get(t) != after.get(t)}
            result.neither.append(
                f"kill {n} at {delay:.2f} s: differs from before in {sorted(changed)},"
                f" from after in {sorted(missing)}"
            )
    return result


def assert_all_or_nothing(kills: Kills, n: int, *, some_inside: bool = False) -> None:
    """The proof: every kill left the store before or after, intact (`some_inside`: and some
    kills did land inside the write transaction)."""
    assert kills.not_ok == []
    assert kills.neither == [], kills.neither
    assert kills.before + kills.after == n
    if some_inside:
        assert kills.in_transaction > 0
