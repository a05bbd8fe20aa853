"""Keys typed faster than the app handles them still land in the field they were typed for:
the edit line moves between fields in the same queue as the characters it receives."""

from __future__ import annotations

from test_entry_screen import cell, open_entry
from textual import events

from conftest import wait_for
from opsdesk.tui.app import OpsdeskApp


async def test_keys_sent_at_once_fill_the_fields_in_order(app: OpsdeskApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_entry(app, pilot)
        # as a terminal delivers "50<Tab><Tab>7<Enter>9" read in one go: no pause between
        for key, char in [
            ("5", "5"),
            ("0", "0"),
            ("tab", "\t"),
            ("tab", "\t"),
            ("7", "7"),
            ("enter", "\r"),
            ("9", "9"),
        ]:
            app.post_message(events.Key(key, char))

        await wait_for(pilot, lambda: cell(screen, "orders", "typed") == "9")
        assert [cell(screen, k, "typed") for k in ("visitors", "paid_visitors", "buyers")] == [
            "50",
            "",
            "7",
        ]
