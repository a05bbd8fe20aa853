"""Area 4: checklists. Today's runs with their progress; under them, the run history of the
template under the cursor as a calendar-like strip per shop (the last 28 days). Enter opens a
run (`ChecklistRunScreen`) to tick its items.

"Today" is the local today of the store: the day after the ops day the stand-up reviews. The
runs due today are created here too if no command has created them yet.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Header, Static

from opsdesk.tui import commands, sections
from opsdesk.tui.screens.area import AreaScreen
from opsdesk.tui.widgets.keybar import KeyBar
from opsdesk.tui.widgets.look import theme_style

HISTORY_DAYS = 28
RUN_COLUMNS = ("", "Checklist", "Shop", "Due", "Progress", "State")


@dataclass(frozen=True)
class RunRow:
    run_id: int
    template_key: str
    status: str  # a section status: overdue, due, ok, info
    title: str
    shop: str
    due: str
    progress: str
    state: str


@dataclass(frozen=True)
class ChecklistsView:
    today: date
    rows: tuple[RunRow, ...]
    history: dict[str, str]
    """template key -> the strip text (ruler, one line per shop, legend)."""


def build_view(conn: sqlite3.Connection, today: date, now: Any) -> ChecklistsView:
    """Today's runs and each of their templates' history (runs in a worker)."""
    from opsdesk.domain.checklists import STATE_LABELS, local_label, progress_bar
    from opsdesk.store import checklists, settings
    from opsdesk.tui.standup_sections.checklists import BAR_WIDTH, line_status
    from opsdesk.tui.widgets.checklist_strip import history_rows, legend, week_ruler

    try:
        checklists.ensure_runs(conn, today, now=now)
    except sqlite3.OperationalError:
        pass  # read-only or busy: show what exists
    tz = settings.read(conn).timezone
    runs = checklists.today_runs(conn, today, now=now)
    rows = tuple(
        RunRow(
            r.id,
            r.template_key,
            line_status(r.state, r.overdue),
            r.title + (f" {r.campaign}" if r.campaign else ""),
            r.shop_key or "store",
            local_label(r.due_at, tz),
            f"{progress_bar(r.done, r.total, BAR_WIDTH)} {r.done}/{r.total}",
            STATE_LABELS[r.state] + (" · overdue" if r.overdue else ""),
        )
        for r in runs
    )
    start = today - timedelta(days=HISTORY_DAYS - 1)
    history = {}
    for key in dict.fromkeys(r.template_key for r in runs):
        strips = history_rows(checklists.history(conn, key, start, today, now=now), start, today)
        width = max(len(k) for k in strips) if strips else 5
        lines = [f"{'':<{width}}  {week_ruler(start, today)}"]
        lines += [f"{shop:<{width}}  {strip}" for shop, strip in strips.items()]
        history[key] = "\n".join(
            [f"{key}: the last {HISTORY_DAYS} days to {today}", *lines, legend()]
        )
    return ChecklistsView(today, rows, history)


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
        return build_view(conn, self.today, self.ops.clock())

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
                Text(r.title),
                Text(r.shop),
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
        self.query_one("#run-history", Static).update(Text(text or "No checklist runs today."))

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
