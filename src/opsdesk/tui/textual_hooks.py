"""Every private Textual, textual-plotext and plotext hook opsdesk uses, behind one door.

The first paint and the area switches are fast thanks to a few private names (README,
"Speed"). They are all here, and nowhere else: `HOOKS` lists each with the shape opsdesk
expects of it (an attribute of a given type, or a method taking given parameters, checked
with `inspect.signature`); `FEATURES` lists what each speed-up needs, why it exists and
what Textual does without it. The screens and the app ask `usable(feature)` and reach the
private names through the functions below (and `HookedScreen`, the areas' base class).

`check(app)` runs once per process when the app is created (a few hundred microseconds):
a feature whose hooks are not all as expected takes Textual's public path (slower, never
broken) and says so once in the log: Python logging (logger `opsdesk.tui.textual_hooks`)
and Textual's log (`TEXTUAL_LOG=/path/file`, or `textual console`); never on screen. The
chart's hooks are checked when a chart first draws (plotext is not imported at start-up).
`OPSDESK_NO_HOOKS=1` in the environment turns every feature off: the public path everywhere.

The features (what each one saves, measured when it was added):

- `prebuild`: the other areas' screens are built in the background after the first paint
  (`App._init_mode`); a mode's new screen makes Textual re-parse every stylesheet and
  restyle every node, although it was styled as it registered, so that pass is skipped and
  the screen marked as having seen the current CSS (`App._css_update_count`,
  `Screen._css_update_count`): ~60-150 ms less per first visit of an area. Without it an
  area's screen is built by `switch_mode` on its first visit (150-300 ms).
- `first_screen_css`: the stand-up, the first screen, is made right after the app parsed
  its CSS; marked as having seen it, Textual does not re-parse every stylesheet twice more
  before the first frame (~10-30 ms).
- `keep_styles`: Textual restyles every node of a screen each time it is shown, which also
  empties the tables' render caches (~20-60 ms per switch); a screen is styled as it
  registers (`Screen._post_register`) and nothing but a CSS change (a theme) restyles a
  hidden one, so `ScreenResume.refresh_styles` is cleared unless the CSS generation moved.
- `whole_first_frame`: Textual draws the first frame inside its start-up batch, drops it,
  then sends only what changed since. The stand-up skips rendering inside the batch
  (`App._batch_count`) and sends its whole screen once the batch ends (`Screen.
  _compositor_refresh`, the compositor's `_dirty_regions` and `size`), then lets its tables
  join. Without it the tables join after Textual's first refresh.
- `offscreen_render`: a screen built or reloaded while hidden is laid out
  (`Screen._refresh_layout`) and rendered once with the frame thrown away (the compositor's
  `render_update`), so the key only repaints from the widgets' caches (~30-60 ms instead of
  ~100-150 ms). The board's kept cycle screen is mounted that way too, before its first
  show (`App._get_screen`, `App._load_screen_css`, as `push_screen` does). Without it the
  first show lays out and renders.
- `chart_lines`: textual-plotext asks plotext for an ANSI string and parses it back, which
  costs as much as drawing (50 -> 26 ms at 90x30); the chart draws plotext's character
  matrix with the line API (`PlotextPlot._get_plotext_theme_name`, the figure's `_set_size`,
  `_set_sizes`, `_build_matrix`, `monitor.matrix`). Without it: textual-plotext's render.
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on
from textual.app import App
from textual.geometry import Size
from textual.screen import Screen

if TYPE_CHECKING:
    from textual.widget import Widget

ENV_SWITCH = "OPSDESK_NO_HOOKS"
"""Set to 1: every feature takes Textual's public path."""

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())  # never Python's last-resort stderr: not on screen

PREBUILD = "prebuild"
FIRST_SCREEN_CSS = "first_screen_css"
KEEP_STYLES = "keep_styles"
WHOLE_FIRST_FRAME = "whole_first_frame"
OFFSCREEN_RENDER = "offscreen_render"
CHART_LINES = "chart_lines"

TEXTUAL = "textual"
CHART = "chart"


@dataclass(frozen=True)
class Probe:
    """What the hooks are looked up on: the app, a screen (instance attributes), and for the
    chart the widget class and a figure."""

    app: Any = None
    screen: Any = None
    widget_class: Any = None
    plot: Any = None


