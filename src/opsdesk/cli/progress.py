"""Progress of long commands (`import`, `demo`, `db backup`, `export`): a Rich progress bar on
standard error, one line a stage (read, checked, written…), shown only on a terminal, only
once the work has taken more than a moment (DELAY), and never with `--quiet`.

Piped or captured output gets nothing extra, so scripts and cron mail see only the summary.
Whether standard error is a terminal is Rich's call (so `TTY_COMPATIBLE=1` or `FORCE_COLOR`
force the bar, `TTY_COMPATIBLE=0` hides it). The bar is transient: it disappears when the
command ends, leaving the summary.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

import click

DELAY = 0.5
"""Seconds of work before the bar appears: quick commands never show one."""


def quiet_option(fn: Any) -> Any:
    """`--quiet`: no progress bar (the summary is still printed)."""
    return click.option("--quiet", "-q", is_flag=True, help="No progress bar, even on a terminal.")(
        fn
    )


class Progress:
    """Stages of one command's work, each with a count done of a total (or open-ended).

    `stage(name, total)` starts a stage (the one before it is shown done); `update(done)`
    moves it. Cheap when nothing is shown: callers may call it every few thousand rows. The
    bar itself is started by a timer DELAY after the first stage, so a long stage that does
    not report (one big write) still shows its spinner.
    """

    def __init__(self, *, quiet: bool = False, delay: float | None = None) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self.enabled = not quiet and self.console.is_terminal
        self.delay = DELAY if delay is None else delay
        self.lock = threading.Lock()
        self.timer: threading.Timer | None = None
        self.closed = False
        self.bar: Any = None
        self.task: Any = None
        self.stages: list[list[Any]] = []  # [name, total, done]

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        with self.lock:
            self.closed = True
            if self.timer is not None:
                self.timer.cancel()
            if self.bar is not None:
                self.bar.stop()
                self.bar = None

    def stage(self, name: str, total: float | None = None) -> None:
        if not self.enabled:
            return
        with self.lock:
            if self.stages:
                last = self.stages[-1]
                last[1] = last[2] = last[1] or last[2] or 1
                if self.bar is not None:
                    self.bar.update(self.task, completed=last[2], total=last[1])
            self.stages.append([name, total, 0])
            if self.bar is not None:
                self.task = self.bar.add_task(name, total=total)
        if self.delay <= 0 and self.bar is None:
            self._start()
        elif self.timer is None:
            self.timer = threading.Timer(self.delay, self._start)
            self.timer.daemon = True
            self.timer.start()

    def update(self, done: float, total: float | None = None) -> None:
        if not self.enabled or not self.stages:
            return
        with self.lock:
            current = self.stages[-1]
            current[2] = done
            if total is not None:
                current[1] = total
            if self.bar is not None:
                self.bar.update(self.task, completed=done, total=current[1])

    def _start(self) -> None:
        """The timer's work: show the bar with the stages so far."""
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as Bar

        with self.lock:
            if self.closed or self.bar is not None:
                return
            self.bar = Bar(
                SpinnerColumn(),
                TextColumn("{task.description:<10}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
                # the command's own output (an export's CSV on stdout) goes where it goes
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self.bar.start()
            for name, total, done in self.stages:
                self.task = self.bar.add_task(name, total=total, completed=done)
