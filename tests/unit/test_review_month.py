"""The monthly review (`opsdesk report review --month`): the same structure as the weekly one
— the month against target, last month and last year, quarter and year to date, the 6-12
windows ending with the month — plus the risks re-scored in the month; bad months refused."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from review_data import fill

from opsdesk.cli import main
from opsdesk.cli import review as review_cli
from opsdesk.domain import periods
from opsdesk.domain.risks import Score
from opsdesk.store import risks
from opsdesk.views.review import build_review, resolve_month

NOV = periods.parse("month", "2026-11")
OPS_DAY = date(2026, 12, 1)


@pytest.fixture
def month_store(conn: sqlite3.Connection) -> sqlite3.Connection:
    fill(conn)
    risks.load_seed(conn, date(2026, 10, 1))
    risks.rescore(conn, "price-war", Score(4, 4), None, "competitor cut 20%", date(2026, 11, 20))
    conn.execute(  # the store stamps the wall clock: put the re-scoring in November
        "UPDATE risk_reviews SET at = '2026-11-20T02:00:00+00:00' WHERE kind = 'score'"
    )
    conn.commit()
    return conn


def test_month_summary_windows_and_rescored_risks(month_store: sqlite3.Connection) -> None:
    r = build_review(month_store, NOV, OPS_DAY)
    gmv = r.entry("gmv", "tmall-apparel")
    assert gmv.summary == {
        "month": 15 * 8000.0 + 7 * 9680.0,
        "month_prev": 600.0,  # 2026-10: one day
        "month_ly": 2050.0,  # 2025-11
        "qtd": 600.0 + 15 * 8000.0 + 7 * 9680.0,
        "qtd_ly": 2050.0,
        "ytd": 600.0 + 15 * 8000.0 + 7 * 9680.0,
        "ytd_ly": 2050.0,
    }
    assert gmv.change("mom").text() == "+31193.3%"
    # target: 9,000 a day over the month's 30 days
    assert (gmv.target, gmv.status) == (270000.0, "red")
    # 12 months ending with the month, 6 weeks ending with its last complete week (W48 ends
    # 2026-11-29)
    assert [p.key for p in gmv.months][-1] == "2026-11" and len(gmv.months) == 12
    assert [p.key for p in gmv.weeks] == [f"2026-W{n}" for n in range(43, 49)]
    # action items as they stood at the month's last weekly review (2026-W48)
    from opsdesk.store import review as review_store

    review_store.add_action(
        month_store, "2026-W47", date(2026, 11, 23), "Call the carrier", "li.na", None
    )
    r = build_review(month_store, NOV, OPS_DAY)
    assert [(a["from_week"], a["text"], a["status"]) for a in r.actions] == [
        ("2026-W47", "Call the carrier", "open")
    ]
    rescored = [(x.key, x.detail) for x in r.risks if x.what == "re-scored"]
    assert len(rescored) == 1 and rescored[0][0] == "price-war"
    assert rescored[0][1].startswith("2026-11-20: inherent 9 → 16 (")  # residual unchanged


def test_month_pack_and_bad_months(
    month_store: sqlite3.Connection, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(review_cli, "_ops_day", lambda conn: OPS_DAY)

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, ["--db", str(store_path), "report", "review", *args])
        return result.exit_code, result.output

    code, out = run("--month", "2026-11", "--format", "json")
    assert code == 0, out
    data = json.loads(out)
    assert data["month"] == {"key": "2026-11", "start": "2026-11-01", "end": "2026-11-30"}
    entry = next(e for e in data["deck"] if e["metric"] == "gmv" and e["shop"] == "all")
    assert list(entry["summary"]) == [
        "month",
        "month_prev",
        "month_ly",
        "qtd",
        "qtd_ly",
        "ytd",
        "ytd_ly",
    ]
    assert list(entry["changes"]) == ["mom", "yoy", "qtd_yoy", "ytd_yoy"]
    code, md = run("--month", "2026-11")
    assert code == 0 and md.startswith("# Monthly review 2026-11 (2026-11-01 … 2026-11-30)")
    assert "| Metric | Shop | Month | MoM | YoY | QTD | QTD YoY | YTD YoY | Target |" in md
    assert "- re-scored: **price-war**" in md
    import pandas as pd

    book = store_path.parent / "nov.xlsx"
    code, out = run("--month", "2026-11", "--format", "xlsx", "--output", str(book))
    assert code == 0, out
    deck = pd.read_excel(book, sheet_name="Deck")
    row = deck[(deck["metric"] == "gmv") & (deck["shop"] == "tmall-apparel")].iloc[0]
    assert (row["month"], row["month_prev"], row["month_ly"]) == (187760, 600, 2050)
    assert row["change_mom"] == pytest.approx(187760 / 600 - 1)
    code, _ = run("--month")  # bare: the last complete month
    assert code == 0
    assert resolve_month(None, OPS_DAY).key == "2026-11"
    code, out = run("--month", "2026-12")
    assert code == 1 and "month 2026-12: not over yet" in out
    code, out = run("--month", "2026-13")
    assert code == 1 and "expected a month like 2026-11" in out
    code, out = run("--month", "2026-03")
    assert code == 1 and "month 2026-03 (2026-03-01…2026-03-31): no data for any shop" in out
    code, out = run("--month", "2026-11", "--week", "2026-W47")
    assert code != 0 and "give one" in out
