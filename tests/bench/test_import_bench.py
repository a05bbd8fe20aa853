"""Benchmark: importing a generated 1,000,000-row long CSV against the floor of the same work.

The floor reads the same file with the csv module, maps shop and metric keys to ids with two
dicts and inserts every row with one `executemany` in one transaction into the observations
table of a fresh store with the same schema and connection settings. Our import also
validates every cell (dates, numbers, duplicates), compares with the stored values, records
the import and writes through an upsert. Each side runs on its own fresh copy of the store,
interleaved, three times; the figure is the median ratio (budget: 1.5×). Run by `make bench`.
"""

from __future__ import annotations

import csv
import shutil
import sqlite3
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from opsdesk.bootstrap import initialise
from opsdesk.domain.validation import CROSS_RULES, not_entered
from opsdesk.io.importer import parse_file
from opsdesk.store import imports, shops
from opsdesk.store.catalogue import load_metrics
from opsdesk.store.connection import connect

SHOPS = 10
DAYS = 4170
METRICS = 24
RUNS = 3
BUDGET = 1.5


@pytest.fixture(scope="module")
def workload(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    """A template store with the shops, and the long CSV (shop × base metric × day)."""
    tmp = tmp_path_factory.mktemp("import-bench")
    template = tmp / "template.sqlite"
    conn = initialise(template)
    for i in range(SHOPS):
        shops.add(conn, f"shop-{i:02d}", f"Shop {i}", "tmall")
    metrics = [m for m in load_metrics(conn).values() if not_entered(m) is None][:METRICS]
    base = [m.key for m in metrics]
    units = [m.unit for m in metrics]
    wholes = {r.whole for r in CROSS_RULES}
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    path = tmp / "daily_long.csv"
    start = date(2015, 1, 1)
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["date", "shop", "metric", "value"])
        for d in range(DAYS):
            day = (start + timedelta(days=d)).isoformat()
            for i in range(SHOPS):
                for j, key in enumerate(base):
                    # plausible values (opsdesk.domain.validation): whole counts, a part
                    # never above its whole (buyers ≤ visitors), scores from 0 to 5
                    value = (d * 7 + i * 13 + j * 31) % 5000
                    if units[j] == "count":
                        text = str(value + (10_000 if key in wholes else 0))
                    elif units[j] == "score":
                        text = f"{value % 500 / 100:.2f}"
                    else:
                        text = f"{value / 4:.2f}"
                    out.writerow([day, f"shop-{i:02d}", key, text])
                    rows += 1
    return template, path, rows


def floor_import(db: Path, csv_path: Path) -> int:
    """The same work done plainly: csv module, two lookups, one executemany, one transaction."""
    conn = connect(db)
    shop_ids = {r[0]: r[1] for r in conn.execute("SELECT key, id FROM shops")}
    metric_ids = {r[0]: r[1] for r in conn.execute("SELECT key, id FROM metrics")}
    with csv_path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        rows = [(shop_ids[s], metric_ids[m], d, float(v)) for d, s, m, v in reader]
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT INTO observations (shop_id, metric_id, day, value) VALUES (?, ?, ?, ?)", rows
    )
    conn.execute("COMMIT")
    conn.close()
    return len(rows)


def our_import(db: Path, csv_path: Path) -> int:
    conn = connect(db)
    plan = parse_file(csv_path, imports.read_catalogue(conn))
    result = imports.apply(conn, plan)
    conn.close()
    return result.diff.new


def timed(fn: Callable[[Path, Path], int], template: Path, csv_path: Path, tmp: Path) -> float:
    db = tmp / f"run-{time.monotonic_ns()}.sqlite"
    shutil.copyfile(template, db)
    t0 = time.perf_counter()
    fn(db, csv_path)
    elapsed = time.perf_counter() - t0
    db.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return elapsed


def test_import_of_a_million_rows_against_the_floor(
    workload: tuple[Path, Path, int], tmp_path: Path
) -> None:
    template, csv_path, rows = workload
    # Correctness first: both sides store every row.
    check = tmp_path / "check.sqlite"
    shutil.copyfile(template, check)
    assert our_import(check, csv_path) == rows
    conn = sqlite3.connect(check)
    assert conn.execute("SELECT count(*) FROM observations").fetchone()[0] == rows
    conn.close()
    # A re-import of the same file compares every row and writes nothing.
    t0 = time.perf_counter()
    assert our_import(check, csv_path) == 0
    again = time.perf_counter() - t0
    conn = connect(check)
    t0 = time.perf_counter()
    assert imports.undo(conn, 1).deleted == rows
    undo_time = time.perf_counter() - t0
    conn.close()

    floors, ours, ratios = [], [], []
    for _ in range(RUNS):
        f = timed(floor_import, template, csv_path, tmp_path)
        o = timed(our_import, template, csv_path, tmp_path)
        floors.append(f)
        ours.append(o)
        ratios.append(o / f)
    ratio = statistics.median(ratios)
    f_med, o_med = statistics.median(floors), statistics.median(ours)
    print(
        f"\nimport bench: {rows:,} rows ({SHOPS} shops × {DAYS} days × {rows // SHOPS // DAYS}"
        f" metrics), {RUNS} interleaved runs"
        f"\n  floor (csv + executemany): median {f_med:.2f} s, {rows / f_med:,.0f} rows/s"
        f"   runs: {', '.join(f'{t:.2f}' for t in floors)}"
        f"\n  opsdesk import:            median {o_med:.2f} s, {rows / o_med:,.0f} rows/s"
        f"   runs: {', '.join(f'{t:.2f}' for t in ours)}"
        f"\n  ratio (median of per-run ratios): {ratio:.2f}× (budget {BUDGET}×)"
        f"   per run: {', '.join(f'{r:.2f}' for r in ratios)}"
        f"\n  re-import of the same file (all {rows:,} unchanged, nothing written): {again:.2f} s"
        f"\n  undo of the import ({rows:,} added rows removed): {undo_time:.2f} s"
    )
