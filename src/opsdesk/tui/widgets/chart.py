"""The KPI trend chart: the only module that imports plotext (through textual-plotext).

Plots each series, the target line, the trailing 7-day mean and a vertical marker with a
label for every event of the window. Colours come from the app's theme (textual-plotext's
"auto" theme); series are told apart by label and marker as well as colour.
"""

from __future__ import annotations

from textual_plotext import PlotextPlot

from opsdesk.domain.metrics import Metric
from opsdesk.tui.explorer_data import ExplorerData

_SHORT_KEY = {"day": lambda k: k[5:], "week": lambda k: k[5:], "month": lambda k: k}
_MARKERS = ("braille", "dot", "+", "x", "o")


def _present(xs: list[int], ys: list[float | None], scale: float) -> tuple[list[int], list[float]]:
    pairs = [(x, y * scale) for x, y in zip(xs, ys, strict=False) if y is not None]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _short(title: str, cells: int = 12) -> str:
    from rich.cells import cell_len, set_cell_size

    return title if cell_len(title) <= cells else set_cell_size(title, cells - 1) + "…"


def _scale(metric: Metric) -> float:
    """Ratios are charted in percent."""
    return 100.0 if metric.unit == "%" else 1.0


class KpiChart(PlotextPlot):
    """A plotext chart of an ExplorerData."""

    def show_data(self, data: ExplorerData) -> None:
        plt = self.plt
        plt.clear_figure()
        metric = data.metric
        scale = _scale(metric)
        xs = list(range(1, len(data.periods) + 1))
        unit = "%" if metric.unit == "%" else metric.unit
        plt.title(f"{metric.name_en} ({unit}) by {data.grain}")
        drawn = False
        top: list[float] = []
        for i, series in enumerate(data.series):
            px, py = _present(xs, series.values, scale)
            if px:
                plt.plot(px, py, label=series.label, marker=_MARKERS[i % len(_MARKERS)])
                top.extend(py)
                drawn = True
        tx, ty = _present(xs, data.target, scale)
        if tx:
            plt.plot(tx, ty, label="target", marker="-")
            top.extend(ty)
        mx, my = _present(xs, data.mean_7d, scale)
        if mx:
            plt.plot(mx, my, label="7-day mean", marker=".")
        index = {p.start: i for i, p in enumerate(data.periods)}
        low, high = (min(top), max(top)) if top else (0.0, 0.0)
        for n, event in enumerate(data.events):
            position = next(
                (i for i, p in enumerate(data.periods) if event.day in p), index.get(event.day)
            )
            if position is not None:
                plt.vline(xs[position])
                if top:  # short labels along the bottom, staggered, clear of the legend
                    y = low + (high - low) * (0.12 * (n % 3))
                    plt.text(f"◆{_short(event.title)}", x=xs[position], y=y)
        step = max(1, len(xs) // 6)
        ticks = xs[::step]
        short = _SHORT_KEY[data.grain]
        plt.xticks([float(t) for t in ticks], [short(data.periods[t - 1].key) for t in ticks])
        if not drawn:
            plt.title(f"{metric.name_en}: no data in this window")
        self.refresh()
