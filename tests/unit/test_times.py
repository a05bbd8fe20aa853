"""One clock: every time shown to a person is the store's wall time, from one function."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

from test_import_support import add_shops, cli, write

from opsdesk.domain.times import local_label, parse_instant
from opsdesk.store.alerts import acknowledge
from opsdesk.store.settings import write as write_setting
from opsdesk.views.standup import build_standup
from opsdesk.views.standup_model import present

DAY = date(2026, 11, 21)


def test_local_label_is_the_stores_wall_time() -> None:
    t = datetime(2026, 11, 22, 12, 4, tzinfo=UTC)
    assert local_label(t, "Asia/Shanghai") == "2026-11-22 20:04"
    assert local_label("2026-11-22T12:04:00+00:00", "Asia/Shanghai", time_only=True) == "20:04"
    assert local_label("2026-11-22T12:04:00", "Europe/Berlin") == "2026-11-22 13:04"  # naive: UTC
    # midnight is the end of the day before
    assert local_label("2026-11-22T16:00:00+00:00", "Asia/Shanghai") == "2026-11-22 24:00"
    assert local_label(None, "Asia/Shanghai") == "—"
    assert parse_instant("") is None


def test_an_acknowledgement_shows_the_stores_time(conn: sqlite3.Connection) -> None:
    add_shops(conn, "jd-home")  # no data for DAY: a stale alert
    acknowledge(conn, ("stale-data", "jd-home", None, DAY))
    conn.execute("UPDATE alerts SET acked_at = '2026-11-22T12:04:00+00:00'")
    conn.commit()
    alert = build_standup(conn, DAY).alerts[0]
    assert (alert.acked_at, alert.acked_label) == ("2026-11-22T12:04:00+00:00", "20:04")
    assert present(build_standup(conn, DAY)).alerts[0].acked_label == "20:04"  # not 12:04
    write_setting(conn, "timezone", "Europe/London")
    assert build_standup(conn, DAY).alerts[0].acked_label == "12:04"


def test_import_list_shows_the_stores_time(
    conn: sqlite3.Connection, store_path: Path, tmp_path: Path
) -> None:
    add_shops(conn, "jd-home")
    csv = write(tmp_path / "a.csv", "date,shop,metric,value\n2026-11-20,jd-home,orders,10\n")
    assert cli(store_path, "import", str(csv)).exit_code == 0
    assert cli(store_path, "import", "undo", "1").exit_code == 0
    conn.execute(
        "UPDATE imports SET imported_at = '2026-11-22T01:30:00+00:00',"
        " undone_at = '2026-11-22T02:00:00+00:00'"
    )
    conn.commit()
    row = cli(store_path, "import", "list").output.splitlines()[1]
    assert "2026-11-22 09:30" in row and "2026-11-22 10:00 by" in row
    assert "+00:00" not in row
