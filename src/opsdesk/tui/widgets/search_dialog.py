"""`/` from any area: search everything people wrote; Enter opens the object of a hit.

Typing searches as you go (in a thread worker, after a short pause, through
`views.search.find`); ↓ moves to the hits, Enter on a hit (or in the field: the first hit)
returns it, Escape closes. What a hit opens is the app's business (`OpsdeskApp.open_hit`).
Every text shown is `rich.text.Text`, never markup.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from opsdesk.views.search import SearchRow

DEBOUNCE_SECONDS = 0.15
LIMIT = 30


class HitsFound(Message):
    def __init__(self, query: str, rows: list[SearchRow], error: str | None = None) -> None:
        super().__init__()
        self.query = query
        self.rows = rows
        self.error = error


def hit_text(row: SearchRow, width: int = 100) -> Text:
    """Two lines: kind, when, who and the object; then the text with its matches marked."""
    head = Text(f"{row.kind:<10} {row.when}  {row.who}  ", style="dim")
    head.append(row.object_label[: max(10, width - len(head))], style="bold")
    body = Text(row.body.replace("\n", " "))
    for a, b in row.spans:
        body.stylize("reverse", a, b)
    if len(body) > width:  # keep the first match in view
        first = row.spans[0][0] if row.spans else 0
        start = max(0, min(first - 20, len(body) - width))
        body = Text("…") + body[start : start + width - 2] + Text("…")
    return Text("\n").join([head, body])


class SearchDialog(ModalScreen[SearchRow | None]):
    """A search field and the hits, best first."""

    BINDINGS = [
        Binding("escape", "cancel", "Close"),
        Binding("down", "hits", "Hits", show=False),
    ]

    def __init__(self, db: Path, query: str = "") -> None:
        super().__init__()
        self.db = db
        self.initial = query
        self.rows: list[SearchRow] = []
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="search-dialog"):
            yield Label("Search notes, skip reasons… (3+ characters: anywhere; Chinese too)")
            yield Input(value=self.initial, id="search-input", placeholder="type to search")
            yield OptionList(id="search-hits")
            yield Label("", id="search-status", markup=False)

    def on_mount(self) -> None:
        self.query_one("#search-input", Input).focus()
        if self.initial:
            self._search(self.initial)

    @on(Input.Changed, "#search-input")
    def _changed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        text = event.value
        self._timer = self.set_timer(DEBOUNCE_SECONDS, lambda: self._search(text))

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search(self, query: str) -> None:
        from opsdesk.tui.screens.area import describe_error, store_errors, unit_of_work
        from opsdesk.views.search import find

        if not query.strip():
            self.post_message(HitsFound(query, []))
            return
        try:
            with unit_of_work(self.db) as conn:
                rows = find(conn, query, limit=LIMIT)
        except store_errors() as e:
            self.post_message(HitsFound(query, [], describe_error(e)))
            return
        self.post_message(HitsFound(query, rows))

    @on(HitsFound)
    def _found(self, message: HitsFound) -> None:
        if message.query != self.query_one("#search-input", Input).value:
            return  # typed on since
        self.rows = message.rows
        hits = self.query_one("#search-hits", OptionList)
        hits.clear_options()
        width = max(40, hits.size.width - 4)
        hits.add_options(
            [Option(hit_text(r, width), id=str(i)) for i, r in enumerate(message.rows)]
        )
        status = self.query_one("#search-status", Label)
        if message.error:
            status.update(Text(message.error))
        elif message.query.strip():
            n = len(message.rows)
            more = " (the best ones)" if n == LIMIT else ""
            status.update(
                Text(f"{n} hit{'s' if n != 1 else ''}{more} · ↓ to the hits · enter: open")
            )
        else:
            status.update("")

    @on(Input.Submitted, "#search-input")
    def _submitted(self) -> None:
        if self.rows:
            self.dismiss(self.rows[0])

    @on(OptionList.OptionSelected, "#search-hits")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        index = int(event.option.id or 0)
        if 0 <= index < len(self.rows):
            self.dismiss(self.rows[index])

    def action_hits(self) -> None:
        hits = self.query_one("#search-hits", OptionList)
        if hits.option_count:
            hits.focus()
            if hits.highlighted is None:
                hits.highlighted = 0

    def action_cancel(self) -> None:
        self.dismiss(None)
