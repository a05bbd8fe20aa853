"""The command palette: every command usable on the current screen, with its (remapped) key,
from the same registry as the bindings and the help screen. Imported when the palette opens."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from opsdesk.tui import commands
from opsdesk.tui.app import OpsdeskApp


class OpsdeskCommands(Provider):
    """The command palette: every command usable on the current screen, with its key."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app = self.app
        assert isinstance(app, OpsdeskApp)
        screen = self.screen
        out: list[tuple[str, str, Callable[[], Any]]] = []
        for c in commands.available(getattr(screen, "SCOPE", commands.APP)):
            key = commands.key_label(commands.effective_key(c, app.keymap))
            out.append((f"{c.title}  [{key}]", c.help, partial(app.run_command, c, screen)))
        return out

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(Content(title), callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
