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


def run_column_widths(rows: tuple[RunRow, ...], width: int) -> tuple[list[int], bool, bool]:
    """The run table's column widths on a table `width` cells wide, and whether the
    progress bar and the due date's year are kept. Columns give way in this order: the
    progress bar (its count stays), the due date's year, then the checklist's title and
    the shop's name are cut with … (the title to 12 cells, the shop to 8); the counts
    (`24/24`) and the State column are never cut."""
    from rich.cells import cell_len

    def widest(texts: list[str], title: str) -> int:
        return max([cell_len(title), *(cell_len(t) for t in texts)])

    title = widest([r.title for r in rows], "Checklist")
    shop = widest([r.shop for r in rows], "Shop")
    due = widest([r.due for r in rows], "Due")
    count = widest([r.progress.split(" ")[-1] for r in rows], "Progress")
    full = widest([r.progress for r in rows], "Progress")
    state = widest([r.state for r in rows], "State")
    room = width - 2 * len(RUN_COLUMNS) - 1 - 1  # cell padding, the symbol, the scrollbar
    bar = year = True
    if title + shop + due + full + state > room:
        bar = False
    if title + shop + due + count + state > room:
        year = False
        due = widest([r.due[5:] for r in rows], "Due")
    progress = full if bar else count
    left = room - due - progress - state
    if title + shop > left:
        shop = min(shop, max(8, left - 12))
        title = max(12, left - shop)
    return [1, title, shop, due, progress, state], bar, year


class ChecklistsScreen(AreaScreen):
    """Area 4: today's checklist runs and their templates' history."""

    SCOPE = commands.CHECKLISTS
    BINDINGS = commands.bindings(commands.CHECKLISTS)

    def __init__(self) -> None:
        super().__init__(id="checklists")
        self.view: ChecklistsView | None = None
        self._open_first_when_loaded = False

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
        return build_checklists(conn, self.today, self.ops.clock(), self.ops.settings.config.role)

    def show(self, data: ChecklistsView) -> None:
        self.view = data
        self.sub_title = f"today {data.today}"
        table = self.query_one("#run-table", DataTable)
        keep = table.cursor_row
        width = table.size.width or self.app.size.width
        widths, bar, year = run_column_widths(data.rows, width)
        table.clear(columns=True)
        for title, w in zip(RUN_COLUMNS, widths, strict=True):
            table.add_column(Text(title), width=w)
        for r in data.rows:
            style = theme_style(self.app, r.status)
            progress = r.progress if bar else r.progress.split(" ")[-1]
            table.add_row(
                Text(sections.symbol(r.status), style=style),
                plain(r.title, overflow="ellipsis", no_wrap=True),
                plain(r.shop, overflow="ellipsis", no_wrap=True),
                Text(r.due if year else r.due[5:]),
                Text(progress, justify="right"),
                Text(r.state, style=style),
                key=str(r.run_id),
            )
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1), animate=False)
        table.focus()
        self._show_history()
        if self._open_first_when_loaded:
            self._open_first_when_loaded = False
            self.open_first_to_tick()

    def open_first_to_tick(self) -> None:
        """Open today's first run to tick (the list has them first); none: say so."""
        if self.view is None:
            self._open_first_when_loaded = True
            return
        row = next((i for i, r in enumerate(self.view.rows) if r.open_today), None)
        if row is None:
            self.notify("Nothing to tick today: every run due today is finished.", timeout=4)
            return
        self.query_one("#run-table", DataTable).move_cursor(row=row, animate=False)
        self.action_open_run()

    def on_resize(self) -> None:
        if self.view is not None:
            self.call_after_refresh(self.show, self.view)

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
