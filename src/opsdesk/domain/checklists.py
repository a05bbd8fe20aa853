"""SOP checklists, pure: the template model, the state of a run, and adherence.

A template is a named procedure: ordered steps (optionally grouped in sections, each with an
optional `{by …}` deadline), an owner role, a cadence (see `recurrence`), a scope (one run per
shop, or one for the whole store) and a run deadline. Its fingerprint identifies a version:
loading a file whose fingerprint differs from the latest version makes a new version.

A run is one dated execution. Its state is one of:

- `on_time`: every item ticked or skipped with a reason, by the run's deadline;
- `late`: finished after the deadline, before the window closed;
- `missed`: the window closed with items still open (counts against adherence);
- `skipped`: someone skipped the whole run with a reason (not due: counts neither way);
- `open`: still being worked; `overdue` says whether its deadline has passed.

Adherence = on-time runs ÷ due runs, where due runs are those with a final state (on time,
late or missed). Open runs are not due yet; skipped runs are excused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from opsdesk.domain.recurrence import Deadline, Rule
from opsdesk.domain.times import local_label as local_label  # its home: domain.times

SCOPES = ("shop", "store")
RUN_STATES = ("on_time", "late", "missed", "skipped", "open")
STATE_LABELS = {
    "on_time": "done on time",
    "late": "done late",
    "missed": "missed",
    "skipped": "skipped",
    "open": "open",
}
STATE_MARKS = {"on_time": "●", "late": "◐", "missed": "✗", "skipped": "–", "open": "○"}
"""One character per state for history strips (legend: `STATE_LABELS`)."""

ITEM_STATES = ("open", "done", "skipped")


@dataclass(frozen=True)
class Step:
    text: str
    section: str = ""
    by: Deadline | None = None
    detail: str = ""


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    owner: str
    rule: Rule
    scope: str = "shop"
    due: Deadline | None = None
    steps: tuple[Step, ...] = field(default_factory=tuple)
    description: str = ""
    source: str = ""

    def canonical(self) -> dict[str, object]:
        """Everything that defines the procedure, as plain data (stable order)."""
        return {
            "key": self.key,
            "title": self.title,
            "owner": self.owner,
            "cadence": str(self.rule),
            "scope": self.scope,
            "due": str(self.due) if self.due else None,
            "description": self.description,
            "source": self.source,
            "steps": [
                {
                    "text": s.text,
                    "section": s.section,
                    "by": str(s.by) if s.by else None,
                    "detail": s.detail,
                }
                for s in self.steps
            ],
        }

    def fingerprint(self) -> str:
        """A hash of `canonical()`: equal for the same procedure however the file is laid out."""
        blob = json.dumps(self.canonical(), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def run_state(status: str, completed_at: datetime | None, due_at: datetime | None) -> str:
    """The state of a run from its stored status ('open', 'done', 'missed', 'skipped')."""
    if status == "done":
        if completed_at is None:
            raise ValueError("a done run has a completion time")
        return "on_time" if due_at is None or completed_at <= due_at else "late"
    if status in ("missed", "skipped", "open"):
        return status
    raise ValueError(f"unknown run status {status!r}")


def is_overdue(due_at: datetime | None, now: datetime, resolved: bool) -> bool:
    """Whether an item or run is past its deadline and not yet resolved."""
    return not resolved and due_at is not None and now > due_at


@dataclass(frozen=True)
class Adherence:
    due: int
    on_time: int

    @property
    def ratio(self) -> float | None:
        """On-time ÷ due; None when nothing was due."""
        return self.on_time / self.due if self.due else None


def adherence(states: Iterable[str]) -> Adherence:
    """Adherence over run states: on time ÷ (on time + late + missed)."""
    due = on_time = 0
    for s in states:
        if s not in RUN_STATES:
            raise ValueError(f"unknown run state {s!r}")
        if s in ("on_time", "late", "missed"):
            due += 1
        if s == "on_time":
            on_time += 1
    return Adherence(due, on_time)


def progress(item_states: Iterable[str]) -> tuple[int, int]:
    """(resolved, total) items: ticked and skipped-with-reason items are resolved."""
    states = list(item_states)
    return sum(1 for s in states if s != "open"), len(states)


def progress_bar(done: int, total: int, width: int = 10) -> str:
    """`███░░░░░░░` for 3 of 10 items."""
    filled = round(width * done / total) if total else 0
    return "█" * filled + "░" * (width - filled)
