"""`demo --replace` is one transaction: killed (SIGKILL) at any point it leaves the store as it
was; run to the end it leaves the new demo whole. integrity_check is ok either way."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from opsdesk.demo import STEPS

END = "2026-11-22"
ARGS = ["demo", "--shops", "3", "--days", "130", "--end", END]
"""130 days: long enough for the demo's cycles (120), short enough to build in a second."""

# Builds the new demo in a child, printing each step as it is done and then pausing, so the
# parent can kill it right there with SIGKILL (`build_demo`'s progress callback).
CHILD = """
import sys, time
from datetime import date
from opsdesk.demo import build_demo
from opsdesk.store.db import open_store

def step(name):
    print(name, flush=True)
    time.sleep(0.3)

conn = open_store(sys.argv[1])
build_demo(conn, shops=3, days=130, end=date.fromisoformat(sys.argv[2]), seed=7, replace=True,
           progress=step)
conn.close()
print("done", flush=True)
"""

Fingerprint = tuple[tuple[object, ...], ...]


def fingerprint(path: Path) -> Fingerprint:
    """What a demo build writes, without its timestamps: counts, sums and states."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        queries = (
            "SELECT count(*), round(sum(value), 3), min(day), max(day) FROM observations",
            "SELECT state, count(*) FROM sop_run_items GROUP BY state ORDER BY state",
            "SELECT status, count(*) FROM sop_runs GROUP BY status ORDER BY status",
            "SELECT title, stage FROM pdca_cycles ORDER BY title",
            "SELECT count(*) FROM risk_triggers",
            "SELECT count(*), round(sum(value), 3) FROM targets",
            "SELECT count(*) FROM events",
            "SELECT object_type, action, count(*) FROM audit_events"
            " GROUP BY object_type, action ORDER BY 1, 2",
        )
        return tuple(tuple(conn.execute(q).fetchall()) for q in queries)
    finally:
        conn.close()


def opsdesk(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "opsdesk", "--db", str(db), *args],
        capture_output=True,
        text=True,
        check=True,
    )


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Fingerprint, Fingerprint]:
    """The old store (seed 1), and the fingerprints of it and of the new demo (seed 7)."""
    base = tmp_path_factory.mktemp("demo-atomic")
    old = base / "old.sqlite"
    opsdesk(old, *ARGS, "--seed", "1")
    opsdesk(old, "shop", "list")  # every command first makes the checklist runs due today
    new = base / "new.sqlite"
    _copy(old, new)
    opsdesk(new, *ARGS, "--seed", "7", "--replace")
    before, after = fingerprint(old), fingerprint(new)
    assert before != after
    assert after[0][0][0] == 9_336  # the base metrics of 3 shops x 130 days, less the incidents'
    assert after[1] and after[3]  # SOP runs ticked and cycles made, in the same build
    return old, before, after


def _copy(src: Path, dst: Path) -> None:
    with sqlite3.connect(src) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(src, dst)


@pytest.mark.parametrize("kill_after", STEPS)
def test_a_replace_killed_after_any_step_leaves_the_old_store_until_it_commits(
    stores: tuple[Path, Fingerprint, Fingerprint], tmp_path: Path, kill_after: str
) -> None:
    old, before, after = stores
    db = tmp_path / "store.sqlite"
    _copy(old, db)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), END],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    seen = []
    for line in child.stdout:
        seen.append(line.strip())
        if seen[-1] == kill_after:
            os.kill(child.pid, signal.SIGKILL)
            break
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL, child.stderr.read() if child.stderr else ""
    assert seen == list(STEPS[: STEPS.index(kill_after) + 1])
    assert fingerprint(db) == (after if kill_after == "committed" else before)


def test_a_replace_killed_by_the_clock_leaves_the_old_or_the_new_store_whole(
    stores: tuple[Path, Fingerprint, Fingerprint], tmp_path: Path
) -> None:
    """The real command, killed at fractions of its own run time (which varies with load)."""
    old, before, after = stores
    db = tmp_path / "timed.sqlite"
    _copy(old, db)
    started = time.perf_counter()
    opsdesk(db, *ARGS, "--seed", "7", "--replace")
    whole = time.perf_counter() - started
    outcomes = []
    for fraction in (0.5, 0.7, 0.85, 0.95):
        _copy(old, db)
        child = subprocess.Popen(
            [sys.executable, "-m", "opsdesk", "--db", str(db), *ARGS, "--seed", "7", "--replace"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(whole * fraction)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        now = fingerprint(db)
        assert now in (before, after), f"killed at {fraction:.0%} of {whole:.2f} s: a mix"
        outcomes.append("new" if now == after else "old")
    assert len(outcomes) == 4
