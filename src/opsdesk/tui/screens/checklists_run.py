"""One checklist run: move with the arrow keys, tick/untick (space), skip with a reason (s),
note (n); who ticked what and when is shown per item; items past their deadline are marked.

Pushed from the checklists area (enter on a run); escape goes back. Every change is one short
write in a worker (`store.checklists`: the tick is recorded with the login and the time), then
the run reloads with the cursor kept on the same item.
"""

from __future__ import annotations

import sqlite3

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Header, Static

from opsdesk.domain.text import visible
from opsdesk.rich_text import plain
from opsdesk.tui import commands
from opsdesk.tui.screens.area import AreaScreen, while_running
from opsdesk.tui.widgets.keybar import KeyBar
from opsdesk.tui.widgets.look import theme_style
from opsdesk.views.checklist_run import ItemRow, RunView, build_run

ITEM_COLUMNS = (("", 3), ("#", 3), ("Step", 58), ("Done by", 30), ("Note", None))
"""Label and width (None: fit): long steps are cut so who/when stays on a 120-column screen."""
NARROW_BELOW = 3 + 3 + 58 + 30 + 20 + 2 * 5 + 1
"""Narrower than this the Note column gives way (a note shows under its step) and the step
is cut to what is left: "Done by" (who and when, or OVERDUE (due …)) is never cut."""


def item_columns(rows: tuple[ItemRow, ...], width: int) -> list[tuple[str, int | None]]:
    """The item table's columns on a table `width` cells wide (see NARROW_BELOW)."""
    if width >= NARROW_BELOW:
        return list(ITEM_COLUMNS)
    who = max([len("Done by"), *(len(r.who) for r in rows)])
    step = max(width - (3 + 2) - (3 + 2) - (who + 2) - 2 - 1, 12)
    return [("", 3), ("#", 3), ("Step", step), ("Done by", who)]


class ChecklistRunScreen(AreaScreen):
    """A pushed screen: the items of one run."""

    SCOPE = commands.CHECKLIST_RUN
    BINDINGS = commands.bindings(commands.CHECKLIST_RUN)

    def __init__(self, run_id: int, position: int | None = None) -> None:
        super().__init__(id="checklist-run")
        self.run_id = run_id
        self.view: RunView | None = None
        self.versions: dict[str, int] = {}
        """Each item's version when the run was read (`store.versioning`), by run/position."""
        self.start_at = position
        """The item to put the cursor on when the run is first shown (a search hit's)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="run-summary")
        yield DataTable(id="item-table", cursor_type="row", zebra_stripes=True)
        yield KeyBar(self.SCOPE, self.ops.keymap)

    @while_running
    def on_mount(self) -> None:
        self.title = "Checklist"
        self.reload()

    def fetch(self, conn: sqlite3.Connection) -> RunView:
        from opsdesk.views.history import versions

        view = build_run(conn, self.run_id, self.ops.clock())
        keys = [f"{view.run_id}/{r.position}" for r in view.rows]
        self.versions = versions(conn, "sop_run_item", keys)  # what a note is based on
        return view

    def show(self, data: RunView) -> None:
        self.view = data
        self.sub_title = visible(data.title)  # Header text, and never the terminal's title
        self.query_one("#run-summary", Static).update(plain(data.summary))
        table = self.query_one("#item-table", DataTable)
        keep = table.cursor_row
        if self.start_at is not None:
            keep = next((i for i, r in enumerate(data.rows) if r.position == self.start_at), 0)
            self.start_at = None
        columns = item_columns(data.rows, table.size.width or self.app.size.width)
        table.clear(columns=True)
        for label, width in columns:
            table.add_column(Text(label), width=width)
        narrow = len(columns) < len(ITEM_COLUMNS)
        for r in data.rows:
            style = theme_style(self.app, "overdue") if r.overdue else ""
            step = plain(r.step, style=style, overflow="ellipsis", no_wrap=True)
            cells = [Text(r.mark, style=style), Text(str(r.position), justify="right"), step]
            cells.append(plain(r.who, style=style))
            if not narrow:
                cells.append(plain(r.note))
            elif r.note:  # the note under its step
                step.append("\n✎ " + visible(r.note), style=theme_style(self.app, "info"))
            table.add_row(*cells, key=str(r.position), height=2 if narrow and r.note else 1)
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1), animate=False)
        table.focus()

    def on_resize(self) -> None:
        if self.view is not None:
            self.call_after_refresh(self.show, self.view)

    def _current(self) -> ItemRow | None:
        if self.view is None or not self.view.rows:
            return None
        row = self.query_one("#item-table", DataTable).cursor_row
        return self.view.rows[min(row, len(self.view.rows) - 1)]

    # -- actions ----------------------------------------------------------------------------

    def action_toggle_item(self) -> None:
        item = self._current()
        if item is None or self.view is None:
            return
        run_id, position = self.view.run_id, item.position

        def change(conn: sqlite3.Connection) -> str:
            from opsdesk.store.checklists import tick, untick

            if item.state == "open":
                tick(conn, run_id, position)
                return f"Ticked item {position}"
            untick(conn, run_id, position)
            return f"Unticked item {position}"

        self.write(change)

    def action_skip_item(self) -> None:
        item = self._current()
        if item is None or self.view is None:
            return
        from opsdesk.tui.widgets.checklist_dialog import ChecklistTextDialog

        run_id, position = self.view.run_id, item.position

        def done(reason: str | None) -> None:
            if not reason:
                return

            def change(conn: sqlite3.Connection) -> str:
                from opsdesk.store.checklists import skip_item

                skip_item(conn, run_id, position, reason)
                return f"Skipped item {position}"

            self.write(change)

        self.app.push_screen(ChecklistTextDialog(f"Why skip item {position}?", required=True), done)

    def action_note_item(self) -> None:
        item = self._current()
        if item is None or self.view is None:
            return
        from opsdesk.tui.widgets.checklist_dialog import ChecklistTextDialog

        run_id, position = self.view.run_id, item.position
        old = (
            item.note.split("; ")[-1] if item.note and not item.note.startswith("skipped: ") else ""
        )

        based_on = self.versions.get(f"{run_id}/{position}", 0)

        def done(note: str | None) -> None:
            if note is not None:
                self.save_note(run_id, position, note, based_on)

        self.app.push_screen(ChecklistTextDialog(f"Note for item {position}", old), done)

    def save_note(self, run_id: int, position: int, note: str, based_on: int) -> None:
        """Save a note typed on the item as read at version `based_on`: a note someone else
        saved meanwhile asks old → theirs → yours instead (`save_checked`)."""
        from opsdesk.tui.widgets.conflict_dialog import save_checked

        def save(conn: sqlite3.Connection, version: int) -> str:
            from opsdesk.store.checklists import set_note

            set_note(conn, run_id, position, note, based_on=version)
            return f"Note saved on item {position}"

        save_checked(self, f"The note on item {position}", save, based_on)

    def action_back(self) -> None:
        self.app.pop_screen()
