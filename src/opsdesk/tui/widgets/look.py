"""How statuses and changes look: a symbol for each (readable without colour) and
a colour taken from the current theme (never a hard-coded one)."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import App
from textual.color import Color

STATUS_SYMBOLS = {"green": "✓", "amber": "!", "red": "✗", "stale": "?", "none": "·"}
STATUS_WORDS = {
    "green": "on target",
    "amber": "near",
    "red": "off target",
    "stale": "no data",
    "none": "no target",
}
_STATUS_VARIABLE = {
    "green": "success",
    "amber": "warning",
    "red": "error",
    "stale": "warning",
    "none": "foreground-muted",
    "ok": "success",
    "todo": "foreground",
    "due": "warning",
    "overdue": "error",
    "info": "foreground-muted",
    "dim": "foreground-muted",
}


def theme_style(app: App[object], status: str, *, bold: bool = False) -> Style:
    """The style of a status in the app's current theme."""
    variables = app.theme_variables
    value = variables.get(_STATUS_VARIABLE.get(status, "foreground")) or variables["foreground"]
    colour = Color.parse(value)
    if colour.a < 1:  # muted variables carry an alpha: blend them onto the background
        colour = Color.parse(variables.get("background", "#000000")).blend(
            colour.with_alpha(1), colour.a
        )
    return Style(color=colour.rich_color, bold=bold)


def status_cell(app: App[object], status: str) -> Text:
    return Text(STATUS_SYMBOLS.get(status, "·"), style=theme_style(app, status, bold=True))


def change_cell(app: App[object], text: str, status: str) -> Text:
    return Text(text, style=theme_style(app, status), justify="right")
