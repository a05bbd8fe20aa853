"""A tiny store for the app's tests: two shops, fifteen days, a fixed clock.

tmall-apparel has data for every day 2026-11-07 .. 2026-11-21 (day i = 0..14):
visitors 1000 + 10 i, buyers 40 + i, orders 42 + i, gmv 200 x buyers, paid_visitors 250,
ad_spend 500, ad_clicks 400, ad_impressions 10 000, ad_gmv 2 000 (ROAS 4).
jd-home has the same values halved (rounded down) up to 2026-11-20 and nothing on the ops
day 2026-11-21, so the stand-up shows its "no data" banner. The clock says 2026-11-22 02:00
UTC (10:00 in Shanghai), so the ops day is 2026-11-21.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from opsdesk.bootstrap import initialise
from opsdesk.clock import Clock, fixed_clock
from opsdesk.config import AppConfig
from opsdesk.store import shops
from opsdesk.store.connection import now_iso, write_transaction
from opsdesk.tui.app import AppSettings, OpsdeskApp, create_app

OPS_DAY = date(2026, 11, 21)
FIRST_DAY = date(2026, 11, 7)
CLOCK_AT = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def day_values(i: int) -> dict[str, float]:
    buyers = 40 + i
    return {
        "visitors": 1000 + 10 * i,
        "buyers": buyers,
        "orders": 42 + i,
        "gmv": 200.0 * buyers,
        "paid_visitors": 250,
        "ad_spend": 500,
        "ad_clicks": 400,
        "ad_impressions": 10_000,
        "ad_gmv": 2000,
    }


def build_store(path: Path) -> Path:
    conn = initialise(path, clock=fixed_clock(CLOCK_AT))  # seeded review dates fixed too
    try:
        shops.add(conn, "tmall-apparel", "Tmall apparel flagship", "tmall")
        shops.add(conn, "jd-home", "JD home store", "jd")
        ids = {r[0]: r[1] for r in conn.execute("SELECT key, id FROM metrics")}
        shop_ids = {r[0]: r[1] for r in conn.execute("SELECT key, id FROM shops")}
        rows = []
        for i in range(15):
            d = (FIRST_DAY + timedelta(days=i)).isoformat()
            for key, value in day_values(i).items():
                rows.append((shop_ids["tmall-apparel"], ids[key], d, float(value)))
                if i < 14:
                    rows.append((shop_ids["jd-home"], ids[key], d, float(int(value) // 2)))
        with write_transaction(conn):
            conn.executemany(
                "INSERT INTO observations (shop_id, metric_id, day, value) VALUES (?, ?, ?, ?)",
                rows,
            )
            conn.execute(
                "INSERT INTO events (shop_id, day, kind, title, created_at, created_by)"
                " VALUES (NULL, ?, 'campaign', 'Double 11 review', ?, 'test')",
                ("2026-11-12", now_iso()),
            )
    finally:
        conn.close()
    return path


@pytest.fixture
def tiny_store(tmp_path: Path) -> Path:
    return build_store(tmp_path / "tiny.sqlite")


@pytest.fixture
def clock() -> Clock:
    return fixed_clock(CLOCK_AT)


def make_app(
    db: Path, clock: Clock, config: AppConfig | None = None, preload: bool = True
) -> OpsdeskApp:
    """The app as `run_app` builds it (the stand-up prefetched, unless `preload` is off)."""
    from datetime import date

    from opsdesk.tui.run import prefetch
    from opsdesk.views.standup_model import StandupModel

    got = prefetch(db, clock)
    assert "error" not in got, got
    settings = AppSettings(
        db=db,
        config=config or AppConfig(refresh_seconds=0.2),
        ops_day=date.fromisoformat(got["ops_day"]),
        initial_standup=StandupModel.from_wire(got["standup"]) if preload else None,
    )
    return create_app(settings, clock)


async def wait_for(pilot: Any, condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Let the app run until `condition()` holds (workers finish in their own time)."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    assert condition(), "condition not met in time"


def toasts(app: Any) -> list[str]:
    """The notifications on the screen, as a user reads them (title, newline, message): the
    text of the Toast widgets (`run_test(notifications=True)` shows them)."""
    return [toast.render().plain for toast in app.screen.query("Toast")]


@pytest.fixture(autouse=True)
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Tests never read the developer's own config file."""
    path = tmp_path / "config.toml"
    monkeypatch.setenv("OPSDESK_CONFIG", str(path))
    return path


@pytest.fixture
def app(tiny_store: Path, clock: Clock) -> Iterator[OpsdeskApp]:
    yield make_app(tiny_store, clock)
