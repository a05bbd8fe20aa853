"""Area 7: the weekly review, walked item by item with the keyboard on a shared screen.

The agenda (opsdesk.views.review.agenda) is a list with a cursor: `tab` walks to the next
item, `enter` expands the one under the cursor (a deck or exception item shows its 6-12
chart — the last 6 ISO weeks then the 12 complete months, this year and last year — and the
summary row, with earlier weeks' owner notes as markers at their points). At an exception
`n` writes the owner's note, `i` marks it "investigating"; `c` clears the rest of the deck in
one key (stored: who and when). `d` records a decision, `a` an action item (on the action
items `space` marks an open one done, `x` drops it saying why: the stand-up record's write),
`ctrl+s` closes (freezes) the review; `[`/`]` move a week. Typing happens in one text line
at the bottom.
When someone else changed the same note, the attendees, the decisions or the actions while
you typed, a dialog shows old → theirs → yours and you choose. A closed review takes no
notes, decisions, actions or clearing (reopening is explicit: `opsdesk review reopen`).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from rich.markup import escape
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Header, Input, Static

from opsdesk.domain import review as rules
from opsdesk.domain.action_line import parse_action
from opsdesk.domain.periods import Period
from opsdesk.domain.text import visible
from opsdesk.store.review import ConflictError
from opsdesk.tui import commands
from opsdesk.tui.screens.review_conflict import ChoosesOnConflict
from opsdesk.tui.widgets.chart import SixTwelveChart
from opsdesk.tui.widgets.keybar import KeyBar
from opsdesk.tui.widgets.look import theme_style
from opsdesk.views import meetings
from opsdesk.views import review as views
from opsdesk.views.note_marks import six_twelve_marks

MARKS = {"exception": "!", "deck": "▤"}


Marks = dict[tuple[str, str], list[tuple[str, str]]]
Fetched = tuple[Period, views.Review | None, str, list[str], Marks, str]


class ReviewScreen(ChoosesOnConflict):
    """Area 7: the review agenda with its cursor, the expanded item, one text line."""

    TEXT_LINE = "#review-input"

    SCOPE = commands.REVIEW
    BINDINGS = commands.bindings(commands.REVIEW)

    def __init__(self) -> None:
        super().__init__(id="review")
        self.week: Period | None = None
        self.review: views.Review | None = None
        self.items: list[views.AgendaItem] = []
        self.expanded: str | None = None
        self.cleared = ""  # who cleared the rest of the deck and when, or ""
        self.problem = ""
        self.typing: str | None = None  # note, decision, attendees
        self.seen_logins: list[str] = []
        self.marks: Marks = {}
        self.base: tuple[int, str] = (0, "")  # what the typing started from (see _ask)
        self.note_entry: views.DeckEntry | None = None  # the exception a note is typed for

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
        yield Input(placeholder="", id="review-input", select_on_focus=False)
        yield Static("", id="review-status")
        yield KeyBar(self.SCOPE, self.ops.keymap)

    def on_mount(self) -> None:
        self.title = "Weekly review"
        self.query_one("#review-input", Input).display = False
        self.query_one("#review-agenda", DataTable).focus()
        self.reload()

    # -- data -----------------------------------------------------------------------------

    def fetch(self, conn: sqlite3.Connection) -> Fetched:
        ops_day = self.ops.ops_day
        week = self.week or rules.last_complete_week(ops_day)
        quick = self.review is None or self.review.week != week  # the agenda first, then 6-12
        try:
            review = views.build_review(conn, week, ops_day, windows=not quick)
        except views.NoData as e:
            return week, None, str(e), [], {}, ""
        marks: Marks = {}
        if review.deck:
            first = review.deck[0]
            weeks, months = [p.key for p in first.weeks], [p.key for p in first.months]
            marks = six_twelve_marks(conn, week.key, weeks, months)
        cleared = meetings.cleared_label(conn, review.meeting)
        return week, review, "", views.attendees_seen(conn), marks, cleared

    def show(self, data: Fetched) -> None:
        self.week, self.review, self.problem, self.seen_logins, self.marks, self.cleared = data
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
            if item.kind == "deck" and self.cleared:  # said before the long rule set
                head, _, rules_named = title.partition(" · ")
                cleared = f"rest cleared by {self.cleared} (nothing to see here)"
                title = " · ".join(t for t in (head, cleared, rules_named) if t)
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
                self.marks.get((entry.metric.key, entry.shop), []),
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
        """Every metric that is not an exception is cleared (stored: who and when); the cursor
        goes past the deck."""
        from opsdesk.store.review import clear_rest

        if self.week is None or self.review is None or self._refused_closed():
            return
        week, day = self.week.key, self.ops.ops_day
        self.cleared = self.cleared or "you"
        self._fill()
        table = self.query_one("#review-agenda", DataTable)
        first = next((i for i, it in enumerate(self.items) if it.kind == "split"), 0)
        table.move_cursor(row=first, animate=False)

        def save(conn: sqlite3.Connection) -> str:
            m = clear_rest(conn, week, day)
            return escape(f"{week}: the rest of the deck cleared by {m.cleared_by}")

        self.write(save)

    def _refused_closed(self) -> bool:
        """A closed review is frozen: say so (and how to reopen) instead of typing."""
        closed = self.review.closed if self.review else None
        if closed is None or self.week is None:
            return False
        self.notify(
            escape(
                f"review {self.week.key} was closed by {closed.closed_by}: it is frozen"
                f" (`opsdesk review reopen {self.week.key}` first)"
            ),
            severity="warning",
            timeout=6,
        )
        return True

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
        self.cleared = ""
        self.reload()

    # -- typing -----------------------------------------------------------------------------
    # What a write is based on is taken when the typing starts (the version of the note or
    # meeting, the last decision or action number seen, and the old text): the screen may
    # reload meanwhile with someone else's change, which the write must not take as seen.

    def _base_now(self, what: str) -> tuple[int, str]:
        """(version or last number seen, old text) of what `what` writes, as shown now."""
        r = self.review
        if what == "note" and self.note_entry is not None:
            n = self.note_entry.note
            return (n.version, n.text()) if n else (0, "")
        if what == "decision" and r is not None and r.decisions:
            return r.decisions[-1].number, ""
        if what == "action" and r is not None:
            mine = [a["action"] for a in r.actions if self._of_this_review(a["action"])]
            return max((int(k.rsplit("/", 1)[1]) for k in mine), default=0), ""
        if what == "attendees" and r is not None and r.meeting is not None:
            return r.meeting.version, ", ".join(r.meeting.attendees)
        return 0, ""

    def action_write_note(self) -> None:
        item = self.current
        if self._refused_closed():
            return
        if item is None or item.entry is None:
            self.notify("Notes go on an exception: tab to one (marked !)", timeout=4)
            return
        self.note_entry = item.entry
        self._ask("note", f"why {item.entry.metric.name_en} ({item.entry.shop}) moved; Enter saves")

    def action_mark_investigating(self) -> None:
        item = self.current
        if self._refused_closed():
            return
        if item is None or item.entry is None:
            self.notify("'investigating' goes on an exception: tab to one (marked !)", timeout=4)
            return
        self.note_entry = item.entry
        self._save_note("", self._base_now("note"), investigating=True)

    def action_write_decision(self) -> None:
        if not self._refused_closed():
            self._ask("decision", "the decision; Enter saves")

    def action_write_attendees(self) -> None:
        if self._refused_closed():
            return
        meeting = self.review.meeting if self.review else None
        now = " ".join(meeting.attendees) if meeting else ""
        seen = " ".join(self.seen_logins)
        self._ask("attendees", f"logins separated by spaces (seen: {seen}); Enter saves", now)

    def action_write_action(self) -> None:
        if not self._refused_closed():
            self._ask("action", "what to do @owner YYYY-MM-DD (due, optional); Enter saves")

    def _open_action_keys(self) -> list[str]:
        """The keys of the open action items listed, those flagged for a decision first."""
        listed = self.review.actions if self.review else []
        open_ = [a for a in listed if a["status"] == "open"]
        return [a["action"] for a in sorted(open_, key=lambda a: not a["flagged"])]

    def _ask_closing(self, what: str) -> None:
        """`space`/`x` on the action items: the key of an open one typed (the first offered)."""
        item = self.current
        if self._refused_closed():
            return
        keys = self._open_action_keys()
        if item is None or item.kind != "actions" or not keys:
            self.notify("Tab to the action items (with one open) first", timeout=4)
            return
        if what == "done":
            self._ask("done", f"the action done: its key ({', '.join(keys)}); Enter", keys[0])
        else:
            self._ask("drop", "the action's key, then why it is dropped; Enter", keys[0] + " ")

    def action_action_done(self) -> None:
        self._ask_closing("done")

    def action_action_drop(self) -> None:
        self._ask_closing("drop")

    def _close_typed(self, what: str, typed: str) -> None:
        from opsdesk.tui.screens.standup_meeting import closing

        key, _, reason = typed.strip().partition(" ")
        keys = self._open_action_keys()
        if key not in keys:
            listed = ", ".join(keys) or "none"
            self.notify(escape(visible(f"{key!r} is not an open action here ({listed})")),
                        severity="warning", timeout=6)  # fmt: skip
            return
        if what == "drop" and not reason.strip():
            self.notify("Say why it is dropped: the key, then the reason", timeout=5)
            return
        self.write(closing(key, "done" if what == "done" else "dropped", reason.strip()))

    def action_cancel_input(self) -> None:
        field = self.query_one("#review-input", Input)
        field.display = False
        self.typing = None
        self.query_one("#review-agenda", DataTable).focus()

    @on(Input.Submitted, "#review-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        what, text, base = self.typing, event.value, self.base
        self.action_cancel_input()
        if what == "note" and self.note_entry is not None:
            self._save_note(text, base, investigating=False)
        elif what == "decision":
            self._save_decision(text, base)
        elif what == "attendees":
            self._save_attendees(text.split(), base)
        elif what == "action":
            self._save_action(text, base)
        elif what in ("done", "drop"):
            self._close_typed(what, text)

    def _save_note(self, text: str, base: tuple[int, str], *, investigating: bool) -> None:
        from opsdesk.store.review import set_note

        assert self.week is not None and self.note_entry is not None
        entry, week = self.note_entry, self.week.key
        metric, shop = entry.metric.key, entry.shop

        def save(conn: sqlite3.Connection, based_on: int | None) -> str:
            n = set_note(
                conn, metric, shop, week, text, investigating=investigating, based_on=based_on
            )
            said = n.text() if n.changed else "nothing changed"
            return escape(visible(f"{metric} ({shop}) {week}: {said}"))

        def edit(c: ConflictError) -> None:
            self.note_entry = entry
            why = f"why {entry.metric.name_en} ({shop}) moved; Enter saves"
            self._ask("note", why, text, (c.version, c.theirs))

        self.write_choosing(save, base[0], base[1], edit)

    def _save_decision(self, text: str, base: tuple[int, str]) -> None:
        from opsdesk.store.review import add_decision

        assert self.week is not None
        week, day = self.week.key, self.ops.ops_day

        def save(conn: sqlite3.Connection, based_on: int | None) -> str:
            d = add_decision(conn, week, day, text, based_on=based_on)
            return f"decision {d.number} recorded"

        def edit(c: ConflictError) -> None:
            self._ask("decision", "the decision; Enter saves", text, (c.version, ""))

        self.write_choosing(save, base[0], "", edit)

    def _save_action(self, typed: str, base: tuple[int, str]) -> None:
        from opsdesk.store.review import add_action

        assert self.week is not None
        week, day = self.week.key, self.ops.ops_day
        try:
            text, owner, due = parse_action(typed)
        except ValueError as e:
            self.notify(escape(str(e)), severity="warning", timeout=6)
            return

        def save(conn: sqlite3.Connection, based_on: int | None) -> str:
            item = add_action(
                conn, week, day, text, owner, due, based_on=based_on, clock=self.ops.clock
            )
            return escape(f"{item.key}: {item.text} — {item.owner}")

        def edit(c: ConflictError) -> None:
            hint = "what to do @owner YYYY-MM-DD (due, optional); Enter saves"
            self._ask("action", hint, typed, (c.version, ""))

        self.write_choosing(save, base[0], "", edit)

    def _of_this_review(self, action_key: str) -> bool:
        meeting = self.review.meeting if self.review else None
        return meeting is not None and action_key.startswith(f"review/{meeting.id}/")

    def _save_attendees(self, logins: list[str], base: tuple[int, str]) -> None:
        from opsdesk.store.review import update_meeting

        assert self.week is not None
        week, day = self.week.key, self.ops.ops_day

        def save(conn: sqlite3.Connection, based_on: int | None) -> str:
            m = update_meeting(conn, "review", week, day, based_on=based_on, attendees=logins)
            if not m.changed:
                return "attendees: nothing changed"
            return escape(f"attendees: {', '.join(m.attendees)}")

        def edit(c: ConflictError) -> None:
            hint = "logins separated by spaces; Enter saves"
            self._ask("attendees", hint, " ".join(logins), (c.version, c.theirs))

        self.write_choosing(save, base[0], base[1], edit)

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
