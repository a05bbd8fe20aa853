"""Import history: idempotent re-import, corrected files, dry runs, the list, undo and audit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from test_import_support import add_shops, cli, file_hash, import_ids, stored, write

from opsdesk.store.connection import current_user

HEADER = "date,shop,metric,value\n"
FIRST = HEADER + "2026-11-20,jd-home,orders,10\n2026-11-20,jd-home,gmv,1000\n"
FIRST_STORED = {
    ("jd-home", "orders", "2026-11-20"): 10.0,
    ("jd-home", "gmv", "2026-11-20"): 1000.0,
}
# Corrects gmv, keeps orders, adds buyers.
SECOND = (
    HEADER
    + "2026-11-20,jd-home,orders,10\n2026-11-20,jd-home,gmv,1250.5\n"
    + "2026-11-20,jd-home,buyers,9\n"
)


@pytest.fixture
def db(conn: sqlite3.Connection, store_path: Path) -> Path:
    add_shops(conn, "jd-home")
    return store_path


def test_reimporting_the_same_file_changes_nothing_and_is_not_recorded(
    db: Path, conn: sqlite3.Connection, tmp_path: Path
) -> None:
    path = write(tmp_path / "day.csv", FIRST)
    assert cli(db, "import", path).exit_code == 0
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = file_hash(db)
    result = cli(db, "import", path)
    assert result.exit_code == 0
    assert result.output == (
        "day.csv (long, utf-8, 2 rows): 0 new, 0 changed, 2 unchanged;"
        " nothing changed, not recorded\n"
    )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert file_hash(db) == before
    assert conn.execute("SELECT count(*) FROM imports").fetchone()[0] == 1
    assert stored(conn) == FIRST_STORED


def test_a_corrected_file_replaces_what_it_covers_and_undo_restores_it(
    db: Path, conn: sqlite3.Connection, tmp_path: Path
) -> None:
    assert cli(db, "import", write(tmp_path / "a.csv", FIRST)).exit_code == 0
    result = cli(db, "import", write(tmp_path / "b.csv", SECOND))
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "imported b.csv as import 2 (long, utf-8, 3 rows): 1 new, 1 changed, 1 unchanged",
        "changed (old → new):",
        "  2026-11-20 jd-home gmv: 1000 → 1250.5",
    ]
    assert stored(conn) == {
        **FIRST_STORED,
        ("jd-home", "gmv", "2026-11-20"): 1250.5,
        ("jd-home", "buyers", "2026-11-20"): 9.0,
    }
    assert import_ids(conn) == {
        ("jd-home", "orders", "2026-11-20"): 1,  # unchanged: still the first import's
        ("jd-home", "gmv", "2026-11-20"): 2,
        ("jd-home", "buyers", "2026-11-20"): 2,
    }
    # Only the replaced value is kept for undo; the added row is known by its import_id.
    assert [
        tuple(r)
        for r in conn.execute("SELECT import_id, day, old_value, old_import_id FROM import_changes")
    ] == [(2, "2026-11-20", 1000.0, 1)]

    result = cli(db, "import", "undo", "2")
    assert result.exit_code == 0
    assert result.output == "undid import 2: 1 value restored, 1 added row removed\n"
    assert stored(conn) == FIRST_STORED
    assert import_ids(conn) == {k: 1 for k in FIRST_STORED}

    result = cli(db, "import", "undo", "1")
    assert result.output == "undid import 1: 0 values restored, 2 added rows removed\n"
    assert stored(conn) == {}


def test_undo_twice_or_an_unknown_import_is_an_error(
    db: Path, conn: sqlite3.Connection, tmp_path: Path
) -> None:
    assert cli(db, "import", write(tmp_path / "a.csv", FIRST)).exit_code == 0
    assert cli(db, "import", "undo", "1").exit_code == 0
    conn.execute("UPDATE imports SET undone_at = '2026-11-22T12:04:00+00:00' WHERE id = 1")
    conn.commit()
    result = cli(db, "import", "undo", "1")
    assert result.exit_code == 1
    assert result.output == (  # the store's time (Asia/Shanghai), not UTC
        f"Error: import 1 was undone already (2026-11-22 20:04 by {current_user()})\n"
    )
    result = cli(db, "import", "undo", "7")
    assert (result.exit_code, result.output) == (
        1,
        "Error: no import 7 (see `opsdesk import list`)\n",
    )


def test_undo_leaves_rows_overwritten_since_alone_and_never_resurrects_them(
    db: Path, conn: sqlite3.Connection, tmp_path: Path
) -> None:
    assert cli(db, "import", write(tmp_path / "a.csv", FIRST)).exit_code == 0
    later = HEADER + "2026-11-20,jd-home,orders,12\n"
    assert cli(db, "import", write(tmp_path / "b.csv", later)).exit_code == 0
    result = cli(db, "import", "undo", "1")
    assert result.output.splitlines() == [
        "undid import 1: 0 values restored, 1 added row removed",
        "left alone: 1 row overwritten since by a later import",
    ]
    assert stored(conn) == {("jd-home", "orders", "2026-11-20"): 12.0}
    # Undoing the later import must not bring back import 1's 10 orders: import 1 is undone,
    # so the row import 2 replaced is, for it, now a row it added.
    result = cli(db, "import", "undo", "2")
    assert result.output == "undid import 2: 0 values restored, 1 added row removed\n"
    assert stored(conn) == {}


def test_manual_values_are_replaced_and_restored(
    db: Path, conn: sqlite3.Connection, tmp_path: Path
) -> None:
    conn.execute(
        "INSERT INTO observations (shop_id, metric_id, day, value, import_id)"
        " SELECT s.id, m.id, '2026-11-20', 7, NULL FROM shops s, metrics m"
        " WHERE s.key = 'jd-home' AND m.key = 'orders'"
    )
    assert cli(db, "import", write(tmp_path / "a.csv", FIRST)).exit_code == 0
    assert stored(conn)[("jd-home", "orders", "2026-11-20")] == 10.0
    assert cli(db, "import", "undo", "1").exit_code == 0
    assert stored(conn) == {("jd-home", "orders", "2026-11-20"): 7.0}
    assert import_ids(conn) == {("jd-home", "orders", "2026-11-20"): None}


def test_dry_run_shows_the_changes_and_writes_nothing(
    db: Path, conn: sqlite3.Connection, tmp_path: Path
) -> None:
    assert cli(db, "import", write(tmp_path / "a.csv", FIRST)).exit_code == 0
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = file_hash(db)
    result = cli(db, "import", write(tmp_path / "b.csv", SECOND), "--dry-run")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "dry run: b.csv (long, utf-8, 3 rows) would give 1 new, 1 changed, 1 unchanged;"
        " nothing written",
        "changed (old → new):",
        "  2026-11-20 jd-home gmv: 1000 → 1250.5",
    ]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert file_hash(db) == before
    assert stored(conn) == FIRST_STORED


def test_dry_run_lists_the_first_20_changes(
    db: Path, conn: sqlite3.Connection, tmp_path: Path
) -> None:
    days = range(1, 26)
    old = HEADER + "".join(f"2026-10-{d:02d},jd-home,orders,{d}\n" for d in days)
    new = HEADER + "".join(f"2026-10-{d:02d},jd-home,orders,{d + 1}\n" for d in days)
    assert cli(db, "import", write(tmp_path / "a.csv", old)).exit_code == 0
    lines = cli(db, "import", write(tmp_path / "b.csv", new), "--dry-run").output.splitlines()
    assert lines[1] == "changed (old → new): first 20"
    assert lines[2] == "  2026-10-01 jd-home orders: 1 → 2"
    assert lines[21] == "  2026-10-20 jd-home orders: 20 → 21"
    assert len(lines) == 22


def test_list_and_audit(db: Path, conn: sqlite3.Connection, tmp_path: Path) -> None:
    assert cli(db, "import", "list").output == "no imports yet\n"
    assert cli(db, "import", write(tmp_path / "a.csv", FIRST)).exit_code == 0
    assert cli(db, "import", write(tmp_path / "b.csv", SECOND)).exit_code == 0
    assert cli(db, "import", "undo", "2").exit_code == 0
    out = cli(db, "import", "list").output.splitlines()
    assert out[0].split() == [
        "id",
        "imported",
        "by",
        "file",
        "shape",
        "new",
        "changed",
        "unchanged",
        "undone",
    ]
    # id, the store's date and time, by, file...
    assert out[1].split()[4:] == ["a.csv", "long", "2", "0", "0"]
    assert out[2].split()[4:9] == ["b.csv", "long", "1", "1", "1"]
    assert out[2].split()[-2:] == ["by", current_user()]
    events = [
        (r["object_key"], r["action"], r["actor"])
        for r in conn.execute("SELECT * FROM audit_events WHERE object_type = 'import' ORDER BY id")
    ]
    assert events == [
        ("1", "import", current_user()),
        ("2", "import", current_user()),
        ("2", "undo", current_user()),
    ]
    sha = conn.execute("SELECT sha256 FROM imports WHERE id = 1").fetchone()[0]
    import hashlib

    assert sha == hashlib.sha256(FIRST.encode()).hexdigest()


def test_undoing_a_middle_import_then_the_later_one_restores_the_value_before_both(
    db: Path, conn: sqlite3.Connection, tmp_path: Path
) -> None:
    for name, orders in (("a", 10), ("b", 11), ("c", 12)):
        path = write(tmp_path / f"{name}.csv", HEADER + f"2026-11-20,jd-home,orders,{orders}\n")
        assert cli(db, "import", path).exit_code == 0
    result = cli(db, "import", "undo", "2")
    assert result.output.splitlines() == [
        "undid import 2: 0 values restored, 0 added rows removed",
        "left alone: 1 row overwritten since by a later import",
    ]
    assert stored(conn) == {("jd-home", "orders", "2026-11-20"): 12.0}
    # Import 3 replaced import 2's 11; with 2 undone, undoing 3 goes back to import 1's 10.
    assert cli(db, "import", "undo", "3").output == (
        "undid import 3: 1 value restored, 0 added rows removed\n"
    )
    assert stored(conn) == {("jd-home", "orders", "2026-11-20"): 10.0}
    assert import_ids(conn) == {("jd-home", "orders", "2026-11-20"): 1}
