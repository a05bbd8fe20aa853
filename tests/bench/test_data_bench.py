"""Benchmarks (make bench): exporting the observations of a 10 shops × 5 years demo store to CSV
and XLSX, and search over 100,000 checklist notes (English and Chinese).

Figures are printed, not asserted. Each export runs once (the XLSX one takes a while).
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date
from pathlib import Path

from opsdesk import exports
from opsdesk.demo import build_demo
from opsdesk.frames import open_store as open_frames
from opsdesk.store.db import initialise, open_store
from opsdesk.views.search import find

END = date(2026, 11, 21)
WORDS = (
    "paid share conversion refund courier warehouse campaign banner coupon price stock "
    "review rating traffic budget keyword livestream 库存 差评 周转 物流 退款 大促 直通车 "
    "客服 转化率 复购 优惠券 主图 详情页"
).split()


def test_export_observations_ten_shops_five_years(tmp_path: Path) -> None:
    path = tmp_path / "bench.sqlite"
    conn = initialise(path)
    started = time.perf_counter()
    summary = build_demo(conn, shops=10, days=5 * 365 + 1, end=END)
    conn.close()
    print(f"\nstore: {summary.values:,} values built in {time.perf_counter() - started:.1f} s")
    frames = open_frames(path)
    started = time.perf_counter()
    df = frames.observations()
    read = time.perf_counter() - started
    assert len(df) == summary.values
    print(f"observations(): {len(df):,} rows in {read:.2f} s")
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"observations.{fmt}"
        started = time.perf_counter()
        exports.write(frames.observations(), fmt, out)
        took = time.perf_counter() - started
        size = out.stat().st_size / 1e6
        print(f"export observations --format {fmt}: {took:.1f} s (read + write), {size:.1f} MB")


def test_search_on_100000_notes(tmp_path: Path) -> None:
    path = tmp_path / "bench.sqlite"
    conn = initialise(path)
    build_demo(conn, shops=2, days=60, end=END)
    run_id = conn.execute("SELECT min(id) FROM sop_runs").fetchone()[0]
    rng = random.Random(14)
    notes = [
        (run_id, 1000 + i, "step", " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14))))
        for i in range(100_000)
    ]
    started = time.perf_counter()
    with conn:
        conn.executemany(
            "INSERT INTO sop_run_items (run_id, position, text, note) VALUES (?, ?, ?, ?)", notes
        )
    built = time.perf_counter() - started
    docs = conn.execute("SELECT count(*) FROM search_docs WHERE kind = 'notes'").fetchone()[0]
    assert docs == 100_000
    print(f"\n100,000 notes inserted and indexed by the triggers in {built:.1f} s")
    conn.close()
    conn = open_store(path)
    for query in ("refund", "paid share", "优惠券", "转化率", "库存", "差评 物流", "zzzz-none"):
        times = []
        for _ in range(5):
            started = time.perf_counter()
            rows = find(conn, query, limit=50)
            times.append(time.perf_counter() - started)
        how = "fts" if all(len(w) >= 3 for w in query.split()) else "scan"
        print(
            f"search {query!r} ({how}): {len(rows)} hits, median"
            f" {statistics.median(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms"
        )
    conn.close()
