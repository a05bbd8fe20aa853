"""Area 5: the PDCA board. A column per stage (Plan, Do, Check, Act, Closed), a card per cycle
(title, shop, metric, owner, days in its stage, overdue marked); `s`/`o`/`m` filter by shop,
owner or metric (each press takes the next value, then all again), `x` clears; Tab moves
between columns; Enter opens the cycle (`CycleScreen`); `c` opens a new one on the metric
and shop the explorer shows. Read from `views.pdca.build_board`.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from typing import Any

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import DataTable, Header

from opsdesk.domain.pdca import STAGES, stage_name
from opsdesk.domain.text import visible
from opsdesk.tui import commands, textual_hooks
from opsdesk.tui.messages import LoadFailed
from opsdesk.tui.screens.area import AreaScreen
from opsdesk.tui.widgets.keybar import KeyBar
from opsdesk.tui.widgets.look import theme_style
from opsdesk.views.pdca import Board, Card

FILTERS = ("shop", "owner", "metric")


CARD_HEIGHT = 3
PREFETCH_DELAY = 0.12
"""Seconds the cursor rests on a card before its cycle is read ahead (arrowing through a
column reads nothing)."""


def _fit(text: str, width: int) -> str:
    """`text` with its control characters shown (`visible`), cut to `width` with `…`."""
    text = visible(text)
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def card_text(card: Card, width: int, overdue_style: Any = "") -> Text:
    """Three lines cut to `width`: `#id title`, `shop · owner`, `metric · N d` (+ OVERDUE, or
    `!` where the column is too narrow for the word)."""
    text = Text(no_wrap=True)
    text.append(_fit(f"#{card.id} {card.title}", width))
    text.append("\n" + _fit(f"{card.shop} · {card.owner}", width))
    age = f" · {card.days_in_stage} d"
    flag = " OVERDUE" if card.overdue else ""
    if flag and width - len(age) - len(flag) < 4:  # a narrow column: the mark, not the word
        flag = " !"
    text.append("\n" + _fit(card.metric, width - len(age) - len(flag)) + age)
    if flag:
        text.append(flag, style=overdue_style)
    return text


class PdcaBoardScreen(AreaScreen):
    """Area 5: PDCA cycles by stage."""

    SCOPE = commands.PDCA
    BINDINGS = commands.bindings(commands.PDCA)

    def __init__(self) -> None:
        super().__init__(id="pdca")
        self.board: Board | None = None
        self.filters: dict[str, str | None] = {f: None for f in FILTERS}
        self._prefetched: tuple[int, int] | None = None
        """(cycle id, store generation) the kept cycle screen holds, read ahead of Enter."""
        self._prefetch_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="pdca-columns"):
            for stage in STAGES:
                table: DataTable[Any] = DataTable(
                    id=f"pdca-{stage}", cursor_type="row", classes="pdca-column"
                )
                table.add_column(Text(stage_name(stage)), key="card")
                yield table
        yield KeyBar(self.SCOPE, self.ops.keymap)

    def on_mount(self) -> None:
        self.title = "PDCA board"
        self.query_one("#pdca-plan", DataTable).focus()
        self.reload()

    @property
    def today(self) -> date:
        return self.ops.ops_day + timedelta(days=1)

    def fetch(self, conn: sqlite3.Connection) -> Board:
        from opsdesk.views.pdca import build_board

        return build_board(
            conn,
            self.today,
            shop_key=self.filters["shop"],
            owner=self.filters["owner"],
            metric_key=self.filters["metric"],
        )

    def show(self, data: Board) -> None:
        self.board = data
        active = ", ".join(f"{k} {v}" for k, v in self.filters.items() if v)
        self.sub_title = f"today {self.today}" + (f" · filter: {active}" if active else "")
        overdue = theme_style(self.app, "overdue", bold=True)
        for stage in STAGES:
            table = self.query_one(f"#pdca-{stage}", DataTable)
            keep = table.cursor_row
            table.clear()
            cards = data.columns[stage]
            label = Text(f"{stage_name(stage)} ({len(cards)})")
            table.columns["card"].label = label  # type: ignore[index]
            width = max(12, (table.size.width or self.app.size.width // len(STAGES)) - 2)
            for card in cards:
                table.add_row(card_text(card, width, overdue), key=str(card.id), height=CARD_HEIGHT)
            if table.row_count:
                table.move_cursor(row=min(keep, table.row_count - 1), animate=False)
        if not self.is_current:  # built in the background: read the focused card's cycle too
            self._read_ahead()

    def on_resize(self) -> None:
        """A resized terminal: the cards are cut again to the columns' new width."""
        if self.board is not None:
            self.call_after_refresh(self.show, self.board)

    def _read_ahead(self) -> None:
        """Read the focused card's cycle into the kept cycle screen, which is mounted and laid
        out off screen if it is not yet (the first Enter then only shows it, as later ones)."""
        cycle_id = self._focused_card()
        if cycle_id is not None and self._prefetched != (cycle_id, self.ops.store_generation):
            self._fetch_cycle(cycle_id, self.today, self.ops.settings.config.pdca, push=False)

    # -- actions ----------------------------------------------------------------------------

    def _focused_card(self) -> int | None:
        focused = self.focused
        if not isinstance(focused, DataTable) or focused.row_count == 0:
            return None
        row_key = focused.coordinate_to_cell_key(focused.cursor_coordinate).row_key
        return None if row_key.value is None else int(row_key.value)

    def action_open_cycle(self) -> None:
        cycle_id = self._focused_card()
        if cycle_id is None:
            self.notify("No cycle under the cursor (Tab to a column with cards).", timeout=4)
            return
        self._open(cycle_id)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_cycle()

    def action_filter(self, name: str) -> None:
        if self.board is None or name not in FILTERS:
            return
        values: list[str] = {
            "shop": self.board.shops,
            "owner": self.board.owners,
            "metric": self.board.metrics,
        }[name]
        options: list[str | None] = [None, *values]
        current = self.filters[name]
        i = options.index(current) if current in options else 0
        self.filters[name] = options[(i + 1) % len(options)]
        self.reload()

    def action_clear_filters(self) -> None:
        self.filters = {f: None for f in FILTERS}
        self.reload()

    def action_new_cycle(self) -> None:
        from opsdesk.tui.screens.pdca_cycle import new_cycle_dialog

        new_cycle_dialog(self, self.ops.metric_key, self.ops.shop_key, self.today)

    def _open(self, cycle_id: int) -> None:
        """Show the board's one cycle screen (built once and kept) with the cycle: at once when
        it was read while the cursor rested on its card (see `_prefetch`), else read it first
        (a worker) and push the screen painted once, already with its data."""
        from opsdesk.tui.screens.pdca_cycle import kept_cycle_screen

        kept = kept_cycle_screen(self.app)
        if (
            self._prefetched == (cycle_id, self.ops.store_generation)
            and kept is not None
            and kept.cycle_id == cycle_id
        ):
            self.app.push_screen(kept)
            return
        self._fetch_cycle(cycle_id, self.today, self.ops.settings.config.pdca, push=True)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The cursor rests on a card: read its cycle meanwhile and lay the kept cycle screen
        out with it off screen, so Enter only shows it (the read model ~15-35 ms and the
        layout and first render of the fields, actions, history and chart, off the key)."""
        if event.data_table is not self.focused or event.row_key.value is None:
            return
        self._rest_on(int(event.row_key.value))

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Tab to another column: the cursor rests on its card (no row is highlighted anew)."""
        cycle_id = self._focused_card()
        if cycle_id is not None:
            self._rest_on(cycle_id)

    def _rest_on(self, cycle_id: int) -> None:
        if self._prefetch_timer is not None:
            self._prefetch_timer.stop()
        self._prefetch_timer = self.set_timer(PREFETCH_DELAY, lambda: self._prefetch(cycle_id))

    def _prefetch(self, cycle_id: int) -> None:
        if self.app.screen is not self or self._prefetched == (
            cycle_id,
            self.ops.store_generation,
        ):
            return
        self._fetch_cycle(cycle_id, self.today, self.ops.settings.config.pdca, push=False)

    @work(thread=True, exclusive=True, group="open-cycle", exit_on_error=False)
    def _fetch_cycle(self, cycle_id: int, today: date, rule_set: Any, push: bool) -> None:
        from opsdesk.tui.screens.area import describe_error, store_errors, unit_of_work
        from opsdesk.views.pdca import build_detail

        generation = self.ops.store_generation
        try:
            with unit_of_work(self.db) as conn:
                detail = build_detail(conn, cycle_id, today, rule_set)
        except store_errors() as e:
            if push:
                self.post_message(LoadFailed(describe_error(e)))
            return
        self.app.call_from_thread(self._cycle_read, detail, generation, push)

    def _cycle_read(self, detail: Any, generation: int, push: bool) -> None:
        from opsdesk.tui.screens.pdca_cycle import board_cycle_screen, kept_cycle_screen

        if push and self.app.screen is not self:
            return  # the user moved on meanwhile
        if not push and self.app.screen is kept_cycle_screen(self.app):
            return  # read ahead, but a cycle is shown meanwhile: not changed under the user
        screen = board_cycle_screen(self.app, detail)
        self._prefetched = (detail.cycle.id, generation)
        if push:
            self.app.push_screen(screen)
        elif screen.is_mounted:
            screen.lay_out_hidden()
        elif textual_hooks.usable(textual_hooks.OFFSCREEN_RENDER):
            textual_hooks.mount_hidden(self.app, screen)  # on mount: shown, laid out hidden
