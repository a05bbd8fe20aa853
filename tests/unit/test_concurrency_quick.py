"""Many operators, one store, in `make test`: 4 writers covering every write type and a
reader for 3 seconds lose nothing, see no "database is locked", leave an intact store; and
the check sees a lost row and a lost audit event (it can fail).

The 20-writer run with its figures is `tests/bench/test_concurrency_bench.py`; the workload
and the checks are `tests/proof_writers.py`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from proof_writers import assert_nothing_lost, run


def _lose_a_note_and_an_event(db: Path) -> None:
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "UPDATE metric_notes SET note = note || ' (changed)'"
            " WHERE id = (SELECT max(id) FROM metric_notes)"
        )
        conn.execute(
            "DELETE FROM audit_events WHERE id ="
            " (SELECT max(id) FROM audit_events WHERE object_type = 'target')"
        )
    conn.close()


def test_four_writers_and_a_reader_lose_nothing_and_the_check_sees_a_loss() -> None:
    outcome, tampered = run(4, 1, 3.0, 0.01, tamper=_lose_a_note_and_an_event)
    assert_nothing_lost(outcome, 4)
    assert tampered is not None
    assert len(tampered.lost) == 1 and tampered.lost[0].startswith("review note: metric_notes")
    assert len(tampered.audit_mismatches) == 1
    assert "audited" in tampered.audit_mismatches[0]
