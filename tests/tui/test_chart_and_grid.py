"""The chart drawn from plotext's matrix is plotext's own drawing, cell for cell and colour
for colour; the form grid fits text to its columns by terminal cells (CJK counts two)."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text
from textual_plotext.plot import Plot

from opsdesk.tui.textual_hooks import build_matrix
from opsdesk.tui.widgets.chart import matrix_lines
from opsdesk.tui.widgets.grid import fit


def sample_plot() -> Plot:
    plot = Plot()
    xs = list(range(1, 61))
    plot.plot(xs, [1000 + (x * 37) % 200 for x in xs], label="GMV", marker="braille")
    plot.plot(xs, [1100.0] * 60, label="target", marker="-")
    plot.plot(xs[6:], [1050 + (x * 11) % 40 for x in xs[6:]], label="7-day mean", marker=".")
    plot.vline(20)
    plot.text("◆双11 peak", x=20, y=1000)
    plot.title("GMV (CNY) by day")
    plot.theme("dark")
    plot.plotsize(90, 30)
    return plot


def cells(segments: list[tuple[str, object]]) -> list[tuple[str, str]]:
    return [(ch, str(style)) for text, style in segments for ch in text]


def test_the_chart_lines_are_plotexts_drawing() -> None:
    console = Console(width=200)
    reference = sample_plot()
    reference._set_size(90, 30)  # as textual-plotext's render does before build()
    expected = Text.from_ansi(reference.build()).split("\n")
    lines = matrix_lines(build_matrix(sample_plot(), 90, 30))
    assert len(lines) == len(expected) == 30
    for want, got in zip(expected, lines, strict=True):
        assert cells([(s.text, s.style) for s in got]) == cells(
            [(s.text, s.style) for s in want.render(console)]
        )
    assert "◆双11 peak" in "".join(s.text for line in lines for s in line)


def test_fit_counts_terminal_cells() -> None:
    assert fit("GMV 支付金额", 12) == "GMV 支付金额"  # 4 + 4 x 2 cells
    assert fit("GMV 支付金额", 14) == "GMV 支付金额  "
    assert fit("GMV 支付金额", 14, right=True) == "  GMV 支付金额"
    # cut to 7 cells (a CJK character does not fit in the last cell: a space) and …
    assert fit("GMV 支付金额", 8) == "GMV 支 …"


def test_counts_and_money_are_ticked_as_whole_numbers() -> None:
    from opsdesk.tui.widgets.chart import whole_ticks

    assert whole_ticks(100_000.0, 300_000.0) == (
        [100_000.0, 150_000.0, 200_000.0, 250_000.0, 300_000.0],
        ["100,000", "150,000", "200,000", "250,000", "300,000"],
    )
    assert whole_ticks(7.0, 7.0) == ([7.0], ["7"])
    assert whole_ticks(3_579_039.0, 13_089_793.0)[1] == [
        "4,000,000", "6,000,000", "8,000,000", "10,000,000", "12,000,000",
    ]  # fmt: skip
    plot = Plot()
    plot.plot([1, 2, 3], [160_088.0, 170_500.0, 165_250.0], label="visitors")
    plot.yticks(*whole_ticks(160_088.0, 170_500.0))
    drawn = "\n".join(
        "".join(s.text for s in line) for line in matrix_lines(build_matrix(plot, 60, 15))
    )
    assert "162,000" in drawn and "170,000" in drawn and "160088.0" not in drawn
