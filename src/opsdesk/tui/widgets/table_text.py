"""A table laid out as one rich Text, as Textual's DataTable lays it out (one cell of padding
each side, columns as wide as their widest cell, cells justified as they ask).

The stand-up paints its first frame with this in a Static: the DataTable's import and first
render cost the first paint more than everything else on the screen, so the real table
replaces the picture right after the first frame.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from rich.text import Text


def table_text(
    labels: Sequence[str],
    rows: Sequence[Sequence[Text]],
    *,
    header_style: Style | None = None,
    cursor_style: Style | None = None,
) -> Text:
    """`rows` under a header of `labels`; the first row styled as the cursor row."""
    widths = [len(label) for label in labels]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], cell.cell_len)
    out = Text(no_wrap=True, overflow="crop", end="")
    out.append_text(_line([Text(label) for label in labels], widths, header_style))
    for n, row in enumerate(rows):
        out.append("\n")
        out.append_text(_line(row, widths, cursor_style if n == 0 else None))
    return out


def _line(cells: Sequence[Text], widths: list[int], style: Style | None) -> Text:
    line = Text(style=style or "", end="")
    for cell, width in zip(cells, widths, strict=True):
        pad = width - cell.cell_len
        left = pad if cell.justify == "right" else 0
        line.append(" " * (1 + left))
        line.append_text(cell)
        line.append(" " * (1 + pad - left))
    return line
