"""Stand-up sections registered by other modules: shown in order, escaped, errors contained."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date

import pytest
from textual.widgets import Static

from conftest import wait_for
from opsdesk.tui.app import OpsdeskApp
from opsdesk.views import sections


def shops_section(conn: sqlite3.Connection, day: date) -> list[sections.SectionLine]:
    keys = [r[0] for r in conn.execute("SELECT key FROM shops ORDER BY key")]
    return [sections.SectionLine("todo", f"check {k} for {day.isoformat()}") for k in keys] + [
        sections.SectionLine("overdue", "[bold]not markup[/bold]")
    ]


def broken(conn: sqlite3.Connection, day: date) -> list[sections.SectionLine]:
    raise RuntimeError("the table is missing")


@pytest.fixture
def registered() -> Iterator[None]:
    sections.register(sections.Section("zz-broken", "Broken section", 99, broken))
    sections.register(sections.Section("aa-shops", "Today's shop checks", 10, shops_section))
    yield
    sections.unregister("zz-broken")
    sections.unregister("aa-shops")


def section_texts(app: OpsdeskApp) -> list[str]:
    """The texts of this test's sections (other modules may register their own)."""
    texts = [str(s.render()) for s in app.screen.query(".standup-section").results(Static)]
    return [t for t in texts if t.startswith(("Today's shop checks", "Broken section"))]


async def test_registered_sections_show_in_order_and_a_failure_stays_in_its_section(
    registered: None, app: OpsdeskApp
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: len(section_texts(app)) == 2)
        assert section_texts(app) == [
            "Today's shop checks\n○ check jd-home for 2026-11-21\n○ check tmall-apparel for "
            "2026-11-21\n✗ [bold]not markup[/bold]",
            "Broken section\n✗ RuntimeError: the table is missing",
        ]
        # the KPIs are unaffected
        assert "▶ All shops" in str(app.screen.query_one("#shop-bar", Static).render())


def test_only_registered_sections_are_listed(registered: None) -> None:
    mine = [s.key for s in sections.available() if s.key in ("aa-shops", "zz-broken")]
    assert mine == ["aa-shops", "zz-broken"]
    sections.unregister("aa-shops")
    assert "aa-shops" not in [s.key for s in sections.available()]
