"""One PDCA cycle: every field editable from the keyboard (Enter on a field), the action items
(`a` add, space done, `d` drop), `>` to the next stage through its gate (at Act: closes with
the decision and the lesson; standardise asks for the SOP template), `<` back with a reason,
`f` confirms a standard's follow-up check (held or lost);
the Check as a chart (baseline and after-window, median, target, limits, signal days) and in
words, and the stage history.

Every change is one write in a worker carrying the version the screen shows: when someone
else changed the cycle meanwhile, the write is refused and the notification says who moved it
from which stage to which; the screen reloads.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Header, Static

from opsdesk.domain.pdca import STAGES, stage_name
from opsdesk.domain.text import visible
from opsdesk.rich_text import plain
from opsdesk.tui import commands, textual_hooks
from opsdesk.tui.screens.area import AreaScreen
from opsdesk.tui.widgets.grid import Cell, Column, Grid
from opsdesk.tui.widgets.keybar import KeyBar
from opsdesk.tui.widgets.look import theme_style
from opsdesk.views.pdca import CycleDetail

FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "Title"),
    ("problem", "Problem"),
    ("metric_key", "Metric"),
    ("shop_key", "Shop"),
    ("baseline", "Baseline"),
    ("target", "Target"),
    ("root_cause", "Root cause"),
    ("hypothesis", "Hypothesis"),
    ("plan", "Plan"),
    ("scope_note", "Scope"),
    ("owner", "Owner"),
    ("change_date", "Change date"),
    ("decision", "Decision"),
    ("lesson", "Lesson"),
    ("due_plan", "Due: Plan"),
    ("due_do", "Due: Do"),
    ("due_check", "Due: Check"),
    ("due_act", "Due: Act"),
    ("arm_A", "A/B: arm A"),
    ("arm_B", "A/B: arm B"),
)
MARKS = {"open": "[ ]", "done": "[x]", "dropped": "[-]"}
FIELD_COLUMNS = [Column("field", "Field", 12), Column("value", "Value", 0)]
ACTION_COLUMNS = [
    Column("n", "#", 2),
    Column("mark", "", 3),
    Column("text", "Action", 0),
    Column("owner", "Owner", 10),
    Column("due", "Due", 10),
]


class CursorGrid(Grid, can_focus=True):
    """The form grid (line API: a few milliseconds to paint, where a DataTable takes tens),
    focusable, its cursor moved with the arrow keys; Tab moves between the two grids."""

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
    ]

    def action_cursor(self, step: int) -> None:
        if self.rows:
            self.cursor_row = max(0, min(len(self.rows) - 1, self.cursor_row + step))


def field_text(d: CycleDetail, key: str) -> tuple[str, str]:
    """(what the field shows, what its editor starts with)."""
    c = d.cycle
    if key == "baseline":
        window = f"{c.baseline_start}..{c.baseline_end}"
        frozen = " (frozen)" if c.baseline_frozen else ""
        return f"{window} = {d.fmt(c.baseline_value)}{frozen}", window
    if key == "target":
        return d.fmt(c.target), "" if c.target is None else d.fmt(c.target).replace(",", "")
    if key == "shop_key":
        return c.shop_label, c.shop_key or ""
    if key.startswith("arm_"):
        arm = d.arms.get(key[4:])
        if arm is None:
            return "—", ""
        label = f" ({arm.label})" if arm.label else ""
        text = f"{arm.denominator} visitors, {arm.numerator} buyers = {arm.rate * 100:.2f}%"
        return text + label, (f"{arm.denominator} {arm.numerator}")
    if key.startswith("due_"):
        due = c.due[key[4:]]
        return ("—" if due is None else str(due)), ("" if due is None else str(due))
    value = getattr(c, key)
    text = "" if value is None else str(value)
    return (text or "—"), text


def parse_field(d: CycleDetail, key: str, text: str, metrics: Any) -> Any:
    """A typed value for `store.pdca.edit` (the domain's parsers; errors name the field)."""
    from opsdesk.domain import pdca as rules

    text = text.strip()
    if key == "target":
        return None if not text else rules.parse_target(metrics[d.cycle.metric_key], text, "target")
    if key == "baseline":
        return rules.parse_window(text, "baseline")
    if key == "change_date" or key.startswith("due_"):
        return None if not text else rules.parse_day(text, key.replace("_", " "))
    if key in ("shop_key", "decision"):
        return text or None
    return text


def parse_arm(text: str) -> tuple[int, int]:
    """`visitors buyers` (or `visitors/buyers`) as typed, whole numbers."""
    parts = text.replace("/", " ").replace(",", "").split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"arm: {text!r} is not `visitors buyers` (two whole numbers)")
    return int(parts[0]), int(parts[1])


