"""Shops, store settings, the ops-day clock and the audit trail."""

from __future__ import annotations

import os
import pwd
import sqlite3
from datetime import UTC, date, datetime

import pytest

from opsdesk.clock import fixed_clock, local_today, ops_day
from opsdesk.store import audit, settings, shops
from opsdesk.store.connection import current_user


def test_current_user_is_the_os_login_not_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USER", "mallory")
    monkeypatch.setenv("LOGNAME", "mallory")
    assert current_user() == pwd.getpwuid(os.getuid()).pw_name


def test_add_shop_is_audited(conn: sqlite3.Connection) -> None:
    shop = shops.add(conn, "jd-home", "JD home store", "jd")
    assert shops.get(conn, "jd-home") == shop
    (event,) = audit.events_for(conn, "shop", "jd-home")
    assert event["actor"] == current_user()
    assert event["action"] == "create"
    assert event["old"] is None
    assert event["new"] == '{"name": "JD home store", "platform": "jd"}'


@pytest.mark.parametrize(
    ("key", "name", "platform", "message"),
    [
        ("JD Home", "x", "jd", "shop key 'JD Home'"),
        ("jd-home", "x", "amazon", "platform 'amazon'"),
        ("jd-home", "  ", "jd", "shop name: must not be empty"),
    ],
)
def test_bad_shops_are_refused(
    conn: sqlite3.Connection, key: str, name: str, platform: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        shops.add(conn, key, name, platform)
    assert shops.list_shops(conn) == []


def test_duplicate_shop_is_refused(conn: sqlite3.Connection) -> None:
    shops.add(conn, "jd-home", "JD home", "jd")
    with pytest.raises(ValueError, match="exists already"):
        shops.add(conn, "jd-home", "Other", "jd")
    assert len(shops.list_shops(conn)) == 1


def test_settings_default_set_and_validate(conn: sqlite3.Connection) -> None:
    assert settings.read(conn) == settings.StoreSettings("Asia/Shanghai", 0)
    settings.write(conn, "day_cutoff_hour", "4")
    settings.write(conn, "timezone", "Europe/Berlin")
    assert settings.read(conn) == settings.StoreSettings("Europe/Berlin", 4)
    with pytest.raises(ValueError, match="not a known IANA timezone"):
        settings.write(conn, "timezone", "Mars/Olympus")
    with pytest.raises(ValueError, match="whole hour from 0 to 12"):
        settings.write(conn, "day_cutoff_hour", "25")
    (event,) = [e for e in audit.events_for(conn, "setting", "timezone")]
    assert (event["old"], event["new"]) == (None, '"Europe/Berlin"')


def test_ops_day_in_the_store_timezone_with_cutoff() -> None:
    # 2026-11-21 23:30 UTC is 2026-11-22 07:30 in Shanghai: the ops day is the 21st.
    clock = fixed_clock(datetime(2026, 11, 21, 23, 30, tzinfo=UTC))
    assert local_today(clock, "Asia/Shanghai") == date(2026, 11, 22)
    assert ops_day(clock, "Asia/Shanghai") == date(2026, 11, 21)
    # The same instant in New York is still the 21st (18:30): the ops day is the 20th.
    assert ops_day(clock, "America/New_York") == date(2026, 11, 20)
    # 02:00 in Shanghai with a 04:00 cutoff still belongs to the previous day.
    early = fixed_clock(datetime(2026, 11, 21, 18, 0, tzinfo=UTC))
    assert ops_day(early, "Asia/Shanghai", 4) == date(2026, 11, 20)
    assert ops_day(early, "Asia/Shanghai", 0) == date(2026, 11, 21)
