"""A store this login may only read: the app says so once, shows everything, and a write key
says why it did nothing (OPSDESK_READ_ONLY stands in for file permissions: tests run as root)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable

from conftest import make_app, toasts, wait_for
from opsdesk.clock import Clock


async def test_read_only_is_said_once_and_a_write_key_says_why(
    tiny_store: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSDESK_READ_ONLY", "1")
    before = tiny_store.read_bytes()
    app = make_app(tiny_store, clock)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause(0.3)
        shown = toasts(app)
        assert len([t for t in shown if "is read-only here" in t]) == 1, shown
        alerts = app.screen.query_one("#alert-table", DataTable)
        assert alerts.row_count == 1  # everything is shown
        alerts.focus()
        await pilot.press("a")
        # the refusal comes back as the store's error notification, saying why
        await wait_for(
            pilot,
            lambda: any(t.startswith("Store") and "is read-only here" in t for t in toasts(app)),
            15,
        )
        assert "0 open" not in str(app.screen.query_one("#alerts-title").render())
    assert tiny_store.read_bytes() == before
