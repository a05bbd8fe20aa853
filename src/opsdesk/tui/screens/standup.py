"""The stand-up: yesterday's KPIs per shop against target, the day's alerts, and the sections
later modules register (opsdesk.views.sections).

The first paint uses the stand-up the runner loaded before the app started (no worker round
trip), with the KPI table drawn as text in a Static: the DataTable (its import and first
render) and the side panel replace and join it right after the first frame. Every later load
(shop switch keeps the data, live refresh, F5) runs in a worker that opens its own connection
and keeps the cursor on the same metric / alert.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Header, Static

from opsdesk.domain.alert_record import Alert
from opsdesk.domain.text import visible
from opsdesk.rich_text import plain
from opsdesk.tui import commands, textual_hooks
from opsdesk.tui.screens.area import AreaScreen, while_running
from opsdesk.tui.widgets.keybar import KeyBar
from opsdesk.tui.widgets.look import change_cell, status_cell, theme_style
from opsdesk.tui.widgets.table_text import table_text
from opsdesk.views.standup_model import KpiRow, ShopPage, StandupData

if TYPE_CHECKING:
    import sqlite3

    from textual.widgets import DataTable

    from opsdesk.views.sections import SectionResult

KPI_COLUMNS = ("", "Metric", "Value", "Target", "vs day", "vs week", "14 days")
ALERT_COLUMNS = ("", "Ack", "Alert")


class StandupScreen(AreaScreen):
    """Area 1: the daily stand-up."""

    SCOPE = commands.STANDUP
    BINDINGS = commands.bindings(commands.STANDUP)
    WHOLE_FIRST_FRAME = True

    def __init__(self) -> None:
        super().__init__(id="standup")
        self.data: StandupData | None = None
        self.shop_index = 0
        """0: the all-shops summary; i: the i-th shop of the stand-up."""
        # A new mode's screen makes Textual re-parse every stylesheet from scratch (twice:
        # ~10-30 ms) unless the screen has seen the current CSS; the stand-up is the first
        # screen, made right after the app parsed it, so it has (a later theme or CSS change
        # still refreshes it as usual).
        if textual_hooks.usable(textual_hooks.FIRST_SCREEN_CSS):
            textual_hooks.mark_styled(self)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="standup-banner")
        yield Static("", id="shop-bar")
        with Vertical(id="standup-body"):
            yield Static("", id="kpi-preview")  # the DataTable replaces it after the 1st frame
        yield KeyBar(self.SCOPE, self.ops.keymap)

    @while_running
    def on_mount(self) -> None:
        app = self.ops
        self.title = "Stand-up"
        self.sub_title = app.ops_day.isoformat()
        first = app.take_initial_standup()
        if first is not None:
            self.data = StandupData(first, [])
            self._select_shop(app.shop_key)
            self.render_data()
            self.set_timer(0.5, self._load_sections)
        else:
            self.reload()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.render_data())

    def _load_sections(self) -> None:
        self.reload()

    @while_running
    async def after_first_frame(self) -> None:
        """After the first frame (sent whole: textual_hooks' `whole_first_frame`): the KPI
        DataTable replaces its text picture, and the alerts and sections join (the side
        panel's containers cost the first frame more than the KPI table itself)."""
        from textual.widgets import DataTable

        preview = self.query_one("#kpi-preview", Static)
        table: DataTable[Any] = DataTable(id="kpi-table", cursor_type="row", zebra_stripes=True)
        # Text labels: a str label goes through Rich markup, whose first use imports the
        # emoji table (~10-25 ms)
        table.add_columns(*(Text(c) for c in KPI_COLUMNS))
        alerts: DataTable[Any] = DataTable(id="alert-table", cursor_type="row")
        alerts.add_columns(*(Text(c) for c in ALERT_COLUMNS))
        side = Vertical(
            Static("Alerts", classes="panel-title", id="alerts-title"),
            Vertical(alerts, id="alert-box"),
            VerticalScroll(id="sections"),
            id="standup-side",
        )
        body = self.query_one("#standup-body", Vertical)
        await body.mount(table, before=preview)
        await preview.remove()
        await body.mount(side)
        self.render_data()
        if self.focused is None:
            table.focus()

    def _alert_table(self) -> DataTable[Any] | None:
        return self._table("#alert-table")

    def _kpi_table(self) -> DataTable[Any] | None:
        return self._table("#kpi-table")

    def _table(self, selector: str) -> DataTable[Any] | None:
        """The table `selector` names; None before it has joined (after the first frame)."""
        found = self.query(selector)
        if not found:
            return None
        from textual.widgets import DataTable

        return found.first(DataTable)

    # -- data -------------------------------------------------------------------------------

    def fetch(self, conn: sqlite3.Connection) -> StandupData:
        from opsdesk.views.standup_model import load_standup

        return load_standup(conn, self.ops.ops_day)

    def show(self, data: StandupData) -> None:
        current = self.current_shop_key()
        self.data = data
        self._select_shop(current if self.shop_index else None)
        self.render_data()

    def shops(self) -> tuple[ShopPage, ...]:
        """The pages of the stand-up: the all-shops summary, then each shop."""
        return () if self.data is None else self.data.model.pages

    def current_shop_key(self) -> str | None:
        pages = self.shops()
        if not pages:
            return None
        return pages[min(self.shop_index, len(pages) - 1)].shop_key

    def _select_shop(self, shop_key: str | None) -> None:
        keys = [p.shop_key for p in self.shops()]
        self.shop_index = keys.index(shop_key) if shop_key in keys else 0

    # -- rendering --------------------------------------------------------------------------

    def render_data(self) -> None:
        if self.data is None:
            return
        model = self.data.model
        pages = self.shops()
        page = pages[self.shop_index]
        self.query_one("#shop-bar", Static).update(self._shop_bar(pages))
        missing = model.banners()
        banner = self.query_one("#standup-banner", Static)
        banner.update(plain("\n".join(missing)))
        banner.display = bool(missing)
        self._fill_kpis(page.rows)
        shop_key = self.current_shop_key()
        alerts = [a for a in model.alerts if shop_key is None or a.shop_key == shop_key]
        self._fill_alerts(alerts)
        self._fill_sections(self.data.sections)

    def _shop_bar(self, pages: tuple[ShopPage, ...]) -> Text:
        text = Text()
        for i, page in enumerate(pages):
            name = visible(page.shop_key or page.name)
            if i:
                text.append("  ")
            if i == self.shop_index:
                text.append(f"▶ {name}", style=theme_style(self.app, "ok", bold=True))
            else:
                text.append(name, style=theme_style(self.app, "dim"))
        text.append("   (n/p: shop)", style=theme_style(self.app, "dim"))
        return text

    def _kpi_cells(self, r: KpiRow) -> tuple[Text, ...]:
        return (
            status_cell(self.app, r.status),
            plain(r.name),
            Text(r.value, justify="right"),
            Text(r.target, justify="right"),
            change_cell(self.app, r.vs_day, r.vs_day_status),
            change_cell(self.app, r.vs_week, r.vs_week_status),
            Text(r.spark, style=theme_style(self.app, "info")),
        )

    def _fill_kpis(self, rows: tuple[KpiRow, ...]) -> None:
        table = self._kpi_table()
        if table is None:  # the first frame: the table as text
            self.query_one("#kpi-preview", Static).update(
                table_text(
                    KPI_COLUMNS,
                    [self._kpi_cells(r) for r in rows],
                    header_style=Style(bold=True),
                )
            )
            return
        keep = _cursor_key(table)
        table.clear()
        for r in rows:
            table.add_row(*self._kpi_cells(r), key=r.metric_key)
        _restore_cursor(table, keep)

    def _fill_alerts(self, alerts: list[Alert]) -> None:
        if not self.query("#alerts-title"):
            return  # the side panel is not mounted yet
        self.query_one("#alerts-title", Static).update(
            f"Alerts ({sum(1 for a in alerts if a.acked_by is None)} open, a: acknowledge)"
            if alerts
            else "Alerts: none"
        )
        table = self._alert_table()
        if table is None:
            return
        keep = _cursor_key(table)
        table.clear()
        for a in alerts:
            acked = a.acked_by is not None
            status = "dim" if acked else ("red" if a.severity == "red" else "amber")
            symbol = "✓" if acked else ("✗" if a.severity == "red" else "!")
            ack = f"{a.acked_by} {a.acked_label}" if acked else "—"
            style = theme_style(self.app, status)
            table.add_row(
                Text(symbol, style=style),
                plain(ack, style=style),
                plain(a.message, style=style),
                key=a.key,
            )
        _restore_cursor(table, keep)

    def _fill_sections(self, results: list[SectionResult]) -> None:
        if not self.query("#sections"):
            return  # the side panel is not mounted yet (the first frame)
        from opsdesk.views.sections import symbol

        box = self.query_one("#sections", VerticalScroll)
        box.remove_children()
        widgets = []
        for r in results:
            text = plain(r.title, style=theme_style(self.app, "ok", bold=True))
            if r.error:
                text.append(visible(f"\n✗ {r.error}"), style=theme_style(self.app, "overdue"))
            elif not r.lines:
                text.append(f"\n· {r.empty_text}", style=theme_style(self.app, "info"))
            for line in r.lines:
                text.append("\n")
                text.append(symbol(line.status), style=theme_style(self.app, line.status))
                text.append(visible(f" {line.text}"))
            widgets.append(Static(text, classes="standup-section"))
        box.display = bool(widgets)
        if widgets:
            box.mount_all(widgets)

    # -- actions ----------------------------------------------------------------------------

    def action_next_shop(self) -> None:
        self._step_shop(1)

    def action_previous_shop(self) -> None:
        self._step_shop(-1)

    def _step_shop(self, step: int) -> None:
        pages = self.shops()
        if not pages:
            return
        self.shop_index = (self.shop_index + step) % len(pages)
        self.ops.shop_key = self.current_shop_key()
        self.render_data()

    def action_acknowledge(self) -> None:
        if self.data is None:
            return
        table = self._alert_table()
        key = None if table is None else _cursor_key(table)
        alert = next((a for a in self.data.model.alerts if a.key == key), None)
        if alert is None:
            self.notify("No alert under the cursor (Tab to the alerts table).", timeout=4)
            return
        if alert.acked_by is not None:
            self.notify(
                visible(f"Already acknowledged by {alert.acked_by}."), timeout=4, markup=False
            )
            return

        def ack(conn: sqlite3.Connection) -> str:
            from opsdesk.store.alerts import acknowledge

            acknowledge(conn, alert)
            return f"Acknowledged: {alert.message}"

        self.write(ack)

    def action_open_cycle(self) -> None:
        """A PDCA cycle for the alert under the cursor: the alert is stored (if the stand-up
        only evaluated it) and the cycle opens with its metric, shop and problem filled in."""
        if self.data is None:
            return
        table = self._alert_table()
        key = None if table is None else _cursor_key(table)
        alert = next((a for a in self.data.model.alerts if a.key == key), None)
        if alert is None or alert.metric_key is None:
            self.notify("No metric alert under the cursor (Tab to the alerts table).", timeout=4)
            return
        today = self.ops.ops_day + timedelta(days=1)

        def open_cycle(conn: sqlite3.Connection) -> str:
            from opsdesk.store.pdca import open_cycle_for_alert
            from opsdesk.tui.screens.pdca_cycle import open_cycle_screen

            cycle = open_cycle_for_alert(conn, alert, today)
            self.app.call_from_thread(open_cycle_screen, self.app, cycle.id)
            return f"Opened cycle {cycle.id} at Plan for the alert"

        self.write(open_cycle, reload=False)

    def _metric_under_cursor(self) -> str | None:
        table = self._kpi_table()
        if table is not None:
            return _cursor_key(table)
        pages = self.shops()  # before the table joins, the cursor is on the first row
        rows = pages[self.shop_index].rows if pages else ()
        return rows[0].metric_key if rows else None

    def action_explore(self) -> None:
        metric = self._metric_under_cursor()
        self.ops.open_explorer(metric or "gmv", self.current_shop_key())

    def action_enter_values(self) -> None:
        self.ops.open_entry(self.current_shop_key())

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "kpi-table":
            self.action_explore()


def _cursor_key(table: DataTable[Any]) -> str | None:
    if table.row_count == 0:
        return None
    try:
        row_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
    except Exception:
        return None
    return None if row_key.value is None else str(row_key.value)


def _restore_cursor(table: DataTable[Any], key: str | None) -> None:
    if key is None or table.row_count == 0:
        return
    try:
        table.move_cursor(row=table.get_row_index(key), animate=False)
    except Exception:
        table.move_cursor(row=0, animate=False)
