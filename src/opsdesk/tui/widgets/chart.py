"""The KPI trend chart: the only module that imports plotext (through textual-plotext).

Plots each series, the target line, the trailing 7-day mean and a vertical marker with a
label for every event of the window. Colours come from the app's theme (textual-plotext's
"auto" theme); series are told apart by label and marker as well as colour.

Drawn with the line API from plotext's character matrix: textual-plotext asks plotext for
the chart as an ANSI string and parses it back (`Text.from_ansi`), which costs as much again
as drawing it (~25 ms at 120x40, the bulk of the explorer's first paint). Here each run of
same-coloured cells becomes one segment, and the lines are kept until the data, the size or
the theme change. That matrix is plotext's private API, reached through textual_hooks
(`chart_lines`); where it changed, the chart is textual-plotext's own render.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual_plotext import PlotextPlot

from opsdesk.domain.metrics import Metric
from opsdesk.domain.text import visible
from opsdesk.tui import textual_hooks
from opsdesk.views.explorer import ExplorerData

if TYPE_CHECKING:
    from opsdesk.views.pdca import CheckChartData

_SHORT_KEY = {"day": lambda k: k[5:], "week": lambda k: k[5:], "month": lambda k: k}
_MARKERS = ("braille", "dot", "+", "x", "o")


def _present(xs: list[int], ys: list[float | None], scale: float) -> tuple[list[int], list[float]]:
    pairs = [(x, y * scale) for x, y in zip(xs, ys, strict=False) if y is not None]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _short(title: str, cells: int = 12) -> str:
    from rich.cells import cell_len, set_cell_size

    title = visible(title)
    return title if cell_len(title) <= cells else set_cell_size(title, cells - 1) + "…"


def _scale(metric: Metric) -> float:
    """Ratios are charted in percent."""
    return 100.0 if metric.unit == "%" else 1.0


WHOLE_UNITS = ("count", "CNY")


def whole_ticks(low: float, high: float, n: int = 5) -> tuple[list[float], list[str]]:
    """Y ticks for counts and money: about `n` round values (a step of 1, 2 or 5 times a power
    of ten) between `low` and `high`, labelled as whole numbers with separators (`4,000,000`,
    never plotext's `3579039.0`)."""
    if high <= low:
        return [low], [f"{low:,.0f}"]
    raw = (high - low) / (n - 1)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw * 0.75)
    first = math.ceil(low / step) * step
    ys = [first + i * step for i in range(int((high - first) // step) + 1)]
    return ys, [f"{y:,.0f}" for y in ys]


_STYLES: dict[tuple[object, object, object], Style] = {}


def _style(colors: tuple[object, object, object]) -> Style:
    """The Rich style of a plotext (foreground, style, background) triple (cached)."""
    if colors not in _STYLES:
        import plotext

        fg, style, bg = colors
        spans = Text.from_ansi(plotext.colorize("x", fg, style, bg)).spans
        _STYLES[colors] = Style.combine(
            s.style if isinstance(s.style, Style) else Style.parse(s.style) for s in spans
        )
    return _STYLES[colors]


def matrix_lines(matrix: Any) -> list[Strip]:
    """The lines of plotext's character matrix (textual_hooks.build_matrix), top line first."""
    marker, fg, st, bg = matrix.marker, matrix.fullground, matrix.style, matrix.background
    lines = []
    for row in reversed(range(len(marker))):
        segments = []
        chars = marker[row]
        start = 0
        key = (fg[row][0], st[row][0], bg[row][0]) if chars else None
        for col in range(1, len(chars) + 1):
            here = (fg[row][col], st[row][col], bg[row][col]) if col < len(chars) else None
            if here != key:
                assert key is not None
                segments.append(Segment("".join(chars[start:col]), _style(key)))
                start, key = col, here
        lines.append(Strip(segments, len(chars)))
    return lines


class KpiChart(PlotextPlot):
    """A plotext chart of an ExplorerData; blank until it has one (an empty plotext figure
    costs a full draw on the first visit of the explorer)."""

    _has_data = False
    _lines: list[Strip] | None = None
    _drawn_for: tuple[int, int, str] | None = None

    def render_line(self, y: int) -> Strip:
        width, height = self.size
        if not self._has_data or not width or not height:
            return Strip.blank(width, self.rich_style)
        if not textual_hooks.usable(textual_hooks.CHART_LINES):
            return super().render_line(y)  # textual-plotext's own render
        if self._lines is None or self._drawn_for != (width, height, self.app.theme):
            self._lines = self._draw(width, height)
            self._drawn_for = (width, height, self.app.theme)
        return self._lines[y] if y < len(self._lines) else Strip.blank(width, self.rich_style)

    def _draw(self, width: int, height: int) -> list[Strip]:
        plot = self.plt
        plot.plotsize(width, height)
        plot.theme(textual_hooks.plotext_theme(self, self.app.theme))
        return matrix_lines(textual_hooks.build_matrix(plot, width, height))

    def show_data(self, data: ExplorerData) -> None:
        textual_hooks.check_chart(PlotextPlot)  # once per process: plotext's hooks as expected?
        self._has_data = True
        self._lines = None
        plt = self.plt
        plt.clear_figure()
        metric = data.metric
        scale = _scale(metric)
        xs = list(range(1, len(data.periods) + 1))
        unit = "%" if metric.unit == "%" else metric.unit
        plt.title(visible(f"{metric.name_en} ({unit}) by {data.grain}"))
        drawn = False
        top: list[float] = []
        for i, series in enumerate(data.series):
            px, py = _present(xs, series.values, scale)
            if px:
                plt.plot(px, py, label=visible(series.label), marker=_MARKERS[i % len(_MARKERS)])
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
                if top:  # short labels along the bottom, staggered, clear of the legend;
                    # in the right half a label ends at its line, so the edge never cuts it
                    y = low + (high - low) * (0.12 * (n % 3))
                    right = xs[position] > (xs[0] + xs[-1]) / 2
                    label = f"{_short(event.title)}◆" if right else f"◆{_short(event.title)}"
                    plt.text(label, x=xs[position], y=y, alignment="right" if right else "left")
        if top and metric.unit in WHOLE_UNITS:
            plt.yticks(*whole_ticks(low, high))
        step = max(1, len(xs) // 6)
        ticks = xs[::step]
        short = _SHORT_KEY[data.grain]
        plt.xticks([float(t) for t in ticks], [short(data.periods[t - 1].key) for t in ticks])
        if not drawn:
            plt.title(visible(f"{metric.name_en}: no data in this window"))
        self.refresh()


class CheckChart(KpiChart):
    """A PDCA cycle's Check: the daily series (baseline `•`, after the change `+`), the
    baseline median, the target and the XmR limits as lines, signal days marked `x`, the
    change date as a vertical marker."""

    def show_check(self, data: CheckChartData) -> None:
        textual_hooks.check_chart(PlotextPlot)  # once per process: plotext's hooks as expected?
        self._has_data = True
        self._lines = None
        plt = self.plt
        plt.clear_figure()
        scale = 100.0 if data.unit == "%" else 1.0
        unit = "%" if data.unit == "%" else data.unit
        plt.title(f"{data.title} ({unit})")
        xs = list(range(1, len(data.days) + 1))
        before = [
            (x, v * scale)
            for x, d, v in zip(xs, data.days, data.values, strict=True)
            if v is not None and data.baseline[0] <= d <= data.baseline[1]
        ]
        after = [
            (x, v * scale)
            for x, d, v in zip(xs, data.days, data.values, strict=True)
            if v is not None and data.after is not None and data.after[0] <= d <= data.after[1]
        ]
        signals = [
            (x, v * scale)
            for x, d, v in zip(xs, data.days, data.values, strict=True)
            if v is not None and d in data.signal_days
        ]
        for value, label, marker in (
            (data.median, "median", "-"),
            (data.target, "target", "="),
            (data.lower, "limits", "."),
            (data.upper, None, "."),
        ):
            if value is not None and xs:
                plt.plot([xs[0], xs[-1]], [value * scale] * 2, label=label or "", marker=marker)
        if before:
            plt.plot([p[0] for p in before], [p[1] for p in before], label="baseline", marker="dot")
        if after:
            plt.plot([p[0] for p in after], [p[1] for p in after], label="after", marker="+")
        if signals:
            plt.scatter(
                [p[0] for p in signals], [p[1] for p in signals], label="signal", marker="x"
            )
        if data.after is not None and data.after[0] in data.days:
            plt.vline(xs[data.days.index(data.after[0])])
        if xs:
            step = max(1, len(xs) // 6)
            ticks = xs[::step]
            plt.xticks([float(t) for t in ticks], [data.days[t - 1].isoformat()[5:] for t in ticks])
        if not before and not after:
            plt.title(f"{data.title}: no data")
        self.refresh()


class SixTwelveChart(KpiChart):
    """The weekly review's 6-12 chart (the KPI chart's drawing, its own series)."""

    def show_six_twelve(
        self,
        title: str,
        metric: Metric,
        weeks: list[tuple[str, float | None, float | None]],
        months: list[tuple[str, float | None, float | None]],
        target: float | None,
        marks: list[tuple[str, str]] | None = None,
    ) -> None:
        """The weekly review's 6-12 chart: 6 weeks then 12 months on one x-axis (weeks on the
        left y-axis, months on the right one: a month is not a week), this year solid, last
        year dotted, the week's target as a marker. Points are (key, value, last year).
        `marks`: (week or month key, text) of earlier weeks' owner notes, each a vertical
        marker at its point with its text."""
        textual_hooks.check_chart(PlotextPlot)
        self._has_data = True
        self._lines = None
        plt = self.plt
        plt.clear_figure()
        scale = _scale(metric)
        xw = list(range(1, len(weeks) + 1))
        xm = list(range(len(weeks) + 2, len(weeks) + 2 + len(months)))
        series = (
            (xw, [w[1] for w in weeks], "weeks", "left", "braille"),
            (xw, [w[2] for w in weeks], "last year", "left", "dot"),
            (xm, [m[1] for m in months], "months →", "right", "braille"),
            (xm, [m[2] for m in months], "", "right", "dot"),
        )
        for xs, ys, label, side, marker in series:
            px, py = _present(xs, ys, scale)
            if px:
                plt.plot(px, py, label=label or None, marker=marker, yside=side)
        if target is not None and weeks:
            plt.scatter([xw[-1]], [target * scale], marker="x", label="target", yside="left")
        at = {k: x for x, (k, *_) in zip([*xw, *xm], [*weeks, *months], strict=True)}
        low = min((v * scale for p in weeks for v in p[1:] if v is not None), default=0.0)
        for key, text in marks or []:
            if key in at:
                plt.vline(at[key])
                right = at[key] > (len(weeks) + len(months)) / 2
                label = f"{_short(text)}◆" if right else f"◆{_short(text)}"
                plt.text(label, x=at[key], y=low, alignment="right" if right else "left")
        ticks = [xw[0], xw[-1], *([xm[0], xm[-1]] if xm else [])]
        names = [weeks[0][0][5:], weeks[-1][0][5:]]
        if months:
            names += [months[0][0][2:], months[-1][0][2:]]
        plt.xticks([float(t) for t in ticks], names)
        plt.title(title)
        self.refresh()