class CycleScreen(AreaScreen):
    """A pushed screen: one cycle."""

    SCOPE = commands.PDCA_CYCLE
    BINDINGS = commands.bindings(commands.PDCA_CYCLE)

    def __init__(
        self, cycle_id: int, preloaded: CycleDetail | None = None, screen_id: str = "pdca-cycle"
    ) -> None:
        super().__init__(id=screen_id)
        self.cycle_id = cycle_id
        self.detail: CycleDetail | None = None
        self.preloaded = preloaded
        """Data read before the screen was pushed: shown on mount, without a second read."""

    def open_loaded(self, detail: CycleDetail) -> None:
        """Show another cycle, already read (the board's kept screen, before it is pushed)."""
        self.cycle_id = detail.cycle.id
        self._token += 1  # a load still running for the previous cycle is ignored
        self._generation = self.ops.store_generation
        if self.is_mounted:
            self.show(detail)
        else:
            self.preloaded = detail

    def lay_out_hidden(self) -> None:
        """Lay this (hidden) screen out and render it once off screen, as the areas are
        (AreaScreen._lay_out_offscreen), so showing it repaints from the widgets' caches."""
        if textual_hooks.usable(textual_hooks.OFFSCREEN_RENDER):
            self.set_timer(0.05, self._lay_out_offscreen)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="cycle-summary")
        with Horizontal(id="cycle-top"):
            yield CursorGrid(FIELD_COLUMNS, id="cycle-fields")
            with Vertical(id="cycle-side"):
                yield CursorGrid(ACTION_COLUMNS, id="cycle-actions")
                yield Static("", id="cycle-history")
        from opsdesk.tui.widgets.chart import CheckChart

        yield CheckChart(id="cycle-chart")
        yield Static("", id="cycle-check")
        yield KeyBar(self.SCOPE, self.ops.keymap)

    def on_mount(self) -> None:
        self.title = "PDCA cycle"
        self.query_one("#cycle-fields", CursorGrid).focus()
        if self.preloaded is not None:
            self._generation = self.ops.store_generation
            self.show(self.preloaded)
            self.preloaded = None
            if not self.is_current:  # the board's kept screen, mounted hidden (read ahead)
                self.lay_out_hidden()
        else:
            self.reload()

    @property
    def today(self) -> date:
        return self.ops.ops_day + timedelta(days=1)

    def fetch(self, conn: sqlite3.Connection) -> CycleDetail:
        from opsdesk.views.pdca import build_detail

        return build_detail(conn, self.cycle_id, self.today, self.ops.settings.config.pdca)

    def show(self, data: CycleDetail) -> None:
        from opsdesk.views.pdca import check_chart, check_lines

        self.detail = data
        c = data.cycle
        self.sub_title = f"#{c.id} {stage_name(c.stage)}"
        gate = ""
        if data.next_stage:
            gate = f"to {stage_name(data.next_stage)}: " + (
                "ready (>)" if not data.missing else "missing " + "; ".join(data.missing)
            )
        summary = Text(no_wrap=False)
        summary.append(visible(f"#{c.id} {c.title}"), style="bold")
        summary.append(
            f"\n{stage_name(c.stage)} · {c.metric_key} @ {c.shop_label} · owner {c.owner}"
            + (f" · iterates #{c.parent_id}" if c.parent_id else "")
            + (f" · SOP {data.sop[0]} v{data.sop[1]}" if data.sop else "")
            + (f" · {gate}" if gate else "")
        )
        self.query_one("#cycle-summary", Static).update(summary)
        rows = []
        for key, label in FIELDS:
            shown, _ = field_text(data, key)
            rows.append((key, [Cell(label), Cell(visible(" ".join(shown.split())))]))
        self.query_one("#cycle-fields", CursorGrid).set_rows(rows)
        overdue = str(theme_style(self.app, "overdue"))
        self.query_one("#cycle-actions", CursorGrid).set_rows(
            [
                (
                    str(i.number),
                    [
                        Cell(str(i.number)),
                        Cell(MARKS[i.status]),
                        Cell(visible(i.text), overdue if i.days_overdue(self.today) else ""),
                        Cell(i.owner),
                        Cell("—" if i.due is None else str(i.due)),
                    ],
                )
                for i in data.actions
            ]
        )
        history = Text("Stage history\n", style="bold")
        for h in data.history:
            frm = stage_name(h.from_stage) + " → " if h.from_stage else ""
            reason = f" ({h.reason})" if h.reason else ""
            history.append(visible(f"{h.at} {h.by}: {frm}{stage_name(h.to_stage)}{reason}\n"))
        self.query_one("#cycle-history", Static).update(history)
        chart_data = check_chart(data)
        chart = self.query_one("#cycle-chart")
        chart.display = chart_data is not None
        if chart_data is not None:
            chart.show_check(chart_data)  # type: ignore[attr-defined]
        self.query_one("#cycle-check", Static).update(plain("\n".join(check_lines(data))))

    # -- editing ----------------------------------------------------------------------------

    def _change(self, what: Callable[[sqlite3.Connection, int], str]) -> None:
        """A store change on this cycle at the version shown (refused if it moved since)."""
        if self.detail is None:
            return
        from opsdesk.tui.widgets.conflict_dialog import save_checked

        def run(conn: sqlite3.Connection, version: int) -> str:
            from opsdesk.store.pdca import CycleChanged

            try:
                return what(conn, version)
            except CycleChanged:
                self.app.call_from_thread(self.reload)  # show what it is now
                raise

        # a field changed underneath: old → theirs → yours, keep mine or take theirs
        save_checked(self, f"Cycle {self.detail.cycle.id}", run, self.detail.cycle.version)

    def action_edit_field(self) -> None:
        table = self.query_one("#cycle-fields", CursorGrid)
        if self.detail is None or not table.rows:
            return
        if self.focused is not table:
            self.notify("Enter edits the field under the cursor: Tab back to them.", timeout=4)
            return
        key, label = FIELDS[table.cursor_row]
        _, start = field_text(self.detail, key)
        detail = self.detail
        today = self.today
        from opsdesk.tui.widgets.checklist_dialog import ChecklistTextDialog

        def done(text: str | None) -> None:
            if text is None:
                return

            def edit(conn: sqlite3.Connection, version: int) -> str:
                from opsdesk.store.pdca import edit as pdca_edit
                from opsdesk.store.pdca import set_arm as pdca_set_arm

                if key.startswith("arm_"):
                    visitors, buyers = parse_arm(text)
                    pdca_set_arm(conn, detail.cycle.id, key[4:], visitors, buyers)
                    return f"{label} saved"
                value = parse_field(detail, key, text, {detail.cycle.metric_key: detail.metric})
                pdca_edit(
                    conn, detail.cycle.id, today=today, expected_version=version, **{key: value}
                )
                return f"{label} saved"

            self._change(edit)

        hint = {
            "baseline": " (START..END)",
            "target": " (in the metric's unit: 5% or 0.05)",
            "change_date": " (YYYY-MM-DD)",
            "decision": " (standardise, iterate or abandon)",
            "shop_key": " (a shop key; empty: all shops)",
            "arm_A": " (visitors buyers)",
            "arm_B": " (visitors buyers)",
        }.get(key, " (YYYY-MM-DD)" if key.startswith("due_") else "")
        self.app.push_screen(ChecklistTextDialog(f"{label}{hint}:", start), done)

    def action_add_action(self) -> None:
        if self.detail is None:
            return
        from opsdesk.tui.widgets.checklist_dialog import ChecklistTextDialog

        cycle_id, owner = self.detail.cycle.id, self.detail.cycle.owner

        def done(text: str | None) -> None:
            if not text:
                return
            words = text.split()
            due = None
            who = owner
            if words and len(words[-1]) == 10 and words[-1][4] == "-":
                due = words.pop()
            if words and words[-1].startswith("@"):
                who = words.pop()[1:]
            body = " ".join(words)

            def add(conn: sqlite3.Connection, version: int) -> str:
                from opsdesk.domain.pdca import parse_day
                from opsdesk.store.pdca import add_action as pdca_add_action

                item = pdca_add_action(
                    conn, cycle_id, body, who, None if due is None else parse_day(due, "due")
                )
                return f"Action {item.number} added"

            self._change(add)

        self.app.push_screen(
            ChecklistTextDialog("Action item (text, then optionally @owner and YYYY-MM-DD):"),
            done,
        )

    def action_close_action(self, status: str) -> None:
        acts = self.query_one("#cycle-actions", CursorGrid)
        if self.detail is None or not acts.rows:
            self.notify("No action item (a: add one).", timeout=4)
            return
        item = self.detail.actions[acts.cursor_row]
        cycle_id = self.detail.cycle.id

        def close(conn: sqlite3.Connection, version: int) -> str:
            from opsdesk.store.actions import close as close_item

            close_item(conn, "pdca", cycle_id, item.number, status)
            return f"Action {item.number} {status}"

        self._change(close)

    def action_forward(self) -> None:
        d = self.detail
        if d is None:
            return
        c = d.cycle
        today = self.today
        if c.stage == "closed":
            self.notify("The cycle is closed.", timeout=4)
            return
        if c.stage != "act":
            to = STAGES[STAGES.index(c.stage) + 1]

            def move(conn: sqlite3.Connection, version: int) -> str:
                from opsdesk.store.pdca import move as pdca_move

                pdca_move(
                    conn, c.id, to, today=today, expected_stage=c.stage, expected_version=version
                )
                return f"Moved to {stage_name(to)}"

            self._change(move)
            return
        if c.decision is None or not c.lesson.strip():
            missing = "decision" if c.decision is None else "lesson"
            self.notify(f"cannot close: missing {missing} (Enter on its field)", timeout=6)
            return

        def act(sop: str | None) -> None:
            def run(conn: sqlite3.Connection, version: int) -> str:
                from opsdesk.store.pdca import act as pdca_act

                assert c.decision is not None
                r = pdca_act(
                    conn,
                    c.id,
                    today=today,
                    decision=c.decision,
                    lesson=c.lesson,
                    sop_key=sop,
                    expected_version=version,
                )
                extra = f"; opened cycle {r.new_cycle.id}" if r.new_cycle else ""
                extra += f"; SOP {r.sop[0]} v{r.sop[1]}" if r.sop else ""
                return f"Closed: {c.decision}{extra}"

            self._change(run)

        if c.decision == "standardise":
            from opsdesk.tui.widgets.checklist_dialog import ChecklistTextDialog

            self.app.push_screen(
                ChecklistTextDialog("SOP template to version (its key):", required=True),
                lambda key: act(key) if key else None,
            )
            return
        act(None)

    def action_back_stage(self) -> None:
        d = self.detail
        if d is None or d.cycle.stage == "plan":
            return
        c = d.cycle
        to = STAGES[STAGES.index(c.stage) - 1]
        today = self.today
        from opsdesk.tui.widgets.checklist_dialog import ChecklistTextDialog

        def done(reason: str | None) -> None:
            if not reason:
                return

            def move(conn: sqlite3.Connection, version: int) -> str:
                from opsdesk.store.pdca import move as pdca_move

                pdca_move(
                    conn,
                    c.id,
                    to,
                    today=today,
                    reason=reason,
                    expected_stage=c.stage,
                    expected_version=version,
                )
                return f"Moved back to {stage_name(to)}"

            self._change(move)

        self.app.push_screen(
            ChecklistTextDialog(f"Why back to {stage_name(to)}?", required=True), done
        )

    def action_confirm_follow_up(self) -> None:
        d = self.detail
        if d is None:
            return
        c = d.cycle
        if c.follow_up_on is None or c.follow_up_result is not None:
            self.notify(
                "No follow-up check to confirm (a standardised cycle has one)."
                if c.follow_up_on is None
                else f"The follow-up check was confirmed: gain {c.follow_up_result}.",
                timeout=4,
            )
            return
        today = self.today
        from opsdesk.tui.widgets.checklist_dialog import ChecklistTextDialog

        def done(text: str | None) -> None:
            if not text:
                return
            result, _, note = text.strip().partition(" ")

            def confirm(conn: sqlite3.Connection, version: int) -> str:
                from opsdesk.store.pdca import confirm_follow_up

                confirm_follow_up(
                    conn,
                    c.id,
                    today=today,
                    result=result.lower(),
                    note=note.strip(),
                    expected_version=version,
                )
                return f"Follow-up confirmed: gain {result.lower()}"

            self._change(confirm)

        suggested = d.follow_up_suggestion[0]
        self.app.push_screen(
            ChecklistTextDialog(
                "Follow-up check: held or lost, then a note"
                + (f" (suggested: {suggested})" if suggested else "")
                + ":",
                required=True,
            ),
            done,
        )

    def action_back(self) -> None:
        self.app.pop_screen()


