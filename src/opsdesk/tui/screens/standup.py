"""The stand-up: yesterday's KPIs per shop against target, the day's alerts, and the sections
later modules register (opsdesk.views.sections).

The first paint uses the stand-up the runner loaded before the app started (no worker round
trip), with the KPI table drawn as text in a Static: the DataTable (its import and first
render) and the side panel replace and join it right after the first frame, in one update,
the table already filled (its columns as wide as their cells: no frame with cut columns).
Nothing else happens before the first frame: the sections (which create today's checklist
runs, evaluate the risks' KRIs and record their triggers, and query the PDCA steps due) load
in a worker `SECTIONS_AFTER` seconds after it, and the app starts watching the store then
(`OpsdeskApp.after_first_paint`). Every later load (live refresh, F5) runs in a worker that
opens its own connection and keeps the cursor on the same metric / alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
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
from opsdesk.tui.widgets.table_text import TextLines, column_widths, table_text
from opsdesk.views.standup_model import KpiRow, ShopPage, StandupData

if TYPE_CHECKING:
    import sqlite3

    from textual.widgets import DataTable

    from opsdesk.views.sections import SectionResult

KPI_COLUMNS = ("", "Metric", "Value", "Target", "vs day", "vs week", "14 days")
ALERT_COLUMNS = ("", "Ack", "Alert")
SECTIONS_AFTER = 0.3
"""Seconds after the first frame before the sections load (the table joins first)."""


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
        self.grid = False
        """The KPI table as a shops × KPIs grid (`g`) instead of one page's KPIs."""
        self.first_frame_shown = False
        """The first frame is out: from then on a load includes the sections."""
        self._with_sections = False
        # A new mode's screen makes Textual re-parse every stylesheet from scratch (twice:
        # ~10-30 ms) unless the screen has seen the current CSS; the stand-up is the first
        # screen, made right after the app parsed it, so it has (a later theme or CSS change
        # still refreshes it as usual).
        if textual_hooks.usable(textual_hooks.FIRST_SCREEN_CSS):
            textual_hooks.mark_styled(self)
        # Born with its breakpoint class (-narrow / -wide): the first Resize then finds it
        # set and does not restyle every node before the first frame
        self.add_class(*self.ops.breakpoint_classes(self.app.size.width), update=False)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="standup-banner")
        yield Static("", id="shop-bar")
        with Vertical(id="standup-body"):
            yield TextLines(id="kpi-preview")  # the DataTable replaces it after the 1st frame
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
        else:
            self.reload()  # the KPIs and alerts only, until the first frame is out
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.render_data())

    @while_running
    async def after_first_frame(self) -> None:
        """After the first frame (sent whole: textual_hooks' `whole_first_frame`): the KPI
        DataTable replaces its text picture, and the alerts and sections join (the side
        panel's containers cost the first frame more than the KPI table itself), in one
        update; then what the first frame did not wait for starts."""
        from textual.widgets import DataTable

        self.first_frame_shown = True
        preview = self.query_one("#kpi-preview", TextLines)
        table: DataTable[Any] = DataTable(id="kpi-table", cursor_type="row", zebra_stripes=True)
        alerts: DataTable[Any] = DataTable(id="alert-table", cursor_type="row")
        side = Vertical(
            Static("Alerts", classes="panel-title", id="alerts-title"),
            Vertical(alerts, id="alert-box"),
            VerticalScroll(id="sections"),
            id="standup-side",
        )
        body = self.query_one("#standup-body", Vertical)
        with self.app.batch_update():  # no frame with an empty or half-built table
            await body.mount(table, before=preview)
            await preview.remove()
            await body.mount(side)
            self.render_data()
        if self.focused is None:
            table.focus()
        self.ops.after_first_paint()
        self.set_timer(SECTIONS_AFTER, self.reload)

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

    def reload(self) -> None:
        self._with_sections = self.first_frame_shown
        super().reload()

    def fetch(self, conn: sqlite3.Connection) -> StandupData:
        from opsdesk.views.standup_model import load_standup

        return load_standup(conn, self.ops.ops_day, sections=self._with_sections)

    def show(self, data: StandupData) -> None:
        current = self.current_shop_key()
        self.data = data
        self._select_shop(current if self.shop_index else None)
        self.render_data()
        if self._with_sections:
            self.ops.standup_settled()

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
        if self.grid:
            self._fill_grid(pages)
        else:
            self._fill_kpis(page.rows)
        shop_key = self.current_shop_key()
        alerts = [a for a in model.alerts if shop_key is None or a.shop_key == shop_key]
        self._fill_alerts(alerts)
        self._fill_sections(self.data.sections)

    def _shop_bar(self, pages: tuple[ShopPage, ...]) -> Text:
        """Every page's name, the shown one marked, and the keys; on a narrow line the
        all-shops name and the key hint get shorter rather than being cut."""
        width = (self.size.width or self.app.size.width) - 2
        hints = ("   (n/p: shop)", "  n/p", "")
        for short, hint in [(False, h) for h in hints] + [(True, h) for h in hints]:
            text = Text()
            for i, page in enumerate(pages):
                name = visible(page.shop_key or page.name)
                if short and page.shop_key is None:
                    name = name.replace(" reporting)", ")").replace(" of ", "/")
                if i:
                    text.append("  ")
                if i == self.shop_index:
                    text.append(f"▶ {name}", style=theme_style(self.app, "ok", bold=True))
                else:
                    text.append(name, style=theme_style(self.app, "dim"))
            text.append(hint, style=theme_style(self.app, "dim"))
            if text.cell_len <= width:
                break
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
        cells = [self._kpi_cells(r) for r in rows]
        if table is None:  # the first frame: the table as text
            self.query_one("#kpi-preview", TextLines).update(
                table_text(KPI_COLUMNS, cells, header_style=Style(bold=True))
            )
            return
        keyed = [(r.metric_key, c) for r, c in zip(rows, cells, strict=True)]
        _fill_table(table, KPI_COLUMNS, keyed)

    def _fill_grid(self, pages: tuple[ShopPage, ...]) -> None:
        """One row per KPI (the all-shops order: worst first), one column per shop: its
        status symbol and value, so a red all-shops KPI shows which shops make it red."""
        table = self._kpi_table()
        if table is None or not pages:
            return
        labels = ["", "Metric", "All shops", *(p.shop_key or p.name for p in pages[1:])]
        by_shop = [{r.metric_key: r for r in p.rows} for p in pages]
        grid: list[tuple[str, list[Text]]] = []
        for r in pages[0].rows:
            cells = [status_cell(self.app, r.status), Text(r.name)]
            for rows in by_shop:
                row = rows.get(r.metric_key)
                if row is None:
                    cells.append(Text("—", justify="right"))
                    continue
                cell = Text(row.value, justify="right")
                cell.append(" ")
                cell.append_text(status_cell(self.app, row.status))
                cells.append(cell)
            grid.append((r.metric_key, cells))
        _fill_table(table, labels, grid)

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
        rows = []
        for a in alerts:
            acked = a.acked_by is not None
            status = "dim" if acked else ("red" if a.severity == "red" else "amber")
            symbol = "✓" if acked else ("✗" if a.severity == "red" else "!")
            ack = f"{a.acked_by} {a.acked_label}" if acked else "—"
            style = theme_style(self.app, status)
            rows.append(
                (a.key, Text(symbol, style=style), plain(ack, style=style), a.message, style)
            )
        # the message column takes the rest of the line and the message wraps in it (a row
        # as tall as its lines): never cut mid-word
        ack_width = max([len(ALERT_COLUMNS[1])] + [r[2].cell_len for r in rows])
        width = table.size.width or self.app.size.width
        message_width = max(width - (1 + 2) - (ack_width + 2) - 2 - 1, 20)
        table.clear(columns=True)
        table.add_column(Text(ALERT_COLUMNS[0]), width=1)
        table.add_column(Text(ALERT_COLUMNS[1]), width=ack_width)
        table.add_column(Text(ALERT_COLUMNS[2]), width=message_width)
        for key, symbol_cell, ack_cell, message, style in rows:
            lines = plain(message).wrap(self.app.console, message_width)
            table.add_row(
                symbol_cell,
                ack_cell,
                Text("\n".join(line.plain for line in lines), style=style),
                key=key,
                height=len(lines),
            )
        _restore_cursor(table, keep)

    def on_resize(self) -> None:
        if self.data is not None and self._alert_table() is not None:
            self.call_after_refresh(self.render_data)

    def _fill_sections(self, results: list[SectionResult]) -> None:
        if not self.query("#sections"):
            return  # the side panel is not mounted yet (the first frame)
        from textual.widgets import OptionList
        from textual.widgets.option_list import Option

        from opsdesk.views.sections import symbol

        box = self.query_one("#sections", VerticalScroll)
        # a reload (another desk ticked) keeps the line under the cursor and the focus
        focused = self.focused if isinstance(self.focused, OptionList) else None
        lists = list(box.query(OptionList))
        keep = (lists.index(focused), focused.highlighted) if focused in lists else None
        box.remove_children()
        widgets: list[Static | OptionList] = []
        for r in results:
            text = plain(r.title, style=theme_style(self.app, "ok", bold=True))
            if r.error:
                text.append(visible(f"\n✗ {r.error}"), style=theme_style(self.app, "overdue"))
            elif not r.lines:
                text.append(f"\n· {r.empty_text}", style=theme_style(self.app, "info"))
            if any(line.opens for line in r.lines):
                # lines that open something: a list to move in (Tab) and open (Enter)
                widgets.append(Static(text, classes="standup-section"))
                options = []
                for i, line in enumerate(r.lines):
                    prompt = Text(symbol(line.status), style=theme_style(self.app, line.status))
                    prompt.append(" " + visible(line.text))
                    options.append(Option(prompt, id=line.opens or f"{r.title}:{i}"))
                widgets.append(OptionList(*options, classes="section-lines"))
                continue
            for line in r.lines:
                text.append("\n")
                text.append(symbol(line.status), style=theme_style(self.app, line.status))
                text.append(visible(f" {line.text}"))
            widgets.append(Static(text, classes="standup-section"))
        box.display = bool(widgets)
        if widgets:
            box.mount_all(widgets)
        new_lists = [w for w in widgets if isinstance(w, OptionList)]
        if keep is not None and keep[0] < len(new_lists):
            again, row = new_lists[keep[0]], keep[1]

            def restore() -> None:
                again.focus()
                if row is not None and row < again.option_count:
                    again.highlighted = row

            self.call_after_refresh(restore)

    def on_option_list_option_selected(self, event: Any) -> None:
        """Enter on a section line: open what it names (a checklist run)."""
        opens = str(event.option.id or "")
        if opens.startswith("run:"):
            event.stop()
            self.ops.open_run(int(opens.removeprefix("run:")))

    # -- actions ----------------------------------------------------------------------------

    def action_toggle_grid(self) -> None:
        self.grid = not self.grid
        self.render_data()

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
        """The entry form on the day the banner names: for the shop shown, or on the
        all-shops page the first shop with no data that day."""
        shop = self.current_shop_key()
        day = self.ops.ops_day
        if self.data is not None:
            day = date.fromisoformat(self.data.model.day)
            missing = self.data.model.missing()
            if shop is None and missing:
                shop = missing[0]
        self.ops.open_entry(shop, day)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "kpi-table":
            self.action_explore()
        elif event.data_table.id == "alert-table" and self.data is not None:
            # Enter on an alert: its metric's chart for its shop (why it fired), or for a
            # shop with no data the entry form on that day
            key = None if event.row_key.value is None else str(event.row_key.value)
            alert = next((a for a in self.data.model.alerts if a.key == key), None)
            if alert is None:
                return
            if alert.metric_key is None:
                self.ops.open_entry(alert.shop_key, alert.day)
            else:
                self.ops.open_explorer(alert.metric_key, alert.shop_key)


def _fill_table(
    table: DataTable[Any], labels: Sequence[str], rows: Sequence[tuple[str, Sequence[Text]]]
) -> None:
    """The table's columns and rows, replaced; the cursor stays on the same key. Each column
    is given its width (its widest cell): an auto-width column is measured only when the
    table is next idle, so a frame drawn before that cut the cells to their labels' width."""
    keep = _cursor_key(table)
    table.clear(columns=True)
    widths = column_widths(labels, [cells for _, cells in rows])
    for label, width in zip(labels, widths, strict=True):
        # Text labels: a str label goes through Rich markup, whose first use imports the
        # emoji table (~10-25 ms)
        table.add_column(Text(label), width=width)
    for key, cells in rows:
        table.add_row(*cells, key=key)
    _restore_cursor(table, keep)


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
