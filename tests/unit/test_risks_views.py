"""Risk read models on a real store: marks, movement, heat map, filters, the stand-up lists."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import pytest

from opsdesk.domain.risks import Score
from opsdesk.store import risks
from opsdesk.views import risks as views

TODAY = date(2026, 11, 23)


def test_register_marks_movement_and_heat_map(conn: sqlite3.Connection) -> None:
    risks.rescore(conn, "price-war", Score(4, 4), Score(2, 2), "competitor cut 20%", TODAY)
    conn.execute("UPDATE risks SET next_review = '2026-11-20' WHERE key = 'ip-complaint'")
    conn.execute("UPDATE risks SET status = 'closed' WHERE key = 'slow-stock'")
    rows = {r.key: r for r in views.build_register(conn, TODAY).rows}
    price = rows["price-war"]
    assert (price.moved_inherent, price.moved_residual) == ("up", "down")
    assert (rows["ip-complaint"].overdue, rows["ip-complaint"].marks) == (True, "R")
    heat = views.build_heatmap(list(rows.values()))
    assert [r.key for r in heat.at(4, 4)] == ["platform-rule-change-throttle", "price-war"]
    assert "slow-stock" not in [r.key for r in heat.at(3, 3)]  # closed risks are off the map
    residual = views.build_heatmap(list(rows.values()), residual=True)
    assert [r.key for r in residual.at(2, 2)] == ["cross-border-customs", "price-war"]
    assert views.cell_label(4, 4, 2) == "H2" and views.cell_label(1, 5, 0) == "L·"


def test_filters_and_sorts(conn: sqlite3.Connection) -> None:
    rows = views.build_register(conn, TODAY).rows
    assert views.parse_filter("cat:service owner:cs-lead due Chat") == {
        "category": "service",
        "owner": "cs-lead",
        "due": True,
        "words": ["Chat"],
    }
    picked = views.filter_rows(rows, **views.parse_filter("owner:cs-lead chat"))
    assert [r.key for r in picked] == ["chat-response-peak"]
    by_owner = views.sort_rows(rows, "owner")
    assert [r.risk.owner for r in by_owner[:2]] == ["cs-lead", "cs-lead"]
    with pytest.raises(ValueError, match="--level: 'x' is not one of low, medium, high"):
        views.filter_rows(rows, level="x")


def test_standup_lists_triggered_then_due_and_lapsed_acceptances(
    conn: sqlite3.Connection,
) -> None:
    conn.execute(
        "UPDATE risks SET status = 'triggered' WHERE key IN ('price-war', 'system-outage')"
    )
    conn.execute(
        "UPDATE risks SET next_review = ? WHERE key = 'ip-complaint'", (TODAY.isoformat(),)
    )
    conn.execute("UPDATE risks SET accept_until = '2026-11-01' WHERE key = 'cross-border-customs'")
    s = views.build_standup_risks(conn, TODAY - timedelta(days=1), TODAY)
    assert [r.key for r in s.triggered] == ["system-outage", "price-war"]  # major first
    assert [(r.key, r.overdue, r.acceptance) for r in s.due] == [
        ("ip-complaint", False, None),
        ("cross-border-customs", True, "expired"),
    ]


def test_a_drill_overdue_is_marked_and_reviews_show_their_old_scores(
    conn: sqlite3.Connection,
) -> None:
    risks.update_fields(conn, "price-war", {"next_drill": "2026-11-22"}, TODAY)
    risks.rescore(conn, "price-war", Score(4, 4), Score(2, 2), "competitor cut 20%", TODAY)
    rows = {r.key: r for r in views.build_register(conn, TODAY).rows}
    assert (rows["price-war"].drill_overdue, rows["price-war"].marks) == (True, "D")
    assert views.risk_dict(rows["price-war"])["drill_overdue"] is True
    assert not rows["slow-stock"].drill_overdue  # no drill date: never overdue
    detail = views.build_detail(conn, "price-war", TODAY)
    assert views.review_scores(detail.reviews[-1]) == (
        "inherent 4×4=16 (was 3×3=9) · residual 2×2=4 (was 3×2=6)"
    )
    score = views.detail_dict(detail)["reviews"][-1]
    assert (score["old"]["inherent"], score["new"]["residual"]) == (
        {"likelihood": 3, "impact": 3, "score": 9, "level": "medium"},
        {"likelihood": 2, "impact": 2, "score": 4, "level": "low"},
    )
    assert views.detail_dict(detail)["reviews"][0]["old"] is None  # its creation
