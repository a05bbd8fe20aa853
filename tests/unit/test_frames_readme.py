"""The README's notebook-style session for opsdesk.frames runs as written, on a demo store."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from opsdesk.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_session_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Frames for analysts", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["--db", "demo.sqlite", "demo", "--days", "400"])
    assert result.exit_code == 0, result.output
    scope: dict[str, object] = {}
    exec(compile(blocks[0], "README.md", "exec"), scope)  # noqa: S102
    assert scope["obs"].columns.tolist() == ["date", "shop", "metric", "value", "import_id"]  # type: ignore[attr-defined]
    assert scope["k"].attrs["units"] == {"gmv": "CNY", "conversion_rate": "%"}  # type: ignore[attr-defined]
    assert len(scope["daily"]) > 300  # type: ignore[arg-type]
