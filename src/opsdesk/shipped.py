"""The data that ships inside the package, found through `importlib.resources`.

In the repository it lives in the top-level `migrations/` and `fixtures/` directories; the
build maps them onto the packages `opsdesk.migrations` and `opsdesk.fixtures` (see setup.py and
pyproject.toml), so a wheel, a pipx install and the editable checkout all find it the same way.
Every file here is read by path (error messages name the file and line), so a package that is
not on the file system (a zip) is extracted once for the life of the process.
"""

from __future__ import annotations

import atexit
import contextlib
from functools import cache
from pathlib import Path

_extracted = contextlib.ExitStack()
atexit.register(_extracted.close)


@cache
def _directory(package: str) -> Path:
    from importlib import resources  # when first needed, not when a store module is imported

    found = resources.files(package)
    if isinstance(found, Path):
        return found
    return _extracted.enter_context(resources.as_file(found))  # pragma: no cover (zip installs)


def migrations_dir() -> Path:
    """The numbered `NNNN_name.sql` migrations (top-level `migrations/` in the repository)."""
    return _directory("opsdesk.migrations")


def fixtures_dir() -> Path:
    """The shipped fixtures (top-level `fixtures/` in the repository)."""
    return _directory("opsdesk.fixtures")


def catalogue_file() -> Path:
    """The metric catalogue `opsdesk init` loads."""
    return fixtures_dir() / "catalogue.toml"


def sops_dir() -> Path:
    """The SOP checklist templates (one Markdown file each)."""
    return fixtures_dir() / "sops"


def sop_metrics_file() -> Path:
    """The adherence metrics the checklists add to the catalogue."""
    return sops_dir() / "metrics.toml"


def risks_file() -> Path:
    """The seed risk register `opsdesk init` loads."""
    return fixtures_dir() / "risks.toml"


def demo_file() -> Path:
    """The demo parameters: shop profiles, seasons, incidents."""
    return fixtures_dir() / "demo.toml"
