"""The layers stay apart: nothing outside tui/ imports Textual or plotext, and the app's
start-up path stays free of the heavy libraries (click, pandas, sqlite-utils, plotext)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

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
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(packages=packages)],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(out.stdout)
    return data["imported"], {m.split(".")[0] for m in data["modules"]}


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
    # main's risk screens (area 6), written before views/ existed: their writes go through
    # `risks`, but `settings` (a read) and `risks.EDITABLE` belong in views/ (left to h-views)
    "opsdesk.store": {"risks", "settings"},
    "opsdesk.store.risks": {"EDITABLE"},
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
    imported, top = _probe([package])
    assert len(imported) >= 2, imported  # the package and at least one module were loaded
    assert "textual" not in top
    assert "plotext" not in top
    assert "textual_plotext" not in top


def test_domain_is_pure() -> None:
    _, top = _probe(["opsdesk.domain"])
    assert not {"sqlite3", "pandas", "sqlite_utils", "click"} & top
