"""The README's import example runs as shown, with the sample files in fixtures/import-samples."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from test_import_support import cli

ROOT = Path(__file__).resolve().parents[2]


def readme_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Importing data")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def example_session() -> list[tuple[list[str], list[str]]]:
    """The `$ opsdesk …` commands of the example block and the output lines under each."""
    section = readme_section()
    block = section[section.index("**An example**") :].split("```")[1]
    steps: list[tuple[list[str], list[str]]] = []
    for line in block.strip().splitlines():
        if line.startswith("$ opsdesk "):
            steps.append((shlex.split(line.removeprefix("$ opsdesk ")), []))
        else:
            steps[-1][1].append(line)
    return steps


def test_the_readme_example_session_prints_what_the_readme_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    db = tmp_path / "readme.sqlite"
    assert cli(db, "init").exit_code == 0
    steps = example_session()
    assert len(steps) == 6
    for args, expected in steps:
        result = cli(db, *args)
        assert result.exit_code == 0, (args, result.output)
        if args[:2] == ["shop", "add"]:
            continue  # the shop command's own output is documented in its section
        assert result.output.splitlines() == expected, args


def test_the_readme_rejection_example(tmp_path: Path) -> None:
    db = tmp_path / "readme.sqlite"
    assert cli(db, "init").exit_code == 0
    assert (
        cli(db, "shop", "add", "tmall-apparel", "--name", "T", "--platform", "tmall").exit_code == 0
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "date,shop,metric,value\n"
        '2026-11-18,tmall-apparel,visitors,"12,5"\n'
        "2026-11-31,tmall-apparel,conversion_rate,3.8%\n",
        encoding="utf-8",
    )
    result = cli(db, "import", bad)
    assert result.exit_code == 2
    shown = readme_section().split("$ opsdesk import bad.csv\n")[1].split("```")[0]
    assert result.output.replace(str(bad), "bad.csv") == shown


def test_the_readme_cross_metric_example(tmp_path: Path) -> None:
    db = tmp_path / "readme.sqlite"
    assert cli(db, "init").exit_code == 0
    assert cli(db, "shop", "add", "jd-home", "--name", "J", "--platform", "jd").exit_code == 0
    first = tmp_path / "visitors.csv"
    first.write_text("date,shop,metric,value\n2026-11-20,jd-home,visitors,100\n", encoding="utf-8")
    assert cli(db, "import", first).exit_code == 0
    cross = tmp_path / "cross.csv"
    cross.write_text("date,shop,metric,value\n2026-11-20,jd-home,buyers,120\n", encoding="utf-8")
    result = cli(db, "import", cross)
    assert result.exit_code == 2
    shown = readme_section().split("$ opsdesk import cross.csv\n")[1].split("```")[0]
    assert result.output.replace(str(cross), "cross.csv") == shown
