"""Benchmark (figures, not a timed test): the PDCA board (`5`) and a cycle screen (Enter) on
the demo store (3 shops x 3 years) with 200 cycles, from the key to the screen painted with
its data, in a private tmux server at 120x40 (budget: the area-switch budget, 100 ms).

Run with `pytest tests/bench/test_pdca_bench.py -s`; needs tmux, skips cleanly without it.
"""

from __future__ import annotations

import statistics
import time
from datetime import date, timedelta
from pathlib import Path

from test_ttfp_bench import EXPECT, OPSDESK, Tmux, compile_sources, demo_store, pytestmark

from opsdesk.store import pdca
from opsdesk.store.db import open_store

__all__ = ["pytestmark"]
CYCLES = 200


def add_cycles(db: Path) -> int:
    """Fill the demo's twelve cycles up to CYCLES: at Plan, and every fourth one in Check."""
    conn = open_store(db)
    try:
        shops = [r[0] for r in conn.execute("SELECT key FROM shops ORDER BY id")]
        end = date.fromisoformat(conn.execute("SELECT max(day) FROM observations").fetchone()[0])
        today = end + timedelta(days=1)
        metrics = ("conversion_rate", "visitors", "aov", "gmv", "roas")
        n = conn.execute("SELECT count(*) FROM pdca_cycles").fetchone()[0]
        for i in range(n, CYCLES):
            baseline = (end - timedelta(days=60), end - timedelta(days=33))
            c = pdca.open_cycle(
                conn,
                today=today,
                title=f"Bench cycle {i}",
                metric_key=metrics[i % len(metrics)],
                shop_key=shops[i % len(shops)],
                owner="li.na",
                baseline=baseline,
            )
            if i % 4 == 0:
                pdca.edit(conn, c.id, today=today, hypothesis="h", plan="p")
                pdca.add_action(conn, c.id, "a", "li.na", None)
                pdca.move(conn, c.id, "do", today=today)
                pdca.edit(conn, c.id, today=today, change_date=end - timedelta(days=20))
                pdca.move(conn, c.id, "check", today=today)
        return int(conn.execute("SELECT count(*) FROM pdca_cycles").fetchone()[0])
    finally:
        conn.close()


def timed(tmux: Tmux, keys: list[str], pattern: str) -> float:
    start = time.perf_counter()
    for key in keys:
        tmux.run("send-keys", "-t", "app", key)
    tmux.wait_for(pattern)
    return time.perf_counter() - start


def test_board_and_cycle_screen(tmp_path: Path) -> None:
    db = demo_store(tmp_path, 3, 1096)
    assert add_cycles(db) == CYCLES
    compile_sources()
    board: list[float] = []
    plan_cycle: list[float] = []
    check_cycle: list[float] = []
    chart: list[float] = []
    checklists: list[float] = []
    # started after a pause, so the app starts at the pane's size (120x40), not tmux's default
    tmux = Tmux(f"sleep 0.5; {OPSDESK} --db {db}", (120, 40))
    try:
        tmux.wait_for(EXPECT)
        time.sleep(2.5)  # the areas' screens are built in the background
        for round_ in range(6):
            board.append(timed(tmux, ["5"], r"PDCA board — .*Plan \(\d+\).*#\d+ "))
            time.sleep(0.3)
            if round_ == 0:
                plan_cycle.append(timed(tmux, ["Enter"], r"PDCA cycle — .*no change date"))
                time.sleep(0.3)
                tmux.run("send-keys", "-t", "app", "Escape")
                time.sleep(0.3)
                tmux.run("send-keys", "-t", "app", "Tab", "Tab")  # to the Check column (kept)
                time.sleep(0.6)  # a person reads the card: its cycle is read ahead meanwhile
            start = time.perf_counter()
            check_cycle.append(timed(tmux, ["Enter"], r"PDCA cycle — .*suggested verdict"))
            tmux.wait_for(r"after the change \(")
            chart.append(time.perf_counter() - start)
            time.sleep(0.3)
            tmux.run("send-keys", "-t", "app", "Escape")  # alone: Escape+1 would read as alt+1
            time.sleep(0.3)
            tmux.run("send-keys", "-t", "app", "1")
            time.sleep(0.5)
            # the same machine's area switch, for reference (its budget is the same 100 ms)
            checklists.append(timed(tmux, ["4"], r"Checklists — .*(done on time|open|missed)"))
            time.sleep(0.5)
    finally:
        tmux.close()
    print(f"\npdca cycle at Plan (Enter), first open: {plan_cycle[0] * 1000:.0f} ms")
    for name, figures in (
        ("board (5)", board),
        ("cycle in Check, fields and check text (Enter)", check_cycle),
        ("cycle in Check, its chart drawn too (Enter)", chart),
        ("area switch to checklists (4), for reference", checklists),
    ):
        print(
            f"\npdca {name}, {CYCLES} cycles: first {figures[0] * 1000:.0f} ms, later median "
            f"{statistics.median(figures[1:]) * 1000:.0f} ms (max {max(figures[1:]) * 1000:.0f});"
            " key to painted with data, tmux ~5 ms included"
        )
