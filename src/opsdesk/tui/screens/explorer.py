"""Area 2, the KPI explorer: pick a metric (type to filter) and a shop; a trend chart by day,
week or month with the target line, the 7-day mean and event markers; all shops on one chart;
the latest complete week's GMV decomposition (visitors × conversion × AOV)."""

from __future__ import annotations

import sqlite3

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from opsdesk.domain.metrics import Metric, format_value
from opsdesk.domain.text import visible
from opsdesk.rich_text import plain
from opsdesk.tui import commands
from opsdesk.tui.screens.area import AreaScreen, while_running
from opsdesk.tui.widgets.chart import KpiChart
from opsdesk.tui.widgets.keybar import KeyBar
from opsdesk.views.explorer import GRAINS, ExplorerData, load_explorer

LABEL_CELLS = 20


def metric_label(m: Metric, cells: int = LABEL_CELLS) -> str:
    """English and Chinese name, cut to one line of the metric list (CJK is two cells)."""
    from rich.cells import cell_len, set_cell_size

    text = visible(f"{m.name_en} {m.name_zh}".strip())
    return text if cell_len(text) <= cells else set_cell_size(text, cells - 1) + "…"


def matches(m: Metric, text: str) -> bool:
    needle = text.strip().casefold()
    return not needle or any(needle in h.casefold() for h in (m.key, m.name_en, m.name_zh))


def decomposition_text(data: ExplorerData) -> str:
    d = data.decomposition
    week = data.week
    if d is None:
        return f"GMV decomposition {week.key}: needs visitors, buyers and GMV in both weeks"
    gmv = next(m for m in data.metrics if m.key == "gmv")
    prev, cur = d.previous, d.current

    def pct(a: float, b: float) -> str:
        return f"{(a / b - 1) * 100:+.1f}%"

    return (
        f"GMV {week.key} vs {week.previous().key}: {format_value(gmv, float(d.gmv_current))} "
        f"({format_value(gmv, float(d.change), signed=True)}) = "
        f"visitors {cur.visitors:,.0f} ({pct(cur.visitors, prev.visitors)}) × "
        f"conversion {cur.conversion * 100:.2f}% ({pct(cur.conversion, prev.conversion)}) × "
        f"AOV {cur.aov:,.2f} ({pct(cur.aov, prev.aov)})\n"
        f"effects: visitors {format_value(gmv, float(d.visitors_effect), signed=True)}, "
        f"conversion {format_value(gmv, float(d.conversion_effect), signed=True)}, "
        f"AOV {format_value(gmv, float(d.aov_effect), signed=True)}"
    )


class ExplorerScreen(AreaScreen):
    SCOPE = commands.EXPLORER
    BINDINGS = commands.bindings(commands.EXPLORER)

    def __init__(self) -> None:
        super().__init__(id="explorer")
        self.grain = "day"
        self.compare = False
        self.data: ExplorerData | None = None
        self.all_metrics: list[Metric] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="explorer-body"):
            with Vertical(id="metric-pane"):
                yield Input(placeholder="filter metrics (f)", id="metric-filter")
                yield OptionList(id="metric-list")
            with Vertical(id="chart-pane"):
                yield Static("", id="chart-title")
                yield KpiChart(id="chart")
                yield Static("", id="decomposition")
        yield KeyBar(self.SCOPE, self.ops.keymap)

    @while_running
    def on_mount(self) -> None:
        self.title = "KPI explorer"
        self.sub_title = self.ops.ops_day.isoformat()
        self.query_one("#metric-list", OptionList).focus()
        self.reload()

    def on_screen_resume(self) -> None:
        app = self.ops
        if self.data is not None and (
            app.metric_key != self.data.metric.key or app.shop_key != self.data.shop_key
        ):
            self.reload()

    # -- data -------------------------------------------------------------------------------

    def fetch(self, conn: sqlite3.Connection) -> ExplorerData:
        app = self.ops
        return load_explorer(
            conn, app.ops_day, app.metric_key, app.shop_key, self.grain, self.compare
        )

    def show(self, data: ExplorerData) -> None:
        self.data = data
        if [m.key for m in self.all_metrics] != [m.key for m in data.metrics]:
            self.all_metrics = data.metrics
            self._fill_metrics()
        else:  # opened for another metric (from the stand-up): the list follows
            self._highlight_current()
        shop = "all shops" if data.shop_key is None else data.shop_key
        title = Text()
        title.append(visible(data.metric.name_en), style="bold")
        title.append(
            f" · {'every shop compared' if self.compare else visible(shop)} · by {data.grain}"
            f" · {data.periods[0].key} … {data.periods[-1].key}"
        )
        title.append("   s: shop  g: grain  c: compare", style="dim")
        self.query_one("#chart-title", Static).update(title)
        self.query_one("#chart", KpiChart).show_data(data)
        self.query_one("#decomposition", Static).update(plain(decomposition_text(data)))

    def _fill_metrics(self) -> None:
        text = self.query_one("#metric-filter", Input).value
        options = self.query_one("#metric-list", OptionList)
        options.clear_options()
        shown = [m for m in self.all_metrics if matches(m, text)]
        options.add_options([Option(Text(metric_label(m)), id=m.key) for m in shown])
        self._highlight_current()

    def _highlight_current(self) -> None:
        options = self.query_one("#metric-list", OptionList)
        keys = [options.get_option_at_index(i).id for i in range(options.option_count)]
        if self.ops.metric_key in keys:
            options.highlighted = keys.index(self.ops.metric_key)

    # -- events and actions -----------------------------------------------------------------

    @on(Input.Changed, "#metric-filter")
    def _filter(self) -> None:
        self._fill_metrics()

    @on(Input.Submitted, "#metric-filter")
    def _pick_first(self) -> None:
        options = self.query_one("#metric-list", OptionList)
        if options.option_count:
            options.highlighted = options.highlighted or 0
            self._choose(options.get_option_at_index(options.highlighted).id)
        options.focus()

    @on(OptionList.OptionSelected, "#metric-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id)

    def _choose(self, key: str | None) -> None:
        if key is None:
            return
        self.ops.metric_key = key
        self.reload()

    def action_leave_filter(self) -> None:
        self.query_one("#metric-list", OptionList).focus()

    def action_focus_filter(self) -> None:
        self.query_one("#metric-filter", Input).focus()

    def action_next_shop(self) -> None:
        app = self.ops
        keys: list[str | None] = [None, *(self.data.shop_keys if self.data else [])]
        app.shop_key = (
            keys[(keys.index(app.shop_key) + 1) % len(keys)] if app.shop_key in keys else None
        )
        self.reload()

    def action_cycle_grain(self) -> None:
        self.grain = GRAINS[(GRAINS.index(self.grain) + 1) % len(GRAINS)]
        self.reload()

    def action_toggle_compare(self) -> None:
        self.compare = not self.compare
        self.reload()

    def action_open_cycle(self) -> None:
        """A PDCA cycle on the metric and shop shown (asks for its title)."""
        from datetime import timedelta

        from opsdesk.tui.screens.pdca_cycle import new_cycle_dialog

        today = self.ops.ops_day + timedelta(days=1)
        new_cycle_dialog(self, self.ops.metric_key, self.ops.shop_key, today)
