"""PDCA domain: gates, like-for-like windows, the Check with exact numbers, signals, A/B test."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from opsdesk.domain import pdca
from opsdesk.domain.metrics import Metric, parse_formula
from opsdesk.domain.pdca import Arm, GateFacts, PdcaError, RuleSet

VISITORS = Metric("visitors", "Visitors", unit="count", direction="up")
BUYERS = Metric("buyers", "Buyers", unit="count", direction="up")
CONVERSION = Metric(
    "conversion_rate",
    "Conversion",
    unit="%",
    direction="up",
    formula=parse_formula("buyers / visitors"),
)
RESPONSE = Metric("first_response_s", "First response", unit="s", direction="down")
METRICS = {m.key: m for m in (VISITORS, BUYERS, CONVERSION, RESPONSE)}
D = date.fromisoformat


def _days(start: str, n: int) -> list[date]:
    return [D(start) + timedelta(days=i) for i in range(n)]


# --- gates -------------------------------------------------------------------------------


def test_gate_to_do_names_every_missing_field() -> None:
    with pytest.raises(PdcaError) as e:
        pdca.check_move("plan", "do", GateFacts(), None)
    assert str(e.value) == (
        "cannot move to Do: missing hypothesis: write the hypothesis (what change should move"
        " the metric); plan: write the plan; actions: add at least one action item"
    )
    with pytest.raises(PdcaError, match=r"missing actions: add at least one action item$"):
        pdca.check_move("plan", "do", GateFacts(hypothesis="h", plan="p"), None)
    assert pdca.check_move("plan", "do", GateFacts(hypothesis="h", plan="p", actions=1), None) is (
        False
    )


def test_gate_to_check_needs_change_date_and_seven_days() -> None:
    with pytest.raises(PdcaError, match="missing change date: set the day the change went live"):
        pdca.check_move("do", "check", GateFacts(), None)
    facts = GateFacts(change_date=D("2026-11-10"), days_after=6)
    with pytest.raises(PdcaError) as e:
        pdca.check_move("do", "check", facts, None)
    assert str(e.value) == (
        "cannot move to Check: missing data after the change: 6 days with data since"
        " 2026-11-10, at least 7 needed"
    )
    assert not pdca.check_move(
        "do", "check", GateFacts(change_date=D("2026-11-10"), days_after=7), None
    )


def test_gate_to_act_needs_decision_and_closed_needs_lesson() -> None:
    with pytest.raises(PdcaError, match="missing decision: choose standardise, iterate or abandon"):
        pdca.check_move("check", "act", GateFacts(), None)
    assert not pdca.check_move("check", "act", GateFacts(decision="abandon"), None)
    with pytest.raises(PdcaError, match="missing lesson: write the lesson learnt"):
        pdca.check_move("act", "closed", GateFacts(decision="abandon", lesson="  "), None)
    assert not pdca.check_move("act", "closed", GateFacts(lesson="x"), None)


def test_moves_one_stage_forward_and_back_only_with_reason() -> None:
    with pytest.raises(PdcaError, match=r"one stage at a time: Plan → Do"):
        pdca.check_move("plan", "check", GateFacts(), None)
    with pytest.raises(PdcaError, match="moving back from Check to Plan needs a reason"):
        pdca.check_move("check", "plan", GateFacts(), " ")
    assert pdca.check_move("check", "plan", GateFacts(), "wrong metric") is True
    with pytest.raises(PdcaError, match="already at Do"):
        pdca.check_move("do", "do", GateFacts(), None)
    with pytest.raises(PdcaError, match="unknown stage 'done'"):
        pdca.parse_stage("done")
    assert pdca.parse_stage(" Closed ") == "closed"


# --- windows -----------------------------------------------------------------------------


def test_like_for_like_window_across_a_month_end() -> None:
    baseline = (D("2026-08-03"), D("2026-08-30"))  # Monday .. Sunday, 28 days
    after = pdca.after_window(baseline, D("2026-09-01"), D("2026-09-14"))
    assert after == (D("2026-09-01"), D("2026-09-14"))
    before_days, after_days = pdca.matched_windows(baseline, after)
    assert (before_days[0], before_days[-1]) == (D("2026-08-11"), D("2026-08-24"))
    assert len(before_days) == len(after_days) == 14
    assert [d.weekday() for d in before_days] == [d.weekday() for d in after_days]


def test_after_window_is_at_most_the_baseline_and_cut_to_match_weekdays() -> None:
    baseline = (D("2026-08-03"), D("2026-08-30"))
    after = pdca.after_window(baseline, D("2026-09-01"), D("2026-09-30"))
    assert after == (D("2026-09-01"), D("2026-09-28"))  # 28 days, the baseline's length
    before_days, after_days = pdca.matched_windows(baseline, after)
    # A Tuesday start fits 27 days of a Monday-to-Sunday baseline: 08-04..08-30.
    assert (before_days[0], before_days[-1], len(before_days)) == (
        D("2026-08-04"),
        D("2026-08-30"),
        27,
    )
    assert (after_days[0], after_days[-1]) == (D("2026-09-01"), D("2026-09-27"))
    assert pdca.after_window(baseline, D("2026-09-01"), D("2026-08-31")) is None


# --- the check ---------------------------------------------------------------------------


def _shop(values: dict[date, dict[str, float]]) -> list[dict[date, dict[str, float]]]:
    return [values]


def test_check_ratio_of_sums_not_mean_of_ratios() -> None:
    baseline = (D("2026-11-02"), D("2026-11-03"))
    daily = {
        D("2026-11-02"): {"visitors": 100, "buyers": 10},  # 10%
        D("2026-11-03"): {"visitors": 900, "buyers": 9},  # 1%
        D("2026-11-09"): {"visitors": 500, "buyers": 20},  # same weekdays a week later
        D("2026-11-10"): {"visitors": 500, "buyers": 20},
    }
    check = pdca.compute_check(
        CONVERSION, METRICS, _shop(daily), baseline, D("2026-11-09"), D("2026-11-10"), 0.05
    )
    assert check.before.value == pytest.approx(19 / 1000)  # not (0.10 + 0.01) / 2 = 0.055
    assert check.after.value == pytest.approx(40 / 1000)
    assert check.change == pytest.approx(0.021)
    assert check.change_relative == pytest.approx(0.021 / 0.019)
    assert check.target_met is False
    assert (check.before.days, check.after.days) == (2, 2)


def test_check_missing_day_on_one_side_is_dropped_from_both() -> None:
    baseline = (D("2026-08-03"), D("2026-08-30"))
    daily: dict[date, dict[str, float]] = {}
    for d in _days("2026-08-03", 28):
        daily[d] = {"visitors": 1000, "buyers": 30}
    for d in _days("2026-09-01", 14):
        daily[d] = {"visitors": 1000, "buyers": 40}
    daily[D("2026-09-05")] = {"visitors": 1000}  # buyers missing: the day is incomplete
    daily[D("2026-08-12")]["buyers"] = 1000  # an extreme baseline day (a Wednesday)
    del daily[D("2026-08-19")]  # another Wednesday, missing on the baseline side only
    check = pdca.compute_check(
        CONVERSION, METRICS, _shop(daily), baseline, D("2026-09-01"), D("2026-09-14"), None
    )
    # 14 paired days; 09-05 (after) and its pair 08-15, 08-19 (before) and its pair 09-08 out.
    assert (check.before.start, check.before.end) == (D("2026-08-11"), D("2026-08-24"))
    assert (check.before.days, check.after.days) == (12, 12)
    assert check.before.value == pytest.approx((11 * 30 + 1000) / 12000)
    assert check.after.value == pytest.approx(0.04)
    assert check.target_met is None


def test_check_zero_denominator_and_no_data_are_undefined() -> None:
    baseline = (D("2026-11-02"), D("2026-11-08"))
    daily = {d: {"visitors": 100.0, "buyers": 3.0} for d in _days("2026-11-02", 7)}
    daily.update({d: {"visitors": 0.0, "buyers": 0.0} for d in _days("2026-11-09", 7)})
    check = pdca.compute_check(
        CONVERSION, METRICS, _shop(daily), baseline, D("2026-11-09"), D("2026-11-15"), 0.05
    )
    assert check.before.value == pytest.approx(0.03)
    assert check.after.value is None
    assert check.change is None and check.change_relative is None and check.target_met is None
    empty = pdca.compute_check(
        CONVERSION, METRICS, _shop({}), baseline, D("2026-11-09"), D("2026-11-15"), None
    )
    assert (empty.before.value, empty.after.value, empty.before.days) == (None, None, 0)
    assert empty.signals == () and empty.verdict == "adjust or extend"


def test_check_all_shops_counts_a_day_only_when_every_shop_has_it() -> None:
    baseline = (D("2026-11-02"), D("2026-11-02"))
    a = {D("2026-11-02"): {"visitors": 10.0}, D("2026-11-09"): {"visitors": 30.0}}
    b = {D("2026-11-02"): {"visitors": 20.0}}
    check = pdca.compute_check(
        VISITORS, METRICS, [a, b], baseline, D("2026-11-09"), D("2026-11-09"), None
    )
    assert (check.before.days, check.after.value) == (0, None)
    both = {D("2026-11-02"): {"visitors": 20.0}, D("2026-11-09"): {"visitors": 26.0}}
    check = pdca.compute_check(
        VISITORS, METRICS, [a, both], baseline, D("2026-11-09"), D("2026-11-09"), None
    )
    assert (check.before.value, check.after.value) == (30.0, 56.0)


# --- signals -----------------------------------------------------------------------------


def _series(values: list[float], start: str = "2026-11-01") -> list[tuple[date, float]]:
    return list(zip(_days(start, len(values)), values, strict=True))


def test_shift_at_and_below_threshold_median_days_skipped() -> None:
    six = _series([11, 12, 10, 11, 13, 12, 11])  # 10 is the median: skipped
    [signal] = pdca.shift_signals(six, 10.0, 6)
    assert signal.rule == "shift" and signal.direction == "up"
    assert signal.days == (
        D("2026-11-01"),
        D("2026-11-02"),
        D("2026-11-04"),
        D("2026-11-05"),
        D("2026-11-06"),
        D("2026-11-07"),
    )
    five = _series([11, 12, 10, 11, 13, 9, 12])
    assert pdca.shift_signals(five, 10.0, 6) == []
    down = _series([9, 8, 7, 9, 8, 7])
    assert [s.direction for s in pdca.shift_signals(down, 10.0, 6)] == ["down"]


def test_trend_at_and_below_threshold_equal_days_skipped() -> None:
    five_rises = _series([1, 2, 3, 3, 4, 5, 6])  # 3 then 3: neither breaks nor extends
    [signal] = pdca.trend_signals(five_rises, 5)
    assert signal.direction == "up"
    assert signal.days == (
        D("2026-11-02"),
        D("2026-11-03"),
        D("2026-11-05"),
        D("2026-11-06"),
        D("2026-11-07"),
    )
    four_rises = _series([1, 2, 3, 4, 5, 4])
    assert pdca.trend_signals(four_rises, 5) == []
    falls = _series([9, 8, 7, 6, 5, 4])
    assert [s.direction for s in pdca.trend_signals(falls, 5)] == ["down"]


def test_xmr_limits_and_a_day_just_inside_and_outside() -> None:
    limits = pdca.xmr_limits([10, 12, 10, 12, 10])
    assert limits is not None
    assert limits.mean == pytest.approx(10.8)
    assert limits.moving_range == pytest.approx(2.0)
    assert (limits.lower, limits.upper) == (pytest.approx(5.48), pytest.approx(16.12))
    inside = _series([16.1, 5.5])
    assert pdca.limit_signals(inside, limits) == []
    outside = _series([16.2, 11, 5.4])
    found = pdca.limit_signals(outside, limits)
    assert [(s.direction, s.days) for s in found] == [
        ("up", (D("2026-11-01"),)),
        ("down", (D("2026-11-03"),)),
    ]
    assert pdca.xmr_limits([1.0]) is None


def test_check_names_signals_rules_and_suggests_a_verdict() -> None:
    baseline = (D("2026-11-01"), D("2026-11-14"))
    daily = {
        d: {"first_response_s": 5.0 + (i % 2) * 0.2} for i, d in enumerate(_days("2026-11-01", 14))
    }
    daily.update({d: {"first_response_s": 4.0} for d in _days("2026-11-15", 7)})
    check = pdca.compute_check(
        RESPONSE, METRICS, _shop(daily), baseline, D("2026-11-15"), D("2026-11-21"), 4.5
    )
    assert check.rules == "run-chart rules: shift 6, trend 5; XmR limits"
    assert [(s.rule, s.direction, len(s.days)) for s in check.signals] == [
        ("shift", "down", 7),
        ("limits", "down", 7),
    ]
    assert check.verdict == "standardise"  # lower is better for response time
    assert check.target_met is True
    assert check.median == pytest.approx(5.1)
    worse = pdca.compute_check(
        VISITORS,
        METRICS,
        _shop({d: {"visitors": v["first_response_s"]} for d, v in daily.items()}),
        baseline,
        D("2026-11-15"),
        D("2026-11-21"),
        None,
        RuleSet(shift=8, trend=5, limits=False),
    )
    assert worse.rules == "run-chart rules: shift 8, trend 5"
    assert worse.signals == () and worse.verdict == "adjust or extend"
    up_is_bad = pdca.compute_check(
        VISITORS,
        METRICS,
        _shop({d: {"visitors": v["first_response_s"]} for d, v in daily.items()}),
        baseline,
        D("2026-11-15"),
        D("2026-11-21"),
        None,
    )
    assert up_is_bad.verdict == "abandon"


def test_rule_set_refuses_silly_numbers() -> None:
    with pytest.raises(PdcaError, match="pdca.shift: 1 must be a whole number from 2 to 30"):
        RuleSet(shift=1)


# --- experiment and fields ---------------------------------------------------------------


def test_two_proportion_interval_against_hand_computed_value() -> None:
    # pA = 40/1000 = 0.04, pB = 55/1000 = 0.055; se = sqrt(.04*.96/1000 + .055*.945/1000)
    # = sqrt(0.000090375) = 0.0095066; 1.96 × se = 0.0186325; 0.015 ± that.
    e = pdca.two_proportion(Arm("A", 1000, 40), Arm("B", 1000, 55))
    assert e.difference == pytest.approx(0.015)
    assert e.low == pytest.approx(-0.0036325, abs=1e-7)
    assert e.high == pytest.approx(0.0336325, abs=1e-7)
    assert e.within_noise is True
    assert e.describe().endswith("within noise (the interval includes 0)")
    clear = pdca.two_proportion(Arm("A", 10000, 400), Arm("B", 10000, 550))
    assert clear.within_noise is False and clear.low > 0


def test_arm_and_field_validation() -> None:
    with pytest.raises(PdcaError, match="buyers: 120 buyers is more than the 100 visitors"):
        pdca.validate_arm("A", 100, 120)
    with pytest.raises(PdcaError, match="visitors: 0 must be more than 0"):
        pdca.validate_arm("B", 0, 0)
    with pytest.raises(PdcaError, match=r"--target: '5' is a plain number.*write 5% or 0.05"):
        pdca.parse_target(CONVERSION, "5")
    assert pdca.parse_target(CONVERSION, "5%") == pytest.approx(0.05)
    assert pdca.parse_target(CONVERSION, "0.05") == 0.05
    assert pdca.parse_target(VISITORS, "12,000") == 12000.0
    with pytest.raises(PdcaError, match="--target: 'lots' is not a number"):
        pdca.parse_target(VISITORS, "lots")
    assert pdca.parse_window("2026-08-03..2026-08-30") == (D("2026-08-03"), D("2026-08-30"))
    with pytest.raises(PdcaError, match="--baseline: '2026-08-03' is not a window START..END"):
        pdca.parse_window("2026-08-03")
    with pytest.raises(PdcaError, match="--change-date: 2026-11-01 is not after the baseline"):
        pdca.validate_change_date(
            D("2026-11-01"), (D("2026-10-01"), D("2026-11-01")), D("2026-11-20")
        )
    with pytest.raises(
        PdcaError, match="--change-date: 2026-11-21 is after the ops day 2026-11-20"
    ):
        pdca.validate_change_date(
            D("2026-11-21"), (D("2026-10-01"), D("2026-10-28")), D("2026-11-20")
        )
    with pytest.raises(PdcaError) as refused:
        pdca.validate_text("title", "a\x1b[2Jb")
    assert str(refused.value) == (
        "title: control character U+001B (␛) at character 2 is not allowed: names and keys are"
        " plain text"
    )
    with pytest.raises(PdcaError, match=r"lesson: control character U\+202E \(\\u202e\) at"):
        pdca.validate_text("lesson", "ok\u202eexe")
    assert pdca.validate_text("plan", "one\n\ttwo") == "one\n\ttwo"
    assert pdca.validate_text("title", "[bold]x[/]") == "[bold]x[/]"


def test_signal_texts_count_days_in_plain_english() -> None:
    one = (date(2026, 11, 28),)
    two = (date(2026, 11, 27), date(2026, 11, 28))
    assert (
        pdca.Signal("limits", "down", one).describe()
        == "limits: 1 day below the lower limit (2026-11-28)"
    )
    assert (
        pdca.Signal("limits", "up", two).describe()
        == "limits: 2 days above the upper limit (2026-11-27, 2026-11-28)"
    )
    assert (
        pdca.Signal("trend", "up", two).describe()
        == "trend: 2 days in a row rising (2026-11-27..2026-11-28)"
    )
