"""The key bar at the bottom of every area: the registry's footer commands for the screen's
scope, with the user's remapped keys. One Static (Textual's Footer builds a widget per key,
which costs the first paint more than the whole stand-up table)."""

from __future__ import annotations

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
        self.update(self.line())
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.update(self.line()))

    def line(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        key_style = theme_style(self.app, "key", bold=True)
        for c in commands.available(self.scope):
            if not c.show:
                continue
            key = commands.key_label(commands.effective_key(c, self.keymap))
            text.append(f" {key} ", style=key_style)
            text.append(f"{c.label or c.title} ")
        return text
