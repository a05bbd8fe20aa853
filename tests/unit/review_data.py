"""A small hand-built store for the weekly review's tests (imported by them; not a conftest, so
that `from conftest import ...` in tests/tui keeps meaning tests/tui/conftest.py)."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

from opsdesk.domain import periods
from opsdesk.store import shops
from opsdesk.store.targets import set_target

W47 = periods.parse("week", "2026-W47")  # 2026-11-16 .. 2026-11-22


def put_values(conn: sqlite3.Connection, shop: str, day: date, values: dict[str, float]) -> None:
    ids = {r[0]: r[1] for r in conn.execute("SELECT key, id FROM metrics")}
    sid = conn.execute("SELECT id FROM shops WHERE key = ?", (shop,)).fetchone()[0]
    conn.executemany(
        "INSERT OR REPLACE INTO observations (shop_id, metric_id, day, value) VALUES (?, ?, ?, ?)",
        [(sid, ids[k], day.isoformat(), v) for k, v in values.items()],
    )


def fill(conn: sqlite3.Connection) -> sqlite3.Connection:
    shops.add(conn, "tmall-apparel", "Tmall apparel", "tmall")
    shops.add(conn, "jd-home", "JD home", "jd")
    # 2026-11-01 .. 2026-11-22: tmall 1000 visitors, 40 buyers, 8000 GMV a day; W47 better
    d = date(2026, 11, 1)
    while d <= W47.end:
        if d in W47:
            put_values(conn, "tmall-apparel", d, {"visitors": 1100, "buyers": 44, "gmv": 9680})
            put_values(conn, "jd-home", d, {"visitors": 100, "buyers": 10, "gmv": 1000})
        else:
            put_values(conn, "tmall-apparel", d, {"visitors": 1000, "buyers": 40, "gmv": 8000})
        d += timedelta(days=1)
    # last year's week (W47 - 364 days = 2025-11-17..23): one day only
    put_values(
        conn, "tmall-apparel", date(2025, 11, 17), {"visitors": 500, "buyers": 10, "gmv": 2000}
    )
    # one day in 2025-11 outside that week, and October 2026 (a complete month)
    put_values(conn, "tmall-apparel", date(2025, 11, 3), {"visitors": 100, "buyers": 1, "gmv": 50})
    put_values(conn, "tmall-apparel", date(2026, 10, 5), {"visitors": 300, "buyers": 6, "gmv": 600})
    set_target(conn, "conversion_rate", 0.05, amber=0.004)
    set_target(conn, "gmv", 9000, shop_key="tmall-apparel")
    return conn
