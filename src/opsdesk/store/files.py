"""The store's files on disk: who may read and write them, for one login or a team.

A new store is created with the user's umask respected and never world-readable (SQLite gives
its `-wal` and `-shm` files the store's own mode). A team store (`opsdesk init --team GROUP`)
is group-readable and writable, in a setgid directory so that the `-wal`/`-shm` files a
teammate's session creates keep the team's group. `doctor` checks a store's location and says
what to run to fix each problem. A store the user may read but not write is opened read-only.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from dataclasses import dataclass
from pathlib import Path

READ_ONLY_ENV = "OPSDESK_READ_ONLY"
"""Set (to anything but '' or '0') to open every store read-only, e.g. on a shared screen."""

TEAM_FILE_MODE = 0o660
TEAM_DIR_MODE = 0o2770
SIDE_FILES = ("-wal", "-shm")


def read_only_requested() -> bool:
    return os.environ.get(READ_ONLY_ENV, "") not in ("", "0")


def is_read_only(path: Path) -> bool:
    """True when this process may read the store but not change it.

    Read-only when asked for (`--read-only`), when the file is not writable, or when the
    directory is not writable and the `-wal`/`-shm` files are not there to be written.
    """
    if read_only_requested():
        return True
    if not os.access(path, os.W_OK):
        return True
    side = [Path(f"{path}{s}") for s in SIDE_FILES]
    if all(p.exists() for p in side):
        unwritable = [p for p in side if not os.access(p, os.W_OK)]
        if any(p.exists() for p in unwritable):
            return True
        if not unwritable:
            return False
        # the last session closed and removed them since: whoever opens next makes them
    return not os.access(path.parent, os.W_OK | os.X_OK)


def read_only_message(path: Path, login: str) -> str:
    why = (
        f"${READ_ONLY_ENV} is set"
        if read_only_requested()
        else f"{login} may read it but not write it"
    )
    return (
        f"{path} is read-only here ({why}): you can look at everything, nothing is changed. "
        f"`opsdesk db doctor` says what a team store needs."
    )


def resolve_group(name: str) -> int:
    """A group's id from its name or number; ValueError names an unknown one."""
    if name.isdigit():
        return int(name)
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        raise ValueError(f"unknown group {name!r} (see `getent group`)") from None


def create_store_file(path: Path, *, team_gid: int | None = None) -> None:
    """Create an empty store file (and missing parent directories) with the right modes.

    Without a team: mode 0660 less the umask, so never world-readable. With a team: the
    missing directories are made setgid, group `team_gid`, mode 2770; the file 0660 in that
    group. An existing file is left alone (see `make_team_store`).
    """
    _make_dirs(path.parent, team_gid)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, TEAM_FILE_MODE)
    except FileExistsError:
        return
    try:
        if team_gid is not None:
            os.fchown(fd, -1, team_gid)
            os.fchmod(fd, TEAM_FILE_MODE)
    finally:
        os.close(fd)


