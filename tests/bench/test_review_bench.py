"""Benchmark (make bench): the weekly review on the demo store with 10 shops × 5 years — the
agenda's first model (what area 7 shows when it opens: every item, the exceptions, statuses
and the change against the week before, from a few weeks of data), the full read model (the
6-12 windows and the summary row: what every pack format is built from), the Markdown pack
from it, and the monthly review. Figures are printed (wall and CPU time, median of 5); the
issue's budgets: the screen within the area-switch budget (100 ms), the md pack well under a
second."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from opsdesk.bootstrap import initialise
from opsdesk.demo import build_demo
from opsdesk.domain import periods
from opsdesk.reports.review_pack import payload, render_markdown
from opsdesk.store.db import open_store
from opsdesk.views.review import agenda, build_review

END = date(2026, 11, 29)


def _timed(run: Callable[[], Any], n: int = 5) -> tuple[float, float, Any]:
    """Median wall and CPU milliseconds of `run` over n runs, and its last result."""
    wall, cpu = [], []
    result = None
    for _ in range(n):
        t, c = time.perf_counter(), time.process_time()
        result = run()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000, result


def test_review_on_ten_shops_five_years(tmp_path: Path) -> None:
    path = tmp_path / "bench.sqlite"
    conn = initialise(path)
    build_demo(conn, shops=10, days=5 * 365 + 1, end=END)
    conn.close()
    conn = open_store(path)
    week = periods.parse("week", "2026-W48")
    month = periods.parse("month", "2026-10")

    first = _timed(lambda: agenda(build_review(conn, week, END, windows=False)))
    full = _timed(lambda: build_review(conn, week, END))
    review = full[2]
    pack = _timed(lambda: render_markdown(payload(review)))
    monthly = _timed(lambda: render_markdown(payload(build_review(conn, month, END))))
    assert pack[2].startswith("# Weekly review 2026-W48")
    assert monthly[2].startswith("# Monthly review 2026-10")
    assert len(review.deck) == 21 * 11 and review.windows and len(first[2]) > 8
    print(
        f"\nreview 10 shops x 5 years (ms, wall / CPU, median of 5):"
        f" agenda first {first[0]:.0f} / {first[1]:.0f},"
        f" full read model {full[0]:.0f} / {full[1]:.0f},"
        f" md pack from it {pack[0]:.0f} / {pack[1]:.0f},"
        f" monthly md pack {monthly[0]:.0f} / {monthly[1]:.0f}"
        f" ({len(review.deck)} deck entries)"
    )


def test_area_seven_switch_on_ten_shops_five_years(tmp_path: Path) -> None:
    """In a private tmux server at 120x40: the time from the key `7` to the review's agenda
    with its data on screen (its first model), the first visit and later ones."""
    import shutil

    import pytest

    if shutil.which("tmux") is None:
        pytest.skip("needs tmux")
    from test_ttfp_bench import EXPECT, OPSDESK, Tmux, compile_sources, demo_store, switch

    db = demo_store(tmp_path, 10, 5 * 365 + 1)
    compile_sources()
    tmux = Tmux(f"{OPSDESK} --db {db}", (120, 40))
    agenda_shown = r"Weekly review — .*Metric deck: \d+ metrics, \d+ exceptions"
    standup = r"Stand-up — .*Conversion +[0-9.]+%"
    try:
        tmux.wait_for(EXPECT, timeout=30)
        time.sleep(8.0)  # the areas are built in the background (slow on a busy machine)
        first = switch(tmux, "7", "Weekly review —", agenda_shown)
        time.sleep(3.0)  # the full model (6-12 windows) arrives
        later = []
        for _ in range(5):
            switch(tmux, "1", "Stand-up —", standup)
            time.sleep(0.3)
            later.append(switch(tmux, "7", "Weekly review —", agenda_shown))
            time.sleep(0.3)
    finally:
        tmux.close()
    print(
        f"\narea switch to the weekly review (7), 10 shops x 5 years: first visit painted"
        f" {first[0] * 1000:.0f} ms, agenda with its data {first[1] * 1000:.0f} ms; later visits"
        f" median {statistics.median(p for p, _ in later) * 1000:.0f} ms /"
        f" {statistics.median(d for _, d in later) * 1000:.0f} ms (tmux send/capture ~5 ms)"
    )
