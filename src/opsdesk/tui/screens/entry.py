"""Area 3, manual entry: a keyboard form of a shop's base metrics for one day (default: the
ops day) showing the current values. Type, Tab, ctrl+s. A value is checked as it is typed and
refused at its field with the reason; saved values go through
opsdesk.store.observations.set_value, which audits each one like an import."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.validation import ValidationResult, Validator
from textual.widgets import Header, Input, Static

from opsdesk.domain.metrics import Metric, format_value
from opsdesk.tui import commands
from opsdesk.tui.screens.area import AreaScreen
from opsdesk.tui.widgets.keybar import KeyBar


def parse_entry(metric: Metric, text: str) -> float | None:
    """The value typed for `metric` (None: left empty); ValueError with the reason.

    Numbers are read like import files read them (`1,234`, `¥198`); counts must be whole and
    scores lie between 0 and 5.
    """
    from opsdesk.io.values import parse_number

    if not text.strip():
        return None
    value, _ = parse_number(text)
    if metric.unit == "count" and not value.is_integer():
        raise ValueError(f"{text.strip()!r}: {metric.name_en} is a count, a whole number")
    if metric.unit == "score" and not 0 <= value <= 5:
        raise ValueError(f"{text.strip()!r}: a score lies between 0 and 5")
    return value


def plain(value: float | None) -> str:
    """A stored value as the field shows it (no separators, so it can be edited)."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class MetricValue(Validator):
    def __init__(self, metric: Metric) -> None:
        super().__init__()
        self.metric = metric

    def validate(self, value: str) -> ValidationResult:
        try:
            parse_entry(self.metric, value)
        except ValueError as e:
            return self.failure(str(e))
        return self.success()


@dataclass(frozen=True)
class EntryData:
    shop_keys: list[str]
    shop_key: str | None
    day: date
    metrics: list[Metric]
    values: dict[str, float]


class EntryScreen(AreaScreen):
    SCOPE = commands.ENTRY
    BINDINGS = commands.bindings(commands.ENTRY)

    def __init__(self) -> None:
        super().__init__(id="entry")
        self.day: date | None = None
        self.data: EntryData | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="entry-head")
        yield VerticalScroll(id="entry-form", can_focus=False)
        yield KeyBar(self.SCOPE, self.ops.keymap)

    def on_mount(self) -> None:
        self.title = "Manual entry"
        self.day = self.ops.ops_day
        self.reload()

    def on_screen_resume(self) -> None:
        if self.data is not None and self.ops.shop_key not in (None, self.data.shop_key):
            self.reload()

    # -- data -------------------------------------------------------------------------------

    def fetch(self, conn: sqlite3.Connection) -> EntryData:
        from opsdesk.store.catalogue import load_metrics
        from opsdesk.store.observations import load_daily
        from opsdesk.store.shops import list_shops

        app = self.ops
        day = self.day or app.ops_day
        keys = [s.key for s in list_shops(conn)]
        shop = app.shop_key if app.shop_key in keys else (keys[0] if keys else None)
        metrics = [m for m in load_metrics(conn).values() if not m.is_derived]
        values = {} if shop is None else load_daily(conn, day, day, [shop]).get((shop, day), {})
        return EntryData(keys, shop, day, metrics, dict(values))

    def show(self, data: EntryData) -> None:
        focused = self.focused.id if isinstance(self.focused, Input) else None
        same_form = (
            self.data is not None
            and (self.data.shop_key, self.data.day) == (data.shop_key, data.day)
            and [m.key for m in self.data.metrics] == [m.key for m in data.metrics]
        )
        self.data = data
        self.ops.shop_key = data.shop_key
        self.sub_title = f"{data.shop_key or 'no shops'} · {data.day.isoformat()}"
        head = Text()
        head.append(f"Shop {data.shop_key or '— (add one: opsdesk shop add)'}", style="bold")
        head.append(f" · day {data.day.isoformat()} ({data.day:%A})", style="bold")
        head.append("   ctrl+n shop · ctrl+←/→ day · Tab next field · ctrl+s save", style="dim")
        self.query_one("#entry-head", Static).update(head)
        if same_form:
            self._refresh_current(data)
            return
        rows = []
        for m in data.metrics:
            current = data.values.get(m.key)
            rows.append(
                Horizontal(
                    Static(Text(f"{m.name_en} {m.name_zh}"), classes="entry-label"),
                    Static(
                        Text(format_value(m, current)),
                        classes="entry-current",
                        id=f"current-{m.key}",
                    ),
                    Input(
                        plain(current),
                        id=f"value-{m.key}",
                        classes="entry-input",
                        validators=[MetricValue(m)],
                        validate_on=["changed", "submitted"],
                        placeholder=m.unit,
                        compact=True,
                    ),
                    Static("", classes="entry-error", id=f"error-{m.key}"),
                    classes="entry-row",
                )
            )
        self.call_later(self._replace_form, rows, focused)

    async def _replace_form(self, rows: list[Horizontal], focused: str | None) -> None:
        form = self.query_one("#entry-form", VerticalScroll)
        await form.remove_children()
        await form.mount_all(rows)
        if rows:
            self._focus_first(focused)

    def _focus_first(self, focused: str | None) -> None:
        target = focused or (f"value-{self.data.metrics[0].key}" if self.data else None)
        if target:
            for widget in self.query(f"#{target}"):
                widget.focus()

    def _refresh_current(self, data: EntryData) -> None:
        """Another session saved: show the new stored values, keep what is being typed."""
        for m in data.metrics:
            self.query_one(f"#current-{m.key}", Static).update(
                Text(format_value(m, data.values.get(m.key)))
            )

    # -- validation and saving --------------------------------------------------------------

    @on(Input.Changed, ".entry-input")
    def _validated(self, event: Input.Changed) -> None:
        key = (event.input.id or "").removeprefix("value-")
        result = event.validation_result
        text = "" if result is None or result.is_valid else "✗ " + result.failure_descriptions[0]
        for label in self.query(f"#error-{key}"):
            assert isinstance(label, Static)
            label.update(Text(text))
            label.set_class(bool(text), "-shown")

    def changes(self) -> tuple[dict[str, float], dict[str, str]]:
        """The typed values that differ from the store, and the refused ones with reasons."""
        assert self.data is not None
        values: dict[str, float] = {}
        errors: dict[str, str] = {}
        for m in self.data.metrics:
            text = self.query_one(f"#value-{m.key}", Input).value
            try:
                value = parse_entry(m, text)
            except ValueError as e:
                errors[m.key] = str(e)
                continue
            if value is not None and value != self.data.values.get(m.key):
                values[m.key] = value
        return values, errors

    def action_save(self) -> None:
        if self.data is None or self.data.shop_key is None:
            return
        values, errors = self.changes()
        if errors:
            first = next(iter(errors))
            self.query_one(f"#value-{first}", Input).focus()
            self.notify(
                f"Not saved: {len(errors)} field(s) refused — {first}: {errors[first]}",
                severity="error",
                timeout=6,
            )
            return
        if not values:
            self.notify("Nothing changed.", timeout=3)
            return
        shop, day = self.data.shop_key, self.data.day

        def save(conn: sqlite3.Connection) -> str:
            from opsdesk.store.observations import set_value

            for key, value in values.items():
                set_value(conn, shop, key, day, value)
            return f"Saved {len(values)} value(s) for {shop} on {day.isoformat()}."

        self.write(save)

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
        self.day = (self.day or self.ops.ops_day) + timedelta(days=days)
        self.reload()
