"""The store commands through the real click group: init, shop, metrics, settings, db."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from opsdesk.cli import main


def run(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    return result.exit_code, result.output


def test_init_is_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    code, out = run(db, "init")
    assert code == 0 and "41 metrics" in out  # 38 catalogue + 3 SOP adherence
    code, out = run(db, "init")
    assert code == 0 and "41 metrics" in out
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT count(*) FROM targets").fetchone()[0] == 12  # + sop_adherence


def test_commands_on_a_missing_store_say_so(tmp_path: Path) -> None:
    code, out = run(tmp_path / "nope.sqlite", "shop", "list")
    assert code == 1
    assert "no store at" in out and "opsdesk init" in out
    assert not (tmp_path / "nope.sqlite").exists()


def test_shop_add_and_list(store_path: Path) -> None:
    code, out = run(store_path, "shop", "add", "jd-home", "--name", "JD home", "--platform", "jd")
    assert (code, out.strip()) == (0, "added shop jd-home (jd): JD home")
    code, out = run(store_path, "shop", "add", "jd-home", "--name", "X", "--platform", "jd")
    assert code == 1 and "shop 'jd-home' exists already" in out
    code, out = run(store_path, "shop", "list")
    assert code == 0 and "jd-home" in out and "JD home" in out


def test_metrics_listing_and_user_file(store_path: Path, tmp_path: Path) -> None:
    code, out = run(store_path, "metrics")
    assert code == 0 and "conversion_rate" in out and "buyers / visitors" in out
    good = tmp_path / "m.toml"
    good.write_text(
        '[[metric]]\nkey = "net_roi"\nname_en = "Net ROI"\nunit = "x"\n'
        'formula = "(ad_gmv - ad_spend) / ad_spend"\n',
        encoding="utf-8",
    )
    code, out = run(store_path, "metrics", "add", str(good))
    assert code == 0 and "1 added (net_roi)" in out
    bad = tmp_path / "bad.toml"
    bad.write_text('[[metric]]\nkey = "x"\nname_en = "X"\nunit = "parsecs"\n', encoding="utf-8")
    code, out = run(store_path, "metrics", "add", str(bad))
    assert code == 2 and "bad.toml:1: metric #1 (x): field 'unit'" in out


def test_settings_commands(store_path: Path) -> None:
    code, out = run(store_path, "settings", "set", "day_cutoff_hour", "4")
    assert (code, out.strip()) == (0, "day_cutoff_hour = 4")
    code, out = run(store_path, "settings")
    assert out.splitlines() == ["timezone = Asia/Shanghai", "day_cutoff_hour = 4"]
    code, out = run(store_path, "settings", "set", "timezone", "Nowhere/City")
    assert code == 1 and "not a known IANA timezone" in out


def test_db_status_backup_and_migrate(store_path: Path, tmp_path: Path) -> None:
    run(store_path, "shop", "add", "jd-home", "--name", "JD home", "--platform", "jd")
    code, out = run(store_path, "db", "status")
    assert code == 0 and "pending: none" in out
    code, out = run(store_path, "db", "migrate")
    assert code == 0 and "nothing to do" in out
    target = tmp_path / "backup.sqlite"
    code, out = run(store_path, "db", "backup", str(target))
    assert code == 0
    with sqlite3.connect(target) as c:
        assert c.execute("SELECT key FROM shops").fetchall() == [("jd-home",)]
    code, out = run(store_path, "db", "backup", str(target))
    assert code == 1 and "exists already" in out
