"""The question asked before typed values would be lost: save, discard or stay.

Shown by the entry form when it is about to show another shop or day, and by the app when
it quits, while the form holds values typed but not saved. Its keys are the registry's
(`opsdesk.tui.commands`, scope "unsaved"); it returns "save", "discard" or "stay".
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from opsdesk.tui import commands

CHOICES = ("save", "discard", "stay")


class UnsavedDialog(ModalScreen[str]):
    """Asks what to do with unsaved typed values; dismisses with one of `CHOICES`."""

    SCOPE = commands.UNSAVED
    BINDINGS = commands.bindings(commands.UNSAVED)

    def __init__(self, question: str, keymap: dict[str, str] | None = None) -> None:
        super().__init__(id="unsaved-dialog")
        self.question = question
        self.keymap = keymap or {}

    def compose(self) -> ComposeResult:
        with Vertical(id="unsaved-box"):
            yield Label(self.question, markup=False, id="unsaved-question")
            with Horizontal(id="unsaved-buttons"):
                for choice in CHOICES:
                    c = commands.BY_ID[f"unsaved.{choice}"]
                    key = commands.key_label(commands.effective_key(c, self.keymap))
                    yield Button(
                        f"{c.title} ({key})",
                        id=f"unsaved-{choice}",
                        variant="primary" if choice == "save" else "default",
                    )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss((event.button.id or "unsaved-stay").removeprefix("unsaved-"))

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
