"""Shared fixtures: a real SQLite store in a temporary directory, initialised with the catalogue."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsdesk.bootstrap import initialise

SHARED = Path(__file__).resolve().parents[2] / "shared"
OLIST = SHARED / "data" / "olist"


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """An initialised store file (catalogue loaded, no shops)."""
    path = tmp_path / "opsdesk.sqlite"
    initialise(path).close()
    return path


@pytest.fixture
def conn(store_path: Path) -> Iterator[sqlite3.Connection]:
    from opsdesk.store.db import open_store

    connection = open_store(store_path)
    yield connection
    connection.close()


@pytest.fixture
def olist_dir() -> Path:
    if not OLIST.exists():
        pytest.skip(f"shared data not found at {OLIST}")
    return OLIST
