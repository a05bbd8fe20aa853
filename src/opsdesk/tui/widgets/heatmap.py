"""The risk heat map: a 5×5 grid, likelihood up, impact across, one cell per score pair.

Each cell shows its level letter (L, M, H) and how many risks it holds (`·` for none), and an
arrow when a risk in it moved at its last review (↑ up, ↓ down) — so it reads without colour;
colour (the theme's success / warning / error) adds the level. The cursor cell is bracketed
and reversed. Arrow keys move cell by cell and post `CellChanged`.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from opsdesk.domain.risks import LEVEL_LETTERS, level
from opsdesk.tui.widgets.look import theme_style

CELL = 5
LEVEL_STATUS = {"low": "ok", "medium": "due", "high": "overdue"}
ARROWS = {"up": "↑", "down": "↓", "both": "↕"}


class HeatMapGrid(Widget, can_focus=True):
    """The grid; `set_cells` gives its counts and movement marks."""

    BINDINGS = [
        Binding("up", "move(1, 0)", "Up", show=False),
        Binding("down", "move(-1, 0)", "Down", show=False),
        Binding("left", "move(0, -1)", "Left", show=False),
        Binding("right", "move(0, 1)", "Right", show=False),
    ]

    cursor: reactive[tuple[int, int]] = reactive((3, 3))
    """(likelihood, impact) of the cell under the cursor."""

    class CellChanged(Message):
        def __init__(self, likelihood: int, impact: int) -> None:
            super().__init__()
            self.likelihood = likelihood
            self.impact = impact

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.counts: dict[tuple[int, int], int] = {}
        self.moves: dict[tuple[int, int], str] = {}
        self.residual = False

    def set_cells(
        self,
        counts: Mapping[tuple[int, int], int],
        moves: Mapping[tuple[int, int], str],
        residual: bool,
    ) -> None:
        self.counts, self.moves, self.residual = dict(counts), dict(moves), residual
        self.refresh()

    def action_move(self, d_likelihood: int, d_impact: int) -> None:
        lk, im = self.cursor
        self.cursor = (min(5, max(1, lk + d_likelihood)), min(5, max(1, im + d_impact)))

    def watch_cursor(self, cursor: tuple[int, int]) -> None:
        self.post_message(self.CellChanged(*cursor))
        self.refresh()

    def cell_text(self, likelihood: int, impact: int) -> str:
        """What a cell says: `H2↑`, `M·`."""
        count = self.counts.get((likelihood, impact), 0)
        letter = LEVEL_LETTERS[level(likelihood * impact)]
        arrow = ARROWS.get(self.moves.get((likelihood, impact), ""), "")
        return f"{letter}{count if count else '·'}{arrow}"

    def render(self) -> Text:
        which = "residual" if self.residual else "inherent"
        text = Text(no_wrap=True)
        text.append(f"Likelihood ↑ ({which})\n", style="bold")
        for lk in range(5, 0, -1):
            text.append(f" {lk} │")
            for im in range(1, 6):
                body = self.cell_text(lk, im)
                style = theme_style(self.app, LEVEL_STATUS[level(lk * im)], bold=True)
                if (lk, im) == self.cursor:
                    cell = f"[{body}]".center(CELL)
                    style = style + Style(reverse=True)
                else:
                    cell = body.center(CELL)
                text.append(cell, style=style)
            text.append("\n")
        text.append("   └" + "─" * (CELL * 5) + "\n")
        text.append("    " + "".join(str(im).center(CELL) for im in range(1, 6)) + " Impact →")
        return text
