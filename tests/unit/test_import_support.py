"""Helpers shared by the import tests: shops, files written into tmp_path, the CLI, db hashes.

(Named test_import_* to stay within the importer's files; it holds no tests itself.)
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from click.testing import CliRunner, Result

from opsdesk.cli import main
from opsdesk.store import shops


def add_shops(conn: sqlite3.Connection, *keys: str) -> None:
    for key in keys:
        shops.add(conn, key, key.replace("-", " ").title(), "tmall")


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def cli(db: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--db", str(db), *(str(a) for a in args)])


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stored(conn: sqlite3.Connection, shop: str | None = None) -> dict[tuple[str, str, str], float]:
    """Every observation as (shop key, metric key, day) -> value."""
    rows = conn.execute(
        "SELECT s.key, m.key, o.day, o.value FROM observations o"
        " JOIN shops s ON s.id = o.shop_id JOIN metrics m ON m.id = o.metric_id"
        " WHERE ? IS NULL OR s.key = ?",
        (shop, shop),
    )
    return {(r[0], r[1], r[2]): r[3] for r in rows}


def import_ids(conn: sqlite3.Connection) -> dict[tuple[str, str, str], int | None]:
    rows = conn.execute(
        "SELECT s.key, m.key, o.day, o.import_id FROM observations o"
        " JOIN shops s ON s.id = o.shop_id JOIN metrics m ON m.id = o.metric_id"
    )
    return {(r[0], r[1], r[2]): r[3] for r in rows}