@dataclass(frozen=True)
class Hook:
    """One private name and the shape opsdesk expects of it."""

    name: str
    """As it is spelled at the call site, by owner (`App._init_mode`)."""
    group: str
    owner: Callable[[Probe], object]
    path: str
    """Attribute path from the owner (`_compositor._dirty_regions`)."""
    params: tuple[str, ...] | None = None
    """A method taking exactly these parameters (after self)."""
    kind: type | None = None
    """An attribute holding a value of this type."""

    def problem(self, probe: Probe) -> str | None:
        """None when the hook is as expected; else what differs."""
        try:
            value = self.owner(probe)
        except Exception as e:  # an import or a constructor that changed
            return f"{self.name}: its owner cannot be reached ({type(e).__name__}: {e})"
        for part in self.path.split("."):
            if not hasattr(value, part):
                return f"{self.name} is missing"
            value = getattr(value, part)
        if self.params is not None:
            if not callable(value):
                return f"{self.name} is not callable"
            try:
                names = tuple(p for p in inspect.signature(value).parameters if p != "self")
            except (TypeError, ValueError) as e:
                return f"{self.name}: no signature ({e})"
            if names != self.params:
                return (
                    f"{self.name} takes ({', '.join(names)}), expected ({', '.join(self.params)})"
                )
        if self.kind is not None and not isinstance(value, self.kind):
            return f"{self.name} is a {type(value).__name__}, expected {self.kind.__name__}"
        return None


def _app_class(_: Probe) -> object:
    return App


def _screen_class(_: Probe) -> object:
    return Screen


def _resume_event(_: Probe) -> object:
    return events.ScreenResume


def _app(probe: Probe) -> object:
    return probe.app


def _screen(probe: Probe) -> object:
    return probe.screen


def _widget_class(probe: Probe) -> object:
    return probe.widget_class


def _plot(probe: Probe) -> object:
    return probe.plot


def _plot_class(probe: Probe) -> object:
    return type(probe.plot)


HOOKS: tuple[Hook, ...] = (
    Hook("App._init_mode", TEXTUAL, _app_class, "_init_mode", params=("mode",)),
    Hook("App._css_update_count", TEXTUAL, _app, "_css_update_count", kind=int),
    Hook("App._batch_count", TEXTUAL, _app, "_batch_count", kind=int),
    Hook("Screen._css_update_count", TEXTUAL, _screen, "_css_update_count", kind=int),
    Hook("Screen._post_register", TEXTUAL, _screen_class, "_post_register", params=("app",)),
    Hook(
        "Screen._on_screen_resume", TEXTUAL, _screen_class, "_on_screen_resume", params=("event",)
    ),
    Hook("ScreenResume.refresh_styles", TEXTUAL, _resume_event, "refresh_styles", kind=bool),
    Hook("Screen._compositor_refresh", TEXTUAL, _screen_class, "_compositor_refresh", params=()),
    Hook(
        "Screen._compositor._dirty_regions",
        TEXTUAL,
        _screen,
        "_compositor._dirty_regions",
        kind=set,
    ),
    Hook("Screen._compositor.size", TEXTUAL, _screen, "_compositor.size", kind=Size),
    Hook(
        "Screen._refresh_layout",
        TEXTUAL,
        _screen_class,
        "_refresh_layout",
        params=("size", "scroll"),
    ),
    Hook("App._get_screen", TEXTUAL, _app_class, "_get_screen", params=("screen",)),
    Hook("App._load_screen_css", TEXTUAL, _app_class, "_load_screen_css", params=("screen",)),
    Hook(
        "Screen._compositor.render_update",
        TEXTUAL,
        _screen,
        "_compositor.render_update",
        params=("full", "screen_stack", "simplify"),
    ),
    Hook(
        "PlotextPlot._get_plotext_theme_name",
        CHART,
        _widget_class,
        "_get_plotext_theme_name",
        params=("app_theme_name",),
    ),
    Hook("Plot._set_size", CHART, _plot_class, "_set_size", params=("width", "height")),
    Hook("Plot._set_sizes", CHART, _plot_class, "_set_sizes", params=()),
    Hook("Plot._build_matrix", CHART, _plot_class, "_build_matrix", params=()),
    Hook("Plot.monitor.matrix.marker", CHART, _plot, "monitor.matrix.marker", kind=list),
    Hook("Plot.monitor.matrix.fullground", CHART, _plot, "monitor.matrix.fullground", kind=list),
    Hook("Plot.monitor.matrix.style", CHART, _plot, "monitor.matrix.style", kind=list),
    Hook("Plot.monitor.matrix.background", CHART, _plot, "monitor.matrix.background", kind=list),
)


