"""Benchmark (make bench): the weekly review on the demo store with 10 shops × 5 years — the
read model (what area 7 and every pack format are built from) and the Markdown pack. Figures
are printed; the issue's budgets: the screen within the area-switch budget (100 ms), the md
pack well under a second."""

from __future__ import annotations

import statistics
import time
from datetime import date
from pathlib import Path

from opsdesk.bootstrap import initialise
from opsdesk.demo import build_demo
from opsdesk.domain import periods
from opsdesk.reports.review_pack import payload, render_markdown
from opsdesk.store.db import open_store
from opsdesk.views.review import build_review

END = date(2026, 11, 29)


def test_review_on_ten_shops_five_years(tmp_path: Path) -> None:
    path = tmp_path / "bench.sqlite"
    conn = initialise(path)
    build_demo(conn, shops=10, days=5 * 365 + 1, end=END)
    conn.close()
    conn = open_store(path)
    week = periods.parse("week", "2026-W48")
    model, pack = [], []
    for _ in range(3):
        started = time.perf_counter()
        review = build_review(conn, week, END)
        built = time.perf_counter()
        text = render_markdown(payload(review))
        model.append(built - started)
        pack.append(time.perf_counter() - built)
    assert text.startswith("# Weekly review 2026-W48")
    print(
        f"\nreview 10 shops x 5 years: read model median {statistics.median(model) * 1000:.0f} ms,"
        f" md pack from it {statistics.median(pack) * 1000:.0f} ms"
        f" ({len(review.deck)} deck entries)"
    )