def prepare_side_files(path: Path) -> None:
    """Give a writable store its `-wal` and `-shm` files, whole, before SQLite opens it.

    SQLite makes them on first open under the process's umask and only then sets the store's
    mode; a teammate opening the store in that instant cannot write the `-shm` and gets a
    read-only session. Here each missing file is made under a temporary name, given the
    store's mode and group, and linked into place (never over an existing file), so nobody
    ever sees one half-made. Empty files are what SQLite itself starts from. Best effort: a
    file that cannot be made is left for SQLite to make.
    """
    try:
        st = path.stat()
    except OSError:
        return
    mode = stat.S_IMODE(st.st_mode) & 0o666
    for suffix in SIDE_FILES:
        side = Path(f"{path}{suffix}")
        if side.exists():
            continue
        tmp = Path(f"{side}.{os.getpid()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError:
            continue
        try:
            try:
                if st.st_gid != os.getegid():
                    os.fchown(fd, -1, st.st_gid)
            except OSError:
                pass  # not in the store's group: the directory's setgid bit decides
            os.fchmod(fd, mode)
            os.close(fd)
            fd = -1
            os.link(tmp, side)
        except OSError:
            pass  # another session made it first (or this one may not): theirs stands
        finally:
            if fd >= 0:
                os.close(fd)
            tmp.unlink(missing_ok=True)


def _make_dirs(directory: Path, team_gid: int | None) -> None:
    missing = []
    d = directory
    while not d.exists():
        missing.append(d)
        d = d.parent
    for d in reversed(missing):
        d.mkdir(mode=0o770 if team_gid is not None else 0o777)
        if team_gid is not None:
            os.chown(d, -1, team_gid)
            os.chmod(d, TEAM_DIR_MODE)


def make_team_store(path: Path, team_gid: int) -> list[str]:
    """Give an existing store, its side files and its directory to the team, as far as this
    user may; returns what could not be changed (with the command that would)."""
    left = []
    for p in [path, *(Path(f"{path}{s}") for s in SIDE_FILES)]:
        if p.exists():
            left += _set(p, team_gid, TEAM_FILE_MODE)
    d = path.parent
    if stat.S_IMODE(d.stat().st_mode) & (stat.S_ISVTX | stat.S_IWOTH):
        return [*left, f"{d} is shared with everyone: give the team store its own directory"]
    return left + _set(d, team_gid, TEAM_DIR_MODE)


def _set(p: Path, gid: int, want: int) -> list[str]:
    st = p.stat()
    try:
        if st.st_gid != gid:
            os.chown(p, -1, gid)
        if stat.S_IMODE(st.st_mode) != want:
            os.chmod(p, want)
    except PermissionError:
        return [f"{p}: not yours to change: run `{_fix_cmd(p, gid, want)}` as its owner or root"]
    return []


def _fix_cmd(p: Path, gid: int, mode: int) -> str:
    return f"chgrp {_group_name(gid)} {p} && chmod {mode:o} {p}"


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


@dataclass(frozen=True)
class Check:
    """One line of `opsdesk db doctor`: what was checked, whether it holds, and the fix."""

    what: str
    ok: bool
    detail: str
    fix: str | None = None


def doctor(path: Path, team: str | None = None) -> list[Check]:
    """Check a store's location for one user or for a team (`team`: the group's name/id).

    Without `team`, a store whose file is group-writable is taken to be its group's.
    """
    checks: list[Check] = []
    if not path.exists():
        return [
            Check(
                "store exists",
                False,
                f"no file at {path}",
                f"opsdesk --db {path} init" + (f" --team {team}" if team else ""),
            )
        ]
    st = path.stat()
    mode = stat.S_IMODE(st.st_mode)
    gid = resolve_group(team) if team else (st.st_gid if mode & stat.S_IWGRP else None)
    group = _group_name(gid) if gid is not None else None
    files = [path, *(p for s in SIDE_FILES if (p := Path(f"{path}{s}")).exists())]
    for p in files:
        pst = p.stat()
        pmode = stat.S_IMODE(pst.st_mode)
        owner = f"owner {_user_name(pst.st_uid)}, group {_group_name(pst.st_gid)}, mode {pmode:o}"
        checks.append(
            Check(
                f"{p.name} not world-readable",
                not pmode & 0o007,
                owner,
                None if not pmode & 0o007 else f"chmod o-rwx {p}",
            )
        )
        if gid is not None:
            right = pst.st_gid == gid and pmode & 0o060 == 0o060
            checks.append(
                Check(
                    f"{p.name} read/write for group {group}",
                    right,
                    owner,
                    None if right else f"chgrp {group} {p} && chmod g+rw {p}",
                )
            )
    d = path.parent
    dst = d.stat()
    dmode = stat.S_IMODE(dst.st_mode)
    downer = f"owner {_user_name(dst.st_uid)}, group {_group_name(dst.st_gid)}, mode {dmode:o}"
    if gid is not None:
        right = dst.st_gid == gid and dmode & 0o070 == 0o070 and bool(dmode & stat.S_ISGID)
        checks.append(
            Check(
                f"directory {d} setgid, read/write for group {group}",
                right,
                downer,
                None if right else f"chgrp {group} {d} && chmod g+rwxs {d}",
            )
        )
    login = _user_name(os.getuid())
    can_write = os.access(path, os.W_OK)
    file_group = _group_name(st.st_gid)
    if can_write:
        fix = None
    elif st.st_gid in os.getgroups():
        fix = f"the owner ({_user_name(st.st_uid)}) runs `chmod g+rw {path}`"
    else:
        fix = f"the owner ({_user_name(st.st_uid)}) runs `usermod -aG {file_group} {login}`"
    checks.append(
        Check(
            f"{login} can write the store",
            can_write,
            "read/write" if can_write else "read-only: every change is refused",
            fix,
        )
    )
    wal_ok = os.access(d, os.W_OK | os.X_OK) or all(
        os.access(Path(f"{path}{s}"), os.W_OK) for s in SIDE_FILES
    )
    checks.append(
        Check(
            "WAL possible (the directory takes -wal/-shm files)",
            wal_ok,
            downer,
            None if wal_ok else f"chmod g+w {d} (the store's group must include {login})",
        )
    )
    return checks
