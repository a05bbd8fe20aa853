"""`frames.actions()` and `frames.cycles()` against `opsdesk pdca … --format json` cell by cell,
and `opsdesk export actions|cycles` (CSV, JSON, XLSX read back; formulas written as text)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from opsdesk.cli import main
from opsdesk.frames import StoreFrames, open_store
from opsdesk.store import pdca
from opsdesk.store.db import open_store as open_db

FORMULA = '=HYPERLINK("http://x.example","click")'


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's twelve cycles (2 shops, 130 days), one action item starting like a formula."""
    path = tmp_path_factory.mktemp("frames-pdca") / "demo.sqlite"
    result = CliRunner().invoke(main, ["--db", str(path), "demo", "--shops", "2", "--days", "130"])
    assert result.exit_code == 0, result.output
    conn = open_db(path)
    try:
        first = pdca.list_cycles(conn)[0]
        pdca.add_action(conn, first.id, FORMULA, "li.na", None)
    finally:
        conn.close()
    return path


@pytest.fixture(scope="module")
def frames(demo_path: Path) -> StoreFrames:
    return open_store(demo_path)


def _json(path: Path, *args: str) -> object:
    result = CliRunner().invoke(main, ["--db", str(path), *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _day(x: object) -> str | None:
    return None if pd.isna(x) else x.strftime("%Y-%m-%d")  # type: ignore[attr-defined]


def _num(x: object) -> object:
    return None if pd.isna(x) else x  # type: ignore[arg-type]


def test_cycles_are_pdca_list_and_check_cell_by_cell(frames: StoreFrames, demo_path: Path) -> None:
    df = frames.cycles()
    listed = _json(demo_path, "pdca", "list", "--all")
    assert isinstance(listed, list) and len(listed) == 12
    assert df["id"].tolist() == [c["id"] for c in listed]  # stage order, then id
    checked = 0
    for c in listed:
        row = df[df["id"] == c["id"]].iloc[0]
        assert (row["title"], row["stage"], row["metric"], row["owner"]) == (
            c["title"], c["stage"], c["metric"], c["owner"],
        )  # fmt: skip
        assert _num(row["shop"]) == c["shop"]
        assert (int(row["days_in_stage"]), bool(row["overdue"])) == (
            c["days_in_stage"], c["overdue"],
        )  # fmt: skip
        assert (_day(row["baseline_start"]), _day(row["baseline_end"])) == (
            c["baseline"]["start"], c["baseline"]["end"],
        )  # fmt: skip
        assert _num(row["baseline_value"]) == c["baseline"]["value"]
        assert (_num(row["decision"]), row["lesson"]) == (c["decision"], c["lesson"])
        assert _day(row["change_date"]) == c["change_date"]
        assert _day(row["follow_up_on"]) == c["follow_up_on"]
        if c["change_date"] is None:
            assert pd.isna(row["before"]) and pd.isna(row["verdict"])
            continue
        check = _json(demo_path, "pdca", "check", str(c["id"]))
        assert isinstance(check, dict)
        assert (_num(row["before"]), _num(row["after"])) == (
            check["before"]["value"], check["after"]["value"],
        )  # fmt: skip
        assert int(row["days_compared"]) == check["before"]["days"] == check["after"]["days"]
        assert (_num(row["difference"]), _num(row["change"])) == (
            check["change"], check["change_relative"],
        )  # fmt: skip
        assert _num(row["target_met"]) == check["target_met"]
        assert row["signals"] == ", ".join(s["rule"] for s in check["signals"])
        assert (row["verdict"], row["rules"]) == (check["verdict"], check["rules"])
        checked += 1
    assert checked >= 4
    assert list(df["stage"].cat.categories) == ["plan", "do", "check", "act", "closed"]
    assert str(df["stage_since"].dt.tz) == "Asia/Shanghai"
    assert df.attrs["units"]["conversion_rate"] == "%"
    opened = df["opened_on"].min()
    assert len(frames.cycles(start=opened.date())) == 12
    jd = frames.cycles(shops=["jd-home"])
    assert set(jd["shop"].astype(object)) == {"jd-home"} and 0 < len(jd) < 12
    with pytest.raises(ValueError, match="shop: unknown shop 'nope'"):
        frames.cycles(shops=["nope"])


def test_actions_are_the_cycles_action_items(frames: StoreFrames, demo_path: Path) -> None:
    df = frames.actions()
    shown = []
    for c in _json(demo_path, "pdca", "list", "--all"):  # type: ignore[union-attr]
        detail = _json(demo_path, "pdca", "show", str(c["id"]))
        assert isinstance(detail, dict)
        shown += [
            (f"pdca/{c['id']}/{a['number']}", a["text"], a["owner"], a["due"], a["status"])
            for a in detail["actions"]
        ]
    rows = [(r.key, r.text, r.owner, _day(r.due), r.status) for r in df.itertuples(index=False)]
    assert sorted(rows) == sorted(shown) and len(rows) >= 10
    open_items = frames.actions(open=True)
    closed = frames.actions(open=False)
    assert set(open_items["status"]) == {"open"} and "open" not in set(closed["status"])
    assert len(open_items) + len(closed) == len(df)
    late = open_items[open_items["overdue_days"].notna()]
    assert len(late) > 0 and (late["overdue_days"] >= 0).all()
    assert list(df["status"].cat.categories) == ["open", "done", "dropped"]
    assert str(df["created_at"].dt.tz) == "Asia/Shanghai"


def test_export_actions_and_cycles(demo_path: Path, tmp_path: Path) -> None:
    runner = CliRunner()

    def export(*args: str) -> str:
        result = runner.invoke(main, ["--db", str(demo_path), "export", *args])
        assert result.exit_code == 0, result.output
        return result.output

    back = pd.read_csv(io.StringIO(export("actions")), keep_default_na=False)
    frame = open_store(demo_path).actions()
    assert back["key"].tolist() == frame["key"].tolist()
    assert "'" + FORMULA in back["text"].tolist()  # a spreadsheet shows it as text
    doc = json.loads(export("cycles", "--format", "json"))
    cycles = open_store(demo_path).cycles()
    assert doc["what"] == "cycles" and [r["id"] for r in doc["rows"]] == cycles["id"].tolist()
    assert [r["before"] for r in doc["rows"]] == [_num(x) for x in cycles["before"]]
    out = tmp_path / "cycles.xlsx"
    export("cycles", "--format", "xlsx", "--output", str(out))
    sheet = pd.read_excel(out)
    assert sheet["id"].tolist() == cycles["id"].tolist()
    ws = openpyxl.load_workbook(out)["cycles"]
    header = [c.value for c in ws[1]]
    conversion = next(  # a conversion cycle with a Check
        i for i in range(2, ws.max_row + 1)
        if ws.cell(i, header.index("metric") + 1).value == "conversion_rate"
        and ws.cell(i, header.index("change") + 1).value is not None
    )  # fmt: skip
    assert ws.cell(conversion, header.index("baseline_value") + 1).number_format == "0.00%"
    assert ws.cell(conversion, header.index("change") + 1).number_format == "+0.0%;-0.0%;0.0%"
    jd = json.loads(export("cycles", "--shop", "jd-home", "--format", "json"))["rows"]
    assert {r["shop"] for r in jd} == {"jd-home"}
    result = runner.invoke(main, ["--db", str(demo_path), "export", "actions", "--shop", "x"])
    assert (result.exit_code, result.output) == (
        1,
        "Error: --shop: not for actions (only observations, kpis, checklists, cycles)\n",
    )
