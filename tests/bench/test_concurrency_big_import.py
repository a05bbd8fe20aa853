"""Benchmark and proof: an operator typing values while a colleague imports a big file.

`opsdesk import` of a generated OPSDESK_BENCH_BIG_IMPORT_ROWS-row CSV (default 1,000,080:
40 shops × 8,334 days × 3 metrics) runs as its own process; meanwhile this process enters a
shop's value by hand (`set_values`, what the entry screen calls) every 0.2 s until the
import ends. The import holds the store's write lock for its whole write phase, so each
entry waits for it; none may fail with "database is locked" (the busy timeout is 60 s),
every entry must be stored, the import must be whole and `integrity_check` ok. The longest
wait is printed. Run by `make bench`.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from pathlib import Path

from opsdesk.store.db import open_store
from opsdesk.store.observations import get_value, set_values, store_ops_day
from proof_kills import import_workload, integrity, opsdesk

ROWS = int(os.environ.get("OPSDESK_BENCH_BIG_IMPORT_ROWS", "1000080"))
SHOPS = 40


def test_entries_wait_for_a_million_row_import_without_failing(tmp_path: Path) -> None:
    days = ROWS // (SHOPS * 3)
    db, csv = import_workload(tmp_path, SHOPS, days)
    conn = open_store(db)
    day = store_ops_day(conn)
    started = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603
        opsdesk(db, "import", str(csv)), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    waits: list[float] = []
    locked: list[str] = []
    n = 0
    while proc.poll() is None:
        n += 1
        t0 = time.perf_counter()
        try:
            set_values(conn, "kill-00", day, {"gmv": float(n)})
        except sqlite3.OperationalError as e:
            locked.append(f"entry {n} at {t0 - started:.1f} s: {e}")
            n -= 1
        waits.append(time.perf_counter() - t0)
        time.sleep(0.2)
    took = time.perf_counter() - started
    output = proc.stdout.read().decode() if proc.stdout else ""
    print()
    print(
        f"{ROWS:,}-row import in {took:.1f} s; {len(waits)} entries meanwhile, longest wait "
        f"{max(waits, default=0):.2f} s, {len(locked)} failed with database is locked"
    )
    assert proc.returncode == 0, output
    assert locked == [], locked
    assert get_value(conn, "kill-00", "gmv", day) == float(n)
    rows = conn.execute("SELECT rows_new FROM imports").fetchall()
    assert [r[0] for r in rows] == [SHOPS * days * 3]
    conn.close()
    assert integrity(db) == "ok"
