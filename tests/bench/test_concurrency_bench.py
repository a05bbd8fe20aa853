"""Benchmark and proof: 20 operators writing one store at once lose nothing.

20 writers (each its own process and, run as root, its own login) and 4 readers work on one
SQLite file for OPSDESK_BENCH_SECONDS (default 20; the README figure is from a 60 s run):
checklist runs and ticks, imports, manual entries, targets, PDCA cycles and stage moves,
action items, risks (add, score, review, drill), weekly-review notes, decisions and meeting
notes, while the readers build the stand-up, the risk register, the PDCA board and today's
checklists. Afterwards every write each writer recorded is in the store as written, the
audit trail holds exactly each login's events, within each call's time, no process saw
"database is locked" (or any other error) and `PRAGMA integrity_check` is ok.
(`tests/proof_writers.py` has the workload; `tests/unit/test_concurrency_quick.py` runs a
small version in `make test`.) OPSDESK_BENCH_WRITERS and OPSDESK_BENCH_READERS change the
numbers of processes; OPSDESK_BENCH_PAUSE is a writer's think time between writes (0 to
twice it, default 0.1 s; 0 floods the store from tight loops). Run by `make bench`.
"""

from __future__ import annotations

import os

from proof_writers import assert_nothing_lost, run

SECONDS = float(os.environ.get("OPSDESK_BENCH_SECONDS", "20"))
WRITERS = int(os.environ.get("OPSDESK_BENCH_WRITERS", "20"))
READERS = int(os.environ.get("OPSDESK_BENCH_READERS", "4"))
PAUSE = float(os.environ.get("OPSDESK_BENCH_PAUSE", "0.1"))


def test_twenty_writers_and_readers_lose_nothing() -> None:
    outcome, _ = run(WRITERS, READERS, SECONDS, PAUSE)
    print()
    print(outcome.summary())
    assert_nothing_lost(outcome, WRITERS)
