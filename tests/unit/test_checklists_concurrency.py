"""Two real processes on one store file: ticking the same run, creating runs, seeing each other."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from opsdesk.store import audit, checklists, shops
from opsdesk.store.connection import current_user
from opsdesk.store.db import open_store

DAY = date(2026, 11, 23)

# Each worker opens its own connection, waits for a shared start instant, then acts.
WORKER = """
import json, sys, time
from datetime import date
from opsdesk.store import checklists
from opsdesk.store.db import open_store

db, start_at, action = sys.argv[1], float(sys.argv[2]), sys.argv[3]
args = json.loads(sys.argv[4])
conn = open_store(db)
while time.time() < start_at:
    time.sleep(0.001)
out = []
if action == "tick":
    for position in args["items"]:
        change = checklists.tick(conn, args["run"], position)
        out.append([position, change.changed])
elif action == "ensure":
    out.append(checklists.ensure_runs(conn, date.fromisoformat(args["day"])).created)
elif action == "watch":
    # poll until item 1 of the run is ticked by the other session; report how long it took
    while True:
        item = checklists.get_run(conn, args["run"]).items[0]
        if item.state == "done":
            out.append(time.time() - start_at)
            break
        if time.time() - start_at > 10:
            out.append(None)
            break
        time.sleep(0.01)
print(json.dumps(out))
"""


def _spawn(db: Path, start_at: float, action: str, args: dict[str, object]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(db), str(start_at), action, json.dumps(args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(p: subprocess.Popen) -> list:
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    return list(json.loads(out))


def _store_with_a_run(store_path: Path) -> int:
    conn = open_store(store_path)
    shops.add(conn, "tmall-a", "Tmall A", "tmall")
    checklists.ensure_runs(conn, DAY)
    run = checklists.history(conn, "cs-aftersales-queue", DAY, DAY, shop_key="tmall-a")[0]
    conn.close()
    return run.id


def test_two_processes_ticking_one_run_lose_nothing(store_path: Path) -> None:
    run_id = _store_with_a_run(store_path)
    items = list(range(1, 16))  # 15 items; both tick all of them, in opposite orders
    start_at = time.time() + 1.5
    a = _spawn(store_path, start_at, "tick", {"run": run_id, "items": items})
    b = _spawn(store_path, start_at, "tick", {"run": run_id, "items": items[::-1]})
    ra, rb = _result(a), _result(b)
    assert len(ra) == len(rb) == 15  # every tick call succeeded in both sessions
    changed = [p for p, c in ra if c] + [p for p, c in rb if c]
    assert sorted(changed) == items  # each item ticked exactly once; the other saw it done
    conn = open_store(store_path)
    run = checklists.get_run(conn, run_id)
    assert (run.status, run.done, run.total) == ("done", 15, 15)
    assert {i.changed_by for i in run.items} == {current_user()}
    ticks = [len(audit.events_for(conn, "sop_run_item", f"{run_id}/{p}")) for p in items]
    assert ticks == [1] * 15
    slot = conn.execute("SELECT slot FROM sop_runs WHERE id = ?", (run_id,)).fetchone()[0]
    assert [e["action"] for e in audit.events_for(conn, "sop_run", slot)] == ["create", "done"]
    conn.close()


def test_two_processes_ensuring_runs_create_each_run_once(store_path: Path) -> None:
    conn = open_store(store_path)
    shops.add(conn, "tmall-a", "Tmall A", "tmall")
    shops.add(conn, "jd-b", "JD B", "jd")
    conn.close()
    start_at = time.time() + 1.5
    procs = [_spawn(store_path, start_at, "ensure", {"day": "2026-11-23"}) for _ in range(2)]
    created = [_result(p)[0] for p in procs]
    assert sorted(created) == [0, 15]
    conn = open_store(store_path)
    assert conn.execute("SELECT count(*) FROM sop_runs").fetchone()[0] == 15
    conn.close()


def test_a_session_sees_the_other_sessions_tick_within_two_seconds(store_path: Path) -> None:
    run_id = _store_with_a_run(store_path)
    start_at = time.time() + 1.5
    watcher = _spawn(store_path, start_at, "watch", {"run": run_id})
    ticker = _spawn(store_path, start_at + 0.5, "tick", {"run": run_id, "items": [1]})
    assert _result(ticker) == [[1, True]]
    (seen_after,) = _result(watcher)
    assert seen_after is not None and seen_after < 0.5 + 2.0
