"""What every sub-command shares: the store path, opening it, and turning errors into exits."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from opsdesk.domain.text import visible
from opsdesk.store.connection import StoreError

if TYPE_CHECKING:
    from opsdesk.domain.periods import Period

F = TypeVar("F", bound=Callable[..., Any])


class CliError(click.ClickException):
    """A user-facing failure with its own exit status (1 by default)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        # click declares exit_code on the class; the instance value picks the process status.
        setattr(self, "exit_code", exit_code)  # noqa: B010

    def format_message(self) -> str:
        # messages echo file content and stored names: shown, never obeyed by the terminal
        return visible(self.message)


def db_path(ctx: click.Context) -> Path:
    obj = ctx.find_root().obj or {}
    return Path(obj["db"])


@contextmanager
def store(
    ctx: click.Context, *, create: bool = False, team_gid: int | None = None
) -> Iterator[sqlite3.Connection]:
    """The store for one command; StoreError and sqlite errors become clean exits."""
    from opsdesk.bootstrap import initialise
    from opsdesk.store.db import open_store

    path = db_path(ctx)
    try:
        conn = initialise(path, team_gid=team_gid) if create else open_store(path)
    except StoreError as e:
        raise CliError(str(e)) from None
    except sqlite3.DatabaseError as e:
        raise CliError(f"{path}: {e}") from None
    from opsdesk.store.checklists import ensure_on_open

    ensure_on_open(conn)  # create the SOP checklist runs due today: every command does (no daemon)
    try:
        yield conn
    except StoreError as e:
        raise CliError(str(e)) from None
    except sqlite3.OperationalError as e:
        raise CliError(f"{path}: database error: {e}") from None
    finally:
        conn.close()


def user_errors(fn: F) -> F:
    """Decorator: ValueError raised by validation becomes a clean one-line error, exit 1."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ValueError as e:
            raise CliError(str(e)) from None

    return wrapper  # type: ignore[return-value]


def console() -> Any:
    """A rich console; when output is piped or captured, wide enough not to wrap tables.

    Every `str` it is given (a table cell, a line) is plain text: markup is not parsed and
    control characters are shown (`visible`), a second line of defence behind `plain()`.
    """
    import sys

    from rich.console import Console

    class PlainConsole(Console):
        def render_str(self, text: str, **kwargs: Any) -> Any:
            return super().render_str(visible(text), **kwargs)

    return PlainConsole(width=None if sys.stdout.isatty() else 160, markup=False, emoji=False)


def text_or_json(fmt: str) -> str:
    """`--format` of a list command: text or json, else a clean error."""
    if fmt not in ("text", "json"):
        raise CliError(f"--format: {fmt!r} is not one of text, json")
    return fmt


def period_option(kind: str, text: str, option: str) -> Period:
    """A `--OPTION` value as a period of `kind` (day, week, month), else a clean error
    naming the option."""
    from opsdesk.domain import periods

    try:
        return periods.parse(kind, text)
    except ValueError as e:
        raise CliError(f"{option}: {e}") from None


def day_option(text: str | None, option: str) -> date | None:
    """A `--OPTION YYYY-MM-DD` value as a day (None when not given), else a clean error."""
    return None if text is None else period_option("day", text, option).start


def since_day(since: str | None) -> date | None:
    """`--since YYYY-MM-DD` as a day (None when not given), else a clean error."""
    return day_option(since, "--since")


def action_added(key: str, text: str, owner: str, due: date | None) -> str:
    """What `review action` and `standup action` print for the item they added."""
    return visible(f"{key}: {text} — {owner}" + (f", due {due}" if due else ""))
