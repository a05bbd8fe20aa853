"""How statuses, changes and sparklines look: a symbol for each (readable without colour) and
a colour taken from the current theme (never a hard-coded one)."""

from __future__ import annotations

from collections.abc import Sequence

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
_BARS = "▁▂▃▄▅▆▇█"


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


def change_text(change: float | None, direction: str | None) -> tuple[str, str]:
    """A relative change as `▲ +3.2%` / `▼ -1.0%` and whether it is good, bad or neutral."""
    if change is None:
        return "—", "none"
    arrow = "▲" if change > 0 else "▼" if change < 0 else "="
    text = f"{arrow}{change * 100:+.1f}%"
    if change == 0 or direction is None:
        return text, "none"
    good = (change > 0) == (direction == "up")
    return text, "green" if good else "red"


def change_cell(app: App[object], change: float | None, direction: str | None) -> Text:
    text, status = change_text(change, direction)
    return Text(text, style=theme_style(app, status), justify="right")


def sparkline(values: Sequence[float | None]) -> str:
    """Eight-level bars scaled between the series' min and max; a gap is a space."""
    present = [v for v in values if v is not None]
    if not present:
        return " " * len(values)
    low, high = min(present), max(present)
    span = high - low
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        elif span == 0:
            out.append(_BARS[3])
        else:
            out.append(_BARS[min(7, int((v - low) / span * 8))])
    return "".join(out)
