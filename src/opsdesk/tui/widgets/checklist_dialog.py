"""A one-line text dialog for a checklist item: a skip reason or a note."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from opsdesk.domain.text import visible


class ChecklistTextDialog(ModalScreen[str | None]):
    """Asks for a line of text; Enter returns it (stripped), Escape returns None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, prompt: str, value: str = "", *, required: bool = False) -> None:
        super().__init__()
        self.prompt = prompt
        self.value = value
        self.required = required

    def compose(self) -> ComposeResult:
        with Vertical(id="checklist-dialog"):
            # stored text (a note, a risk's field) is shown, never obeyed by the terminal
            yield Label(visible(self.prompt), markup=False)
            yield Input(value=visible(self.value), id="checklist-dialog-input")
            yield Label("enter: save · escape: cancel", classes="dim")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if self.required and not text:
            self.notify("A reason is required.", severity="warning", timeout=3)
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
