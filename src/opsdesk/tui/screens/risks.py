"""Area 6: the risk register. The 5×5 heat map (likelihood up, impact across) with the list of
the cell under the cursor beside it, and the register table below (sortable, filterable;
`!` triggered, `R` review overdue, `D` drill overdue). `r` toggles inherent / residual scores,
Enter opens a risk (`RiskScreen`), `f` filters (words, category:C, owner:LOGIN, status:S,
level:L, due). The tables draw no scrollbars; the status line says where the cursor is.

Read-only: reading the register never evaluates KRIs (the stand-up and `opsdesk check` do).
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Header, Input, Static

from opsdesk.domain.risks import LEVEL_LETTERS
from opsdesk.domain.text import visible
from opsdesk.rich_text import plain
from opsdesk.tui import commands
from opsdesk.tui.screens.area import AreaScreen, while_running
from opsdesk.tui.widgets.grid import fit
from opsdesk.tui.widgets.heatmap import LEVEL_STATUS, HeatMapGrid
from opsdesk.tui.widgets.keybar import KeyBar
from opsdesk.tui.widgets.look import theme_style
from opsdesk.views import risks as views

SORT_CYCLE = ("score", "level", "next_review", "owner")
REGISTER_COLUMNS: tuple[tuple[str, int | None], ...] = (
    ("", 3), ("Risk", 22), ("Score", 5), ("Status", 9), ("Owner", 12), ("Review", 10),
    ("Title", None),
)  # fmt: skip
CELL_COLUMNS = (("", 3), ("Risk", 24), ("Score", 5))
WIDE_KEY = (120, 29)
"""From 120 columns the register's key column is this wide (the seed's longest key)."""
MOVES = {"up": "↑", "down": "↓"}


class RisksScreen(AreaScreen):
    """Area 6: heat map, the cell's risks, the register."""

    SCOPE = commands.RISKS
    BINDINGS = commands.bindings(commands.RISKS)

    def __init__(self) -> None:
        super().__init__(id="risks")
        self.register: views.Register | None = None
        self.residual = False
        self.sort_by = "score"
        self.filter_text = ""
        self.shown: list[views.RiskRow] = []
        self.cell_rows: list[views.RiskRow] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="risk-top"):
            yield HeatMapGrid(id="heatmap")
            cell: DataTable[Any] = DataTable(id="cell-list", cursor_type="row")
            for label, width in CELL_COLUMNS:
                cell.add_column(Text(label), width=width)
            yield cell
        yield Input(placeholder="f filter: words category:C owner:L status:S due", id="risk-filter")
        table: DataTable[Any] = DataTable(id="risk-table", cursor_type="row", zebra_stripes=True)
        for name, size in REGISTER_COLUMNS:
            table.add_column(Text(name), width=size)
        yield table
        yield Static("", id="risk-status")
        yield KeyBar(self.SCOPE, self.ops.keymap)

    @while_running
    def on_mount(self) -> None:
        self.title = "Risk register"
        self.query_one(HeatMapGrid).focus()
        self.reload()

    @property
    def today(self) -> date:
        return self.ops.ops_day + timedelta(days=1)

    def fetch(self, conn: sqlite3.Connection) -> views.Register:
        return views.build_register(conn, self.today)

    def show(self, data: views.Register) -> None:
        self.register = data
        self.sub_title = f"today {data.today}"
        self._refresh_all()

    # -- drawing --------------------------------------------------------------------------

    def _refresh_all(self) -> None:
        if self.register is None:
            return
        heat = views.build_heatmap(self.register.rows, self.residual)
        counts = {cell: len(rows) for cell, rows in heat.cells.items()}
        moves: dict[tuple[int, int], str] = {}
        for cell, rows in heat.cells.items():
            dirs = {r.moved(self.residual) for r in rows} - {""}
            if dirs:
                moves[cell] = dirs.pop() if len(dirs) == 1 else "both"
        self.query_one(HeatMapGrid).set_cells(counts, moves, self.residual)
        self._fill_register()
        self._fill_cell_list()

    def _mark_text(self, row: views.RiskRow) -> Text:
        status = "overdue" if row.risk.status == "triggered" else "due" if row.overdue else "info"
        return Text(row.marks or "·", style=theme_style(self.app, status, bold=True))

    def _score_text(self, row: views.RiskRow) -> Text:
        """`20H↑`: the score, its level letter, and how it moved at the last review."""
        s = row.score(self.residual)
        return Text(
            f"{s.value:>2}{LEVEL_LETTERS[s.level]}{MOVES.get(row.moved(self.residual), '')}",
            style=theme_style(self.app, LEVEL_STATUS[s.level]),
        )

    def _fill_cell_list(self) -> None:
        table = self.query_one("#cell-list", DataTable)
        table.clear()
        if self.register is None:
            return
        grid = self.query_one(HeatMapGrid)
        heat = views.build_heatmap(self.register.rows, self.residual)
        self.cell_rows = heat.at(*grid.cursor)
        for r in self.cell_rows:
            table.add_row(self._mark_text(r), _key(r.key, 24), self._score_text(r), key=r.key)
        self._show_status()

    def _show_status(self) -> None:
        """The cursor cell, where the register's cursor is (no scrollbars are drawn), the sort
        and the filter."""
        lk, im = self.query_one(HeatMapGrid).cursor
        which = "residual" if self.residual else "inherent"
        table = self.query_one("#risk-table", DataTable)
        at = f"{table.cursor_row + 1}/{table.row_count}" if table.row_count else "0/0"
        self.query_one("#risk-status", Static).update(
            plain(
                f"cell {lk}×{im}={lk * im} ({which}): {len(self.cell_rows)} risks · "
                f"register {at} · sort {self.sort_by}"
                + (f" · filter: {self.filter_text}" if self.filter_text else "")
            )
        )

    def _fill_register(self) -> None:
        if self.register is None:
            return
        try:
            rows = views.filter_rows(
                self.register.rows, residual=self.residual, **views.parse_filter(self.filter_text)
            )
        except ValueError as e:
            self.notify(visible(str(e)), severity="warning", timeout=5, markup=False)
            rows = list(self.register.rows)
        self.shown = views.sort_rows(rows, self.sort_by, self.residual)
        table = self.query_one("#risk-table", DataTable)
        keep = table.cursor_row
        table.clear()
        key_column = table.ordered_columns[1]
        key_column.width = WIDE_KEY[1] if self.app.size.width >= WIDE_KEY[0] else 22
        for r in self.shown:
            table.add_row(
                self._mark_text(r),
                _key(r.key, key_column.width),
                self._score_text(r),
                Text(r.risk.status),
                plain(r.risk.owner),
                Text(r.risk.next_review.isoformat()),
                plain(r.risk.title),
                key=r.key,
            )
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1), animate=False)

    def on_resize(self) -> None:
        if self.register is not None:
            self.call_after_refresh(self._fill_register)

    # -- events and actions ---------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#risk-table")
    def _register_moved(self, _: DataTable.RowHighlighted) -> None:
        self._show_status()

    @on(HeatMapGrid.CellChanged)
    def _cell_changed(self, _: HeatMapGrid.CellChanged) -> None:
        self._fill_cell_list()

    def action_toggle_residual(self) -> None:
        self.residual = not self.residual
        self._refresh_all()

    def action_cycle_sort(self) -> None:
        self.sort_by = SORT_CYCLE[(SORT_CYCLE.index(self.sort_by) + 1) % len(SORT_CYCLE)]
        self._fill_register()
        self._fill_cell_list()

    def action_focus_filter(self) -> None:
        self.query_one("#risk-filter", Input).focus()

    def action_leave_filter(self) -> None:
        self.query_one(HeatMapGrid).focus()

    @on(Input.Changed, "#risk-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self._fill_register()
        self._fill_cell_list()

    @on(Input.Submitted, "#risk-filter")
    def _filter_submitted(self, _: Input.Submitted) -> None:
        self.query_one("#risk-table", DataTable).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.open_risk(str(event.row_key.value))

    def action_open_risk(self) -> None:
        focused = self.focused
        if isinstance(focused, DataTable) and focused.row_count:
            key = focused.coordinate_to_cell_key(focused.cursor_coordinate).row_key.value
            if key:
                self.open_risk(str(key))
            return
        if self.cell_rows:
            table = self.query_one("#cell-list", DataTable)
            self.open_risk(self.cell_rows[min(table.cursor_row, len(self.cell_rows) - 1)].key)

    def open_risk(self, key: str) -> None:
        from opsdesk.tui.screens.risk import RiskScreen

        self.app.push_screen(RiskScreen(key))


def _key(key: str, width: int) -> Text:
    """A risk key in a column `width` cells wide: cut with `…` when it does not fit."""
    return plain(fit(key, width).rstrip())
