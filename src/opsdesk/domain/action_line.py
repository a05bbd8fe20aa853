"""An action item typed on one line, as the weekly review and the stand-up's record take it:
`what to do @owner 2026-12-04` (the owner required, the due date optional); and the reason
a meeting's item is dropped (required)."""

from __future__ import annotations

from datetime import date


def parse_action(typed: str) -> tuple[str, str, date | None]:
    """`what to do @owner 2026-12-04` → (text, owner, due); ValueError without an owner."""
    words, owner, due = [], "", None
    for word in typed.split():
        if word.startswith("@") and len(word) > 1:
            owner = word[1:]
        elif len(word) == 10 and word[4] == "-" and word[7] == "-":
            try:
                due = date.fromisoformat(word)
            except ValueError:
                raise ValueError(f"due: {word!r} is not a date like 2026-12-04") from None
        else:
            words.append(word)
    if not owner:
        raise ValueError("an action item needs an owner: add @login")
    return " ".join(words), owner, due


MEETING_KINDS = ("standup", "review")
"""Where an action item is dropped in front of others, so it must say why."""


def drop_reason(reason: str, field: str = "reason") -> str:
    """Why a meeting's action item is dropped, stripped; ValueError naming `field` when empty
    (a dropped item keeps its row and says why)."""
    reason = reason.strip()
    if not reason:
        raise ValueError(f"{field}: say why the action item is dropped (it may not be empty)")
    return reason
