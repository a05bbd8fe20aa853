"""Area 3, manual entry: a keyboard form of a shop's base metrics for one day (default: the
ops day): a table of the stored values, the typed ones and their check, and an edit line for
the metric under the cursor. Type, Tab (or Enter, ↓), ctrl+s. A value is checked as it is
typed (opsdesk.domain.validation, like imports: units, scales, cross-metric rules with the
day's other values) and refused at its field with the reason; computed metrics are not
offered, days after the ops day not reached. Saved values go through
opsdesk.store.observations.set_values, all or none, each audited like an import."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Header, Input, Static

from opsdesk.domain.metrics import Metric, format_value
from opsdesk.domain.text import visible
from opsdesk.tui import commands
from opsdesk.tui.screens.area import AreaScreen, while_running
from opsdesk.tui.widgets.grid import Cell, Column, Grid
from opsdesk.tui.widgets.keybar import KeyBar

if TYPE_CHECKING:
    from opsdesk.views.entry import EntryData


def parse_entry(metric: Metric, text: str) -> float | None:
    """The value typed for `metric` (None: left empty); ValueError with the reason.

    Numbers are read like import files read them (`1,234`, `¥198`) and checked like every
    value is (`opsdesk.domain.validation`: whole counts, scores on their scale, sane bounds).
    """
    from opsdesk.domain.validation import check_value
    from opsdesk.io.values import parse_number

    if not text.strip():
        return None
    value, _ = parse_number(text)
    reason = check_value(metric, value)
    if reason is not None:
        raise ValueError(reason)
    return value


class EntryField(Input):
    """The edit line. It moves between fields itself, in its own message queue, and reports
    each change of its text with the metric it was typed for, synchronously: keys typed faster
    than the app handles them then land in the field they were typed for. (As bindings on the
    screen, Tab and Enter ran after the characters typed behind them, which went into the
    previous field: `50<Tab><Tab>7` stored visitors 507.)"""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metric_key = ""
        """The metric whose value the field holds."""
        self.moves: dict[str, int] = {}
        """Key -> step to the next (1) or previous (-1) field."""
        self.on_move: Callable[[int], None] | None = None
        self.on_typed: Callable[[str, str], None] | None = None

    async def _on_key(self, event: events.Key) -> None:
        step = self.moves.get(event.key)
        if step is not None and self.on_move is not None:
            event.stop()
            event.prevent_default()  # not Input's own handling (Enter would submit)
            self.on_move(step)

    def watch_value(self, value: str) -> None:
        if self.on_typed is not None and self.metric_key:
            self.on_typed(self.metric_key, value)


def plain(value: float | None) -> str:
    """A stored value as the field shows it (no separators, so it can be edited)."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def form_columns(metrics: list[Metric], width: int) -> list[Column]:
    """The form's columns on a line `width` cells wide: the metric name (as wide as the
    longest one, cut on a narrow terminal to leave the check 20 cells), the stored value,
    what is typed, and the check (a long refusal is cut; the edit line shows it whole)."""
    from rich.cells import cell_len

    widest = max((cell_len(metric_name(m)) for m in metrics), default=20)
    return [
        Column("metric", "Metric", max(16, min(widest, width - 1 - 15 - 17 - 20))),
        Column("stored", "Stored", 14, right=True),
        Column("typed", "Typed", 16),
        Column("check", "Check", 0),
    ]


def metric_name(m: Metric) -> str:
    return visible(f"{m.name_en} {m.name_zh}".strip())


