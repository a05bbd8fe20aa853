"""The stand-up's sections: each later module adds its own without editing the stand-up screen.

A section is a title and a loader. The loader runs in a worker thread with that worker's own
connection and the ops day, never before the stand-up's first frame is out (a loader may
write, as the checklists' and risks' do), and returns the lines to show (worst first, as the module
sees fit). The stand-up renders every section the same way: one line per item, a status
symbol (readable without colour) and the text, escaped. A section that raises shows its error
in place of its lines; the other sections and the KPIs are unaffected.

Adding a section (for example "Today's checklists" from the SOP-checklist module):

1. Write a module in the package `opsdesk.views.standup_sections` (a file
   `src/opsdesk/views/standup_sections/checklists.py`) that imports no Textual, only your
   store/views functions, and defines a module-level ``SECTION``::

       from opsdesk.views.sections import Section, SectionLine

       def load(conn, day):
           return [SectionLine("todo", f"{run.title} ({run.done}/{run.total})")
                   for run in checklist_runs_due(conn, day)]

       SECTION = Section(key="checklists", title="Today's checklists", order=10, load=load)

2. That is all: `available()` discovers every module of the package the first time the
   stand-up asks, and lists their sections by `order` (then key). A module that is missing,
   or fails to import, simply has no section (the failure is reported once as a line of an
   "Unavailable sections" section rather than stopping the app).

`register(section)` adds one programmatically (tests, plug-ins). Statuses: "ok" ✓, "todo" ○,
"due" ▲, "overdue" ✗, "info" ·. Orders in use: checklists 10, PDCA 20, risks 30, actions 40.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3
    from datetime import date

SYMBOLS = {"ok": "✓", "todo": "○", "due": "▲", "overdue": "✗", "info": "·"}
PACKAGE = "opsdesk.views.standup_sections"


@dataclass(frozen=True)
class SectionLine:
    status: str
    """One of SYMBOLS' keys: it picks the symbol and the colour."""
    text: str
    """Plain text (never markup: it is escaped before rendering)."""
    opens: str = ""
    """What Enter on the line opens in the app: `run:<id>` (a checklist run); '' nothing."""


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    order: int
    load: Callable[[sqlite3.Connection, date], list[SectionLine]]
    empty_text: str = "nothing today"


_registered: dict[str, Section] = {}
_discovered = False
_import_errors: list[str] = []


def register(section: Section) -> None:
    """Add (or replace, by key) a section."""
    if section.key in _registered and _registered[section.key] is not section:
        _registered.pop(section.key)
    _registered[section.key] = section


def unregister(key: str) -> None:
    _registered.pop(key, None)


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    _discovered = True
    try:
        package = importlib.import_module(PACKAGE)
    except ImportError:
        return
    for info in pkgutil.iter_modules(package.__path__, PACKAGE + "."):
        try:
            module = importlib.import_module(info.name)
        except Exception as e:  # a broken module must not take the stand-up down
            _import_errors.append(f"{info.name}: {type(e).__name__}: {e}")
            continue
        section = getattr(module, "SECTION", None)
        if isinstance(section, Section):
            register(section)


def available() -> list[Section]:
    """Every registered section, in display order (discovers the package on first use)."""
    _discover()
    return sorted(_registered.values(), key=lambda s: (s.order, s.key))


def import_errors() -> list[str]:
    _discover()
    return list(_import_errors)


@dataclass(frozen=True)
class SectionResult:
    """One section as the stand-up shows it: its lines, or the error its loader raised."""

    title: str
    lines: list[SectionLine]
    error: str | None = None
    empty_text: str = ""


def load_sections(conn: sqlite3.Connection, day: date) -> list[SectionResult]:
    """Every available section loaded for `day`; a loader that raises gives its error in
    place, and modules that failed to import one "Unavailable sections" section."""
    out = []
    for section in available():
        try:
            lines = section.load(conn, day)
        except Exception as e:  # one section's failure stays in that section
            out.append(SectionResult(section.title, [], f"{type(e).__name__}: {e}"))
            continue
        out.append(SectionResult(section.title, list(lines), None, section.empty_text))
    errors = import_errors()
    if errors:
        out.append(
            SectionResult("Unavailable sections", [SectionLine("overdue", e) for e in errors])
        )
    return out


def symbol(status: str) -> str:
    return SYMBOLS.get(status, "·")
