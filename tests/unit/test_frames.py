"""opsdesk.frames on a real demo store: kpis() equals `opsdesk report … --format json` cell by
cell, observations are the stored rows, and dates, categoricals and units are as documented."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from opsdesk.cli import main
from opsdesk.frames import StoreFrames, open_store
from opsdesk.store.db import open_store as open_db
from opsdesk.store.targets import set_target

KPI_CELLS = ("value", "previous", "change", "last_year", "change_year", "target")


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("frames") / "demo.sqlite"
    result = CliRunner().invoke(main, ["--db", str(path), "demo", "--shops", "2", "--days", "90"])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def frames(demo_path: Path) -> StoreFrames:
    return open_store(demo_path)


def _report_json(path: Path, grain: str, key: str) -> dict:
    command = {"day": "daily", "week": "weekly", "month": "monthly"}[grain]
    option = {"day": "--date", "week": "--week", "month": "--month"}[grain]
    result = CliRunner().invoke(
        main, ["--db", str(path), "report", command, option, key, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _cell(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 6)


@pytest.mark.parametrize(("grain", "n"), [("week", 3), ("month", 2), ("day", 2)])
def test_kpis_equal_the_report_json_cell_by_cell(
    frames: StoreFrames, demo_path: Path, grain: str, n: int
) -> None:
    end = frames.today()
    start = end - timedelta(days={"day": 1, "week": 14, "month": 32}[grain])
    df = frames.kpis(grain=grain, start=start, end=end)
    keys = list(df["period"].cat.categories)
    assert len(keys) >= n
    compared = 0
    for key in keys:
        report = _report_json(demo_path, grain, key)
        rows = df[df["period"] == key]
        for shop in [*report["shops"], report["total"]]:
            for m in shop["metrics"]:
                row = rows[(rows["shop"] == shop["shop"]) & (rows["metric"] == m["key"])]
                assert len(row) == 1, (key, shop["shop"], m["key"])
                got = row.iloc[0]
                assert [_cell(got[c]) for c in KPI_CELLS] == [m[c] for c in KPI_CELLS]
                assert got["status"] == m["status"]
                compared += 1
    assert compared == len(df)
    assert compared >= n * 3 * 20  # two shops and all, every metric of the catalogue


def test_kpis_types_units_and_filters(frames: StoreFrames) -> None:
    df = frames.kpis(grain="week", metrics=["conversion_rate", "gmv"], shops=["tmall-apparel"])
    assert list(df.columns) == [
        "period", "start", "end", "shop", "metric", "value", "previous", "change",
        "last_year", "change_year", "target", "status",
    ]  # fmt: skip
    assert len(df) == 8 * 2 * 2  # 8 weeks by default × (the shop, all) × 2 metrics
    assert str(df["start"].dtype) == "datetime64[ns]"
    assert isinstance(df["shop"].dtype, pd.CategoricalDtype)
    assert list(df["shop"].cat.categories) == ["tmall-apparel", "all"]
    assert list(df["metric"].cat.categories) == ["gmv", "conversion_rate"]
    assert list(df["status"].cat.categories) == ["red", "amber", "stale", "green", "none"]
    assert df.attrs["units"] == {"gmv": "CNY", "conversion_rate": "%"}
    # "all" over one shop is that shop: the same numbers
    a = df[df["shop"] == "all"]["value"].to_numpy()
    b = df[df["shop"] == "tmall-apparel"]["value"].to_numpy()
    assert list(a) == list(b)


def test_observations_are_the_stored_rows(frames: StoreFrames, demo_path: Path) -> None:
    end = frames.today()
    df = frames.observations(shops=["jd-home"], metrics=["gmv", "visitors"], start=end)
    conn = open_db(demo_path)
    try:
        stored = conn.execute(
            "SELECT m.key, o.value FROM observations o JOIN shops s ON s.id = o.shop_id"
            " JOIN metrics m ON m.id = o.metric_id WHERE s.key = 'jd-home' AND o.day = ?"
            " AND m.key IN ('gmv', 'visitors') ORDER BY m.id",
            (end.isoformat(),),
        ).fetchall()
        count = conn.execute("SELECT count(*) FROM observations").fetchone()[0]
    finally:
        conn.close()
    assert list(df.columns) == ["date", "shop", "metric", "value", "import_id"]
    assert [(r.metric, r.value) for r in df.itertuples()] == [tuple(r) for r in stored]
    assert len(stored) == 2
    assert (df["date"] == pd.Timestamp(end)).all()
    assert df["import_id"].isna().all()  # the demo writes no import
    assert df.attrs["units"] == {"visitors": "count", "gmv": "CNY"}
    everything = frames.observations()
    assert len(everything) == count == 2 * 90 * 24  # 24 recorded metrics (not sop_due…)


def test_bad_arguments_are_named(frames: StoreFrames, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="shop: unknown shop 'nope'"):
        frames.observations(shops=["nope"])
    with pytest.raises(ValueError, match="metric: 'gmv_per_buyer' is computed|unknown metric"):
        frames.observations(metrics=["gmv_per_buyer"])
    with pytest.raises(ValueError, match="grain: 'year'"):
        frames.kpis(grain="year")
    with pytest.raises(ValueError, match="start: day '2026-13-01'"):
        frames.kpis(start="2026-13-01")
    with pytest.raises(FileNotFoundError, match="no store there"):
        open_store(tmp_path / "missing.sqlite")


def test_targets_checklists_and_audit(frames: StoreFrames, demo_path: Path) -> None:
    conn = open_db(demo_path)
    try:
        t = set_target(conn, "conversion_rate", 0.05, shop_key="jd-home", amber=0.005)
    finally:
        conn.close()
    targets = frames.targets()
    mine = targets[targets["id"] == t.id].iloc[0]
    assert (mine["metric"], mine["shop"], mine["value"], mine["amber"]) == (
        "conversion_rate", "jd-home", 0.05, 0.005,
    )  # fmt: skip
    assert pd.isna(mine["valid_from"]) and pd.isna(mine["valid_to"])
    runs = frames.checklist_runs()
    assert len(runs) > 0
    assert set(runs["status"].unique()) <= {"open", "done", "missed", "skipped"}
    assert str(runs["completed_at"].dt.tz) == "Asia/Shanghai"
    audit = frames.audit(since=date.today() - timedelta(days=1))
    last = audit.iloc[-1]
    assert (last["object_type"], last["action"]) == ("target", "create")
    assert str(audit["at"].dt.tz) == "Asia/Shanghai"
    assert frames.audit(since=date.today() + timedelta(days=2)).empty


def test_risks_are_the_register(frames: StoreFrames, demo_path: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(demo_path), "risk", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    listed = listed["risks"] if isinstance(listed, dict) else listed
    df = frames.risks()
    assert sorted(df["key"]) == sorted(r["key"] for r in listed)
    for r in listed:
        row = df[df["key"] == r["key"]].iloc[0]
        assert (row["score"], row["level"]) == (r["inherent"]["score"], r["inherent"]["level"])
        assert (row["residual_score"], row["residual_level"]) == (
            r["residual"]["score"], r["residual"]["level"],
        )  # fmt: skip
        assert row["next_review"].strftime("%Y-%m-%d") == r["next_review"]
        assert bool(row["overdue"]) == r["overdue"]
    assert list(df["level"].cat.categories) == ["low", "medium", "high"]
    assert len(df) >= 10
