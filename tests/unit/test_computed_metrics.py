"""Computed metrics do not depend on what a process happens to have imported: each one loads in
a fresh process that imports only the store and the explorer view (issue 8 §2)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from opsdesk.demo import build_demo
from opsdesk.domain.kpis import COMPUTED_METRICS
from opsdesk.store.computed import PROVIDERS
from opsdesk.store.db import open_store

END = date(2026, 11, 22)

FRESH = """
import json, sys
from datetime import date
from opsdesk.store.db import open_store
from opsdesk.store.observations import load_daily

conn = open_store(sys.argv[1], migrate=False)
end = date.fromisoformat(sys.argv[2])
metric = sys.argv[3]
values = load_daily(conn, date(2026, 10, 1), end)  # the store alone: no view imported yet
total = sum(row.get(metric, 0.0) for row in values.values())
checklists_imported = "opsdesk.store.checklists" in sys.modules
from opsdesk.views.explorer import load_explorer
series = load_explorer(conn, end, metric, None).series[0].values
print(json.dumps({"total": total, "series": series, "checklists_imported": checklists_imported}))
"""


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from opsdesk.bootstrap import initialise

    path = tmp_path_factory.mktemp("computed") / "demo.sqlite"
    conn = initialise(path)
    build_demo(conn, shops=2, days=40, end=END)
    conn.close()
    return path


def _fresh(path: Path, metric: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", FRESH, str(path), END.isoformat(), metric],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded: dict[str, object] = json.loads(out.stdout)
    return loaded


def test_the_providers_cover_exactly_the_domains_computed_metrics() -> None:
    assert frozenset().union(*(p.keys for p in PROVIDERS)) == COMPUTED_METRICS


@pytest.mark.parametrize("metric", sorted(COMPUTED_METRICS))
def test_each_computed_metric_loads_in_a_fresh_process(demo_store: Path, metric: str) -> None:
    got = _fresh(demo_store, metric)
    assert got["checklists_imported"] is False  # nothing registered it by being imported
    conn = open_store(demo_store)
    try:
        from opsdesk.store.observations import load_daily
        from opsdesk.views.explorer import load_explorer

        values = load_daily(conn, date(2026, 10, 1), END)
        expected_total = sum(row.get(metric, 0.0) for row in values.values())
        expected_series = load_explorer(conn, END, metric, None).series[0].values
    finally:
        conn.close()
    assert expected_total > 0  # the demo has done and missed runs
    assert got["total"] == expected_total
    assert got["series"] == expected_series


def test_adherence_series_in_a_fresh_process(demo_store: Path) -> None:
    """The explorer's `sop_adherence` series (on time / due) is not empty in a fresh process
    (before, it was until something imported opsdesk.views)."""
    got = _fresh(demo_store, "sop_adherence")
    series = got["series"]
    assert isinstance(series, list)
    present = [v for v in series if v is not None]
    assert len(present) >= 30 and all(0.0 <= v <= 1.0 for v in present)
