"""The help screen: every command usable where it was opened, with its (remapped) key, read
from the same registry as the bindings, the palette and the README table."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from opsdesk.tui import commands

WIDE = 110
"""Cells inside the help window from which every column fits (Where and Id too)."""


class HelpScreen(ModalScreen[None]):
    """Keys for the current area and for everywhere; Esc, F1 or q closes it."""

    BINDINGS = [
        Binding("escape,q,f1", "dismiss_help", "Close", show=False),
    ]

    def __init__(self, scope: str, keymap: dict[str, str]) -> None:
        super().__init__(id="help")
        self.scope = scope
        self.keymap = keymap

    def rows(self) -> list[tuple[str, commands.Command]]:
        return [
            (commands.key_label(commands.effective_key(c, self.keymap)), c)
            for c in commands.available(self.scope)
        ]

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(
                f"Keys: {commands.SCOPE_TITLES[self.scope]} and everywhere "
                "(Esc closes; remap keys in the config file by id)",
                classes="panel-title",
            )
            table: DataTable[Any] = DataTable(id="help-table", cursor_type="row")
            rows = self.rows()
            inner = min(int(self.app.size.width * 0.9), 120) - 2  # #help-box, in its border
            if inner >= WIDE:
                table.add_columns("Key", "Command", "Where", "What it does", "Id")
                for key, c in rows:
                    table.add_row(
                        Text(key),
                        Text(c.title),
                        Text(commands.SCOPE_TITLES[c.scope]),
                        Text(c.help),
                        Text(c.id),
                        key=c.id,
                    )
            else:  # narrow: no sideways scrolling; what a command does wraps under itself
                key_w = max(len("Key"), *(len(k) for k, _ in rows))
                title_w = min(max(len(c.title) for _, c in rows), 22)
                help_w = max(inner - (key_w + 2) - (title_w + 2) - 2 - 2, 16)  # padding, scrollbar
                table.add_column("Key", width=key_w)
                table.add_column("Command", width=title_w)
                table.add_column("What it does", width=help_w)
                for key, c in rows:
                    lines = Text(c.help).wrap(self.app.console, help_w)
                    title = Text(c.title).wrap(self.app.console, title_w)
                    table.add_row(
                        Text(key),
                        Text("\n".join(t.plain for t in title)),
                        Text("\n".join(t.plain for t in lines)),
                        key=c.id,
                        height=max(len(lines), len(title)),
                    )
            yield table

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
