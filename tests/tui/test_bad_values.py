"""The corpus of bad values: each refused with the same reason by the importer, the command line
and the entry form, and the store left as it was.

Every case is a value typed for one metric of tmall-apparel on the ops day of the tiny store
(visitors 1140, buyers 54, paid visitors 250, ad clicks 400, ad impressions 10 000 stored), so
the cross-metric rules meet the day's stored values.
"""

from __future__ import annotations

import csv
import hashlib
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_entry_screen import cell, open_entry
from test_entry_screen import reason as shown_reason
from textual import events
from textual.keys import _character_to_key
from textual.pilot import Pilot
from textual.widgets import Input

from conftest import OPS_DAY, toasts, wait_for
from opsdesk.cli import main
from opsdesk.io.importer import ImportRejected, parse_file
from opsdesk.store import imports
from opsdesk.store.db import open_store
from opsdesk.tui.app import OpsdeskApp

SHOP = "tmall-apparel"

CORPUS: list[tuple[str, str, str]] = [
    # (metric, value as written or typed, the reason every path gives)
    ("gmv", "¥", "'¥' is not a number"),
    ("gmv", "%", "'%' is not a number"),
    ("gmv", "-", "'-' is not a number"),
    ("gmv", "abc", "'abc' is not a number"),
    ("gmv", "1,2,3", "'1,2,3' is not a number (misplaced thousands separator)"),
    ("orders", "-2", "'-2' is negative"),
    ("visitors", "nan", "'nan' is not a number"),
    ("buyers", "12.5", "Buyers is a count: 12.5 is not a whole number"),
    ("dsr", "7", "DSR score is a score from 0 to 5: 7 is off the scale"),
    (
        "gmv",
        "9" * 300,
        "GMV: 1e+300 is beyond any plausible value for an amount in CNY (at most 100,000,000,000)",
    ),
    (
        "ad_impressions",
        "1e11",
        "Ad impressions: 1e+11 is beyond any plausible value for a count (at most 10,000,000,000)",
    ),
    ("buyers", "2000", "Buyers 2000 is more than Visitors 1140 (buyers ≤ visitors)"),
    (
        "ad_clicks",
        "20,000",
        "Ad clicks 20000 is more than Ad impressions 10000 (ad_clicks ≤ ad_impressions)",
    ),
    ("visitors", "100", "Paid visitors 250 is more than Visitors 100 (paid_visitors ≤ visitors)"),
]
IDS = [f"{metric}={text[:8]}" for metric, text, _ in CORPUS]


def long_file(tmp_path: Path, metric: str, text: str) -> Path:
    path = tmp_path / "bad.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["date", "shop", "metric", "value"])
        out.writerow([OPS_DAY.isoformat(), SHOP, metric, text])
    return path


async def type_text(app: OpsdeskApp, pilot: Pilot[None], text: str) -> None:
    """Type `text` key by key. Pilot cannot press `¥` (it finds no character for the key
    name `yen_sign`), so those keys are sent as the terminal driver sends them."""
    for c in text:
        if c.isascii():
            await pilot.press(c)
        else:
            app.post_message(events.Key(_character_to_key(c), c))
            await pilot.pause()


def store_bytes(db: Path) -> str:
    """The store's files (database and write-ahead log), hashed."""
    digest = hashlib.sha256(db.read_bytes())
    wal = db.with_name(db.name + "-wal")
    if wal.exists():
        digest.update(wal.read_bytes())
    return digest.hexdigest()


def store_content(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def values_content(db: Path) -> list[tuple[object, ...]]:
    """The stored values and their audit trail: what a refused entry must leave alone (the
    app's own bookkeeping, today's SOP runs and risk triggers, may land at any moment)."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT * FROM observations ORDER BY 1").fetchall()
        audit = conn.execute(
            "SELECT * FROM audit_events WHERE object_type = 'observation' ORDER BY id"
        ).fetchall()
        return [*rows, *audit]
    finally:
        conn.close()


@pytest.mark.parametrize(("metric", "text", "reason"), CORPUS, ids=IDS)
def test_the_importer_refuses(
    tiny_store: Path, tmp_path: Path, metric: str, text: str, reason: str
) -> None:
    path = long_file(tmp_path, metric, text)
    conn = open_store(tiny_store)
    try:
        with pytest.raises(ImportRejected) as rejected:
            parse_file(path, imports.read_catalogue(conn))
    finally:
        conn.close()
    [problem] = rejected.value.problems
    assert (problem.line, problem.column) == (2, "value")
    assert problem.reason.startswith(reason)


@pytest.mark.parametrize(("metric", "text", "reason"), CORPUS, ids=IDS)
def test_the_command_line_refuses(
    tiny_store: Path, tmp_path: Path, metric: str, text: str, reason: str
) -> None:
    path = long_file(tmp_path, metric, text)
    runner = CliRunner()
    # a first command makes today's checklist runs (every command does), then the checkpoint
    assert runner.invoke(main, ["--db", str(tiny_store), "import", "list"]).exit_code == 0
    conn = sqlite3.connect(tiny_store)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = store_bytes(tiny_store)
    result = runner.invoke(main, ["--db", str(tiny_store), "import", str(path)])
    assert result.exit_code == 2, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"Error: {path}: rejected, 1 problem; nothing was imported"
    assert lines[1].startswith(f"{path}:2: column 'value': {reason}")
    assert store_bytes(tiny_store) == before


@pytest.mark.parametrize(("metric", "text", "reason"), CORPUS, ids=IDS)
async def test_the_entry_form_refuses(
    app: OpsdeskApp, tiny_store: Path, metric: str, text: str, reason: str
) -> None:
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await open_entry(app, pilot)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: screen.sub_title == f"{SHOP} · {OPS_DAY.isoformat()}")
        await wait_for(pilot, lambda: screen.data is not None and screen.data.shop_key == SHOP)
        before = values_content(tiny_store)
        assert screen.data is not None
        keys = [m.key for m in screen.data.metrics]
        await pilot.press(*["tab"] * keys.index(metric))
        assert screen.metric is not None and screen.metric.key == metric
        await pilot.press("ctrl+u")
        await type_text(app, pilot, text)
        assert screen.query_one("#entry-value", Input).value == text
        assert shown_reason(screen) == f"✗ {reason}"
        assert cell(screen, metric, "check") == f"✗ {reason}"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any(t.startswith("Not saved") for t in toasts(app)))
        assert [t for t in toasts(app) if t.startswith("Not saved")] == [
            f"Not saved: 1 field(s) refused — {reason}"
        ]
        assert app.is_running and app.screen is screen
    assert values_content(tiny_store) == before