class EntryScreen(AreaScreen):
    """One table of the base metrics (stored value, typed value, check) and one text field,
    the edit line, for the metric under the cursor: a form of two widgets instead of a
    hundred, so that the area opens and comes back within the 100 ms budget."""

    SCOPE = commands.ENTRY
    BINDINGS = commands.bindings(commands.ENTRY)

    def __init__(self) -> None:
        super().__init__(id="entry")
        self.day: date | None = None
        self.data: EntryData | None = None
        self.typed: dict[str, str] = {}
        """What each field holds (starts as the stored value), by metric key."""
        self.refused: dict[str, str] = {}
        """The reason each refused field is refused, by metric key."""
        self.crossed: dict[str, str] = {}
        """Fields whose value breaks a cross-metric rule with the day's other values."""
        self.row = 0
        """The metric under the cursor (index into data.metrics)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="entry-head")
        with Horizontal(id="entry-edit"):
            yield Static("", id="entry-field")
            yield EntryField(id="entry-value", compact=True, select_on_focus=True)
        yield Static("", id="entry-reason")
        yield Grid(form_columns([], 80), id="entry-table")
        yield KeyBar(self.SCOPE, self.ops.keymap)

    @while_running
    def on_mount(self) -> None:
        self.title = "Manual entry"
        self.day = self.ops.ops_day
        box = self.query_one("#entry-value", EntryField)
        for command_id, step in (("entry.next_field", 1), ("entry.previous_field", -1)):
            key = commands.effective_key(commands.BY_ID[command_id], self.ops.keymap)
            box.moves.update({k.strip(): step for k in key.split(",")})
        box.moves["enter"] = 1
        box.on_move = self.action_move_field
        box.on_typed = self._typed
        box.focus()
        self.reload()

    def on_resize(self) -> None:
        if self.data is not None:
            self._fit_columns()
            self.query_one("#entry-table", Grid).refresh()

    def _fit_columns(self) -> None:
        assert self.data is not None
        grid = self.query_one("#entry-table", Grid)
        grid.columns = form_columns(self.data.metrics, self.app.size.width - 2)

    def on_screen_resume(self) -> None:
        if self.data is not None and self.ops.shop_key not in (None, self.data.shop_key):
            self.reload()

    # -- data -------------------------------------------------------------------------------

    def fetch(self, conn: sqlite3.Connection) -> EntryData:
        from opsdesk.views.entry import build_entry

        return build_entry(conn, self.day or self.ops.ops_day, self.ops.shop_key)

    def show(self, data: EntryData) -> None:
        same_form = (
            self.data is not None
            and (self.data.shop_key, self.data.day) == (data.shop_key, data.day)
            and [m.key for m in self.data.metrics] == [m.key for m in data.metrics]
        )
        self.data = data
        self.sub_title = visible(f"{data.shop_key or 'no shops'} · {data.day.isoformat()}")
        head = Text()
        head.append(visible(f"Shop {data.shop_key or '— (add one: opsdesk shop add)'}"), "bold")
        head.append(f" · day {data.day.isoformat()} ({data.day:%A})", style="bold")
        head.append("   ctrl+n shop · ctrl+←/→ day · Tab/↓ next field · ctrl+s save", style="dim")
        self.query_one("#entry-head", Static).update(head)
        grid = self.query_one("#entry-table", Grid)
        if same_form:  # another session saved: new stored values, what is typed stays
            self._check_cross()
            for m in data.metrics:
                grid.update_cell(m.key, "stored", self._stored_cell(m))
                grid.update_cell(m.key, "check", self._check_cell(m))
            return
        self.typed = {m.key: plain(data.values.get(m.key)) for m in data.metrics}
        self.refused = {}
        self.crossed = {}
        self._fit_columns()
        grid.set_rows([(m.key, self._cells(m)) for m in data.metrics])
        self._go_to(min(self.row, len(data.metrics) - 1) if data.metrics else 0)

    # -- the table and the edit line --------------------------------------------------------

    def _cells(self, m: Metric) -> list[Cell]:
        return [
            Cell(metric_name(m)),
            self._stored_cell(m),
            Cell(self.typed.get(m.key, ""), "bold"),
            self._check_cell(m),
        ]

    def _stored_cell(self, m: Metric) -> Cell:
        assert self.data is not None
        return Cell(format_value(m, self.data.values.get(m.key)), "dim")

    def _check_cell(self, m: Metric) -> Cell:
        """✗ and the reason for a refused field; • for a value that differs from the store."""
        reason = self._reason(m.key)
        if reason:
            return Cell("✗ " + reason, "bold red")
        if self._typed_value(m) is not None:
            return Cell("• changed", "bold")
        return Cell()

    def _typed_value(self, m: Metric) -> float | None:
        """The typed value if it is valid and differs from the stored one."""
        assert self.data is not None
        try:
            value = parse_entry(m, self.typed.get(m.key, ""))
        except ValueError:
            return None
        return value if value is not None and value != self.data.values.get(m.key) else None

    def _go_to(self, row: int) -> None:
        """Put the cursor and the edit line on metric `row`."""
        if self.data is None or not self.data.metrics:
            return
        self.row = row
        m = self.data.metrics[row]
        self.query_one("#entry-table", Grid).cursor_row = row
        field = Text()
        field.append(f"▶ {metric_name(m)}", style="bold")
        field.append(f"  stored {format_value(m, self.data.values.get(m.key))}", "dim")
        self.query_one("#entry-field", Static).update(field)
        box = self.query_one("#entry-value", EntryField)
        box.metric_key = m.key
        box.value = self.typed.get(m.key, "")
        box.placeholder = f"new value ({m.unit})"
        box.select_all()
        self._show_reason(m)

    def _reason(self, key: str) -> str:
        """Why the field of metric `key` is refused ('' when it is not)."""
        return self.refused.get(key) or self.crossed.get(key) or ""

    def _show_reason(self, m: Metric) -> None:
        reason = self._reason(m.key)
        self.query_one("#entry-reason", Static).update(Text("✗ " + reason if reason else ""))
        self.query_one("#entry-value", Input).set_class(bool(reason), "-invalid")

    @property
    def metric(self) -> Metric | None:
        """The metric under the cursor."""
        return self.data.metrics[self.row] if self.data and self.data.metrics else None

    # -- validation and saving --------------------------------------------------------------

    def _typed(self, key: str, text: str) -> None:
        """The edit line holds `text` for metric `key`: keep it and check it."""
        if self.data is None or key not in self.typed:
            return
        m = self._metric(key)
        self.typed[key] = text
        try:
            parse_entry(m, text)
        except ValueError as e:
            self.refused[key] = str(e)
        else:
            self.refused.pop(key, None)
        grid = self.query_one("#entry-table", Grid)
        grid.update_cell(key, "typed", Cell(text, "bold"))
        for changed in {key} | self._check_cross():
            grid.update_cell(changed, "check", self._check_cell(self._metric(changed)))
        self._show_reason(m)

    def _metric(self, key: str) -> Metric:
        assert self.data is not None
        return next(m for m in self.data.metrics if m.key == key)

    def _check_cross(self) -> set[str]:
        """Check the day's values as they would be saved against the cross-metric rules
        (buyers ≤ visitors…); returns the fields whose refusal came or went."""
        from opsdesk.domain.validation import check_cross

        assert self.data is not None
        changed = self.changes()[0]
        after = {**self.data.values, **changed}
        metrics = {m.key: m for m in self.data.metrics}
        before = self.crossed
        self.crossed = {}
        for refusal in check_cross(after, changed, metrics):
            self.crossed.setdefault(refusal.field, refusal.reason)  # the first rule broken
        return {
            k for k in before.keys() | self.crossed.keys() if before.get(k) != self.crossed.get(k)
        }

    @on(Grid.RowClicked, "#entry-table")
    def _clicked(self, event: Grid.RowClicked) -> None:
        self._go_to(event.row)
        self.query_one("#entry-value", Input).focus()

    def action_move_field(self, step: int) -> None:
        if self.data is None or not self.data.metrics:
            return
        self._go_to((self.row + step) % len(self.data.metrics))
        self.query_one("#entry-value", Input).focus()

    def changes(self) -> tuple[dict[str, float], dict[str, str]]:
        """The typed values that differ from the store, and the refused ones with reasons."""
        assert self.data is not None
        values: dict[str, float] = {}
        for m in self.data.metrics:
            value = self._typed_value(m)  # None for a refused field
            if value is not None:
                values[m.key] = value
        return values, {
            m.key: self._reason(m.key) for m in self.data.metrics if self._reason(m.key)
        }

    def action_save(self) -> None:
        if self.data is None or self.data.shop_key is None:
            return
        values, errors = self.changes()
        if errors:
            first = next(iter(errors))
            self._go_to([m.key for m in self.data.metrics].index(first))
            self.query_one("#entry-value", Input).focus()
            self.notify(
                f"Not saved: {len(errors)} field(s) refused — {errors[first]}",
                severity="error",
                timeout=6,
            )
            return
        if not values:
            self.notify("Nothing changed.", timeout=3)
            return
        shop, day, clock = self.data.shop_key, self.data.day, self.ops.clock

        def save(conn: sqlite3.Connection) -> str:
            from opsdesk.domain.validation import ValueRefused
            from opsdesk.store.observations import set_values

            try:  # all or nothing, checked again by the store (another session may have saved)
                set_values(conn, shop, day, values, clock=clock)
            except ValueRefused as e:
                self.app.call_from_thread(self._store_refused, e.field, e.reason)
                raise
            return f"Saved {len(values)} value(s) for {shop} on {day.isoformat()}."

        self.write(save)

    def _store_refused(self, key: str, reason: str) -> None:
        """The store refused a save: show the reason at the field it names."""
        if self.data is None or key not in {m.key for m in self.data.metrics}:
            return
        self.crossed[key] = reason
        m = self._metric(key)
        self.query_one("#entry-table", Grid).update_cell(key, "check", self._check_cell(m))
        self._go_to(self.data.metrics.index(m))

    def action_leave_field(self) -> None:
        self.set_focus(None)

    def action_next_shop(self) -> None:
        if self.data is None or not self.data.shop_keys:
            return
        keys = self.data.shop_keys
        current = self.data.shop_key
        self.ops.shop_key = (
            keys[(keys.index(current) + 1) % len(keys)] if current in keys else keys[0]
        )
        self.reload()

    def action_shift_day(self, days: int) -> None:
        day = (self.day or self.ops.ops_day) + timedelta(days=days)
        if day > self.ops.ops_day:  # opsdesk.domain.validation.check_day: not before it ends
            self.notify(
                f"No values after the ops day {self.ops.ops_day.isoformat()}:"
                " that day is not over yet.",
                severity="warning",
                timeout=4,
            )
            return
        self.day = day
        self.reload()
