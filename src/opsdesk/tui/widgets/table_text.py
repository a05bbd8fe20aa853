"""A table laid out as one rich Text, as Textual's DataTable lays it out (one cell of padding
each side, columns as wide as their widest cell, cells justified as they ask), and `TextLines`,
a widget that draws such a Text line by line.

The stand-up paints its first frame with this in a `TextLines`: the DataTable's import and
first render cost the first paint more than everything else on the screen, so the real table
replaces the picture right after the first frame. A Static would turn the Text into Textual's
Content and lay it out again (a third of the first frame's rendering); `TextLines` renders it
with Rich once and hands Textual the lines (the line API).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget


def table_text(
    labels: Sequence[str],
    rows: Sequence[Sequence[Text]],
    *,
    header_style: Style | None = None,
    cursor_style: Style | None = None,
) -> Text:
    """`rows` under a header of `labels`; the first row styled as the cursor row."""
    widths = column_widths(labels, rows)
    out = Text(no_wrap=True, overflow="crop", end="")
    out.append_text(_line([Text(label) for label in labels], widths, header_style))
    for n, row in enumerate(rows):
        out.append("\n")
        out.append_text(_line(row, widths, cursor_style if n == 0 else None))
    return out


def column_widths(labels: Sequence[str], rows: Sequence[Sequence[Text]]) -> list[int]:
    """Each column's width in cells: its widest cell or label (as DataTable measures them)."""
    widths = [cell_len(label) for label in labels]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], cell.cell_len)
    return widths


def _line(cells: Sequence[Text], widths: list[int], style: Style | None) -> Text:
    line = Text(style=style or "", end="")
    for cell, width in zip(cells, widths, strict=True):
        pad = width - cell.cell_len
        left = pad if cell.justify == "right" else 0
        line.append(" " * (1 + left))
        line.append_text(cell)
        line.append(" " * (1 + pad - left))
    return line


class TextLines(Widget):
    """A Text drawn line by line (no wrapping: a line longer than the widget is cut)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lines: list[list[Segment]] = []

    def update(self, text: Text) -> None:
        console = self.app.console
        self._lines = [list(line.render(console)) for line in text.split("\n")]
        self.refresh()

    def render_line(self, y: int) -> Strip:
        base = self.rich_style
        width = self.size.width
        if y >= len(self._lines):
            return Strip.blank(width, base)
        return Strip(self._lines[y]).crop_extend(0, width, base).apply_style(base)
