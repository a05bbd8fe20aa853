"""Store files on a shared server: modes on creation, a team store, `db doctor`, and a login
that may only read (run as other uids through setpriv; skipped where that is impossible)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from opsdesk.bootstrap import initialise
from opsdesk.cli import main
from opsdesk.store.connection import StoreError, connect, write_transaction

OPSDESK = [sys.executable, "-m", "opsdesk"]
TEAM_GID = 41500
MEMBER, TEAMMATE, OUTSIDER = 41001, 41002, 41003


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def run(args: list[str], db: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


@pytest.mark.parametrize(("umask", "expected"), [(0o022, 0o640), (0o002, 0o660), (0o077, 0o600)])
def test_a_new_store_respects_the_umask_and_is_never_world_readable(
    tmp_path: Path, umask: int, expected: int
) -> None:
    old = os.umask(umask)
    try:
        conn = initialise(tmp_path / "new" / "s.sqlite")
        side = [tmp_path / "new" / "s.sqlite-wal", tmp_path / "new" / "s.sqlite-shm"]
        assert all(p.exists() for p in side)  # open: SQLite made them with the store's mode
        assert [mode(p) for p in side] == [expected, expected]
        conn.close()
    finally:
        os.umask(old)
    assert mode(tmp_path / "new" / "s.sqlite") == expected


def test_init_team_makes_a_setgid_group_directory_and_group_files(tmp_path: Path) -> None:
    db = tmp_path / "team" / "store.sqlite"
    code, out = run(["init", "--team", str(TEAM_GID)], db)
    assert code == 0, out
    assert out.startswith(f"store ready at {db} (") and f"for group {TEAM_GID}" in out
    assert mode(db.parent) == 0o2770 and db.parent.stat().st_gid == TEAM_GID
    assert mode(db) == 0o660 and db.stat().st_gid == TEAM_GID
    code, out = run(["db", "doctor", "--team", str(TEAM_GID), "--format", "json"], db)
    assert code == 0, out
    checks = json.loads(out)
    assert all(c["ok"] for c in checks)
    assert [c["what"] for c in checks][:2] == [
        "store.sqlite not world-readable",
        f"store.sqlite read/write for group {TEAM_GID}",
    ]


def test_init_team_refuses_an_unknown_group(tmp_path: Path) -> None:
    code, out = run(["init", "--team", "no-such-group-xyz"], tmp_path / "s.sqlite")
    assert code == 1
    assert "unknown group 'no-such-group-xyz'" in out
    assert not (tmp_path / "s.sqlite").exists()


def test_doctor_names_each_problem_and_the_command_that_fixes_it(tmp_path: Path) -> None:
    db = tmp_path / "loose" / "store.sqlite"
    initialise(db).close()
    os.chmod(db, 0o644)
    code, out = run(["db", "doctor", "--team", str(TEAM_GID)], db)
    assert code == 1
    assert "  ✗ store.sqlite not world-readable: owner " in out
    assert f"      fix: chmod o-rwx {db}" in out
    assert f"      fix: chgrp {TEAM_GID} {db} && chmod g+rw {db}" in out
    assert f"      fix: chgrp {TEAM_GID} {db.parent} && chmod g+rwxs {db.parent}" in out
    code, out = run(["db", "doctor"], tmp_path / "none.sqlite")
    assert code == 1 and f"fix: opsdesk --db {tmp_path / 'none.sqlite'} init" in out


def test_a_read_only_store_reads_and_refuses_every_write_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "s.sqlite"
    initialise(db).close()
    before = db.read_bytes()
    monkeypatch.setenv("OPSDESK_READ_ONLY", "1")
    conn = connect(db)
    assert conn.read_only
    assert conn.execute("SELECT count(*) FROM metrics").fetchone()[0] > 20
    with pytest.raises(StoreError, match=r"read-only here \(\$OPSDESK_READ_ONLY is set\)"):
        with write_transaction(conn):
            pass
    conn.close()
    code, out = run(["shop", "add", "jd-home", "--name", "JD", "--platform", "jd"], db)
    assert code == 1 and "is read-only here" in out and "Traceback" not in out
    code, out = run(["shop", "list"], db)
    assert code == 0
    assert db.read_bytes() == before


# -- as other logins -----------------------------------------------------------------------


def _can_switch_uid() -> bool:
    return os.geteuid() == 0 and shutil.which("setpriv") is not None


needs_root = pytest.mark.skipif(not _can_switch_uid(), reason="needs root and setpriv")


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory every test uid can reach (pytest's tmp_path is private to root)."""
    d = Path(tempfile.mkdtemp(prefix="opsdesk-team-", dir="/tmp"))
    os.chmod(d, 0o755)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def as_user(
    uid: int, groups: list[int], args: list[str], home: Path
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "OPSDESK_CONFIG": str(home / "none.toml")}
    env.pop("OPSDESK_READ_ONLY", None)
    return subprocess.run(
        [
            "setpriv",
            f"--reuid={uid}",
            f"--regid={uid}",
            "--groups=" + ",".join(map(str, groups)),
            *OPSDESK,
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=home,
    )


@needs_root
def test_teammates_write_one_store_outsiders_cannot_reach_it(shared_dir: Path) -> None:
    db = shared_dir / "team" / "store.sqlite"
    code, out = run(["init", "--team", str(TEAM_GID)], db)
    assert code == 0, out
    a = as_user(
        MEMBER,
        [TEAM_GID],
        ["--db", str(db), "shop", "add", "jd-home", "--name", "JD", "--platform", "jd"],
        shared_dir,
    )
    assert a.returncode == 0, a.stderr
    b = as_user(
        TEAMMATE,
        [TEAM_GID],
        ["--db", str(db), "shop", "add", "tm", "--name", "TM", "--platform", "tmall"],
        shared_dir,
    )
    assert b.returncode == 0, b.stderr
    c = as_user(OUTSIDER, [OUTSIDER], ["--db", str(db), "shop", "list"], shared_dir)
    assert c.returncode == 1
    assert "may not reach this store" in c.stderr and "Traceback" not in c.stderr
    conn = connect(db)
    try:
        actors = [
            r[0]
            for r in conn.execute(
                "SELECT actor FROM audit_events WHERE object_type = 'shop' ORDER BY id"
            )
        ]
    finally:
        conn.close()
    assert actors == [f"uid:{MEMBER}", f"uid:{TEAMMATE}"]


@needs_root
def test_a_login_that_may_only_read_sees_everything_and_changes_nothing(
    shared_dir: Path,
) -> None:
    db = shared_dir / "ro" / "store.sqlite"
    assert run(["init", "--team", str(TEAM_GID)], db)[0] == 0
    assert run(["shop", "add", "jd-home", "--name", "JD", "--platform", "jd"], db)[0] == 0
    os.chmod(db, 0o640)
    os.chmod(db.parent, 0o2750)  # nor may the reader create -wal/-shm files
    before = db.read_bytes()
    listed = as_user(MEMBER, [TEAM_GID], ["--db", str(db), "shop", "list"], shared_dir)
    assert listed.returncode == 0, listed.stderr
    assert "jd-home" in listed.stdout
    check = as_user(MEMBER, [TEAM_GID], ["--db", str(db), "check"], shared_dir)
    assert check.returncode == 2 and "stale-data" in check.stdout, check.stderr
    add = as_user(
        MEMBER,
        [TEAM_GID],
        ["--db", str(db), "shop", "add", "x", "--name", "X", "--platform", "jd"],
        shared_dir,
    )
    assert add.returncode == 1
    assert f"{db} is read-only here (uid:{MEMBER} may read it but not write it)" in add.stderr
    doctor = as_user(MEMBER, [TEAM_GID], ["--db", str(db), "db", "doctor"], shared_dir)
    assert doctor.returncode == 1
    assert f"fix: the owner (root) runs `chmod g+rw {db}`" in doctor.stdout
    assert db.read_bytes() == before


def test_side_files_are_made_whole_with_the_stores_mode_before_sqlite_opens_it(
    tmp_path: Path,
) -> None:
    from opsdesk.store import shops
    from opsdesk.store.files import prepare_side_files

    db = tmp_path / "team.sqlite"
    initialise(db).close()  # the last session closed: SQLite removed its -wal and -shm
    assert not Path(f"{db}-wal").exists() and not Path(f"{db}-shm").exists()
    db.chmod(0o660)
    old = os.umask(0o077)  # an opener whose umask would leave teammates a read-only -shm
    try:
        prepare_side_files(db)
    finally:
        os.umask(old)
    for suffix in ("-wal", "-shm"):
        side = Path(f"{db}{suffix}")
        assert mode(side) == 0o660
        assert side.stat().st_gid == db.stat().st_gid
        assert side.stat().st_size == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "team.sqlite",
        "team.sqlite-shm",
        "team.sqlite-wal",
    ]  # fmt: skip  (no temporary file left behind)
    # SQLite starts from the empty files: writes land and survive the session
    conn = connect(db)
    shops.add(conn, "x", "X", "jd")
    conn.close()
    conn = connect(db)
    assert conn.execute("SELECT name FROM shops WHERE key = 'x'").fetchone()[0] == "X"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_a_session_leaves_existing_side_files_as_they_are(tmp_path: Path) -> None:
    from opsdesk.store.files import prepare_side_files

    db = tmp_path / "s.sqlite"
    holder = initialise(db)  # an open session keeps its -wal and -shm
    try:
        wal = Path(f"{db}-wal")
        before = (wal.stat().st_ino, wal.stat().st_size)
        prepare_side_files(db)
        assert (wal.stat().st_ino, wal.stat().st_size) == before
    finally:
        holder.close()


def test_opening_a_busy_store_makes_todays_runs_wait_briefly_not_the_busy_timeout(
    tmp_path: Path,
) -> None:
    from datetime import datetime

    from opsdesk.clock import fixed_clock
    from opsdesk.store import checklists, shops
    from opsdesk.store.connection import BUSY_TIMEOUT_MS

    db = tmp_path / "busy.sqlite"
    conn = initialise(db)
    shops.add(conn, "jd-b", "JD B", "jd")
    holder = connect(db)
    holder.execute("BEGIN IMMEDIATE")  # a colleague's big import holds the write lock
    try:
        clock = fixed_clock(datetime(2026, 11, 23, 2))
        assert checklists.ensure_on_open(conn, clock) is None  # left for the next session
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    # an operator's own save still waits the full busy timeout
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_MS
    assert conn.execute("SELECT count(*) FROM sop_runs").fetchone()[0] == 0
    conn.close()
