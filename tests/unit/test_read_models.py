"""The read models the app's areas render, built and checked without Textual on a real store:
the checklists area (views.checklists), a run (views.checklist_run), the entry form
(views.entry). Store clock: Monday 2026-11-23 09:00 in Shanghai (the store's timezone)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest

from opsdesk.store import checklists, shops
from opsdesk.store.connection import current_user
from opsdesk.store.observations import set_value
from opsdesk.views.checklist_run import build_run
from opsdesk.views.checklists import build_checklists
from opsdesk.views.entry import build_entry

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


@pytest.fixture
def one_shop(conn: sqlite3.Connection) -> sqlite3.Connection:
    shops.add(conn, "jd-home", "JD home store", "jd")
    return conn


def test_the_checklists_area(one_shop: sqlite3.Connection) -> None:
    view = build_checklists(one_shop, TODAY, NOW)  # creates today's runs as it reads
    assert view.today == TODAY
    rows = {r.template_key: r for r in view.rows}
    assert len(view.rows) == 9
    ads = rows["daily-traffic-ads"]
    assert (ads.status, ads.title, ads.shop, ads.due, ads.progress, ads.state) == (
        "due",
        "Daily traffic & ads check",
        "jd-home",
        "2026-11-23 11:00",
        "░░░░░░░░ 0/11",
        "open",
    )
    drill = rows["risk-drill"]  # quarterly on the 15th: October's run is still open, overdue
    assert (drill.status, drill.shop, drill.due, drill.state) == (
        "overdue",
        "store",
        "2026-10-22 24:00",
        "open · overdue",
    )
    assert view.history["daily-traffic-ads"].splitlines()[0] == (
        "daily-traffic-ads: the last 28 days to 2026-11-23"
    )
    assert view.history["daily-traffic-ads"].splitlines()[2].endswith("○")  # today: open

    checklists.tick(one_shop, ads.run_id, 1, now=NOW)
    again = {r.template_key: r for r in build_checklists(one_shop, TODAY, NOW).rows}
    assert again["daily-traffic-ads"].progress == "█░░░░░░░ 1/11"


def test_a_run(one_shop: sqlite3.Connection) -> None:
    view = build_checklists(one_shop, TODAY, NOW)
    drill = next(r for r in view.rows if r.template_key == "risk-drill")
    checklists.tick(one_shop, drill.run_id, 1, now=datetime(2026, 11, 23, 1, 12, tzinfo=UTC))
    checklists.set_note(one_shop, drill.run_id, 1, "tabletop only")
    run = build_run(one_shop, drill.run_id, NOW)
    assert run.title == "Risk drill · store · 2026-10-15"
    assert run.summary == (
        "1/6 done · open · overdue · due 2026-10-22 24:00 · v1 · owner risk-owner"
    )
    assert run.closed is False
    first, second = run.rows[:2]
    assert (first.mark, first.who, first.note, first.overdue) == (
        "[x]",
        f"{current_user()} 2026-11-23 09:12",  # store time, not UTC
        "tabletop only",
        False,
    )
    assert (second.mark, second.step, second.who, second.overdue) == (
        "[ ]",
        "Owner and resources confirmed.",
        "OVERDUE (due 2026-10-22 24:00)",
        True,
    )


def test_the_entry_form(one_shop: sqlite3.Connection) -> None:
    set_value(one_shop, "jd-home", "visitors", TODAY, 480)
    form = build_entry(one_shop, TODAY, "no-such-shop")  # falls back to the first shop
    assert (form.shop_keys, form.shop_key, form.day) == (["jd-home"], "jd-home", TODAY)
    assert form.values == {"visitors": 480.0}
    keys = [m.key for m in form.metrics]
    assert keys[:3] == ["visitors", "paid_visitors", "buyers"]
    assert "conversion_rate" not in keys  # derived: computed, never typed


def test_entry_form_without_shops(conn: sqlite3.Connection) -> None:
    form = build_entry(conn, TODAY, None)
    assert (form.shop_keys, form.shop_key, form.values) == ([], None, {})


def test_every_read_model_builds_without_textual() -> None:
    code = (
        "import sys\n"
        "import opsdesk.views.checklists, opsdesk.views.checklist_run, opsdesk.views.entry\n"
        "import opsdesk.views.explorer, opsdesk.views.standup, opsdesk.views.standup_model\n"
        "import opsdesk.views.report, opsdesk.views.sections, opsdesk.views.ops_day\n"
        "print(sorted(m for m in ('textual', 'rich', 'plotext') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
