"""User or stored text for Rich and Textual: one door for the CLI, the reports and the app.

A `str` handed to Rich (`console.print`, a table cell) or to Textual (`Static`, `Label`,
DataTable cells, `notify`) is parsed as markup: `[link=http://x.example/]y[/link]` becomes a
live hyperlink and `[bold]` disappears. `plain` returns a `rich.text.Text`, never parsed, with
control characters shown (`opsdesk.domain.text.visible`) so a terminal never obeys them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opsdesk.domain.text import visible

if TYPE_CHECKING:
    from rich.text import Text


def plain(text: str, style: Any = "", **kwargs: Any) -> Text:
    """`text` as Rich Text shown literally: no markup, control characters visible."""
    from rich.text import Text

    return Text(visible(text), style=style, **kwargs)
