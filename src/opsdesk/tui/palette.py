"""The command palette: every command usable on the current screen, with its (remapped) key,
from the same registry as the bindings and the help screen. Imported when the palette opens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.screen import Screen

from opsdesk.tui import commands


class CommandHost(Protocol):
    """What the palette needs of the app (opsdesk.tui.app.OpsdeskApp): the user's key map and
    a way to run a registry command. A protocol, so the palette does not import the app that
    opens it."""

    keymap: dict[str, str]

    def run_command(self, command: commands.Command, screen: Screen[Any]) -> Awaitable[None]: ...


class OpsdeskCommands(Provider):
    """The command palette: every command usable on the current screen, with its key."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app = cast(CommandHost, self.app)
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
