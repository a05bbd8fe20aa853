"""One checklist run: move with the arrow keys, tick/untick (space), skip with a reason (s),
note (n); who ticked what and when is shown per item; items past their deadline are marked.

Pushed from the checklists area (enter on a run); escape goes back. Every change is one short
write in a worker (`store.checklists`: the tick is recorded with the login and the time), then
the run reloads with the cursor kept on the same item.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Header, Static

from opsdesk.domain.text import visible
from opsdesk.rich_text import plain
from opsdesk.tui import commands
from opsdesk.tui.screens.area import AreaScreen, while_running
from opsdesk.tui.widgets.keybar import KeyBar
from opsdesk.tui.widgets.look import theme_style
from opsdesk.views.checklist_run import ItemRow, RunView, build_run

ITEM_COLUMNS = (("", 3), ("#", 3), ("Step", 58), ("Done by", 30), ("Note", None))
"""Label and width (None: fit): long steps are cut so who/when stays on a 120-column screen."""


class ChecklistRunScreen(AreaScreen):
    """A pushed screen: the items of one run."""

    SCOPE = commands.CHECKLIST_RUN
    BINDINGS = commands.bindings(commands.CHECKLIST_RUN)

    def __init__(self, run_id: int, position: int | None = None) -> None:
        super().__init__(id="checklist-run")
        self.run_id = run_id
        self.view: RunView | None = None
        self.start_at = position
        """The item to put the cursor on when the run is first shown (a search hit's)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="run-summary")
        table: DataTable[Any] = DataTable(id="item-table", cursor_type="row", zebra_stripes=True)
        for label, width in ITEM_COLUMNS:
            table.add_column(Text(label), width=width)
        yield table
        yield KeyBar(self.SCOPE, self.ops.keymap)

    @while_running
    def on_mount(self) -> None:
        self.title = "Checklist"
        self.reload()

    def fetch(self, conn: sqlite3.Connection) -> RunView:
        return build_run(conn, self.run_id, self.ops.clock())

    def show(self, data: RunView) -> None:
        self.view = data
        self.sub_title = visible(data.title)  # Header text, and never the terminal's title
        self.query_one("#run-summary", Static).update(plain(data.summary))
        table = self.query_one("#item-table", DataTable)
        keep = table.cursor_row
        if self.start_at is not None:
            keep = next((i for i, r in enumerate(data.rows) if r.position == self.start_at), 0)
            self.start_at = None
        table.clear()
        for r in data.rows:
            style = theme_style(self.app, "overdue") if r.overdue else ""
            table.add_row(
                Text(r.mark, style=style),
                Text(str(r.position), justify="right"),
                plain(r.step, style=style),
                plain(r.who, style=style),
                plain(r.note),
                key=str(r.position),
            )
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1), animate=False)
        table.focus()

    def _current(self) -> ItemRow | None:
        if self.view is None or not self.view.rows:
            return None
        row = self.query_one("#item-table", DataTable).cursor_row
        return self.view.rows[min(row, len(self.view.rows) - 1)]

    # -- actions ----------------------------------------------------------------------------

    def action_toggle_item(self) -> None:
        item = self._current()
        if item is None or self.view is None:
            return
        run_id, position = self.view.run_id, item.position

        def change(conn: sqlite3.Connection) -> str:
            from opsdesk.store.checklists import tick, untick

            if item.state == "open":
                tick(conn, run_id, position)
                return f"Ticked item {position}"
            untick(conn, run_id, position)
            return f"Unticked item {position}"

        self.write(change)

    def action_skip_item(self) -> None:
        item = self._current()
        if item is None or self.view is None:
            return
        from opsdesk.tui.widgets.checklist_dialog import ChecklistTextDialog

        run_id, position = self.view.run_id, item.position

        def done(reason: str | None) -> None:
            if not reason:
                return

            def change(conn: sqlite3.Connection) -> str:
                from opsdesk.store.checklists import skip_item

                skip_item(conn, run_id, position, reason)
                return f"Skipped item {position}"

            self.write(change)

        self.app.push_screen(ChecklistTextDialog(f"Why skip item {position}?", required=True), done)

    def action_note_item(self) -> None:
        item = self._current()
        if item is None or self.view is None:
            return
        from opsdesk.tui.widgets.checklist_dialog import ChecklistTextDialog

        run_id, position = self.view.run_id, item.position
        old = (
            item.note.split("; ")[-1] if item.note and not item.note.startswith("skipped: ") else ""
        )

        def done(note: str | None) -> None:
            if note is None:
                return

            def change(conn: sqlite3.Connection) -> str:
                from opsdesk.store.checklists import set_note

                set_note(conn, run_id, position, note)
                return f"Note saved on item {position}"

            self.write(change)

        self.app.push_screen(ChecklistTextDialog(f"Note for item {position}", old), done)

    def action_back(self) -> None:
        self.app.pop_screen()
