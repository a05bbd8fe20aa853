"""Shops: every number belongs to one. Keys are short slugs (`tmall-apparel`)."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from opsdesk.domain.text import refuse_control
from opsdesk.store import audit
from opsdesk.store.connection import current_user, now_iso, write_transaction

PLATFORMS = ("taobao", "tmall", "jd", "pdd", "douyin", "kuaishou", "own", "other")
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class Shop:
    id: int
    key: str
    name: str
    platform: str


def validate_key(key: str) -> None:
    if not _KEY.match(key):
        raise ValueError(
            f"shop key {key!r}: use 1-40 lower-case letters, digits, '-' or '_' (e.g. jd-home)"
        )


def add(conn: sqlite3.Connection, key: str, name: str, platform: str) -> Shop:
    validate_key(key)
    if platform not in PLATFORMS:
        raise ValueError(f"platform {platform!r}: one of {', '.join(PLATFORMS)}")
    if not name.strip():
        raise ValueError("shop name: must not be empty")
    refuse_control(name, "shop name")
    with write_transaction(conn):
        if conn.execute("SELECT 1 FROM shops WHERE key = ?", (key,)).fetchone():
            raise ValueError(f"shop {key!r} exists already")
        cur = conn.execute(
            "INSERT INTO shops (key, name, platform, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?)",
            (key, name, platform, now_iso(), current_user()),
        )
        audit.record(conn, "shop", key, "create", None, {"name": name, "platform": platform})
    return Shop(int(cur.lastrowid or 0), key, name, platform)


def list_shops(conn: sqlite3.Connection) -> list[Shop]:
    return [
        Shop(r["id"], r["key"], r["name"], r["platform"])
        for r in conn.execute("SELECT id, key, name, platform FROM shops ORDER BY key")
    ]


def by_key(conn: sqlite3.Connection) -> dict[str, Shop]:
    return {s.key: s for s in list_shops(conn)}


def get(conn: sqlite3.Connection, key: str) -> Shop:
    shop = by_key(conn).get(key)
    if shop is None:
        raise ValueError(f"unknown shop {key!r} (see `opsdesk shop list`)")
    return shop
