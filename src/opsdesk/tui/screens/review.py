"""Area 7: the weekly review, walked item by item with the keyboard on a shared screen.

The agenda (opsdesk.views.review.agenda) is a list with a cursor: `tab` walks to the next
item, `enter` expands the one under the cursor (a deck or exception item shows its 6-12
chart — the last 6 ISO weeks then the 12 complete months, this year and last year — and the
summary row). At an exception `n` writes the owner's note, `i` marks it "investigating"; `c`
clears the rest of the deck in one key. `d` records a decision, `ctrl+s` closes (freezes)
the review; `[`/`]` move a week. Typing happens in one text line at the bottom.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from rich.markup import escape
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Header, Input, Static

from opsdesk.domain import review as rules
from opsdesk.domain.periods import Period
from opsdesk.domain.text import visible
from opsdesk.tui import commands
from opsdesk.tui.screens.area import AreaScreen
from opsdesk.tui.widgets.chart import SixTwelveChart
from opsdesk.tui.widgets.keybar import KeyBar
from opsdesk.tui.widgets.look import theme_style
from opsdesk.views import review as views

MARKS = {"exception": "!", "deck": "▤"}


class ReviewScreen(AreaScreen):
    """Area 7: the review agenda with its cursor, the expanded item, one text line."""

    SCOPE = commands.REVIEW
    BINDINGS = commands.bindings(commands.REVIEW)

    def __init__(self) -> None:
        super().__init__(id="review")
        self.week: Period | None = None
        self.review: views.Review | None = None
        self.items: list[views.AgendaItem] = []
        self.expanded: str | None = None
        self.cleared = False
        self.problem = ""
        self.typing: str | None = None  # note, decision, attendees
        self.seen_logins: list[str] = []

    def compose(self) -> ComposeResult:
        yield Header()
        table: DataTable[Any] = DataTable(id="review-agenda", cursor_type="row")
        table.add_column(Text(""), width=1)
        table.add_column(Text("Item"))
        yield table
        chart = SixTwelveChart(id="review-chart")
        chart.display = False
        yield chart
        yield Static("", id="review-detail")
        yield Input(placeholder="", id="review-input")
        yield Static("", id="review-status")
        yield KeyBar(self.SCOPE, self.ops.keymap)

    def on_mount(self) -> None:
        self.title = "Weekly review"
        self.query_one("#review-input", Input).display = False
        self.query_one("#review-agenda", DataTable).focus()
        self.reload()

    # -- data -----------------------------------------------------------------------------

    def fetch(self, conn: sqlite3.Connection) -> tuple[Period, views.Review | None, str, list[str]]:
        ops_day = self.ops.ops_day
        week = self.week or rules.last_complete_week(ops_day)
        quick = self.review is None or self.review.week != week  # the agenda first, then 6-12
        try:
            review = views.build_review(conn, week, ops_day, windows=not quick)
            return week, review, "", views.attendees_seen(conn)
        except views.NoData as e:
            return week, None, str(e), []

    def show(self, data: tuple[Period, views.Review | None, str, list[str]]) -> None:
        self.week, self.review, self.problem, self.seen_logins = data
        closed = self.review.closed if self.review else None
        self.sub_title = f"{self.week.key} ({self.week.start} … {self.week.end})" + (
            f" · closed by {closed.closed_by}" if closed else ""
        )
        self.items = views.agenda(self.review) if self.review else []
        self._fill()
        if self.review is not None and not self.review.windows:
            self.reload()  # now the 6-12 windows and the summary row (views.build_review)

    def _fill(self) -> None:
        table = self.query_one("#review-agenda", DataTable)
        keep = table.cursor_row
        table.clear()
        if not self.items:
            table.add_row(Text(""), Text(self.problem or "loading…"), key="none")
        for item in self.items:
            mark = MARKS.get(item.kind, "·")
            style = theme_style(self.app, "red" if item.kind == "exception" else "info")
            title = item.title
            if item.kind == "deck" and self.cleared:
                title += " · the rest cleared: nothing to see here"
            table.add_row(Text(mark, style=style), Text(visible(title)), key=item.key)
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1), animate=False)
        self._show_detail()

    @property
    def current(self) -> views.AgendaItem | None:
        if not self.items:
            return None
        row = self.query_one("#review-agenda", DataTable).cursor_row
        return self.items[min(max(row, 0), len(self.items) - 1)]

    def _show_detail(self) -> None:
        detail = self.query_one("#review-detail", Static)
        chart = self.query_one("#review-chart", SixTwelveChart)
        item = self.current
        entry = item.entry if item is not None and self.expanded == item.key else None
        if entry is not None and not entry.weeks:  # the quick first model: no 6-12 data yet
            entry = None
        chart.display = entry is not None
        if entry is not None:
            chart.show_six_twelve(
                f"{entry.metric.name_en} ({entry.shop}): 6 weeks | 12 months",
                entry.metric,
                [(p.key, p.value, p.last_year) for p in entry.weeks],
                [(p.key, p.value, p.last_year) for p in entry.months],
                entry.target,
            )
        if item is None or self.expanded != item.key:
            hint = "enter expands the item · tab walks to the next"
            if item is not None and not item.lines:
                hint = "nothing more to show"
            detail.update(Text(hint, style=theme_style(self.app, "none")))
            return
        text = Text()
        if item.entry is not None and not item.entry.weeks:
            text.append("reading the 6-12 windows…\n")
        elif item.entry is not None and self.size.height < 20:  # no room for the chart
            text.append(six_twelve_text(item.entry) + "\n")
        text.append(visible("\n".join(item.lines)) or "nothing more to show")
        detail.update(text)

    # -- walking ----------------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#review-agenda")
    def _moved(self, _: DataTable.RowHighlighted) -> None:
        self._show_detail()

    @on(DataTable.RowSelected, "#review-agenda")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_toggle_expand()

    def action_toggle_expand(self) -> None:
        item = self.current
        if item is not None:
            self.expanded = None if self.expanded == item.key else item.key
            self._show_detail()

    def _move(self, step: int) -> None:
        table = self.query_one("#review-agenda", DataTable)
        if table.row_count:
            table.move_cursor(row=(table.cursor_row + step) % table.row_count, animate=False)
            self.expanded = None
            self._show_detail()

    def action_next_item(self) -> None:
        self._move(1)

    def action_previous_item(self) -> None:
        self._move(-1)

    def action_clear_rest(self) -> None:
        """Every metric that is not an exception is cleared; the cursor goes past the deck."""
        self.cleared = True
        self._fill()
        table = self.query_one("#review-agenda", DataTable)
        first = next((i for i, it in enumerate(self.items) if it.kind == "split"), 0)
        table.move_cursor(row=first, animate=False)

    def action_previous_week(self) -> None:
        if self.week is not None:
            self._change_week(self.week.previous())

    def action_next_week(self) -> None:
        if self.week is None:
            return
        last = rules.last_complete_week(self.ops.ops_day)
        if self.week.next().end <= last.end:
            self._change_week(self.week.next())
        else:
            self.notify(f"{last.key} is the last complete week", timeout=3)

    def _change_week(self, week: Period) -> None:
        self.week = week
        self.expanded = None
        self.cleared = False
        self.reload()

    # -- typing -----------------------------------------------------------------------------

    def _ask(self, what: str, placeholder: str, value: str = "") -> None:
        field = self.query_one("#review-input", Input)
        self.typing = what
        field.placeholder = placeholder
        field.value = value
        field.display = True
        field.focus()

    def action_write_note(self) -> None:
        item = self.current
        if item is None or item.entry is None:
            self.notify("Notes go on an exception: tab to one (marked !)", timeout=4)
            return
        self._ask("note", f"why {item.entry.metric.name_en} ({item.entry.shop}) moved; Enter saves")

    def action_mark_investigating(self) -> None:
        item = self.current
        if item is None or item.entry is None:
            self.notify("'investigating' goes on an exception: tab to one (marked !)", timeout=4)
            return
        self._save_note(item.entry, "", investigating=True)

    def action_write_decision(self) -> None:
        self._ask("decision", "the decision; Enter saves")

    def action_write_attendees(self) -> None:
        meeting = self.review.meeting if self.review else None
        now = " ".join(meeting.attendees) if meeting else ""
        seen = " ".join(self.seen_logins)
        self._ask("attendees", f"logins separated by spaces (seen: {seen}); Enter saves", now)

    def action_write_action(self) -> None:
        self._ask("action", "what to do @owner YYYY-MM-DD (due, optional); Enter saves")

    def action_cancel_input(self) -> None:
        field = self.query_one("#review-input", Input)
        field.display = False
        self.typing = None
        self.query_one("#review-agenda", DataTable).focus()

    @on(Input.Submitted, "#review-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        what, text = self.typing, event.value
        self.action_cancel_input()
        item = self.current
        if what == "note" and item is not None and item.entry is not None:
            self._save_note(item.entry, text, investigating=False)
        elif what == "decision":
            self._save_decision(text)
        elif what == "attendees":
            self._save_attendees(text.split())
        elif what == "action":
            self._save_action(text)

    def _save_note(self, entry: views.DeckEntry, text: str, *, investigating: bool) -> None:
        from opsdesk.store.review import set_note

        assert self.week is not None
        week, seen = self.week.key, entry.note.version if entry.note else 0
        metric, shop = entry.metric.key, entry.shop

        def save(conn: sqlite3.Connection) -> str:
            n = set_note(conn, metric, shop, week, text, investigating=investigating, based_on=seen)
            return escape(visible(f"{metric} ({shop}) {week}: {n.text()}"))

        self.write(save)

    def _save_decision(self, text: str) -> None:
        from opsdesk.store.review import add_decision

        assert self.week is not None
        week, day = self.week.key, self.ops.ops_day

        def save(conn: sqlite3.Connection) -> str:
            d = add_decision(conn, week, day, text)
            return f"decision {d.number} recorded"

        self.write(save)

    def _save_action(self, typed: str) -> None:
        from opsdesk.store.review import add_action

        assert self.week is not None
        week, day = self.week.key, self.ops.ops_day
        try:
            text, owner, due = parse_action(typed)
        except ValueError as e:
            self.notify(escape(str(e)), severity="warning", timeout=6)
            return

        def save(conn: sqlite3.Connection) -> str:
            item = add_action(conn, week, day, text, owner, due)
            return escape(f"{item.key}: {item.text} — {item.owner}")

        self.write(save)

    def _save_attendees(self, logins: list[str]) -> None:
        from opsdesk.store.review import update_meeting

        assert self.week is not None
        week, day = self.week.key, self.ops.ops_day
        seen = self.review.meeting.version if self.review and self.review.meeting else None

        def save(conn: sqlite3.Connection) -> str:
            m = update_meeting(conn, "review", week, day, based_on=seen, attendees=logins)
            return escape(f"attendees: {', '.join(m.attendees)}")

        self.write(save)

    def action_close_review(self) -> None:
        from opsdesk.reports.review_pack import dumps, payload
        from opsdesk.store.review import close_review

        if self.week is None or self.review is None:
            return
        week, ops_day = self.week, self.ops.ops_day

        def close(conn: sqlite3.Connection) -> str:
            data = payload(views.build_review(conn, week, ops_day))
            pack = close_review(conn, week.key, dumps(data))
            return f"review {week.key} closed: sha256 {pack.sha256[:12]}"

        self.write(close)


def six_twelve_text(e: views.DeckEntry) -> str:
    """The 6-12 data as sparklines: the 6 weeks (this year and last year on one scale) and
    the 12 months (likewise, their own scale: a month is not a week)."""
    w = rules.sparkline([*(p.value for p in e.weeks), *(p.last_year for p in e.weeks)])
    m = rules.sparkline([*(p.value for p in e.months), *(p.last_year for p in e.months)])
    nw, nm = len(e.weeks), len(e.months)
    labels = f"{e.weeks[0].key}…{e.weeks[-1].key} │ {e.months[0].key}…{e.months[-1].key}"
    return f"6-12  this year {w[:nw]} │ {m[:nm]}\n      last year {w[nw:]} │ {m[nm:]}   ({labels})"


def parse_action(typed: str) -> tuple[str, str, date | None]:
    """`what to do @owner 2026-12-04` → (text, owner, due); ValueError without an owner."""
    words, owner, due = [], "", None
    for word in typed.split():
        if word.startswith("@") and len(word) > 1:
            owner = word[1:]
        elif len(word) == 10 and word[4] == "-" and word[7] == "-":
            try:
                due = date.fromisoformat(word)
            except ValueError:
                raise ValueError(f"due: {word!r} is not a date like 2026-12-04") from None
        else:
            words.append(word)
    if not owner:
        raise ValueError("an action item needs an owner: add @login")
    return " ".join(words), owner, due