BOARD_SCREEN = "pdca-board-cycle"


def board_cycle_screen(app: Any, detail: CycleDetail) -> CycleScreen:
    """The board's cycle screen, installed once and kept (popping it does not destroy it), set
    to `detail`."""
    if not app.is_screen_installed(BOARD_SCREEN):
        # its own id: it stays mounted beside a cycle opened from elsewhere (search)
        app.install_screen(CycleScreen(detail.cycle.id, detail, BOARD_SCREEN), BOARD_SCREEN)
    screen: CycleScreen = app.get_screen(BOARD_SCREEN)
    screen.open_loaded(detail)
    return screen


def kept_cycle_screen(app: Any) -> CycleScreen | None:
    """The board's kept cycle screen, once it has been shown (mounted); None before."""
    if not app.is_screen_installed(BOARD_SCREEN):
        return None
    screen: CycleScreen = app.get_screen(BOARD_SCREEN)
    return screen if screen.is_mounted else None


def open_cycle_screen(app: Any, cycle_id: int) -> None:
    """Push the screen of `cycle_id` (UI thread)."""
    app.push_screen(CycleScreen(cycle_id))


def new_cycle_dialog(screen: AreaScreen, metric: str, shop: str | None, today: date) -> None:
    """Ask for a title, open a cycle at Plan on `metric` and `shop`, and show it (the board's
    `c` and the explorer's `o`)."""
    from opsdesk.tui.widgets.checklist_dialog import ChecklistTextDialog

    def done(title: str | None) -> None:
        if not title:
            return

        def create(conn: sqlite3.Connection) -> str:
            from opsdesk.store.pdca import open_cycle as pdca_open_cycle

            c = pdca_open_cycle(conn, today=today, title=title, metric_key=metric, shop_key=shop)
            screen.app.call_from_thread(open_cycle_screen, screen.app, c.id)
            return f"Opened cycle {c.id} at Plan"

        screen.write(create, reload=False)

    screen.app.push_screen(
        ChecklistTextDialog(
            f"New cycle on {metric} at {shop or 'all shops'} — title:", required=True
        ),
        done,
    )
