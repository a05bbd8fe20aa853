"""The stand-up's first-frame KPI table as text: laid out like the DataTable that replaces it."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from opsdesk.tui.widgets.table_text import table_text


def test_columns_as_wide_as_their_widest_cell_padded_and_justified() -> None:
    rows = [
        (Text("✗"), Text("Conversion"), Text("3.92%", justify="right")),
        (Text("·"), Text("GMV"), Text("607,556", justify="right")),
    ]
    text = table_text(("", "Metric", "Value"), rows)
    assert text.plain.split("\n") == [
        "    Metric      Value   ",
        " ✗  Conversion    3.92% ",
        " ·  GMV         607,556 ",
    ]


def test_header_and_first_row_take_their_styles() -> None:
    bold, cursor = Style(bold=True), Style(reverse=True)
    rows = [(Text("a"),), (Text("b"),)]
    text = table_text(("X",), rows, header_style=bold, cursor_style=cursor)
    assert text.plain == " X \n a \n b "
    assert [(s.start, s.end, s.style) for s in text.spans] == [(0, 3, bold), (4, 7, cursor)]
