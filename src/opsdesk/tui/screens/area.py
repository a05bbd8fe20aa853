"""What every area's screen shares: its command scope, loading in a thread worker with its
own connection, and database errors shown as notifications instead of tracebacks."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from textual import events, on, work
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import MountError

from opsdesk.domain.text import visible
from opsdesk.tui import commands, textual_hooks
from opsdesk.tui.messages import DataLoaded, LoadFailed
from opsdesk.tui.textual_hooks import HookedScreen
from opsdesk.tui.wording import app_wording

if TYPE_CHECKING:
    import sqlite3

    from opsdesk.tui.app import OpsdeskApp


H = TypeVar("H", bound=Callable[..., Any])


def _app_running(screen: Screen[Any]) -> bool:
    try:
        return screen.app.is_running
    except RuntimeError:  # Textual's NoActiveAppError: no app any more
        return False


def while_running(handler: H) -> H:
    """For a screen's handlers that query or mount its widgets (`on_mount` and the like): run
    while the app runs; during shutdown do nothing. A screen built in the background (or the
    stand-up completing its first frame) may get its turn after `ctrl+q`, when its widgets are
    already gone; that is not an error to show the user (it made the app exit with status 1)."""
    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def run_async(self: Screen[Any], *args: Any, **kwargs: Any) -> Any:
            if not _app_running(self):
                return None
            try:
                return await handler(self, *args, **kwargs)
            except (NoMatches, MountError):
                if _app_running(self):
                    raise
                return None

        return cast(H, run_async)

    @functools.wraps(handler)
    def run(self: Screen[Any], *args: Any, **kwargs: Any) -> Any:
        if not _app_running(self):
            return None
        try:
            return handler(self, *args, **kwargs)
        except (NoMatches, MountError):
            if _app_running(self):
                raise
            return None

    return cast(H, run)


@contextmanager
def unit_of_work(db: Path) -> Iterator[sqlite3.Connection]:
    """A connection for one unit of work in the calling thread, closed afterwards."""
    from opsdesk.store.db import open_store

    conn = open_store(db, migrate=False)
    try:
        yield conn
    finally:
        conn.close()


def store_errors() -> tuple[type[BaseException], ...]:
    """What a unit of work can fail with that a user can act on (shown, not raised)."""
    import sqlite3

    from opsdesk.store.connection import StoreError

    return (sqlite3.Error, StoreError, ValueError, OSError)


def describe_error(e: BaseException) -> str:
    import sqlite3

    from opsdesk.store.connection import StoreError

    if isinstance(e, StoreError | ValueError):
        return app_wording(str(e))
    if isinstance(e, sqlite3.Error):
        return f"database error: {e}"
    return f"{type(e).__name__}: {e}"


class AreaScreen(HookedScreen):
    """Base of the areas' screens. Subclasses set SCOPE and implement `fetch` and `show`;
    `HookedScreen` keeps their styles when shown again (opsdesk.tui.textual_hooks)."""

    SCOPE: ClassVar[str] = commands.APP
    _token = 0
    _generation = 0

    @on(events.ScreenResume)
    def _reload_if_stale(self) -> None:
        """Back in this area after the store changed elsewhere: reload (keeping the cursor)."""
        if self._generation != self.ops.store_generation:
            self.reload()

    @property
    def ops(self) -> OpsdeskApp:
        """The app, typed."""
        return cast("OpsdeskApp", self.app)

    @property
    def db(self) -> Path:
        return self.ops.db

    def reload(self) -> None:
        """Fetch the screen's data again in a worker; `show` gets it on the UI thread."""
        self._generation = self.ops.store_generation
        self._token += 1
        self._load(self._token)

    def fetch(self, conn: sqlite3.Connection) -> Any:
        """Read the screen's data (runs in a worker thread; no widget access here)."""
        raise NotImplementedError

    def show(self, data: Any) -> None:
        """Put freshly fetched data on screen (UI thread)."""
        raise NotImplementedError

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load(self, token: int) -> None:
        try:
            with unit_of_work(self.db) as conn:
                data = self.fetch(conn)
        except store_errors() as e:
            self.post_message(LoadFailed(describe_error(e)))
            return
        self.post_message(DataLoaded(data, token))

    @on(DataLoaded)
    @while_running
    def _loaded(self, message: DataLoaded) -> None:
        message.stop()
        if message.token == self._token:
            self.show(message.data)
            if not self.is_current and textual_hooks.usable(textual_hooks.OFFSCREEN_RENDER):
                self.set_timer(0.05, self._lay_out_offscreen)

    def _lay_out_offscreen(self) -> None:
        """A screen built or reloaded while another area is shown: lay it out at the terminal's
        size now and, once its widgets have taken their sizes, render it once and throw the
        frame away. Its widgets keep what they rendered, so the switch to this area repaints
        from those caches (~30-60 ms) instead of rendering everything for the first time
        (~100-150 ms). Textual private API: textual_hooks' `offscreen_render`."""
        if self.is_current or not self.is_attached:
            return
        textual_hooks.lay_out(self, self.app.size)
        self.set_timer(0.05, self._render_offscreen)

    def _render_offscreen(self) -> None:
        if not self.is_current and self.is_attached:
            textual_hooks.render_and_discard(self)

    @on(LoadFailed)
    def _failed(self, message: LoadFailed) -> None:
        message.stop()
        self.notify(
            visible(message.text), title=message.title, severity="error", timeout=8, markup=False
        )

    def write(self, action: Callable[[sqlite3.Connection], str], reload: bool = True) -> None:
        """Run a store change in a worker; its returned text is notified, errors likewise."""
        self._write(action, reload)

    @work(thread=True, group="write", exit_on_error=False)
    def _write(self, action: Callable[[sqlite3.Connection], str], reload: bool) -> None:
        try:
            with unit_of_work(self.db) as conn:
                text = action(conn)
        except store_errors() as e:
            refused = isinstance(e, ValueError)  # the change was refused: nothing is wrong
            self.post_message(LoadFailed(describe_error(e), "Not saved" if refused else "Store"))
            return
        self.app.call_from_thread(self.notify, text, timeout=4)
        if reload:
            self.app.call_from_thread(self.reload)
