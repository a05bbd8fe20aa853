"""`opsdesk export`: the frames written as CSV, JSON and XLSX (read back with pandas), number
formats, formula neutralising, one sheet per shop, and bad input (exit 1, nothing written)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from opsdesk.cli import main
from opsdesk.frames import open_store
from opsdesk.store import checklists
from opsdesk.store.db import open_store as open_db

HOSTILE = '=HYPERLINK("http://x.example","click")'


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("exports") / "demo.sqlite"
    result = CliRunner().invoke(main, ["--db", str(path), "demo", "--shops", "2", "--days", "60"])
    assert result.exit_code == 0, result.output
    conn = open_db(path)
    try:
        run_id = conn.execute("SELECT id FROM sop_runs WHERE status = 'open' LIMIT 1").fetchone()[0]
        checklists.skip_run(conn, run_id, HOSTILE)
    finally:
        conn.close()
    return path


def _export(path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", str(path), "export", *args])
    return result.exit_code, result.output


def test_csv_is_the_frame(demo_path: Path) -> None:
    code, out = _export(demo_path, "observations", "--shop", "jd-home", "--from", "2026-01-01")
    assert code == 0, out
    back = pd.read_csv(io.StringIO(out))
    df = open_store(demo_path).observations(shops=["jd-home"])
    assert len(back) == len(df) == 60 * 24
    assert back["date"].tolist() == df["date"].dt.strftime("%Y-%m-%d").tolist()
    assert back["value"].tolist() == df["value"].tolist()
    assert set(back["shop"]) == {"jd-home"}


def test_json_kpis_match_the_frame(demo_path: Path) -> None:
    code, out = _export(demo_path, "kpis", "--grain", "month", "--format", "json")
    assert code == 0, out
    doc = json.loads(out)
    df = open_store(demo_path).kpis(grain="month")
    assert doc["what"] == "kpis" and doc["units"]["conversion_rate"] == "%"
    assert len(doc["rows"]) == len(df)
    first = doc["rows"][0]
    assert first["period"] == df["period"].iloc[0]
    assert first["start"] == df["start"].iloc[0].strftime("%Y-%m-%d")
    values = [r["value"] for r in doc["rows"]]
    assert values == [None if pd.isna(v) else v for v in df["value"]]


def test_xlsx_sheet_per_shop_read_back_with_formats(demo_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "kpis.xlsx"
    code, text = _export(
        demo_path, "kpis", "--grain", "week", "--format", "xlsx", "--output", str(out),
        "--sheet-per-shop",
    )  # fmt: skip
    assert code == 0, text
    sheets = pd.read_excel(out, sheet_name=None)
    assert list(sheets) == ["jd-home", "tmall-apparel", "all"]  # the store's order, all last
    df = open_store(demo_path).kpis(grain="week")
    jd = df[df["shop"] == "jd-home"].reset_index(drop=True)
    back = sheets["jd-home"]
    assert back["metric"].tolist() == jd["metric"].astype(str).tolist()
    # Excel keeps 15 significant digits
    assert back["value"].fillna(-1).tolist() == pytest.approx(
        jd["value"].fillna(-1).tolist(), rel=1e-14
    )
    assert back["start"].tolist() == jd["start"].tolist()
    ws = openpyxl.load_workbook(out)["jd-home"]
    header = [c.value for c in ws[1]]
    row_of = {ws.cell(i, header.index("metric") + 1).value: i for i in range(2, ws.max_row + 1)}
    value_col = header.index("value") + 1
    assert ws.cell(row_of["conversion_rate"], value_col).number_format == "0.00%"
    assert ws.cell(row_of["gmv"], value_col).number_format == "#,##0.00"
    assert ws.cell(row_of["visitors"], value_col).number_format == "#,##0"
    assert ws.cell(2, header.index("change") + 1).number_format == "+0.0%;-0.0%;0.0%"
    assert ws.cell(2, header.index("start") + 1).number_format == "yyyy-mm-dd"
    assert [p.name for p in tmp_path.iterdir()] == ["kpis.xlsx"]  # no temporary left


def test_formulas_are_written_as_text(demo_path: Path, tmp_path: Path) -> None:
    code, out = _export(demo_path, "checklists")
    assert code == 0
    back = pd.read_csv(io.StringIO(out))
    reasons = back["skip_reason"].dropna().tolist()
    assert [r for r in reasons if "HYPERLINK" in r] == ["'" + HOSTILE]
    assert "public holiday: shop paused" in reasons  # plain text as it is
    xlsx = tmp_path / "runs.xlsx"
    code, _ = _export(demo_path, "checklists", "--format", "xlsx", "--output", str(xlsx))
    assert code == 0
    ws = openpyxl.load_workbook(xlsx).active
    assert ws is not None
    header = [c.value for c in ws[1]]
    assert "completed_at (Asia/Shanghai)" in header
    col = header.index("skip_reason") + 1
    cells = [ws.cell(i, col) for i in range(2, ws.max_row + 1)]
    hostile = [c for c in cells if "HYPERLINK" in str(c.value)]
    assert [(c.value, c.data_type) for c in hostile] == [("'" + HOSTILE, "s")]
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["nope"], "WHAT: 'nope' is not one of observations, kpis"),
        (["observations", "--shop", "nope"], "shop: unknown shop 'nope'"),
        (["kpis", "--grain", "year"], "--grain: 'year' is not one of day, week, month"),
        (["observations", "--from", "2026-02-30"], "--from: day '2026-02-30'"),
        (["observations", "--format", "ods"], "--format: 'ods' is not one of csv, xlsx, json"),
        (["observations", "--format", "xlsx"], "--output: an XLSX export needs a file"),
        (["audit", "--sheet-per-shop", "--format", "xlsx", "--output", "OUT"], "no shop column"),
        (["observations", "--output", "/nonexistent-dir/x.csv"], "is not an existing directory"),
    ],
)
def test_bad_input_exits_1_and_writes_nothing(
    demo_path: Path, tmp_path: Path, args: list[str], reason: str
) -> None:
    previous = tmp_path / "OUT"
    previous.write_text("kept\n")
    args = [str(previous) if a == "OUT" else a for a in args]
    code, out = _export(demo_path, *args)
    assert code == 1
    assert reason in out
    assert [p.name for p in tmp_path.iterdir()] == ["OUT"]
    assert previous.read_text() == "kept\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["cycles", "--grain", "week"], "--grain: not for cycles (only kpis)"),
        (["targets", "--from", "2026-01-01"], "--from: not for targets (only observations, kpis,"
         " actions, cycles, checklists, audit)"),
        (["audit", "--to", "2026-01-01"], "--to: not for audit (only observations, kpis,"
         " actions, cycles, checklists)"),
        (["risks", "--shop", "jd-home"], "--shop: not for risks (only observations, kpis,"
         " checklists, cycles)"),
    ],
)  # fmt: skip
def test_an_option_that_does_not_apply_is_refused(
    demo_path: Path, args: list[str], message: str
) -> None:
    assert _export(demo_path, *args) == (1, f"Error: {message}\n")


def test_output_that_cannot_be_written(demo_path: Path, tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("x")
    code, out = _export(demo_path, "targets", "--output", str(a_file / "t.csv"))
    assert code == 1
    assert f"{a_file} is not an existing directory" in out
    code, out = _export(demo_path, "targets", "--output", str(tmp_path))
    assert code == 1
    assert "is a directory" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