@dataclass(frozen=True)
class Feature:
    """A speed-up, the hooks it needs, and what Textual does without it."""

    name: str
    hooks: tuple[str, ...]
    without: str


FEATURES: tuple[Feature, ...] = (
    Feature(
        PREBUILD,
        (
            "App._init_mode",
            "App._css_update_count",
            "Screen._css_update_count",
        ),
        "areas are built on their first visit, not in the background",
    ),
    Feature(
        FIRST_SCREEN_CSS,
        ("App._css_update_count", "Screen._css_update_count"),
        "Textual re-parses the stylesheets when the first area opens",
    ),
    Feature(
        KEEP_STYLES,
        (
            "App._css_update_count",
            "Screen._post_register",
            "Screen._on_screen_resume",
            "ScreenResume.refresh_styles",
        ),
        "Textual restyles a screen each time it is shown",
    ),
    Feature(
        WHOLE_FIRST_FRAME,
        (
            "App._batch_count",
            "Screen._compositor_refresh",
            "Screen._compositor._dirty_regions",
            "Screen._compositor.size",
        ),
        "the stand-up's first frame is Textual's; its tables join after that frame",
    ),
    Feature(
        OFFSCREEN_RENDER,
        (
            "Screen._refresh_layout",
            "Screen._compositor.render_update",
            "App._get_screen",
            "App._load_screen_css",
        ),
        "a screen built or reloaded while hidden is laid out and rendered when shown",
    ),
    Feature(
        CHART_LINES,
        tuple(h.name for h in HOOKS if h.group == CHART),
        "the chart is drawn by textual-plotext's render (an ANSI string parsed back)",
    ),
)

_BY_NAME = {h.name: h for h in HOOKS}
_GROUP_OF = {f.name: {_BY_NAME[h].group for h in f.hooks} for f in FEATURES}
_usable: dict[str, bool] = {}
"""Each checked feature: may it use its hooks? (Absent: not checked yet, so no.)"""
_decided: set[str] = set()
"""The groups checked in this process."""


def usable(feature: str) -> bool:
    """Whether `feature` may use its private hooks (False until its group was checked)."""
    return _usable.get(feature, False)


def switched_off() -> bool:
    return os.environ.get(ENV_SWITCH, "") not in ("", "0")


def problems(group: str, probe: Probe) -> dict[str, str]:
    """Each hook of `group` that is not as expected on `probe`: its name -> what differs."""
    found = {}
    for hook in HOOKS:
        if hook.group == group and (problem := hook.problem(probe)) is not None:
            found[hook.name] = problem
    return found


def textual_probe(app: App[Any]) -> Probe:
    """The app, and a screen that is never shown (its instance attributes)."""
    return Probe(app=app, screen=Screen())


def chart_probe(widget_class: type[Widget]) -> Probe:
    from textual_plotext.plot import Plot

    return Probe(widget_class=widget_class, plot=Plot())


def _decide(group: str, probe: Callable[[], Probe]) -> None:
    """Decide, once per process, which of `group`'s features may use their hooks; log the
    ones that may not."""
    if group in _decided:
        return
    _decided.add(group)
    features = [f for f in FEATURES if _GROUP_OF[f.name] == {group}]
    if switched_off():
        for f in features:
            _usable[f.name] = False
        names = ", ".join(f.name for f in features)
        _warn(f"{ENV_SWITCH} is set: Textual's public path for {names}")
        return
    try:
        found = problems(group, probe())
    except Exception as e:  # the probe itself could not be made: check nothing, use nothing
        why = f"cannot be checked ({type(e).__name__}: {e})"
        found = {h.name: f"{h.name} {why}" for h in HOOKS if h.group == group}
    for f in features:
        changed = [found[h] for h in f.hooks if h in found]
        _usable[f.name] = not changed
        if changed:
            _warn(f"{f.name} is off ({'; '.join(changed)}): {f.without}")


def _warn(text: str) -> None:
    from textual import log

    logger.warning("opsdesk hooks: %s", text)
    log.warning(f"opsdesk hooks: {text}")


def check(app: App[Any]) -> None:
    """Check Textual's hooks on `app` (once per process; see the module docstring)."""
    _decide(TEXTUAL, lambda: textual_probe(app))


def check_chart(widget_class: type[Widget]) -> None:
    """Check the chart's hooks (textual-plotext and plotext), once per process."""
    _decide(CHART, lambda: chart_probe(widget_class))


def reset() -> None:
    """Forget every decision (tests; the next `check` decides again)."""
    _usable.clear()
    _decided.clear()


