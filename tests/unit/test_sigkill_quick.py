"""A command killed at a random moment leaves the store whole, in `make test`: three SIGKILLs
of a 9,000-row import and of `demo --replace` (one shop, 60 days), each leaving the store exactly
as before or as after, `integrity_check` ok.

The ten-kill runs on a 300,000-row import and a 3-year demo are
`tests/bench/test_sigkill_bench.py`; the harness is `tests/proof_kills.py`.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from proof_kills import (
    assert_all_or_nothing,
    demo_workload,
    import_workload,
    kill_at_random,
    signature,
)

END = date(2026, 11, 22)


def test_signature_sees_one_changed_value(tmp_path: Path) -> None:
    template, _ = import_workload(tmp_path, 1, 2)
    before = signature(template)
    conn = sqlite3.connect(template)
    with conn:
        conn.execute("UPDATE shops SET name = 'Renamed' WHERE key = 'kill-00'")
    conn.close()
    after = signature(template)
    assert [t for t in before if before[t] != after[t]] == ["shops"]


def test_import_killed_three_times_is_all_or_nothing(tmp_path: Path) -> None:
    template, csv = import_workload(tmp_path, 3, 1000)
    kills = kill_at_random("import", template, ["import", str(csv)], 3, 5, tmp_path)
    assert_all_or_nothing(kills, 3)


def test_demo_replace_killed_three_times_is_all_or_nothing(tmp_path: Path) -> None:
    template = demo_workload(tmp_path, 1, 60, END)
    args = ["demo", "--replace", "--seed", "7", "--shops", "1", "--days", "60", "--end", str(END)]
    kills = kill_at_random("demo --replace", template, args, 3, 5, tmp_path)
    assert_all_or_nothing(kills, 3)
