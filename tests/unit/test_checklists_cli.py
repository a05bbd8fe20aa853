"""`opsdesk checklists …` on a real store: listing, showing, ticking, loading, refusing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from opsdesk.cli import main
from opsdesk.clock import local_today, system_clock
from opsdesk.store.connection import current_user


def run(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    return result.exit_code, result.output


def _count(db: Path, sql: str, *params: object) -> int:
    with sqlite3.connect(db) as c:
        return int(c.execute(sql, params).fetchone()[0])


def _ads_run(db: Path) -> int:
    return _count(
        db,
        "SELECT max(r.id) FROM sop_runs r JOIN sop_templates t ON t.id = r.template_id"
        " WHERE t.key = 'daily-traffic-ads'",
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "s.sqlite"
    assert run(path, "init")[0] == 0
    assert run(path, "shop", "add", "tmall-a", "--name", "Tmall A", "--platform", "tmall")[0] == 0
    assert run(path, "shop", "list")[0] == 0  # the next command creates the new shop's runs
    return path


def test_any_command_creates_todays_runs(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    run(db, "init")
    # store-wide: budget, weekly prep, risk drill (no shops yet)
    assert _count(db, "SELECT count(*) FROM sop_runs") == 3
    assert run(db, "shop", "add", "tmall-a", "--name", "Tmall A", "--platform", "tmall")[0] == 0
    assert _count(db, "SELECT count(*) FROM sop_runs") == 3
    assert run(db, "shop", "list")[0] == 0
    # per shop: 4 daily, this week's competitor review, this month's product review;
    # store-wide: budget, weekly prep, risk drill. Their windows always include today.
    assert _count(db, "SELECT count(*) FROM sop_runs") == 9
    assert _count(db, "SELECT count(*) FROM sop_runs WHERE status != 'open'") == 0


def test_today_lists_the_runs_with_progress(db: Path) -> None:
    code, out = run(db, "checklists", "today")
    today = local_today(system_clock, "Asia/Shanghai")
    assert code == 0
    assert out.splitlines()[0] == f"checklists for {today}: 9 runs"
    assert "Daily traffic & ads check" in out and "0/11" in out and "tmall-a" in out
    assert run(db, "checklists")[1] == out  # the group alone lists today's runs


def test_tick_and_show_record_who_and_when(db: Path) -> None:
    run_id = _ads_run(db)
    code, out = run(db, "checklists", "tick", str(run_id), "1", "2", "--note", "paid 27%")
    assert code == 0
    assert out.splitlines() == [
        f"run {run_id} item 1: ticked (run open)",
        f"run {run_id} item 2: ticked (run open)",
    ]
    code, out = run(db, "checklists", "tick", str(run_id), "1")
    assert code == 0 and f"already done by {current_user()}" in out
    code, out = run(db, "checklists", "skip", str(run_id), "3", "--reason", "no alert rule")
    assert code == 0 and "item 3: skipped" in out
    code, out = run(db, "checklists", "show", str(run_id))
    assert code == 0
    lines = out.splitlines()
    assert lines[1].split(" · ")[1] == "3/11 done"
    tick_line = next(line for line in lines if " 1. Read the traffic" in line)
    assert tick_line.lstrip().startswith("[x]") and f"— {current_user()} " in tick_line
    assert "         note: paid 27%" in lines
    assert "         skipped: no alert rule" in lines
    assert any(line.lstrip().startswith("[ ]  4.") for line in lines)
    rows = _count(
        db,
        "SELECT count(*) FROM sop_run_items WHERE run_id = ? AND state != 'open'"
        " AND changed_by = ?",
        run_id,
        current_user(),
    )
    assert rows == 3


def test_bad_ticks_exit_non_zero_and_change_nothing(db: Path) -> None:
    run_id = _ads_run(db)
    before = _count(db, "SELECT count(*) FROM audit_events")
    code, out = run(db, "checklists", "tick", "999999", "1")
    assert code == 1 and "no checklist run 999999" in out
    code, out = run(db, "checklists", "tick", str(run_id), "12")
    assert code == 1 and f"run {run_id} has no item 12 (items 1–11)" in out
    code, out = run(db, "checklists", "skip", str(run_id), "2", "--reason", " ")
    assert code == 1 and "needs a reason" in out
    code, out = run(db, "checklists", "skip", str(run_id))
    assert code == 2 and "--reason" in out
    assert _count(db, "SELECT count(*) FROM audit_events") == before
    assert _count(db, "SELECT count(*) FROM sop_run_items WHERE state != 'open'") == 0


def test_load_refuses_a_malformed_template_and_versions_a_changed_one(
    db: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text("# Bad\nowner: operator\ncadence: hourly\n- [ ] Step.\n", encoding="utf-8")
    good = tmp_path / "stock-take.md"
    good.write_text("# Stock take\nowner: supply-chain\ncadence: weekdays\n- [ ] Count.\n", "utf-8")
    code, out = run(db, "checklists", "load", str(good), str(bad))
    assert code == 2
    assert f"{bad}:3: unknown cadence 'hourly'" in out
    assert _count(db, "SELECT count(*) FROM sop_templates") == 12  # nothing half-loaded
    code, out = run(db, "checklists", "load", str(good))
    assert (code, out.strip()) == (0, "1 added (stock-take), 0 new versions (-), 0 unchanged")
    good.write_text(good.read_text("utf-8") + "- [ ] Recount the differences.\n", "utf-8")
    code, out = run(db, "checklists", "load", str(good))
    assert out.strip() == "0 added (-), 1 new versions (stock-take), 0 unchanged"
    code, out = run(db, "checklists", "templates")
    line = next(x for x in out.splitlines() if x.startswith(" stock-take"))
    assert line.split()[:2] == ["stock-take", "2"]


def test_start_history_adherence_and_campaigns(db: Path) -> None:
    code, out = run(db, "checklists", "start", "crisis-response")
    assert code == 0 and out.startswith("started run ") and "(9 items)" in out
    code, out = run(db, "checklists", "start", "daily-traffic-ads")
    assert code == 1 and "name the shop (--shop KEY)" in out
    code, out = run(db, "checklists", "history", "daily-traffic-ads", "--days", "7")
    assert code == 0
    assert out.splitlines()[1].split() == ["tmall-a", "○", "adherence", "—", "(0/0)"]
    code, out = run(db, "checklists", "history", "nope")
    assert code == 1 and "unknown template 'nope'" in out
    code, out = run(db, "checklists", "adherence", "--days", "7")
    assert code == 0 and "daily-traffic-ads" in out
    code, out = run(
        db, "checklists", "campaign", "add", "1111-2099", "--name", "双11", "--date", "2099-11-11"
    )
    assert code == 0
    assert out.strip() == "added campaign 1111-2099 (双11) on 2099-11-11; 0 runs created"
    assert run(db, "checklists", "campaign")[1].split() == ["1111-2099", "2099-11-11", "双11"]


def test_untick_and_note(db: Path) -> None:
    run_id = _ads_run(db)
    run(db, "checklists", "tick", str(run_id), "1")
    code, out = run(db, "checklists", "untick", str(run_id), "1")
    assert (code, out.strip()) == (0, f"run {run_id} item 1: unticked (run open)")
    code, out = run(db, "checklists", "note", str(run_id), "2", "ROAS 3.4 on the feed plan")
    assert (code, out.strip()) == (0, f"run {run_id} item 2: note saved")
    with sqlite3.connect(db) as c:
        rows = c.execute(
            "SELECT position, state, note FROM sop_run_items WHERE run_id = ? AND position < 3"
            " ORDER BY position",
            (run_id,),
        ).fetchall()
    assert rows == [(1, "open", ""), (2, "open", "ROAS 3.4 on the feed plan")]


README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_session_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import re
    import shlex

    section = README.read_text(encoding="utf-8").split("## SOP checklists", 1)[1]
    template = re.search(r"```markdown\n(.*?)```", section, re.S)
    session = re.search(r"```sh\n(.*?)```", section, re.S)
    assert template and session
    (tmp_path / "my-sops").mkdir()
    (tmp_path / "my-sops" / "live.md").write_text(template.group(1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "s.sqlite"
    run(db, "init")
    run(db, "shop", "add", "jd-home", "--name", "JD home store", "--platform", "jd")
    for line in session.group(1).splitlines():
        words = shlex.split(re.split(r"\s+#\s", line)[0])
        assert words[0] == "opsdesk"
        if "*" in words[-1]:  # the shell would expand my-sops/*.md
            words[-1:] = [str(p.relative_to(tmp_path)) for p in sorted(tmp_path.glob(words[-1]))]
        code, out = run(db, *words[1:])
        assert code == 0, f"{line}\n{out}"
    assert _count(db, "SELECT count(*) FROM sop_templates WHERE key = 'live-session'") == 1
