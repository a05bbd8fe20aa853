"""Every command on a store it cannot use says so in one line (exit 1), never a traceback:
a file that is not SQLite, a directory that cannot be made, a store from a newer opsdesk,
and catalogue files with fields of the wrong type."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from opsdesk.bootstrap import initialise
from opsdesk.cli import main

COMMANDS = [
    ["init"],
    ["demo", "--days", "30"],
    ["shop", "list"],
    ["shop", "add", "x", "--name", "X", "--platform", "jd"],
    ["metrics"],
    ["settings"],
    ["db", "status"],
    ["db", "migrate"],
    ["check"],
    ["report", "daily"],
    ["report", "weekly", "--format", "json"],
    ["import", "list"],
    ["checklists"],
    ["target", "list"],
]


def dump(db: Path) -> list[str]:
    """The store's content as SQL (the file's bytes move with WAL checkpoints)."""
    with sqlite3.connect(db) as c:
        return list(c.iterdump())


def ready_store(tmp_path: Path) -> Path:
    db = tmp_path / "s.sqlite"
    initialise(db).close()
    CliRunner().invoke(main, ["--db", str(db), "metrics"])  # today's SOP runs made on open
    return db


def store_kind(tmp_path: Path, kind: str) -> tuple[Path, str]:
    if kind == "not-sqlite":
        p = tmp_path / "bad.sqlite"
        p.write_bytes(b"this is not a database" * 100)
        return p, f"{p}: file is not a database"
    if kind == "no-directory":
        (tmp_path / "file").write_text("x")
        p = tmp_path / "file" / "sub" / "s.sqlite"
        return p, f"cannot create the store {p}: Not a directory"
    p = tmp_path / "newer.sqlite"
    initialise(p).close()
    with sqlite3.connect(p) as c:
        c.execute("PRAGMA user_version = 99")
    return p, f"{p}: this store has schema version 99, but this opsdesk knows only up to"


@pytest.mark.parametrize("kind", ["not-sqlite", "no-directory", "newer-schema"])
@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_store_that_cannot_be_used_is_one_line_not_a_traceback(
    tmp_path: Path, kind: str, args: list[str]
) -> None:
    db, message = store_kind(tmp_path, kind)
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, result.output
    if kind == "no-directory" and args[:2] not in (
        ["init"],
        ["demo", "--days"],
        ["shop", "add"],
        ["db", "migrate"],
    ):
        message = f"no store at {db}"  # commands that only read do not try to make one
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ("description = {a=1}", "field 'description' must be text, not {'a': 1}"),
        ("name_en = 5", "field 'name_en' must be text, not 5"),
        ('target = {value="abc"}', "field 'target.value' must be a number, not 'abc'"),
        ('target = {value=1, amber="x"}', "field 'target.amber' must be a number, not 'x'"),
    ],
)
def test_metrics_add_names_the_field_of_the_wrong_type(
    tmp_path: Path, fields: str, reason: str
) -> None:
    db = ready_store(tmp_path)
    before = dump(db)
    f = tmp_path / "m.toml"
    name = "" if fields.startswith("name_en") else 'name_en = "Y"\n'
    f.write_text(f'[[metric]]\nkey = "y_rate"\n{name}unit = "count"\n{fields}\n')
    result = CliRunner().invoke(main, ["--db", str(db), "metrics", "add", str(f)])
    assert result.exit_code == 2  # a file at fault
    assert result.output.strip() == f"Error: {f}:1: metric #1 (y_rate): {reason}"
    assert dump(db) == before


def test_a_rule_with_a_threshold_that_is_not_a_number_is_refused(tmp_path: Path) -> None:
    db = ready_store(tmp_path)
    before = dump(db)
    f = tmp_path / "r.toml"
    f.write_text('[[rule]]\nkey = "r1"\nkind = "drop"\nthreshold = "x"\n')
    result = CliRunner().invoke(main, ["--db", str(db), "metrics", "add", str(f)])
    assert result.exit_code == 2
    assert (
        result.output.strip() == f"Error: {f}:1: rule #1 (r1): field 'threshold' must be a number"
    )
    assert dump(db) == before
