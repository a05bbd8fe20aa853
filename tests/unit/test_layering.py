"""The layers stay apart: nothing outside tui/ imports Textual or plotext, and the app's
start-up path stays free of the heavy libraries (click, pandas, sqlite-utils, plotext)."""

from __future__ import annotations

import json
import subprocess
import sys

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
