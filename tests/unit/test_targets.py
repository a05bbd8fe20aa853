"""Targets in the store: set (audited, same scope replaces), list, and the engine's lookup."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import pytest

from opsdesk.store import shops
from opsdesk.store.audit import events_for
from opsdesk.store.catalogue import load_metrics
from opsdesk.store.targets import list_targets, load_targets, set_target


@pytest.fixture
def shop_conn(conn: sqlite3.Connection) -> sqlite3.Connection:
    shops.add(conn, "jd-home", "JD home store", "jd")
    return conn


def test_set_target_is_stored_and_audited(shop_conn: sqlite3.Connection) -> None:
    t = set_target(
        shop_conn, "gmv", 20000.0, shop_key="jd-home", valid_from=date(2026, 11, 1), amber=2000.0
    )
    assert (t.metric_key, t.shop_key, t.valid_from, t.valid_to, t.value, t.amber) == (
        "gmv",
        "jd-home",
        date(2026, 11, 1),
        None,
        20000.0,
        2000.0,
    )
    row = shop_conn.execute(
        "SELECT valid_from, valid_to, value, amber, created_by FROM targets WHERE id = ?", (t.id,)
    ).fetchone()
    assert tuple(row)[:4] == ("2026-11-01", None, 20000.0, 2000.0) and row["created_by"]
    events = events_for(shop_conn, "target", str(t.id))
    assert [e["action"] for e in events] == ["create"]
    assert json.loads(events[0]["new"])["value"] == 20000.0


def test_same_scope_replaces_and_records_old_to_new(shop_conn: sqlite3.Connection) -> None:
    before = len(list_targets(shop_conn))
    a = set_target(shop_conn, "roas", 3.5, shop_key="jd-home", amber=0.2)
    b = set_target(shop_conn, "roas", 4.0, shop_key="jd-home", amber=0.2)
    assert a.id == b.id and len(list_targets(shop_conn)) == before + 1
    events = events_for(shop_conn, "target", str(a.id))
    assert [e["action"] for e in events] == ["create", "update"]
    assert json.loads(events[1]["old"])["value"] == 3.5
    assert json.loads(events[1]["new"])["value"] == 4.0


def test_engine_sees_the_target_in_force(shop_conn: sqlite3.Connection) -> None:
    set_target(
        shop_conn, "conversion_rate", 0.06, shop_key="jd-home", valid_from=date(2026, 11, 19)
    )
    metrics = load_metrics(shop_conn)
    targets = load_targets(shop_conn)
    days = [date(2026, 11, 16 + i) for i in range(7)]
    # shipped default 5% on Mon-Wed, the shop's 6% from Thursday: (3×5% + 4×6%) / 7
    pt = targets.for_period(metrics["conversion_rate"], "jd-home", days)
    assert pt is not None and pt.value == pytest.approx(0.39 / 7)
    other = targets.for_period(metrics["conversion_rate"], "tmall", days)
    assert other is not None and other.value == 0.05


def test_list_filters(shop_conn: sqlite3.Connection) -> None:
    set_target(shop_conn, "conversion_rate", 0.06, shop_key="jd-home")
    conv = list_targets(shop_conn, metric_key="conversion_rate")
    assert [(t.shop_key, t.value) for t in conv] == [(None, 0.05), ("jd-home", 0.06)]
    jd = list_targets(shop_conn, shop_key="jd-home")
    assert ("jd-home", 0.06) in [(t.shop_key, t.value) for t in jd]
    assert all(t.shop_key in (None, "jd-home") for t in jd)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metric_key": "nope", "value": 1.0}, "metric: unknown metric 'nope'"),
        ({"metric_key": "gmv", "value": 1.0, "shop_key": "x"}, "--shop: unknown shop 'x'"),
        ({"metric_key": "gmv", "value": float("nan")}, "value: nan is not a finite number"),
        ({"metric_key": "gmv", "value": 1.0, "amber": -1.0}, "amber: -1.0 must be zero or more"),
        (
            {
                "metric_key": "gmv",
                "value": 1.0,
                "valid_from": date(2026, 11, 2),
                "valid_to": date(2026, 11, 1),
            },
            "--to: 2026-11-01 is before --from 2026-11-02",
        ),
    ],
)
def test_bad_targets_are_refused_and_nothing_is_written(
    shop_conn: sqlite3.Connection, kwargs: dict[str, object], message: str
) -> None:
    before = shop_conn.execute("SELECT count(*) FROM targets").fetchone()[0]
    with pytest.raises(ValueError, match=message):
        set_target(shop_conn, **kwargs)  # type: ignore[arg-type]
    assert shop_conn.execute("SELECT count(*) FROM targets").fetchone()[0] == before
