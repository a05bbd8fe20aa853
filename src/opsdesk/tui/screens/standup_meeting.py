"""The stand-up's meeting record (`r` on the stand-up): the weekly review's record in a small
form, for the ops day.

One list with a cursor: the attendees (`t`: logins, those seen in the store offered), the
notes (`w`), the decisions (`d`), this stand-up's action items (`a`: `what @owner
YYYY-MM-DD`) and every earlier stand-up's and review's action still open, with its age and,
carried three reviews or more, flagged for a decision. `space` marks the action under the
cursor done, `x` drops it (saying why). Everything is stored with who and when, audited; when
someone else changed the same record meanwhile, old → theirs → yours is shown and you choose.
`Esc` leaves the text line, or goes back to the stand-up.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date

from rich.markup import escape
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Header, Input, Static

from opsdesk.domain.action_line import parse_action
from opsdesk.domain.text import visible
from opsdesk.store.review import ConflictError
from opsdesk.tui import commands
from opsdesk.tui.screens.review_conflict import ChoosesOnConflict
from opsdesk.tui.widgets.keybar import KeyBar
from opsdesk.tui.widgets.look import theme_style
from opsdesk.views.meetings import MeetingAction, StandupMeeting


class StandupMeetingScreen(ChoosesOnConflict):
    """The meeting record of the stand-up of `day`."""

    TEXT_LINE = "#meeting-input"

    SCOPE = commands.MEETING
    BINDINGS = commands.bindings(commands.MEETING)

    def __init__(self, day: date) -> None:
        super().__init__(id="standup-meeting")
        self.day = day
        self.model: StandupMeeting | None = None
        self.keys: list[str] = []
        self.typing: str | None = None  # attendees, notes, decision, action, drop
        self.dropping: MeetingAction | None = None
        self.base: tuple[int, str] = (0, "")  # what the typing started from (see _ask)

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="meeting-table", cursor_type="row")
        yield Input(placeholder="", id="meeting-input", select_on_focus=False)
        yield Static("", id="meeting-status")
        yield KeyBar(self.SCOPE, self.ops.keymap)

    def on_mount(self) -> None:
        self.title = "Stand-up meeting"
        self.sub_title = str(self.day)
        self.query_one("#meeting-input", Input).display = False
        self.query_one("#meeting-table", DataTable).focus()
        self.reload()

    # -- data -----------------------------------------------------------------------------

    def fetch(self, conn: sqlite3.Connection) -> StandupMeeting:
        from opsdesk.views.meetings import standup_meeting_on

        return standup_meeting_on(conn, self.day, self.ops.clock)

    def show(self, data: StandupMeeting) -> None:
        self.model = data
        table = self.query_one("#meeting-table", DataTable)
        keep = table.cursor_row
        table.clear(columns=True)  # the text column as wide as the screen: long lines wrap
        table.add_column(Text(""), width=1)
        table.add_column(Text("Stand-up record"), width=max(20, self.app.size.width - 6))
        self.keys = []
        for key, line in data.lines():
            action = data.action(key.removeprefix("action/")) if key.startswith("action/") else None
            mark, style = "·", "none"
            if action is not None:
                mark = {"open": "!" if action.flagged else "○", "done": "✓"}.get(action.status, "-")
                style = "red" if action.flagged else "info"
            elif key in ("meeting", "notes", "carried") or key == "decisions":
                mark, style = "▤", "info"
            table.add_row(
                Text(mark, style=theme_style(self.app, style)), Text(visible(line)), height=None
            )
            self.keys.append(key)
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1), animate=False)
        status = f"changed by {data.updated}" if data.updated else ""
        self.query_one("#meeting-status", Static).update(Text(visible(status)))

    def on_resize(self) -> None:
        if self.model is not None:
            self.show(self.model)

    @property
    def current_action(self) -> MeetingAction | None:
        if self.model is None or not self.keys:
            return None
        row = self.query_one("#meeting-table", DataTable).cursor_row
        key = self.keys[min(max(row, 0), len(self.keys) - 1)]
        return self.model.action(key.removeprefix("action/")) if key.startswith("action/") else None

    # -- typing -----------------------------------------------------------------------------
    # What a write is based on is taken when the typing starts (see the review screen).

    def _base_now(self, what: str) -> tuple[int, str]:
        m = self.model
        if m is None:
            return 0, ""
        if what == "attendees":
            return m.version, ", ".join(m.meeting.attendees) if m.meeting else ""
        if what == "notes":
            return m.version, m.meeting.notes if m.meeting else ""
        if what == "decision":
            return m.decisions_seen, ""
        if what == "action":
            return m.actions_seen, ""
        return 0, ""

    def action_write_attendees(self) -> None:
        m = self.model.meeting if self.model else None
        seen = " ".join(self.model.seen_logins) if self.model else ""
        now = " ".join(m.attendees) if m else ""
        self._ask("attendees", f"logins separated by spaces (seen: {seen}); Enter saves", now)

    def action_write_notes(self) -> None:
        m = self.model.meeting if self.model else None
        hint = "the stand-up's notes (blockers, what was said); Enter saves"
        self._ask("notes", hint, m.notes if m else "")

    def action_write_decision(self) -> None:
        self._ask("decision", "the decision; Enter saves")

    def action_write_action(self) -> None:
        self._ask("action", "what to do @owner YYYY-MM-DD (due, optional); Enter saves")

    def action_back(self) -> None:
        field = self.query_one("#meeting-input", Input)
        if field.display:
            field.display = False
            self.typing = None
            self.query_one("#meeting-table", DataTable).focus()
            return
        self.app.pop_screen()

    @on(Input.Submitted, "#meeting-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        what, text, base = self.typing, event.value, self.base
        self.action_back()
        if what == "attendees":
            self._save_meeting("attendees", text, base)
        elif what == "notes":
            self._save_meeting("notes", text, base)
        elif what == "decision":
            self._save_decision(text, base)
        elif what == "action":
            self._save_action(text, base)
        elif what == "drop" and self.dropping is not None:
            if not text.strip():
                self.notify("Say why it is dropped: nothing was changed", timeout=5)
                return
            self._close_action(self.dropping, "dropped", text)

    # -- writes -----------------------------------------------------------------------------

    def _save_meeting(self, field: str, text: str, base: tuple[int, str]) -> None:
        from opsdesk.store.review import update_meeting

        day = self.day
        attendees = text.split() if field == "attendees" else None
        notes = text if field == "notes" else None

        def save(conn: sqlite3.Connection, based_on: int | None) -> str:
            got = update_meeting(
                conn, "standup", day.isoformat(), day, based_on=based_on,
                attendees=attendees, notes=notes,
            )  # fmt: skip
            if not got.changed:
                return f"{field}: nothing changed"
            if attendees is not None:
                return escape(visible(f"attendees: {', '.join(got.attendees)}"))
            return "notes saved"

        def edit(c: ConflictError) -> None:
            self._ask(field, f"the stand-up's {field}; Enter saves", text, (c.version, c.theirs))

        self.write_choosing(save, base[0], base[1], edit)

    def _save_decision(self, text: str, base: tuple[int, str]) -> None:
        from opsdesk.store.review import add_meeting_decision

        day = self.day

        def save(conn: sqlite3.Connection, based_on: int | None) -> str:
            d = add_meeting_decision(conn, "standup", day.isoformat(), day, text, based_on=based_on)
            return f"decision {d.number} recorded"

        def edit(c: ConflictError) -> None:
            self._ask("decision", "the decision; Enter saves", text, (c.version, ""))

        self.write_choosing(save, base[0], "", edit)

    def _save_action(self, typed: str, base: tuple[int, str]) -> None:
        from opsdesk.store.review import add_meeting_action

        try:
            text, owner, due = parse_action(typed)
        except ValueError as e:
            self.notify(escape(str(e)), severity="warning", timeout=6)
            return
        day = self.day

        def save(conn: sqlite3.Connection, based_on: int | None) -> str:
            item = add_meeting_action(
                conn,
                "standup",
                day.isoformat(),
                day,
                text,
                owner,
                due,
                based_on=based_on,
                clock=self.ops.clock,
            )
            return escape(visible(f"{item.key}: {item.text} — {item.owner}"))

        def edit(c: ConflictError) -> None:
            hint = "what to do @owner YYYY-MM-DD (due, optional); Enter saves"
            self._ask("action", hint, typed, (c.version, ""))

        self.write_choosing(save, base[0], "", edit)

    def action_action_done(self) -> None:
        action = self.current_action
        if action is None or action.status != "open":
            self.notify("Put the cursor on an open action item (○)", timeout=3)
            return
        self._close_action(action, "done", "")

    def action_action_drop(self) -> None:
        action = self.current_action
        if action is None or action.status != "open":
            self.notify("Put the cursor on an open action item (○)", timeout=3)
            return
        self.dropping = action
        self._ask("drop", f"why drop {action.key}? Enter drops it")

    def _close_action(self, action: MeetingAction, status: str, reason: str) -> None:
        self.write(closing(action.key, status, reason))


def closing(key: str, status: str, reason: str) -> Callable[[sqlite3.Connection], str]:
    """The write that marks the action item `key` (`review/3/1`) done or dropped (`reason`),
    as the stand-up's record and the weekly review take it; its text is what is notified."""
    from opsdesk.store.actions import close

    kind, source_id, number = key.split("/")

    def save(conn: sqlite3.Connection) -> str:
        got = close(conn, kind, int(source_id), int(number), status, reason)
        return escape(visible(f"{got.key}: {got.status} ({got.text})"))

    return save
