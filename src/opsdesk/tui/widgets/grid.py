"""A light table for forms: fixed columns, a header, a cursor row, rows of one-style cells.

Drawn with Textual's line API straight from strings (no Rich rendering per cell), so a
screen with a 26-row form paints in a few milliseconds where a DataTable's first paint takes
tens. The cursor is moved by the screen that owns the grid (it keeps the keyboard focus in
its edit line); a click on a row posts `Grid.RowClicked`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int
    """Cells wide; 0: the rest of the line."""
    right: bool = False
    """Right-aligned (numbers)."""


@dataclass(frozen=True)
class Cell:
    text: str = ""
    style: str = ""
    """A Rich style for the text ("bold", "red", "dim"), on the row's own style."""


def fit(text: str, width: int, right: bool = False) -> str:
    """`text` in exactly `width` cells: cut with … or padded (CJK counts two cells)."""
    size = cell_len(text)
    if size > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else text[:width]
    pad = " " * (width - size)
    return pad + text if right else text + pad


class Grid(ScrollView, can_focus=False):
    """Rows of cells under a header, one row under the cursor."""

    DEFAULT_CSS = """
    Grid {
        height: 1fr;
        overflow-x: hidden;
    }
    Grid > .grid--header {
        text-style: bold;
        color: $text-primary;
    }
    Grid > .grid--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"grid--header", "grid--cursor"}

    cursor_row: reactive[int] = reactive(0)

    class RowClicked(Message):
        def __init__(self, grid: Grid, row: int) -> None:
            super().__init__()
            self.grid = grid
            self.row = row

        @property
        def control(self) -> Grid:
            return self.grid

    def __init__(self, columns: list[Column], *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.columns = columns
        self.rows: list[list[Cell]] = []
        self.keys: list[str] = []

    # -- content ----------------------------------------------------------------------------

    def set_rows(self, rows: list[tuple[str, list[Cell]]]) -> None:
        """Replace every row: (key, cells in column order)."""
        self.keys = [key for key, _ in rows]
        self.rows = [cells for _, cells in rows]
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)
        self.cursor_row = min(self.cursor_row, max(len(self.rows) - 1, 0))
        self.refresh()

    def update_cell(self, key: str, column: str, cell: Cell) -> None:
        row = self.keys.index(key)
        self.rows[row][[c.key for c in self.columns].index(column)] = cell
        self.refresh_line(row)

    def cell(self, key: str, column: str) -> Cell:
        return self.rows[self.keys.index(key)][[c.key for c in self.columns].index(column)]

    def refresh_line(self, row: int) -> None:
        """Repaint data row `row` if it is in view."""
        y = row + 1 - self.scroll_offset.y
        if 1 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def watch_cursor_row(self, old: int, new: int) -> None:
        self.refresh_line(old)
        self.refresh_line(new)
        top = self.scroll_offset.y
        visible = max(self.size.height - 1, 1)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + visible:
            self.scroll_to(y=new - visible + 1, animate=False)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)

    # -- drawing ----------------------------------------------------------------------------

    def _width(self, column: Column) -> int:
        if column.width:
            return column.width
        fixed = sum(c.width + 1 for c in self.columns if c.width)
        return max(self.size.width - 1 - fixed, 1)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("grid--header")
            text = " ".join(fit(c.title, self._width(c), c.right) for c in self.columns)
            return Strip(
                [Segment(fit(" " + text, width).rstrip("…"), style)], width
            ).extend_cell_length(width, style)
        row = y - 1 + self.scroll_offset.y
        if row >= len(self.rows):
            return Strip([Segment(" " * width, base)], width)
        line = (
            base + self.get_component_rich_style("grid--cursor") if row == self.cursor_row else base
        )
        segments = [Segment(" ", line)]
        used = 1
        for column, cell in zip(self.columns, self.rows[row], strict=False):
            cells = min(self._width(column), width - used)
            if cells <= 0:
                break
            segments.append(
                Segment(fit(cell.text, cells, column.right), line + Style.parse(cell.style))
            )
            used += cells
            if used < width:
                segments.append(Segment(" ", line))
                used += 1
        if used < width:
            segments.append(Segment(" " * (width - used), line))
        return Strip(segments, width)

    def on_click(self, event: events.Click) -> None:
        row = event.y - 1 + self.scroll_offset.y
        if event.y >= 1 and 0 <= row < len(self.rows):
            self.post_message(self.RowClicked(self, row))
