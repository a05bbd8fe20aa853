"""The history of one object (`h` on a KPI value, a checklist item, a cycle, a risk): every
change from the audit trail, newest first — when (the store's time), who, what, old → new.

Read in a worker through `opsdesk.views.history.object_history` (the same rows as
`opsdesk log --object TYPE:ID`); every stored text is already made visible there and is drawn
as plain text. Escape goes back to where it was opened.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Header, Static

from opsdesk.tui import commands
from opsdesk.tui.screens.area import AreaScreen
from opsdesk.tui.widgets.keybar import KeyBar
from opsdesk.views.history import ObjectHistory, object_history


class HistoryScreen(AreaScreen):
    """A pushed screen: one object's changes."""

    SCOPE = commands.HISTORY
    BINDINGS = commands.bindings(commands.HISTORY)

    def __init__(self, object_type: str, object_key: str, title: str) -> None:
        super().__init__(id="history")
        self.object_type = object_type
        self.object_key = object_key
        self.label = title
        self.history: ObjectHistory | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="history-summary")
        yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
        yield KeyBar(self.SCOPE, self.ops.keymap)

    def on_mount(self) -> None:
        self.title = "History"
        self.reload()

    def fetch(self, conn: sqlite3.Connection) -> ObjectHistory:
        return object_history(conn, self.object_type, self.object_key, self.label)

    def show(self, data: Any) -> None:
        self.history = data
        self.sub_title = data.title
        count = len(data.rows)
        summary = f"{count} change(s), newest first" if count else "no recorded change yet"
        if data.origins:  # base values no recorded change explains: where they came from
            summary = "\n".join(data.origins if not count else (summary, *data.origins))
        self.query_one("#history-summary", Static).update(Text(summary))
        table: DataTable[Any] = self.query_one("#history-table", DataTable)
        table.clear(columns=True)
        for label in ("#", "When", "Who", "What", "Old → new"):
            table.add_column(Text(label))
        for r in data.rows:
            table.add_row(
                Text(str(r.id), justify="right"),
                Text(r.when),
                Text(r.who),
                Text(f"{r.object}  {r.action}"),
                Text(r.change),
                key=str(r.id),
            )
        table.focus()

    def action_back(self) -> None:
        self.app.pop_screen()


Target = tuple[str, str, str]
"""(object type, key, title) of what `h` opens."""


def history_target(screen: object) -> Target | str | None:
    """What `h` opens on `screen`: the object under its cursor, a sentence saying what to do
    first (str), or None where `h` has nothing to show. Kept here, beside the view, so the
    areas' screens need no code of their own for it."""
    own = getattr(screen, "history_target", None)
    if callable(own):
        found: Target | str | None = own()
        return found
    name = type(screen).__name__
    if name == "ChecklistRunScreen":
        view = getattr(screen, "view", None)
        item = screen._current() if view is not None else None  # type: ignore[attr-defined]
        if view is None or item is None:
            return None
        key = f"{view.run_id}/{item.position}"
        return "sop_run_item", key, f"Checklist item {key}: {item.step}"
    if name in ("CycleScreen", "PdcaBoardScreen"):  # the board: the card under the cursor
        cycle_id = (
            screen.cycle_id  # type: ignore[attr-defined]
            if name == "CycleScreen"
            else screen._focused_card()  # type: ignore[attr-defined]
        )
        if cycle_id is None:
            return None
        return "pdca", str(cycle_id), f"PDCA cycle {cycle_id}"
    if name == "RiskScreen":
        key = screen.key  # type: ignore[attr-defined]
        return "risk", key, f"Risk {key}"
    if name in ("StandupScreen", "ExplorerScreen"):
        app = screen.app  # type: ignore[attr-defined]
        if name == "StandupScreen":
            metric = screen._metric_under_cursor()  # type: ignore[attr-defined]
            shop = screen.current_shop_key()  # type: ignore[attr-defined]
            data = screen.data  # type: ignore[attr-defined]
            day = data.model.day if data is not None else app.ops_day.isoformat()
        else:
            metric, shop, day = app.metric_key, app.shop_key, app.ops_day.isoformat()
        if metric is None:
            return None
        if shop is None:
            return (
                "A KPI value's history is per shop: pick a shop first "
                "(n on the stand-up, s in the explorer)"
            )
        return "kpi", f"{shop}/{metric}/{day}", f"{metric} · {shop} · {day}"
    return None
