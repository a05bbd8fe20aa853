"""The edit conflict: what you read (old) → what was saved meanwhile (theirs) → what you
typed (yours), field by field, and who changed it when; you choose `m` keep mine (saved over
theirs, on the version shown) or `t` take theirs (what you typed is dropped). Never a silent
overwrite. Keys from the registry (scope "conflict"); dismisses with "mine" or "theirs" (or
"edit", `e`, where the screen offers it: back to the text line with what was typed).
`save_checked` runs a screen's save and asks when it meets a conflict.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, Protocol

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label

from opsdesk.domain.text import visible
from opsdesk.store.versioning import Conflict, EditConflict
from opsdesk.tui import commands

CHOICES = ("mine", "theirs")


def _shown(value: Any) -> str:
    return "—" if value is None or value == "" else visible(str(value))


class ConflictDialog(ModalScreen[str]):
    """Old → theirs → yours for each field changed underneath; "mine" or "theirs"."""

    SCOPE = commands.CONFLICT
    BINDINGS = commands.bindings(commands.CONFLICT)

    def __init__(
        self,
        what: str,
        conflict: Conflict,
        keymap: dict[str, str] | None = None,
        choices: tuple[str, ...] = CHOICES,
    ):
        super().__init__(id="conflict-dialog")
        self.what = what
        self.conflict = conflict
        self.keymap = keymap or {}
        self.choices = choices

    def compose(self) -> ComposeResult:
        c = self.conflict
        said = f"{visible(self.what)} was changed by {visible(c.by)} at {c.at} since you read it."
        with Vertical(id="conflict-box"):
            yield Label(
                Text(said),
                id="conflict-question",
            )
            table: DataTable[Any] = DataTable(id="conflict-table", cursor_type="none")
            table.add_columns("Field", "Old", "Theirs", "Yours")
            for f in c.fields:
                table.add_row(
                    Text(visible(f)),
                    Text(_shown(c.old[f])),
                    Text(_shown(c.theirs[f])),
                    Text(_shown(c.yours[f])),
                )
            yield table
            with Horizontal(id="conflict-buttons"):
                for choice in self.choices:
                    command = commands.BY_ID[f"conflict.{choice}"]
                    key = commands.key_label(commands.effective_key(command, self.keymap))
                    yield Button(
                        f"{command.title} ({key})",
                        id=f"conflict-{choice}",
                        variant="primary" if choice == "mine" else "default",
                    )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss((event.button.id or "conflict-theirs").removeprefix("conflict-"))

    def action_choose(self, choice: str) -> None:
        if choice in self.choices:
            self.dismiss(choice)


class _Writer(Protocol):
    app: Any

    def write(self, action: Callable[[sqlite3.Connection], str], reload: bool = True) -> None: ...

    def reload(self) -> None: ...

    def notify(self, message: str, *, timeout: float | None = None) -> None: ...


def save_checked(
    screen: _Writer,
    what: str,
    save: Callable[[sqlite3.Connection, int], str],
    based_on: int,
) -> None:
    """Run `save(conn, based_on)` in the screen's write worker; when the record changed
    underneath (EditConflict), ask old → theirs → yours: "keep mine" saves again on the
    version shown, "take theirs" drops what was typed and reloads."""

    def change(conn: sqlite3.Connection) -> str:
        try:
            return save(conn, based_on)
        except EditConflict as e:
            screen.app.call_from_thread(_ask, screen, what, save, e.conflict)
            return f"{what}: not saved yet, it changed meanwhile"

    screen.write(change)


def _ask(
    screen: _Writer, what: str, save: Callable[[sqlite3.Connection, int], str], c: Conflict
) -> None:
    def chosen(choice: str | None) -> None:
        if choice == "mine":
            save_checked(screen, what, save, c.version)
        else:
            screen.notify(f"Kept what {c.by} saved; yours was dropped", timeout=4)
            screen.reload()

    screen.app.push_screen(ConflictDialog(what, c, getattr(screen.app, "keymap", {})), chosen)
