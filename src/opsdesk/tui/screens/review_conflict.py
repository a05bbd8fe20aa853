"""The question asked when someone else changed a review or stand-up record since it was read
(a note, the attendees, decisions, action items): old → theirs → yours, and the writer chooses.

`y` keeps yours (replaces theirs; for decisions and actions adds yours after theirs), `t`
keeps theirs (drops yours), `e` puts yours back in the text line to edit. Never a silent
overwrite. Keys from the registry (`opsdesk.tui.commands`, scope "conflict"); it returns
"yours", "theirs" or "edit".
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from opsdesk.domain.text import visible
from opsdesk.tui import commands
from opsdesk.tui.screens.area import AreaScreen

CHOICES = ("yours", "theirs", "edit")


def conflict_text(what: str, old: str, theirs: str, by: str, yours: str, adds: bool) -> Text:
    """`note on gmv (all) 2026-W46 changed while you typed:` then old → theirs → yours."""
    text = Text(f"{visible(what)}: changed by {visible(by) or 'someone'} while you typed\n\n")
    if not adds:
        text.append("old:    ", style="bold")
        text.append(visible(old) or "(none)")
        text.append("\n")
    text.append("theirs: " if not adds else "theirs (added): ", style="bold")
    text.append(visible(theirs) or "(none)")
    text.append("\nyours:  " if not adds else "\nyours: ", style="bold")
    text.append(visible(yours) or "(none)")
    return text


class ConflictDialog(ModalScreen[str]):
    """old → theirs → yours; dismisses with one of `CHOICES`."""

    SCOPE = commands.CONFLICT
    BINDINGS = commands.bindings(commands.CONFLICT)

    def __init__(self, question: Text, keymap: dict[str, str] | None = None) -> None:
        super().__init__(id="conflict-dialog")
        self.question = question
        self.keymap = keymap or {}

    def compose(self) -> ComposeResult:
        with Vertical(id="conflict-box"):
            yield Label(self.question, id="conflict-question")
            with Horizontal(id="conflict-buttons"):
                for choice in CHOICES:
                    c = commands.BY_ID[f"conflict.{choice}"]
                    key = commands.key_label(commands.effective_key(c, self.keymap))
                    yield Button(f"{c.label or c.title} ({key})", id=f"conflict-{choice}")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss((event.button.id or "conflict-theirs").removeprefix("conflict-"))

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)


Save = Callable[[sqlite3.Connection, int | None], str]
"""A write based on a version (None: no check) returning what to notify."""


class ChoosesOnConflict(AreaScreen):
    """An area screen whose writes to a review or stand-up record, when someone else changed
    it meanwhile, ask old → theirs → yours (ConflictDialog) instead of failing."""

    def write_choosing(
        self, save: Save, based_on: int | None, old: str, edit: Callable[[Any], None]
    ) -> None:
        """Run `save(conn, based_on)` in a worker. On a conflict: ask; `yours` saves again
        based on theirs, `theirs` keeps theirs, `edit` calls `edit(conflict)` (the text line
        again, based on theirs)."""
        from opsdesk.store.review import ConflictError

        def action(conn: sqlite3.Connection) -> str:
            try:
                return save(conn, based_on)
            except ConflictError as c:
                self.app.call_from_thread(self._ask_conflict, c, save, old, edit)
                return escape(f"{c.what}: changed by {c.by or 'someone'} meanwhile")

        self.write(action)

    def _ask_conflict(self, c: Any, save: Save, old: str, edit: Callable[[Any], None]) -> None:
        adds = c.what.startswith(("decisions", "actions"))
        question = conflict_text(c.what, old, c.theirs, c.by, c.yours, adds)

        def chosen(choice: str | None) -> None:
            if choice == "yours":
                self.write_choosing(save, c.version, c.theirs, edit)
            elif choice == "edit":
                edit(c)
            else:
                self.notify(escape(f"kept theirs: {c.theirs}"), timeout=4)

        self.app.push_screen(ConflictDialog(question, self.ops.keymap), chosen)
