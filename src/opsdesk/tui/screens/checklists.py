"""Area 4: checklists. Today's runs with their progress; under them, the run history of the
template under the cursor as a calendar-like strip per shop (the last 28 days). Enter opens a
run (`ChecklistRunScreen`) to tick its items.

"Today" is the local today of the store: the day after the ops day the stand-up reviews. The
runs due today are created here too if no command has created them yet.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Header, Static

from opsdesk.rich_text import plain
from opsdesk.tui import commands
from opsdesk.tui.screens.area import AreaScreen, while_running
from opsdesk.tui.widgets.keybar import KeyBar
from opsdesk.tui.widgets.look import theme_style
from opsdesk.views import sections
from opsdesk.views.checklists import ChecklistsView, RunRow, build_checklists

RUN_COLUMNS = ("", "Checklist", "Shop", "Due", "Progress", "State")


class ChecklistsScreen(AreaScreen):
    """Area 4: today's checklist runs and their templates' history."""

    SCOPE = commands.CHECKLISTS
    BINDINGS = commands.bindings(commands.CHECKLISTS)

    def __init__(self) -> None:
        super().__init__(id="checklists")
        self.view: ChecklistsView | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        table: DataTable[Any] = DataTable(id="run-table", cursor_type="row", zebra_stripes=True)
        table.add_columns(*(Text(c) for c in RUN_COLUMNS))
        yield table
        yield Static("", id="run-history")
        yield KeyBar(self.SCOPE, self.ops.keymap)

    @while_running
    def on_mount(self) -> None:
        self.title = "Checklists"
        # focused now, not when first shown: what is rendered in the background (with the
        # cursor's focused look) is then what the first visit shows
        self.query_one("#run-table", DataTable).focus()
        self.reload()

    @property
    def today(self) -> date:
        return self.ops.ops_day + timedelta(days=1)

    def fetch(self, conn: sqlite3.Connection) -> ChecklistsView:
        return build_checklists(conn, self.today, self.ops.clock())

    def show(self, data: ChecklistsView) -> None:
        self.view = data
        self.sub_title = f"today {data.today}"
        table = self.query_one("#run-table", DataTable)
        keep = table.cursor_row
        table.clear()
        for r in data.rows:
            style = theme_style(self.app, r.status)
            table.add_row(
                Text(sections.symbol(r.status), style=style),
                plain(r.title),
                plain(r.shop),
                Text(r.due),
                Text(r.progress),
                Text(r.state, style=style),
                key=str(r.run_id),
            )
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1), animate=False)
        table.focus()
        self._show_history()

    def _current(self) -> RunRow | None:
        if self.view is None or not self.view.rows:
            return None
        row = self.query_one("#run-table", DataTable).cursor_row
        return self.view.rows[min(row, len(self.view.rows) - 1)]

    def _show_history(self) -> None:
        current = self._current()
        text = (
            "" if current is None or self.view is None else self.view.history[current.template_key]
        )
        self.query_one("#run-history", Static).update(plain(text or "No checklist runs today."))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_history()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_run()

    def action_open_run(self) -> None:
        current = self._current()
        if current is None:
            return
        from opsdesk.tui.screens.checklists_run import ChecklistRunScreen

        self.app.push_screen(ChecklistRunScreen(current.run_id))
