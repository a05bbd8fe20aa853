"""Writes to a review's or stand-up's record that ask when someone else changed it meanwhile
(a note, the attendees, decisions, action items): the edit-conflict dialog
(opsdesk.tui.widgets.conflict_dialog) shows old → theirs → yours and the writer chooses — `m`
keep mine (replaces theirs; a decision or action is added after theirs), `t` take theirs (drops
mine), `e` edit mine (back to the text line with what was typed, now based on theirs). Never a
silent overwrite.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from rich.markup import escape
from textual.widgets import Input

from opsdesk.store.review import ConflictError
from opsdesk.tui.screens.area import AreaScreen
from opsdesk.tui.widgets.conflict_dialog import ConflictDialog

CHOICES = ("mine", "theirs", "edit")

Save = Callable[[sqlite3.Connection, int | None], str]
"""A write based on a version (None: no check) returning what to notify."""


class ChoosesOnConflict(AreaScreen):
    """An area screen whose writes to a review or stand-up record, when someone else changed
    it meanwhile, ask old → theirs → yours (ConflictDialog) instead of failing."""

    TEXT_LINE = ""
    """The id selector of the screen's one text line (`#review-input`)."""
    typing: str | None
    base: tuple[int, str]

    def _base_now(self, what: str) -> tuple[int, str]:
        """(version or last number seen, old text) of what `what` writes, as shown now."""
        raise NotImplementedError

    def _ask(
        self, what: str, placeholder: str, value: str = "", base: tuple[int, str] | None = None
    ) -> None:
        """The text line for `what`; the write is based on what is shown as typing starts."""
        field = self.query_one(self.TEXT_LINE, Input)
        self.typing = what
        self.base = base if base is not None else self._base_now(what)
        field.placeholder = placeholder
        field.value = value
        field.cursor_position = len(value)  # typing goes on from the end, replacing nothing
        field.display = True
        field.focus()

    def write_choosing(
        self, save: Save, based_on: int | None, old: str, edit: Callable[[Any], None]
    ) -> None:
        """Run `save(conn, based_on)` in a worker. On a conflict: ask; `mine` saves again
        based on theirs, `theirs` keeps theirs, `edit` calls `edit(conflict)` (the text line
        again, based on theirs)."""

        def action(conn: sqlite3.Connection) -> str:
            try:
                return save(conn, based_on)
            except ConflictError as c:
                self.app.call_from_thread(self._ask_conflict, c, save, old, edit)
                return escape(f"{c.what}: changed by {c.by or 'someone'} meanwhile")

        self.write(action)

    def _ask_conflict(
        self, c: ConflictError, save: Save, old: str, edit: Callable[[Any], None]
    ) -> None:
        def chosen(choice: str | None) -> None:
            if choice == "mine":
                self.write_choosing(save, c.version, c.theirs, edit)
            elif choice == "edit":
                edit(c)
            else:
                self.notify(escape(f"kept theirs: {c.theirs}"), timeout=4)

        dialog = ConflictDialog(c.what, c.as_conflict(old), self.ops.keymap, CHOICES)
        self.app.push_screen(dialog, chosen)
