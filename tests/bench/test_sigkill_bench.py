"""Benchmark and proof: a command killed at any moment leaves the store whole.

SIGKILL at OPSDESK_BENCH_KILLS (default 10) random points of two commands, each run as its
own process on a fresh copy of the store: `opsdesk import` of a generated long CSV of
OPSDESK_BENCH_IMPORT_ROWS rows (default 300,000: 20 shops × 5,000 days × 3 metrics) and
`opsdesk demo --replace` of a 3-shop, 3-year demo store. Half the kills land anywhere in
the run, half inside the write transaction (a random time after the command takes the
store's write lock). After every kill the store is exactly as before or exactly as after
the command (every table's rows, timestamps aside) and `PRAGMA integrity_check` is ok.
OPSDESK_BENCH_SEED picks the kill points (default 13).
(`tests/proof_kills.py` has the harness; `tests/unit/test_sigkill_quick.py` runs a small
version in `make test`.) Run by `make bench`.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from proof_kills import assert_all_or_nothing, demo_workload, import_workload, kill_at_random

KILLS = int(os.environ.get("OPSDESK_BENCH_KILLS", "10"))
SEED = int(os.environ.get("OPSDESK_BENCH_SEED", "13"))
ROWS = int(os.environ.get("OPSDESK_BENCH_IMPORT_ROWS", "300000"))
SHOPS = 20
END = date(2026, 11, 22)


def test_import_killed_anywhere_is_all_or_nothing(tmp_path: Path) -> None:
    template, csv = import_workload(tmp_path, SHOPS, ROWS // (SHOPS * 3))
    kills = kill_at_random("import", template, ["import", str(csv)], KILLS, SEED, tmp_path)
    print()
    print(f"{ROWS:,} rows: {kills.summary()}")
    assert_all_or_nothing(kills, KILLS, some_inside=True)


def test_demo_replace_killed_anywhere_is_all_or_nothing(tmp_path: Path) -> None:
    template = demo_workload(tmp_path, 3, 1096, END)
    args = ["demo", "--replace", "--seed", "7", "--days", "1096", "--end", str(END)]
    kills = kill_at_random("demo --replace", template, args, KILLS, SEED, tmp_path)
    print()
    print(kills.summary())
    assert_all_or_nothing(kills, KILLS, some_inside=True)
