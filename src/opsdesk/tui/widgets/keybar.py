"""The key bar at the bottom of every area: the registry's footer commands for the screen's
scope, with the user's remapped keys. One Static (Textual's Footer builds a widget per key,
which costs the first paint more than the whole stand-up table).

The pinned commands (help, quit) stay at the right end whatever the width: on a narrow
terminal the other keys give way from the end of the line, replaced by `…` (F1 lists them).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static

from opsdesk.tui import commands
from opsdesk.tui.widgets.look import theme_style


class KeyBar(Static):
    """`key Label` pairs for every shown command of `scope` and of the app."""

    def __init__(self, scope: str, keymap: dict[str, str]) -> None:
        super().__init__(id="key-bar")
        self.scope = scope
        self.keymap = keymap

    def on_mount(self) -> None:
        self._paint()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._paint())

    def on_resize(self) -> None:
        self._paint()

    def _paint(self) -> None:
        self.update(self.line(self.size.width or self.app.size.width))

    def pairs(self, compact: bool = False) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(key, label) of the shown commands, and of the pinned ones; `compact`: the area
        keys as one pair (`1-7 Areas`)."""
        shown: list[tuple[str, str]] = []
        pinned: list[tuple[str, str]] = []
        areas: list[str] = []
        for c in commands.available(self.scope):
            if not (c.show or c.pinned or (compact and c.id.startswith("area."))):
                continue  # every area is in the compact pair, shown in the bar or not
            key = commands.key_label(commands.effective_key(c, self.keymap))
            if compact and c.id.startswith("area."):
                if not areas:
                    shown.append(("", "Areas"))  # filled in below
                areas.append(key)
                continue
            (pinned if c.pinned else shown).append((key, c.label or c.title))
        if areas:
            i = shown.index(("", "Areas"))
            digits = all(len(k) == 1 and k.isdigit() for k in areas)
            keys = f"{areas[0]}-{areas[-1]}" if digits and len(areas) > 1 else "/".join(areas)
            # first: on a narrow terminal the way to every area stays, the area's own keys give way
            shown.insert(0, (keys, "Areas"))
            del shown[i + 1]
        return shown, pinned

    def line(self, width: int = 0) -> Text:
        """The bar for a line `width` cells wide (0: unlimited)."""

        def size(pairs: list[tuple[str, str]]) -> int:
            return sum(cell_len(f" {k} {label} ") for k, label in pairs)

        shown, pinned = self.pairs()
        if width and size(shown) + size(pinned) > width:
            shown, pinned = self.pairs(compact=True)

        room = (width or 10_000) - size(pinned)
        kept: list[tuple[str, str]] = []
        for i, pair in enumerate(shown):
            last = i == len(shown) - 1
            if size([*kept, pair]) + (0 if last else 2) > room:
                break
            kept.append(pair)
        text = Text(no_wrap=True, overflow="crop")
        key_style = theme_style(self.app, "key", bold=True)
        for key, label in kept:
            text.append(f" {key} ", style=key_style)
            text.append(f"{label} ")
        if len(kept) < len(shown):
            text.append("… ", style=theme_style(self.app, "dim"))
        gap = (width or 0) - text.cell_len - size(pinned)
        if gap > 0:
            text.append(" " * gap)
        for key, label in pinned:
            text.append(f" {key} ", style=key_style)
            text.append(f"{label} ")
        return text
