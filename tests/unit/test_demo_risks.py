"""The demo's risk register: incidents trigger their risks, overdue reviews, one timed drill."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from opsdesk.bootstrap import initialise
from opsdesk.demo import build_demo
from opsdesk.store import risks
from opsdesk.views.risks import build_register

END = date(2026, 11, 29)


def test_demo_triggers_the_incidents_risks_and_records_a_drill(tmp_path: Path) -> None:
    conn = initialise(tmp_path / "demo.sqlite")
    try:
        build_demo(conn, days=60, end=END)
        today = END + timedelta(days=1)
        triggered = {
            t.risk_key: t
            for s in risks.list_risks(conn)
            for t in risks.triggers_for(conn, s.id)[-1:]  # each risk's first trigger
        }
        stockout = risks.triggers_for(conn, risks.get_risk(conn, "stockout-bestseller").id)
        assert [(t.shop_key, t.day) for t in stockout] == [
            ("tmall-apparel", END),
            ("tmall-apparel", END - timedelta(days=1)),
            ("tmall-apparel", END - timedelta(days=2)),
            ("tmall-apparel", END - timedelta(days=3)),
        ]  # a 6-day streak, 3 days in a row needed: the last four days
        chat = triggered["chat-response-peak"]
        assert (chat.shop_key, chat.day, chat.value) == ("tmall-apparel", date(2026, 11, 10), 8.6)
        assert triggered["system-outage"].shop_key == "douyin-beauty"
        rows = {r.key: r for r in build_register(conn, today).rows}
        assert sorted(k for k, r in rows.items() if r.overdue) == [
            "ecommerce-law-breach",
            "ip-complaint",
            "key-person-loss",
        ]
        assert rows["paid-share-cpc"].moved_inherent == "up"
        drill = risks.runs_for(conn, rows["system-outage"].id)
        assert [(r.purpose, r.status, r.run_day) for r in drill] == [("drill", "done", END)]
        assert (drill[0].time_to_respond_s, drill[0].completed_by) == (26 * 60, "zhao.min")
        assert drill[0].time_to_respond == timedelta(minutes=26)
        outage = rows["system-outage"].risk  # drilled twice a year (drill_days 182)
        assert (outage.last_drill, outage.next_drill) == (END, END + timedelta(days=182))
    finally:
        conn.close()
