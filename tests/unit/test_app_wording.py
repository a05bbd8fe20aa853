"""The app's wording of refusals written for the CLI (opsdesk.tui.wording)."""

from __future__ import annotations

import pytest

from opsdesk.tui.wording import app_wording


@pytest.mark.parametrize(
    ("cli", "app"),
    [
        (
            "ID: the follow-up check of cycle 1 is due on 2026-12-09",
            "the follow-up check of cycle 1 is due on 2026-12-09",
        ),
        ("--due: 2026-11-02 is in the past (today is 2026-12-01)",
         "2026-11-02 is in the past (today is 2026-12-01)"),
        ("review 2026-W48 was closed by li.na (`opsdesk review reopen 2026-W48` first)",
         "review 2026-W48 was closed by li.na (opsdesk review reopen 2026-W48 first)"),
        ("next review: 'x' is not a date", "next review: 'x' is not a date"),  # not a CLI label
        ("cycle 3: --due-plan: x", "cycle 3: --due-plan: x"),  # only a leading label
    ],
)  # fmt: skip
def test_cli_labels_and_backticks_are_left_out(cli: str, app: str) -> None:
    assert app_wording(cli) == app
