"""The Textual app: areas as modes, the command registry's bindings and palette, live refresh.

Built by `create_app(settings, clock=...)` from injected settings (store path, user config,
the store's timezone and cutoff, optionally the stand-up already loaded for the first paint)
and a clock, so tests run it on a temporary store with a fixed clock. Nothing happens at
import time. The other areas' screens are imported when first opened or built in the
background: the path to the first paint carries only Textual, the stand-up screen and its
model as plain values (tui/run.py loads it in a helper process). What the first frame does not
need (sqlite3 and the store's modules for watching the store and the read-only notice, the
background build) starts once it is out: `after_first_paint`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from textual import work
from textual.app import App
from textual.screen import Screen
from textual.worker import get_current_worker

from opsdesk.config import AppConfig
from opsdesk.domain.text import visible
from opsdesk.tui import commands, textual_hooks
from opsdesk.tui.messages import LoadFailed, StoreChanged
from opsdesk.views.standup_model import StandupModel

if TYPE_CHECKING:
    from textual.command import Provider

    from opsdesk.clock import Clock
    from opsdesk.tui.screens.entry import EntryScreen
    from opsdesk.views.search import SearchRow

AREAS: tuple[str, ...] = ("standup", "explorer", "entry", "checklists")
AREAS += ("pdca",)  # area 5
AREAS += ("risks",)  # area 6
AREAS += ("review",)  # area 7
PREBUILT_AREAS: tuple[str, ...] = ("explorer", "entry", "checklists")
PREBUILT_AREAS += ("pdca",)
PREBUILT_AREAS += ("risks",)
PREBUILT_AREAS += ("review",)  # its first model is a few weeks of data; the 6-12 follow
"""Areas whose screens are built in the background after the first paint."""
PREWARM_AFTER = 0.5
"""Seconds after start-up (the app's mount) before that begins, and never before the first
paint (the stand-up's table and alerts settle first)."""
FREEZE_AFTER = 0.3
"""Seconds after the last area's background build before the heap is frozen (`freeze_heap`)."""
LIGHT_THEME = "textual-light"
DARK_THEME = "textual-dark"


class AppSettings(NamedTuple):
    """What the app needs to know before it starts (a NamedTuple: cheaper to create at start-up
    than a frozen dataclass)."""

    db: Path
    config: AppConfig = AppConfig()
    ops_day: date | None = None
    """The day under review; None: from the store's timezone and cutoff and the clock."""
    initial_standup: StandupModel | None = None
    """The stand-up for the ops day, built before the app started (first paint without a
    worker round trip); None: the screen loads it itself."""


def store_ops_day(db: Path, clock: Clock) -> date:
    """The ops day by the store's settings (timezone, cutoff) on `clock`."""
    from opsdesk.store.db import open_store
    from opsdesk.views.ops_day import store_ops_day as read_ops_day

    conn = open_store(db, migrate=False)
    try:
        return read_ops_day(conn, clock)
    finally:
        conn.close()


def _standup_screen() -> Screen[None]:
    from opsdesk.tui.screens.standup import StandupScreen

    return StandupScreen()


def _explorer_screen() -> Screen[None]:
    from opsdesk.tui.screens.explorer import ExplorerScreen

    return ExplorerScreen()


def _entry_screen() -> Screen[None]:
    from opsdesk.tui.screens.entry import EntryScreen

    return EntryScreen()


def _checklists_screen() -> Screen[None]:
    from opsdesk.tui.screens.checklists import ChecklistsScreen

    return ChecklistsScreen()


def _pdca_screen() -> Screen[None]:
    from opsdesk.tui.screens.pdca import PdcaBoardScreen

    return PdcaBoardScreen()


def _risks_screen() -> Screen[None]:
    from opsdesk.tui.screens.risks import RisksScreen

    return RisksScreen()


def _review_screen() -> Screen[None]:
    from opsdesk.tui.screens.review import ReviewScreen

    return ReviewScreen()


def _palette_provider() -> type[Provider]:
    from opsdesk.tui.palette import OpsdeskCommands

    return OpsdeskCommands


class OpsdeskApp(App[None]):
    """opsdesk's terminal app."""

    TITLE = "opsdesk"
    CSS_PATH = "app.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (150, "-wide")]
    BINDINGS = commands.bindings(commands.APP)
    COMMANDS = {_palette_provider}
    DEFAULT_MODE = "standup"
    MODES = {
        "standup": _standup_screen,
        "explorer": _explorer_screen,
        "entry": _entry_screen,
        "checklists": _checklists_screen,
        "pdca": _pdca_screen,
        "risks": _risks_screen,
        "review": _review_screen,
    }

    def __init__(self, settings: AppSettings, clock: Clock | None = None) -> None:
        super().__init__()
        textual_hooks.check(self)  # once per process: Textual's private hooks as expected?
        self.settings = settings
        if clock is None:
            from opsdesk.clock import system_clock

            clock = system_clock
        self.clock: Clock = clock
        self.db = settings.db
        self.keymap: dict[str, str] = dict(settings.config.keys)
        self.ops_day: date = settings.ops_day or store_ops_day(settings.db, clock)
        self.shop_key: str | None = None
        """The shop the areas show (None: all shops), shared so that switching keeps it."""
        self.metric_key: str = "gmv"
        self.entry_form: EntryScreen | None = None
        """The entry form once built (it may hold typed values not saved)."""
        self._entry_target: tuple[str | None, date] | None = None
        self.area_switched_at: float = 0.0
        self._switching_area = False
        self._building_area = False
        self._initial_standup = settings.initial_standup
        self._started = False
        """`after_first_paint` has run."""
        self._mounted_at = time.monotonic()
        self._stop_watching = threading.Event()
        self._poll_now = threading.Event()
        """Wakes the watcher for a look at the store now (also when stopping)."""
        self.store_generation = 0
        """Counts the store changes seen; a screen that loaded an older one reloads."""
        self.session = ""
        """This run's session in the audit trail: ctrl+z takes back only its changes. Begun
        with the first paint (`after_first_paint`: the audit module brings sqlite3 and the
        store into the UI process), before anything can write."""

    # -- start-up ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        theme = self.settings.config.theme
        if theme in self.available_themes:
            self.theme = theme
        else:
            self.notify(
                f"config: theme {theme!r} is not a Textual theme; known: "
                + ", ".join(sorted(self.available_themes)),
                severity="error",
                timeout=10,
            )
        if self.keymap:
            self.set_keymap(self.keymap)
        self._mounted_at = time.monotonic()

    def after_first_paint(self) -> None:
        """Once the first screen's first frame is out (the stand-up calls it): what the first
        frame does not need starts now, not before: watching the store and the read-only
        notice (sqlite3 and the store's modules, ~10-20 ms of the UI process), and the other
        areas' background build (PREWARM_AFTER seconds after start-up, as before)."""
        if self._started:
            return
        self._started = True
        from opsdesk.store.audit import new_session

        self.session = new_session()
        self.watch_store()
        self.say_if_read_only()
        since_mount = time.monotonic() - self._mounted_at
        self.set_timer(max(PREWARM_AFTER - since_mount, 0.05), self.prewarm)

    def standup_settled(self) -> None:
        """The stand-up's load with its sections is in; they may have written (today's
        checklist runs, KRI triggers). The watcher looks at the store at once rather than at
        its next poll, so that such a change is counted before the other areas are built in
        the background: an area built before the change was counted reloads on its first
        visit."""
        self._poll_now.set()

    def say_if_read_only(self) -> None:
        """Say once that the store is read-only; write keys then say why they do nothing."""
        from opsdesk.store.connection import current_user
        from opsdesk.store.files import is_read_only, read_only_message

        if is_read_only(self.db):
            self.notify(
                read_only_message(self.db, current_user()),
                title="Read-only",
                severity="warning",
                timeout=15,
                markup=False,  # a path, not markup: /srv/[team]/x.sqlite stays as it is
            )

    @work(thread=True, group="prewarm", exit_on_error=False)
    def prewarm(self) -> None:
        """Import the other areas' screens (and plotext) in the background, once the stand-up
        is up, then build those screens (composed, mounted, data loaded) while nobody looks,
        so that the first switch to an area only lays it out and paints it."""
        import importlib

        for name in (f"opsdesk.tui.screens.{area}" for area in PREBUILT_AREAS):
            importlib.import_module(name)
        for area in PREBUILT_AREAS:
            self.call_from_thread(self._prebuild, area)
            time.sleep(0.15)  # one at a time: keys pressed meanwhile are not held up long
            self.call_from_thread(self.freeze_heap)  # an early key finds most of it frozen
        time.sleep(FREEZE_AFTER)  # their data loaded and laid out off screen meanwhile
        self.call_from_thread(self.freeze_heap)

    def freeze_heap(self) -> None:
        """Move what start-up and the background build allocated (~150,000 objects with 200
        cycles) out of the garbage collector's view (`gc.freeze`). A full collection walks
        every tracked object; one fell due on the first visit of the board or a cycle
        (100-350 ms, seen with `gc.callbacks`). After this one walks only what was allocated
        since (~10 ms). Cost: cyclic garbage among the frozen objects is never freed (a part
        of what the app holds at start-up anyway)."""
        import gc

        gc.collect(1)  # the young garbage first (a few milliseconds), so it is not kept
        gc.freeze()

    def _prebuild(self, area: str) -> None:
        """Create an area's screen (its mode) without showing it (textual_hooks' `prebuild`;
        without it the area is built by `switch_mode` on its first visit).

        Textual's `_init_mode` re-parses every stylesheet and restyles every node of the
        current screen because the new screen's CSS generation is -1; yet a new screen is
        styled with the current stylesheet as it is registered, inside that call. So the
        refresh is skipped (see `refresh_css`) and the screen marked current: ~60-150 ms less
        per first visit of an area. A theme change later still restyles it as usual."""
        if not self.is_running or not textual_hooks.usable(textual_hooks.PREBUILD):
            return  # not while shutting down
        try:
            self.get_screen_stack(area)
            return  # built already
        except KeyError:
            pass
        self._building_area = True
        try:
            screens = textual_hooks.build_mode(self, area)
        finally:
            self._building_area = False
        for screen in screens:
            textual_hooks.mark_styled(screen)

    def breakpoint_classes(self, width: int) -> set[str]:
        """The class Textual gives a screen `width` cells wide by HORIZONTAL_BREAKPOINTS (on
        its first Resize, which restyles the whole screen when the class is new to it)."""
        for minimum, name in sorted(self.HORIZONTAL_BREAKPOINTS, reverse=True):
            if width >= minimum:
                return {name}
        return set()

    def take_initial_standup(self) -> StandupModel | None:
        """The stand-up preloaded before start (once), for the first screen's first paint."""
        data, self._initial_standup = self._initial_standup, None
        return data

    # -- commands ---------------------------------------------------------------------------

    async def run_command(self, command: commands.Command, screen: Screen[Any]) -> None:
        """Run a registry command as if its key was pressed on `screen`."""
        await self.run_action(command.action, default_namespace=screen)

    def action_switch_area(self, area: str) -> None:
        if area not in AREAS:
            return
        self.area_switched_at = time.perf_counter()
        self._prebuild(area)
        leaving = self.screen
        self._switching_area = True
        try:
            self.switch_mode(area)
        finally:
            self._switching_area = False
        if leaving is self.entry_form and area != "entry":
            self.entry_form.left_with_unsaved()  # kept in the form; said

    def delay_update(self, delay: float = 0.05) -> None:
        """Textual holds every frame for 50 ms when the mode changes (to mask the swap); an
        area's screen is built once and kept, so switching holds them 5 ms only (a timer of 0
        would never end the hold)."""
        super().delay_update(0.005 if self._switching_area else delay)

    def refresh_css(self, animate: bool = True) -> None:
        if not self._building_area:  # see _prebuild
            super().refresh_css(animate)

    def open_explorer(self, metric_key: str, shop_key: str | None) -> None:
        self.metric_key = metric_key
        self.shop_key = shop_key
        self.action_switch_area("explorer")

    def open_entry(self, shop_key: str | None, day: date | None = None) -> None:
        """The entry form on `shop_key` (None: the form's own) and `day` (default: the ops
        day); the form asks first if that would drop typed values."""
        self._entry_target = (shop_key, day or self.ops_day)
        self.action_switch_area("entry")

    def open_run(self, run_id: int) -> None:
        """A checklist run, to tick its items: on the checklists area (Esc goes back there)."""
        from opsdesk.tui.screens.checklists_run import ChecklistRunScreen

        self.action_switch_area("checklists")
        self.push_screen(ChecklistRunScreen(run_id))

    def action_open_standup_meeting(self) -> None:
        """The stand-up's meeting record (`r` on the stand-up), on the ops day."""
        from opsdesk.tui.screens.standup_meeting import StandupMeetingScreen

        self.push_screen(StandupMeetingScreen(self.ops_day))

    def action_tick_today(self) -> None:
        """Today's first checklist run to tick, opened (the checklists area lists those first)."""
        self.action_switch_area("checklists")
        open_first = getattr(self.screen, "open_first_to_tick", None)
        if callable(open_first):
            open_first()

    def take_entry_target(self) -> tuple[str | None, date] | None:
        """The shop and day `open_entry` asked for (once)."""
        target, self._entry_target = self._entry_target, None
        return target

    async def action_quit(self) -> None:
        """Quit; with typed values not saved in the entry form, ask first."""
        from opsdesk.tui.widgets.unsaved_dialog import UnsavedDialog

        form = self.entry_form
        if isinstance(self.screen, UnsavedDialog):
            return  # answer the question first
        if form is not None and form.unsaved():
            form.ask_before(self.exit, "quitting")
            return
        self.exit()

    def action_show_help(self) -> None:
        from opsdesk.tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(getattr(self.screen, "SCOPE", commands.APP), self.keymap))

    def action_search(self) -> None:
        """`/`: the search dialog; the hit chosen is opened (`open_hit`)."""
        from opsdesk.tui.widgets.search_dialog import SearchDialog

        if not isinstance(self.screen, SearchDialog):
            self.push_screen(SearchDialog(self.db), self.open_hit)

    def open_hit(self, hit: SearchRow | None) -> None:
        """Open the object a search hit belongs to (a checklist run: on the item; a PDCA text
        or a cycle's action item: the cycle; a review note, decision or metric note, or a
        review's action item: the weekly review on its week)."""
        if hit is None:
            return
        if hit.object_type == "sop_run":
            from opsdesk.tui.screens.checklists_run import ChecklistRunScreen

            self.action_switch_area("checklists")
            part = int(hit.part) if str(hit.part).isdigit() else None
            self.push_screen(ChecklistRunScreen(int(str(hit.opens)), part))
            return
        if hit.object_type in ("risk", "risk_review"):
            from opsdesk.tui.screens.risk import RiskScreen

            self.action_switch_area("risks")
            self.push_screen(RiskScreen(str(hit.opens)))
            return
        opens = hit.opens if isinstance(hit.opens, tuple) else (hit.object_type, hit.opens)
        if hit.object_type == "pdca_cycle" or opens[0] == "pdca":
            from opsdesk.tui.screens.pdca_cycle import CycleScreen

            self.action_switch_area("pdca")
            self.push_screen(CycleScreen(int(str(opens[1]))))
            return
        if opens[0] == "risk":
            from opsdesk.tui.screens.risk import RiskScreen

            self.action_switch_area("risks")
            self.push_screen(RiskScreen(str(opens[1])))
            return
        if opens[0] == "review" and len(opens) == 3:  # a meeting: ("review", kind, period)
            opens = (opens[1], opens[2])
        if opens[0] == "review":  # the weekly review of that ISO week
            from opsdesk.domain import periods

            self.action_switch_area("review")
            screen = self.screen
            if hasattr(screen, "week") and hasattr(screen, "reload"):
                screen.week = periods.parse("week", str(opens[1]))
                screen.reload()
            return
        if opens[0] == "standup":  # its meeting record, when the hit names the stand-up's day
            from datetime import date

            from opsdesk.tui.screens.standup_meeting import StandupMeetingScreen

            self.action_switch_area("standup")
            try:
                day = date.fromisoformat(str(opens[1]))
            except ValueError:
                return
            self.push_screen(StandupMeetingScreen(day))
            return
        self.notify(f"{hit.object_type} {hit.object_id} cannot be opened from search yet")

    def action_undo(self) -> None:
        """ctrl+z: take back this session's last change (`store.undo`), with a toast."""
        if isinstance(self.screen, commands_modal_types()):
            return
        self._undo()

    @work(thread=True, group="write", exit_on_error=False)
    def _undo(self) -> None:
        from opsdesk.store.undo import undo
        from opsdesk.tui.screens.area import describe_error, store_errors, unit_of_work
        from opsdesk.views.history import describer

        try:
            with unit_of_work(self.db) as conn:
                describe = describer(conn)
                result = undo(conn, session=self.session, clock=self.clock, describe=describe)
                undone = [describe(e) for e in result.undone]
                if result.skipped:
                    undone.append(result.skipped_text())
        except store_errors() as e:
            self.call_from_thread(
                self.notify,
                visible(describe_error(e)),
                title="Undo",
                severity="warning",
                timeout=10,
                markup=False,
            )
            return
        self.call_from_thread(
            self.notify, "\n".join(undone), title="Undone", timeout=6, markup=False
        )
        self.call_from_thread(self.action_refresh_data)

    def action_history(self) -> None:
        """`h`: the history of the object under the cursor (the screen says which)."""
        from opsdesk.tui.screens.history import HistoryScreen, history_target

        found = history_target(self.screen)
        if found is None or isinstance(found, str):
            self.notify(
                found
                or "No history here: h works on a KPI value (stand-up, explorer), a checklist "
                "item, a cycle or a risk",
                timeout=5,
                markup=False,
            )
            return
        self.push_screen(HistoryScreen(*found))

    def action_refresh_data(self) -> None:
        from textual.app import ScreenStackError

        try:
            screen = self.screen
        except ScreenStackError:  # a store change seen while the app shuts down
            return
        reload = getattr(screen, "reload", None)
        if callable(reload):
            reload()

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT_THEME if self.current_theme.dark else DARK_THEME

    def help_lines(self, scope: str) -> Iterable[tuple[str, commands.Command]]:
        for c in commands.available(scope):
            yield commands.key_label(commands.effective_key(c, self.keymap)), c

    # -- live refresh -----------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="watch", exit_on_error=False)
    def watch_store(self) -> None:
        """Poll `PRAGMA data_version` (cheap; moves when another connection commits)."""
        import sqlite3

        worker = get_current_worker()
        interval = self.settings.config.refresh_seconds
        stop = self._stop_watching
        from opsdesk.store.connection import StoreError, connect

        try:
            conn = connect(self.db)
        except (sqlite3.Error, StoreError) as e:
            self.post_message(LoadFailed(f"cannot watch the store: {e}"))
            return
        wake = self._poll_now
        try:
            last = conn.execute("PRAGMA data_version").fetchone()[0]
            while not worker.is_cancelled:
                wake.wait(interval)
                wake.clear()
                if stop.is_set():
                    break
                try:
                    now = conn.execute("PRAGMA data_version").fetchone()[0]
                except sqlite3.Error:
                    continue
                if now != last:
                    last = now
                    self.post_message(StoreChanged())
        finally:
            conn.close()

    def on_unmount(self) -> None:
        self._stop_watching.set()
        self._poll_now.set()

    def on_store_changed(self, _: StoreChanged) -> None:
        self.store_generation += 1  # screens in other areas reload when they come back
        self.action_refresh_data()

    def on_load_failed(self, message: LoadFailed) -> None:
        self.notify(
            visible(message.text), title=message.title, severity="error", timeout=8, markup=False
        )


def commands_modal_types() -> tuple[type, ...]:
    """Dialogs during which ctrl+z waits (a question is being answered)."""
    from opsdesk.tui.widgets.conflict_dialog import ConflictDialog
    from opsdesk.tui.widgets.unsaved_dialog import UnsavedDialog

    return (ConflictDialog, UnsavedDialog)


def create_app(settings: AppSettings, clock: Clock | None = None) -> OpsdeskApp:
    """The app for `settings`, on `clock` (default: the system clock; tests pass
    `opsdesk.clock.fixed_clock(...)`)."""
    return OpsdeskApp(settings, clock)
