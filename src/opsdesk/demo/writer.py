"""Writing the demo into the store: refusing a filled store, clearing for `--replace`, and the
bulk inserts (shops, observations, targets, events). The caller holds the write transaction.

`--replace` keeps the rows of shops that the new demo has too (same key: same id, so records
elsewhere that point at them, such as SOP checklist runs, stay valid) and deletes the others,
refusing when something outside the demo's tables still refers to one of those.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from opsdesk.demo.params import DemoError, Profile
from opsdesk.demo.targets import EventRow, TargetRow

# Cleared by `replace`, children before parents (foreign keys). Targets only where they
# belong to a shop: the catalogue's defaults for every shop stay.
_CLEAR = (
    ("alerts", "DELETE FROM alerts"),
    ("events", "DELETE FROM events"),
    ("targets", "DELETE FROM targets WHERE shop_id IS NOT NULL"),
    ("import_changes", "DELETE FROM import_changes"),
    ("observations", "DELETE FROM observations"),
    ("imports", "DELETE FROM imports"),
)


def metric_ids(conn: sqlite3.Connection, needed: Sequence[str]) -> dict[str, int]:
    """Metric ids by key; every key in `needed` must be in the store's catalogue."""
    ids = {r[0]: int(r[1]) for r in conn.execute("SELECT key, id FROM metrics")}
    missing = [k for k in needed if k not in ids]
    if missing:
        raise DemoError(f"the store's catalogue lacks {', '.join(missing)}: run `opsdesk init`")
    return ids


def refuse_if_filled(conn: sqlite3.Connection) -> None:
    shops = int(conn.execute("SELECT count(*) FROM shops").fetchone()[0])
    values = int(conn.execute("SELECT count(*) FROM observations").fetchone()[0])
    if shops or values:
        raise DemoError(
            f"the store already has {shops} shop(s) and {values:,} value(s); "
            "use --replace to clear them (and their targets, events and alerts) first"
        )


def clear(conn: sqlite3.Connection) -> dict[str, int]:
    """Delete what the demo replaces (not the shops themselves); rows deleted per table."""
    return {table: conn.execute(sql).rowcount for table, sql in _CLEAR}


def _references(conn: sqlite3.Connection, shop_ids: list[int]) -> list[str]:
    """Tables holding rows that point at any of `shop_ids` (through a foreign key)."""
    found = []
    marks = ", ".join("?" for _ in shop_ids)
    tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    for (table,) in tables.fetchall():
        columns = conn.execute(
            'SELECT "from" FROM pragma_foreign_key_list(?) WHERE "table" = ?', (table, "shops")
        ).fetchall()
        for (column,) in columns:
            # Identifiers come from sqlite_master, quoted; the values are ? parameters.
            n = conn.execute(
                f'SELECT count(*) FROM "{table}" WHERE "{column}" IN ({marks})',  # noqa: S608
                shop_ids,
            ).fetchone()[0]
            if n:
                found.append(f"{table} ({n:,} rows)")
    return found


def put_shops(
    conn: sqlite3.Connection,
    profiles: list[Profile],
    actor: str,
    at: str,
    cleared: dict[str, int],
) -> dict[str, int]:
    """Shop ids by key: existing shops with a demo key are kept (name and platform updated),
    new ones inserted, the rest deleted (counted in `cleared`)."""
    existing = {r[0]: int(r[1]) for r in conn.execute("SELECT key, id FROM shops")}
    keys = {p.key for p in profiles}
    gone = {k: i for k, i in existing.items() if k not in keys}
    if gone:
        refs = _references(conn, sorted(gone.values()))
        if refs:
            raise DemoError(
                f"cannot remove shop(s) {', '.join(sorted(gone))}: {', '.join(refs)} refer to "
                "them; keep at least as many shops (--shops) or use a new store (--db NEW_FILE)"
            )
        conn.executemany("DELETE FROM shops WHERE id = ?", [(i,) for i in gone.values()])
        cleared["shops"] = len(gone)
    ids = {}
    for p in profiles:
        if p.key in existing:
            conn.execute(
                "UPDATE shops SET name = ?, platform = ? WHERE id = ?",
                (p.name, p.platform, existing[p.key]),
            )
            ids[p.key] = existing[p.key]
        else:
            cur = conn.execute(
                "INSERT INTO shops (key, name, platform, created_at, created_by)"
                " VALUES (?, ?, ?, ?, ?)",
                (p.key, p.name, p.platform, at, actor),
            )
            ids[p.key] = int(cur.lastrowid or 0)
    return ids


def insert_observations(
    conn: sqlite3.Connection,
    values: dict[str, list[tuple[int, str, float]]],
    shop_ids: dict[str, int],
) -> int:
    """(metric_id, day, value) rows per shop key, in one executemany per shop; the count."""
    total = 0
    for key, rows in values.items():
        sid = shop_ids[key]
        conn.executemany(
            "INSERT INTO observations (shop_id, metric_id, day, value, import_id)"
            " VALUES (?, ?, ?, ?, NULL)",
            ((sid, mid, day, v) for mid, day, v in rows),
        )
        total += len(rows)
    return total


def insert_targets(
    conn: sqlite3.Connection,
    targets: dict[str, list[TargetRow]],
    shop_ids: dict[str, int],
    actor: str,
    at: str,
) -> int:
    ids = metric_ids(conn, sorted({t.metric for rows in targets.values() for t in rows}))
    rows = [
        (
            ids[t.metric],
            shop_ids[key],
            None if t.valid_from is None else t.valid_from.isoformat(),
            None if t.valid_to is None else t.valid_to.isoformat(),
            t.value,
            t.amber,
            at,
            actor,
        )
        for key, shop_rows in targets.items()
        for t in shop_rows
    ]
    conn.executemany(
        "INSERT INTO targets (metric_id, shop_id, valid_from, valid_to, value, amber,"
        " created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return len(rows)


def insert_events(
    conn: sqlite3.Connection,
    events: list[EventRow],
    shop_ids: dict[str, int],
    actor: str,
    at: str,
) -> None:
    ordered = sorted(events, key=lambda e: (e.day, e.shop or "", e.kind, e.title))
    conn.executemany(
        "INSERT INTO events (shop_id, day, kind, title, created_at, created_by)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (None if e.shop is None else shop_ids[e.shop], e.day.isoformat(), e.kind, e.title)
            + (at, actor)
            for e in ordered
        ],
    )
