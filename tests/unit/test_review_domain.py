"""The review's calendar and arithmetic: 6-12 windows, the 364-day shift, a year end, week 53,
to-date spans, changes in pp or %, exceptions, carry-over, sparklines."""

from __future__ import annotations

from datetime import date

import pytest

from opsdesk.domain import review as r
from opsdesk.domain.periods import parse

W47 = parse("week", "2026-W47")  # 2026-11-16 .. 2026-11-22


def test_six_weeks_end_with_the_review_week_and_shift_364_days() -> None:
    weeks = r.deck_weeks(W47)
    assert [w.current.key for w in weeks] == [f"2026-W{n}" for n in range(42, 48)]
    ly = weeks[-1].last_year
    assert (ly.key, ly.start, ly.end) == ("2025-W47", date(2025, 11, 17), date(2025, 11, 23))
    assert ly.start.weekday() == 0 and (W47.start - ly.start).days == 364


def test_week_spanning_a_year_end() -> None:
    w01 = parse("week", "2026-W01")  # 2025-12-29 .. 2026-01-04
    weeks = r.deck_weeks(w01)
    assert [w.current.key for w in weeks] == [
        "2025-W48",
        "2025-W49",
        "2025-W50",
        "2025-W51",
        "2025-W52",
        "2026-W01",
    ]
    ly = weeks[-1].last_year
    assert (ly.key, ly.start, ly.end) == ("2025-W01", date(2024, 12, 30), date(2025, 1, 5))
    # the month holding the week's Sunday (2026-01-04) is running: the 12 months end in 2025-12
    months = r.deck_months(w01)
    assert months[0].current.key == "2025-01" and months[-1].current.key == "2025-12"
    s = r.summary_spans(w01)
    assert (s.mtd.start, s.mtd.end) == (date(2026, 1, 1), date(2026, 1, 4))
    assert (s.ytd_ly.start, s.ytd_ly.end) == (date(2025, 1, 1), date(2025, 1, 4))


def test_week_53_and_its_last_year_week() -> None:
    w53 = parse("week", "2026-W53")  # 2026-12-28 .. 2027-01-03
    ly = r.deck_weeks(w53)[-1].last_year
    assert (ly.key, ly.start, ly.end) == ("2026-W01", date(2025, 12, 29), date(2026, 1, 4))
    months = r.deck_months(w53)
    assert [months[0].current.key, months[-1].current.key] == ["2026-01", "2026-12"]
    assert months[-1].last_year.key == "2025-12"
    s = r.summary_spans(w53)
    assert (s.qtd.key, s.qtd.start, s.qtd.end) == (
        "2027-Q1 QTD",
        date(2027, 1, 1),
        date(2027, 1, 3),
    )
    assert (s.week_prev.key, s.week_ly.key) == ("2026-W52", "2026-W01")


def test_summary_spans_to_date_like_for_like() -> None:
    s = r.summary_spans(W47)
    assert [(n, sp.start, sp.end) for n, sp in s.named()] == [
        ("week", date(2026, 11, 16), date(2026, 11, 22)),
        ("week_prev", date(2026, 11, 9), date(2026, 11, 15)),
        ("week_ly", date(2025, 11, 17), date(2025, 11, 23)),
        ("mtd", date(2026, 11, 1), date(2026, 11, 22)),
        ("mtd_ly", date(2025, 11, 1), date(2025, 11, 22)),
        ("qtd", date(2026, 10, 1), date(2026, 11, 22)),
        ("qtd_ly", date(2025, 10, 1), date(2025, 11, 22)),
        ("ytd", date(2026, 1, 1), date(2026, 11, 22)),
        ("ytd_ly", date(2025, 1, 1), date(2025, 11, 22)),
    ]
    assert r.first_day_needed(W47) == date(2024, 11, 1)


def test_leap_day_a_year_earlier() -> None:
    assert r.minus_year(date(2028, 2, 29)) == date(2027, 2, 28)


def test_changes_rates_in_points_volumes_in_percent() -> None:
    assert r.change("%", 0.05, 0.04) == r.Change("pp", pytest.approx(0.01))
    assert r.change("%", 0.05, 0.04).text() == "+1.00pp"
    assert r.change("CNY", 110.0, 100.0).text() == "+10.0%"
    assert r.change("count", 5.0, 0.0) == r.Change("pct", None)
    assert r.change("%", None, 0.04).text() == "—"


def test_last_complete_week_and_future_weeks() -> None:
    assert r.last_complete_week(date(2026, 11, 29)).key == "2026-W48"  # a Sunday
    assert r.last_complete_week(date(2026, 11, 28)).key == "2026-W47"
    r.check_reviewable(W47, date(2026, 11, 22))
    with pytest.raises(
        ValueError, match="2026-W48: not over yet .* last complete week is 2026-W47"
    ):
        r.check_reviewable(parse("week", "2026-W48"), date(2026, 11, 28))


def test_exceptions_need_red_amber_or_a_signal() -> None:
    assert r.is_exception("red", []) and r.is_exception("amber", [])
    assert not r.is_exception("green", []) and not r.is_exception("none", [])
    assert r.is_exception("green", ["shift: 6 days above the baseline median"])


def test_deck_order_inputs_before_outputs() -> None:
    assert r.order_deck(["gmv", "zeta", "visitors", "aov", "conversion_rate"]) == [
        "visitors",
        "conversion_rate",
        "aov",
        "gmv",
        "zeta",
    ]
    assert r.order_deck(["gmv", "visitors"], ["gmv"]) == ["gmv", "visitors"]


def test_carry_over_age_and_flag_after_three_reviews() -> None:
    weeks = ["2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W49"]
    assert r.age_days(date(2026, 11, 3), date(2026, 11, 12)) == 9
    assert r.reviews_carried(weeks, "2026-W44", "2026-W46") == 2
    assert r.reviews_carried(weeks, "2026-W44", "2026-W47") == 3
    assert r.reviews_carried(weeks, "2026-W47", "2026-W48") == 0  # no review held in W48
    assert r.reviews_carried(weeks, "2026-W47", "2026-W49") == 1
    assert not r.flagged(2) and r.flagged(3)


def test_sparkline() -> None:
    assert r.sparkline([1.0, 2.0, None, 8.0]) == "▁▂ █"
    assert r.sparkline([3.0, 3.0]) == "▄▄"
    assert r.sparkline([None, None]) == "  "


def test_two_values_that_differ_never_read_the_same() -> None:
    from opsdesk.domain.metrics import Metric, format_apart

    pct = Metric(key="conversion_rate", name_en="Conversion", name_zh="转化率", unit="%")
    # an amber status against its target: 3.33% vs 3.33% hid the gap
    assert format_apart(pct, 0.033272, 0.033316) == ("3.327%", "3.332%")
    assert format_apart(pct, 0.05, 0.04) == ("5.00%", "4.00%")  # apart already: as usual
    assert format_apart(pct, 0.05, 0.05) == ("5.00%", "5.00%")
    assert format_apart(pct, None, 0.05) == ("—", "5.00%")
    roas = Metric(key="roas", name_en="ROAS", name_zh="推广ROI", unit="x")
    assert format_apart(roas, 3.001, 3.004) == ("3.001×", "3.004×")
