"""The review dialog of a risk: a note (required) and the next review date (optional)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class RiskReviewDialog(ModalScreen[tuple[str, str] | None]):
    """Returns (note, next review text — empty for today + cadence), or None on escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, key: str, default_next: str) -> None:
        super().__init__()
        self.key = key
        self.default_next = default_next

    def compose(self) -> ComposeResult:
        with Vertical(id="risk-review-dialog"):
            yield Label(f"Review of {self.key}: what was looked at and decided", markup=False)
            yield Input(id="review-note", placeholder="note (required)")
            yield Label(f"Next review (empty: {self.default_next})", markup=False)
            yield Input(id="review-next", placeholder="YYYY-MM-DD")
            yield Label("enter: next field / save · escape: cancel", classes="dim")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        note = self.query_one("#review-note", Input).value.strip()
        if event.input.id == "review-note":
            if not note:
                self.notify("A review needs a note.", severity="warning", timeout=3)
                return
            self.query_one("#review-next", Input).focus()
            return
        if not note:
            self.query_one("#review-note", Input).focus()
            return
        self.dismiss((note, self.query_one("#review-next", Input).value.strip()))

    def action_cancel(self) -> None:
        self.dismiss(None)
