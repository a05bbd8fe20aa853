"""An action item typed on one line (the review's and the stand-up record's `a`)."""

from __future__ import annotations

from datetime import date

import pytest

from opsdesk.domain.action_line import parse_action


def test_text_owner_and_due_anywhere_on_the_line() -> None:
    assert parse_action("call the carrier @li.na 2026-12-04") == (
        "call the carrier",
        "li.na",
        date(2026, 12, 4),
    )
    assert parse_action("@wang.wei restock [b]SKU[/b]") == ("restock [b]SKU[/b]", "wang.wei", None)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("call the carrier 2026-12-04", "an action item needs an owner: add @login"),
        ("call @li.na 2026-13-40", "due: '2026-13-40' is not a date like 2026-12-04"),
        ("call @", "an action item needs an owner"),
    ],
)
def test_refused_with_the_reason(typed: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_action(typed)
