"""The layers stay apart: nothing outside tui/ imports Textual or plotext, and the app's
start-up path stays free of the heavy libraries (click, pandas, sqlite-utils, numpy, plotext).

Each check reads `sys.modules` of a fresh interpreter; a control test proves the start-up
probe sees a heavy import when there is one, so the checks can fail."""

from __future__ import annotations

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
