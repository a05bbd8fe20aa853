"""Progress bars of long commands: on a terminal (forced with TTY_COMPATIBLE=1, as Rich
reads it) the stages appear on standard error; piped or with --quiet nothing extra is written,
and the command's own output is the same either way."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from opsdesk.cli import main, progress

TERMINAL = {"TTY_COMPATIBLE": "1"}
PIPED = {"TTY_COMPATIBLE": "0"}


@pytest.fixture(autouse=True)
def no_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    """Show the bar at once: the test files are small."""
    monkeypatch.setattr(progress, "DELAY", 0)


def run(db: Path, env: dict[str, str], *args: str) -> Result:
    return CliRunner(env=env).invoke(main, ["--db", str(db), *args])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("progress") / "demo.sqlite"
    result = CliRunner(env=PIPED).invoke(
        main, ["--db", str(db), "demo", "--shops", "1", "--days", "30", "--end", "2026-11-22"]
    )
    assert result.exit_code == 0, result.output
    return db


def test_demo_shows_its_steps_on_a_terminal_only(tmp_path: Path) -> None:
    args = ("demo", "--shops", "1", "--days", "30", "--end", "2026-11-22")
    shown = run(tmp_path / "a.sqlite", TERMINAL, *args)
    piped = run(tmp_path / "b.sqlite", PIPED, *args)
    quiet = run(tmp_path / "c.sqlite", TERMINAL, *args, "--quiet")
    assert shown.exit_code == piped.exit_code == quiet.exit_code == 0
    assert "demo" in shown.stderr and "7/7" in shown.stderr
    assert piped.stderr == quiet.stderr == ""
    assert shown.stdout.split(" -> ")[0] == piped.stdout.split(" -> ")[0]


def test_import_shows_read_checked_written(demo: Path, tmp_path: Path) -> None:
    data = tmp_path / "obs.csv"
    data.write_text(
        "date,shop,metric,value\n"
        + "".join(f"2026-10-{d:02d},tmall-apparel,orders,{d}\n" for d in range(1, 31))
    )
    shown = run(demo, TERMINAL, "import", str(data), "--dry-run")
    piped = run(demo, PIPED, "import", str(data), "--dry-run")
    quiet = run(demo, TERMINAL, "import", str(data), "--dry-run", "-q")
    assert shown.exit_code == piped.exit_code == quiet.exit_code == 0, shown.output
    for stage in ("read", "checked"):
        assert stage in shown.stderr
    assert "31/31" in shown.stderr  # lines read of lines in the file
    assert piped.stderr == quiet.stderr == ""
    assert shown.stdout == piped.stdout == quiet.stdout
    written = run(demo, TERMINAL, "import", str(data))
    assert written.exit_code == 0 and "written" in written.stderr


def test_backup_shows_pages_copied(demo: Path, tmp_path: Path) -> None:
    shown = run(demo, TERMINAL, "db", "backup", str(tmp_path / "a.sqlite"))
    piped = run(demo, PIPED, "db", "backup", str(tmp_path / "b.sqlite"))
    assert shown.exit_code == piped.exit_code == 0
    assert "copied" in shown.stderr
    assert piped.stderr == ""
    assert (tmp_path / "a.sqlite").stat().st_size == (tmp_path / "b.sqlite").stat().st_size


def test_export_shows_rows_written_to_a_file_not_over_its_data(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "obs.xlsx"
    shown = run(demo, TERMINAL, "export", "observations", "--format", "xlsx", "--output", str(out))
    assert shown.exit_code == 0, shown.output
    assert "written" in shown.stderr and "743/743" in shown.stderr  # the 1-shop, 30-day demo
    piped = run(demo, PIPED, "export", "observations", "--format", "xlsx", "--output", str(out))
    assert piped.stderr == f"observations: 743 rows -> {out}\n"  # the summary alone
    csv_shown = run(demo, TERMINAL, "export", "observations")
    csv_piped = run(demo, PIPED, "export", "observations")
    assert csv_shown.stdout == csv_piped.stdout  # the data alone on standard output
