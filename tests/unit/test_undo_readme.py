"""The README's log/undo example ("Every change: the log, undo, and edits that cross") runs as
shown: the same commands print the same lines, with the login, event and target ids of this
store in place of the README's."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from opsdesk.cli import main
from opsdesk.store import audit
from opsdesk.store.connection import current_user

ROOT = Path(__file__).resolve().parents[2]


def example() -> list[tuple[list[str], list[str]]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Every change: the log, undo") :]
    block = section[section.index("**An example**") :].split("```")[1]
    steps: list[tuple[list[str], list[str]]] = []
    for line in block.strip().splitlines():
        if line.startswith("$ opsdesk "):
            steps.append((shlex.split(line.removeprefix("$ opsdesk ")), []))
        else:
            steps[-1][1].append(line)
    return steps


def _ids(line: str) -> str:
    return re.sub(r"(#|target )\d+", r"\1N", line)


def test_the_readme_log_and_undo_example_prints_what_it_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "now_iso", lambda: "2026-11-30T12:04:00+00:00")
    db = tmp_path / "readme.sqlite"
    runner = CliRunner()
    assert runner.invoke(main, ["--db", str(db), "init"]).exit_code == 0
    steps = example()
    assert [args[0] for args, _ in steps] == ["shop", "target", "target", "log", "undo"]
    for args, shown in steps:
        result = runner.invoke(main, ["--db", str(db), *args])
        assert result.exit_code == 0, result.output
        got = [_ids(line) for line in result.output.replace(current_user(), "li.na").splitlines()]
        assert got == [_ids(line) for line in shown], args
