"""The layers stay apart: nothing outside tui/ imports Textual or plotext, the app's
start-up path stays free of the heavy libraries (click, pandas, sqlite-utils, numpy, plotext),
and the UI process draws the stand-up's first frame before it imports sqlite3, the store, the
read models or the domain engines (the helper process loads the stand-up).

Each check reads `sys.modules` of a fresh interpreter; control tests prove the probes see an
import when there is one, so the checks can fail."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from opsdesk.demo import build_demo
from opsdesk.store.connection import connect

PROBE = """
import importlib, json, pkgutil, sys
import opsdesk
names = []
for pkg in {packages!r}:
    mod = importlib.import_module(pkg)
    names.append(pkg)
    if hasattr(mod, "__path__"):
        for info in pkgutil.walk_packages(mod.__path__, pkg + "."):
            importlib.import_module(info.name)
            names.append(info.name)
print(json.dumps({{"imported": names, "modules": sorted(sys.modules)}}))
"""


def _probe(packages: list[str]) -> tuple[list[str], set[str]]:
    """The modules imported from `packages`, and every module name then in sys.modules."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(packages=packages)],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(out.stdout)
    return data["imported"], set(data["modules"])


def _top(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


# -- where each kind of thing lives (README "Architecture"), checked on the source: every import,
# function-level ones included (they hide dependencies as well as any), TYPE_CHECKING ones aside.

SRC = Path(__file__).resolve().parents[2] / "src" / "opsdesk"

LAYER_RULES = {
    # package: opsdesk packages (or modules) it must not import
    "opsdesk.domain": ("opsdesk.*",),  # only opsdesk.domain itself
    "opsdesk.store": (
        "opsdesk.io",
        "opsdesk.views",
        "opsdesk.tui",
        "opsdesk.reports",
        "opsdesk.cli",
        "opsdesk.bootstrap",
        "opsdesk.demo",
    ),
    "opsdesk.io": (
        "opsdesk.store",
        "opsdesk.views",
        "opsdesk.tui",
        "opsdesk.reports",
        "opsdesk.cli",
    ),
    "opsdesk.views": ("opsdesk.io", "opsdesk.tui", "opsdesk.reports", "opsdesk.cli", "textual"),
    "opsdesk.reports": ("opsdesk.store", "opsdesk.io", "opsdesk.tui", "opsdesk.cli", "textual"),
}

TUI_STORE_ACTIONS = {
    # What the app may take from opsdesk.store: a connection for a unit of work (or for
    # watching the store), its error, whether this login may write it, and the user's actions
    # (writes). Everything it shows is read through opsdesk.views.
    "opsdesk.store.db": {"open_store"},
    "opsdesk.store.connection": {"StoreError", "connect", "current_user"},
    "opsdesk.store.files": {"is_read_only", "read_only_message"},
    "opsdesk.store.alerts": {"acknowledge"},
    "opsdesk.store.observations": {"set_value", "set_values"},
    "opsdesk.store.checklists": {"tick", "untick", "skip_item", "set_note"},
    # known_names: the metrics and shops a typed KRI may name, read inside the edit's own write
    "opsdesk.store.risks": {
        "update_fields",
        "known_names",
        "review",
        "start_linked_run",
        "DrillOpen",
    },
    "opsdesk.store.review": {
        "set_note",
        "add_decision",
        "update_meeting",
        "close_review",
        "add_action",
        "clear_rest",
        "add_meeting_decision",
        "add_meeting_action",
        "ConflictError",
    },
    "opsdesk.store.pdca": {
        "open_cycle",
        "open_cycle_for_alert",
        "edit",
        "move",
        "act",
        "confirm_follow_up",
        "add_action",
        "set_arm",
        "CycleChanged",
    },
    "opsdesk.store.actions": {"close"},
    # undo (ctrl+z) of this app session's own changes; an edit conflict to show and answer
    "opsdesk.store.audit": {"new_session"},
    "opsdesk.store.undo": {"undo"},
    "opsdesk.store.versioning": {"EditConflict", "Conflict"},
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(path: Path) -> list[tuple[str, str | None]]:
    """(module, name imported from it or None) for every import outside TYPE_CHECKING."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(n) for n in ast.walk(node))
    out: list[tuple[str, str | None]] = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            out += [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out += [(node.module, a.name) for a in node.names]
    return out


def _under(module: str, package: str) -> bool:
    if package.endswith(".*"):
        return module.startswith(package[:-1])
    return module == package or module.startswith(package + ".")


def test_each_layer_imports_only_what_lies_below_it() -> None:
    wrong = []
    for name, path in sorted(_modules().items()):
        for package, banned in LAYER_RULES.items():
            if not _under(name, package):
                continue
            for module, _ in _imports(path):
                if package == "opsdesk.domain" and _under(module, "opsdesk.domain"):
                    continue
                if any(_under(module, b) for b in banned):
                    wrong.append(f"{name} imports {module}")
    assert wrong == []


def test_the_app_reads_through_views_and_writes_through_named_store_actions() -> None:
    wrong = []
    for name, path in sorted(_modules().items()):
        if not _under(name, "opsdesk.tui"):
            continue
        for module, imported in _imports(path):
            if not _under(module, "opsdesk.store"):
                continue
            if imported is None or imported not in TUI_STORE_ACTIONS.get(module, set()):
                wrong.append(f"{name} imports {module}.{imported}")
    assert wrong == []


def test_no_import_cycles_between_modules() -> None:
    """A function-level import that closes a loop (cli <-> entry, tui.app <-> tui.palette)
    only hides a cycle: none is left."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps = set()
        for module, imported in _imports(path):
            full = f"{module}.{imported}"
            target = full if full in modules else module
            if target in modules and target != name:
                deps.add(target)
        graph[name] = deps
    cycles = []
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                cycles.append(" -> ".join([*path[path.index(dep) :], dep]))
            elif dep not in state:
                visit(dep)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert cycles == []


@pytest.mark.parametrize(
    "package",
    ["opsdesk.store", "opsdesk.domain", "opsdesk.io", "opsdesk.views", "opsdesk.cli"],
)
def test_lower_layers_do_not_import_textual(package: str) -> None:
    imported, modules = _probe([package])
    top = _top(modules)
    assert len(imported) >= 2, imported  # the package and at least one module were loaded
    assert "textual" not in top
    assert "plotext" not in top
    assert "textual_plotext" not in top


def test_domain_is_pure() -> None:
    """domain/ imports nothing of opsdesk but domain, and no storage, UI or CLI library."""
    imported, modules = _probe(["opsdesk.domain"])
    assert len(imported) >= 5, imported
    ours = {m for m in modules if m == "opsdesk" or m.startswith("opsdesk.")}
    assert ours == {"opsdesk", *imported}, sorted(ours - {"opsdesk", *imported})
    assert not {"sqlite3", "click", "textual"} & _top(modules)


# The path of `opsdesk` with no sub-command up to the built app, without running it: the real
# entry point, with the prefetch done inline (no fork, so its imports are seen here too) and
# App.run replaced by a no-op. {before} runs first (the control test puts an import there).
STARTUP_PROBE = """
import json, os, sys
{before}
import textual.app
ran = []
textual.app.App.run = lambda self, *a, **k: ran.append(type(self).__name__)
del os.fork
sys.argv = ["opsdesk", "--db", {db!r}]
from opsdesk.entry import main
try:
    main()
except SystemExit as e:
    code = e.code
print(json.dumps({{"code": code, "ran": ran, "modules": sorted(sys.modules)}}))
"""
HEAVY = {"click", "pandas", "sqlite_utils", "numpy", "plotext", "textual_plotext"}


def _startup_modules(db: Path, before: str = "") -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", STARTUP_PROBE.format(db=str(db), before=before)],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(out.stdout)
    assert (data["code"], data["ran"]) == (0, ["OpsdeskApp"]), out.stderr
    return {m.split(".")[0] for m in data["modules"]}


@pytest.fixture
def demo_store(store_path: Path) -> Path:
    conn = connect(store_path)
    build_demo(conn, shops=2, days=28, end=date(2026, 11, 20))
    conn.close()
    return store_path


def test_the_apps_start_up_path_leaves_the_heavy_libraries_alone(demo_store: Path) -> None:
    top = _startup_modules(demo_store)
    assert {"textual", "opsdesk", "sqlite3"} <= top  # the app was built on the store
    assert not HEAVY & top, sorted(HEAVY & top)


def test_the_start_up_probe_sees_a_heavy_import(demo_store: Path) -> None:
    assert HEAVY <= _startup_modules(demo_store, before=f"import {', '.join(sorted(HEAVY))}")


# The app's UI process up to the stand-up's first frame, run headless: the real entry point,
# the stand-up loaded in the forked helper as `opsdesk` does it, the app stopped when the
# first frame is out. What the first frame does not need is imported after it, or only in
# the helper: the store and sqlite3 (watching the store, the read-only notice), the read
# models and the domain engines (the model arrives as plain values), the sections.
FIRST_FRAME_PROBE = """
import json, sys
{before}
import textual.app
seen = {{}}
original_run = textual.app.App.run
def run(self, *args, **kwargs):
    from opsdesk.tui.screens.standup import StandupScreen
    async def first_frame_out(screen):
        seen["modules"] = sorted(sys.modules)
        screen.app.exit()
    StandupScreen.after_first_frame = first_frame_out
    return original_run(self, headless=True, size=(120, 40))
textual.app.App.run = run
sys.argv = ["opsdesk", "--db", {db!r}]
from opsdesk.entry import main
try:
    main()
except SystemExit as e:
    code = e.code
print(json.dumps({{"code": code, "modules": seen.get("modules", [])}}))
"""
NOT_BEFORE_THE_FIRST_FRAME = (
    "sqlite3",
    "zoneinfo",
    "opsdesk.store",
    "opsdesk.views.standup",
    "opsdesk.views.sections",
    "opsdesk.views.standup_sections",
    "opsdesk.views.risks",
    "opsdesk.views.pdca",
    "opsdesk.domain.kpis",
    "opsdesk.domain.pdca",
    "opsdesk.domain.risks",
    *sorted(HEAVY),
)


def _first_frame_modules(db: Path, before: str = "") -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME_PROBE.format(db=str(db), before=before)],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(out.stdout.strip().splitlines()[-1])
    assert data["code"] == 0 and data["modules"], out.stderr
    return [
        m
        for m in data["modules"]
        if any(m == banned or m.startswith(banned + ".") for banned in NOT_BEFORE_THE_FIRST_FRAME)
    ]


def test_the_ui_process_paints_the_standup_without_the_store_or_the_engines(
    demo_store: Path,
) -> None:
    assert _first_frame_modules(demo_store) == []


def test_the_first_frame_probe_sees_an_import_made_before_it(demo_store: Path) -> None:
    assert _first_frame_modules(demo_store, before="import sqlite3, opsdesk.domain.pdca") == [
        "opsdesk.domain.kpis",  # what opsdesk.domain.pdca imports
        "opsdesk.domain.pdca",
        "sqlite3",
        "sqlite3.dbapi2",
    ]