# -- prebuild, first_screen_css, keep_styles: the CSS generation -----------------------------


def css_generation(app: App[Any]) -> int:
    """The app's CSS generation: it moves when the stylesheets change (a theme)."""
    return app._css_update_count


def mark_styled(screen: Screen[Any]) -> None:
    """Tell Textual `screen` has seen the app's current CSS (it was styled as it registered)."""
    screen._css_update_count = screen.app._css_update_count


def build_mode(app: App[Any], mode: str) -> list[Screen[Any]]:
    """Create `mode`'s screen without showing it; its screens."""
    app._init_mode(mode)
    return app.get_screen_stack(mode)


# -- offscreen_render -----------------------------------------------------------------------


def lay_out(screen: Screen[Any], size: Size) -> None:
    """Lay `screen` out at `size`, shown or not."""
    screen._refresh_layout(size)


def mount_hidden(app: App[Any], screen: Screen[Any]) -> None:
    """Compose and mount an installed `screen` without showing it (what `push_screen` does
    before it shows a screen)."""
    app._get_screen(screen)
    app._load_screen_css(screen)


def render_and_discard(screen: Screen[Any]) -> None:
    """Render `screen` in full and throw the frame away: its widgets keep what they drew."""
    screen._compositor.render_update(full=True)


# -- chart_lines ----------------------------------------------------------------------------


def plotext_theme(widget: Any, app_theme: str) -> str:
    """The plotext theme textual-plotext registered for `app_theme`."""
    name: str = widget._get_plotext_theme_name(app_theme)
    return name


def build_matrix(plot: Any, width: int, height: int) -> Any:
    """Lay `plot` out at width x height and fill its character matrix (what plotext's build()
    does, less the canvas string); the matrix (`marker`, `fullground`, `style`,
    `background`: lists of rows, bottom row first)."""
    plot._set_size(width, height)  # as textual-plotext's render does (its issue #5)
    plot._set_sizes()
    plot._build_matrix()
    return plot.monitor.matrix


# -- keep_styles, whole_first_frame: the areas' screens --------------------------------------


class HookedScreen(Screen[None]):
    """A screen that keeps its styles when shown again unless the CSS changed (`keep_styles`)
    and, with `WHOLE_FIRST_FRAME` set, sends its whole first frame once the app's start-up
    batch ends, then calls `after_first_frame` (`whole_first_frame`). Without the hooks it
    behaves as Textual's Screen, and `after_first_frame` runs after the first refresh."""

    WHOLE_FIRST_FRAME: ClassVar[bool] = False
    _styled_at = -1
    """The app's CSS generation when this screen's styles were last brought up to date."""
    _first_frame_sent = False

    async def after_first_frame(self) -> None:
        """Called once after this screen's first frame (when WHOLE_FIRST_FRAME is set)."""

    def _post_register(self, *args: Any, **kwargs: Any) -> None:
        super()._post_register(*args, **kwargs)
        if usable(KEEP_STYLES):  # styled as it registers, just after
            self._styled_at = css_generation(args[0] if args else kwargs["app"])

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        """Runs before Screen's own handler (Textual calls each class's, subclass first)."""
        if not usable(KEEP_STYLES):
            return
        generation = css_generation(self.app)
        if self._styled_at == generation:
            event.refresh_styles = False
        self._styled_at = generation

    @on(events.Mount)
    def _first_frame_without_hooks(self) -> None:
        if self.WHOLE_FIRST_FRAME and not usable(WHOLE_FIRST_FRAME):
            self.call_after_refresh(self._first_frame_done)

    def _compositor_refresh(self, *args: Any, **kwargs: Any) -> None:
        """Frames drawn while the app starts up (inside a batch) are dropped, not written,
        and the first one after it would only send what changed since: skip rendering them,
        then send the whole screen once."""
        if (
            not self.WHOLE_FIRST_FRAME
            or self._first_frame_sent
            or not usable(WHOLE_FIRST_FRAME)
            or self is not self.app.screen
        ):
            super()._compositor_refresh(*args, **kwargs)
            return
        if self.app._batch_count:
            return  # the dirty widgets stay dirty: they are drawn when the batch ends
        self._compositor._dirty_regions.add(self._compositor.size.region)
        super()._compositor_refresh(*args, **kwargs)
        self._first_frame_done()  # a refresh callback from on_mount would run before it

    def _first_frame_done(self) -> None:
        if not self._first_frame_sent:
            self._first_frame_sent = True
            self.call_later(self.after_first_frame)
