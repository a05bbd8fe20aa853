"""Proof: logins that open a store nobody has open, at the same moment, can all write.

The first session to open a WAL store creates its `-wal` and `-shm` files; SQLite makes them
with the process's umask and then sets the store's mode. A teammate who opens the store in
that instant cannot open the `-shm` for writing and SQLite gives it a read-only view for its
whole session: every write fails with "attempt to write a readonly database" (or opsdesk,
seeing the files not writable in that instant, opens the store read-only). Each round
here makes a fresh store (mode 0666, nobody has it open) and starts OPSDESK_BENCH_LOGINS
(default 4) processes, each its own uid, that open it through `opsdesk.store.connection`
at the same instant and write one row; OPSDESK_BENCH_ROUNDS (default 20) rounds. Every write
must succeed. Needs root and setpriv. Run by `make bench`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsdesk.bootstrap import initialise

LOGINS = int(os.environ.get("OPSDESK_BENCH_LOGINS", "4"))
ROUNDS = int(os.environ.get("OPSDESK_BENCH_ROUNDS", "20"))
UID_BASE = 62000

OPEN_AND_WRITE = """
import sys, time
from opsdesk.store.connection import connect, write_transaction
from opsdesk.store import audit
start = float(sys.argv[2])
while time.time() < start:
    pass
conn = connect(sys.argv[1])
try:
    with write_transaction(conn):
        audit.record(conn, "proof", "first-open", "write")
    print("ok")
except Exception as e:
    print(f"{type(e).__name__}: {e}")
time.sleep(0.5)  # keep the session open while the others open theirs
"""


def _outcome(output: str) -> str:
    last = output.strip().splitlines()[-1] if output.strip() else "(no output)"
    if "is read-only here" in last:
        return "opened read-only (the -wal/-shm not writable yet)"
    return last


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="opsdesk-first-open-"))
    d.chmod(0o777)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv"
)
def test_logins_opening_a_closed_store_at_once_can_all_write(shared_dir: Path) -> None:
    results: Counter[str] = Counter()
    for n in range(ROUNDS):
        db = shared_dir / f"store-{n}.sqlite"
        initialise(db).close()
        db.chmod(0o666)
        start = time.time() + 1.5
        procs = [
            subprocess.Popen(  # noqa: S603
                [
                    "setpriv",
                    f"--reuid={UID_BASE + i}",
                    f"--regid={UID_BASE + i}",
                    "--clear-groups",
                    sys.executable,
                    "-c",
                    OPEN_AND_WRITE,
                    str(db),
                    repr(start),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                cwd=shared_dir,
            )
            for i in range(LOGINS)
        ]
        for p in procs:
            results[_outcome(p.communicate(timeout=120)[0])] += 1
    print()
    print(f"{ROUNDS} rounds x {LOGINS} logins opening a closed store at once: {dict(results)}")
    assert results == Counter({"ok": ROUNDS * LOGINS})
