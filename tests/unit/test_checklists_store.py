"""SOP checklists in a real store: versions, ensuring runs, missed vs skipped, ticks, adherence."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from opsdesk import shipped
from opsdesk.clock import fixed_clock
from opsdesk.domain.kpis import aggregate, has_data
from opsdesk.io.sop_templates import parse_files
from opsdesk.store import audit, checklists, settings, shops
from opsdesk.store.catalogue import load_metrics
from opsdesk.store.connection import current_user
from opsdesk.store.observations import by_shop, load_daily

MON = date(2026, 11, 23)  # a Monday
ADS = "daily-traffic-ads"


@pytest.fixture
def two_shops(conn: sqlite3.Connection) -> sqlite3.Connection:
    shops.add(conn, "tmall-a", "Tmall A", "tmall")
    shops.add(conn, "jd-b", "JD B", "jd")
    return conn


def _runs(conn: sqlite3.Connection, template: str, shop: str | None = None) -> list[tuple]:
    sql = (
        "SELECT r.run_day, r.status, v.version FROM sop_runs r"
        " JOIN sop_templates t ON t.id = r.template_id"
        " JOIN sop_template_versions v ON v.id = r.version_id"
        " LEFT JOIN shops s ON s.id = r.shop_id WHERE t.key = ?"
    )
    params: list[object] = [template]
    if shop:
        sql += " AND s.key = ?"
        params.append(shop)
    return [tuple(r) for r in conn.execute(sql + " ORDER BY r.run_day, s.key", params)]


def _run_id(conn: sqlite3.Connection, template: str, shop: str | None, day: date) -> int:
    for r in checklists.history(conn, template, day, day, shop_key=shop):
        return r.id
    raise AssertionError(f"no run of {template} for {shop} on {day}")


def _tick_all(conn: sqlite3.Connection, run_id: int, at: datetime) -> None:
    for item in checklists.get_run(conn, run_id).items:
        checklists.tick(conn, run_id, item.position, now=at)


def _load_files(conn: sqlite3.Connection, paths: list[Path]) -> checklists.LoadResult:
    parsed = parse_files(paths)
    return checklists.load_templates(conn, [t for t, _ in parsed], [str(p) for _, p in parsed])


def test_init_loads_the_shipped_templates_once(conn: sqlite3.Connection) -> None:
    infos = checklists.list_templates(conn)
    assert len(infos) == 12 and {t.version for t in infos} == {1}
    again = checklists.load_shipped(conn, parse_files(sorted(shipped.sops_dir().glob("*.md"))))
    assert (again.added, again.new_versions, len(again.unchanged)) == ([], [], 12)
    assert conn.execute("SELECT count(*) FROM sop_template_versions").fetchone()[0] == 12
    metrics = load_metrics(conn)
    assert str(metrics["sop_adherence"].formula) == "sop_on_time / sop_due"
    target = conn.execute(
        "SELECT value, amber FROM targets JOIN metrics m ON m.id = metric_id"
        " WHERE m.key = 'sop_adherence'"
    ).fetchone()
    assert tuple(target) == (0.95, 0.05)


def test_ensure_runs_creates_the_current_runs_per_shop_once(two_shops: sqlite3.Connection) -> None:
    conn = two_shops
    result = checklists.ensure_runs(conn, MON, now=datetime(2026, 11, 22, 23, 0, tzinfo=UTC))
    # 4 daily x 2 shops, competitor (Thu 11-19) x 2, product review (11-03) x 2,
    # budget (11-05), weekly prep (11-23), risk drill (10-15): the runs whose window is open
    assert result == checklists.EnsureResult(created=15, missed=0)
    assert _runs(conn, "competitor-channel-review") == [
        ("2026-11-19", "open", 1),
        ("2026-11-19", "open", 1),
    ]
    assert _runs(conn, "risk-drill") == [("2026-10-15", "open", 1)]
    assert _runs(conn, "crisis-response") == [] and _runs(conn, "campaign") == []
    assert checklists.ensure_runs(conn, MON) == checklists.EnsureResult(0, 0)
    assert conn.execute("SELECT count(*) FROM sop_runs").fetchone()[0] == 15
    run = checklists.get_run(conn, _run_id(conn, ADS, "tmall-a", MON))
    assert (run.total, run.done, run.version, run.owner) == (11, 0, 1, "promotion")
    # due 11:00 in Shanghai
    assert run.due_at == datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    assert run.closes_on == MON


def test_missed_runs_are_recorded_once_per_due_date_never_piled_up(
    two_shops: sqlite3.Connection,
) -> None:
    conn = two_shops
    checklists.ensure_runs(conn, MON)
    result = checklists.ensure_runs(conn, MON + timedelta(days=3))
    assert _runs(conn, ADS, "tmall-a") == [
        ("2026-11-23", "missed", 1),
        ("2026-11-24", "missed", 1),
        ("2026-11-25", "missed", 1),
        ("2026-11-26", "open", 1),
    ]
    # the 23rd's 8 daily runs and last Thursday's 2 competitor reviews (window closed on the
    # 25th) turned missed; the 24th's and 25th's daily runs were created missed (16)
    assert result.missed == 10
    assert result.created == 16 + 8 + 2  # + today's 8, + Thursday's competitor review x 2
    slot = f"{ADS}|tmall-a|2026-11-23|"
    assert [e["action"] for e in audit.events_for(conn, "sop_run", slot)] == ["create", "missed"]
    with pytest.raises(ValueError, match="closed \\(missed\\)"):
        checklists.tick(conn, _run_id(conn, ADS, "tmall-a", MON), 1)


def test_monthly_on_31_runs_on_month_ends_including_leap_february(
    two_shops: sqlite3.Connection, tmp_path: Path
) -> None:
    conn = two_shops
    p = tmp_path / "month-end.md"
    p.write_text(
        "# Month-end close\nowner: manager\ncadence: monthly on 31\nscope: store\n"
        "- [ ] Close the books.\n",
        encoding="utf-8",
    )
    _load_files(conn, [p])
    checklists.ensure_runs(conn, date(2028, 1, 31))
    checklists.ensure_runs(conn, date(2028, 4, 30))
    assert _runs(conn, "month-end") == [
        ("2028-01-31", "missed", 1),
        ("2028-02-29", "missed", 1),
        ("2028-03-31", "missed", 1),
        ("2028-04-30", "open", 1),
    ]


def test_ticks_record_who_and_when_and_decide_on_time_or_late(
    two_shops: sqlite3.Connection,
) -> None:
    conn = two_shops
    checklists.ensure_runs(conn, MON)
    a = _run_id(conn, ADS, "tmall-a", MON)
    b = _run_id(conn, ADS, "jd-b", MON)
    before, after = datetime(2026, 11, 23, 2, 59, tzinfo=UTC), datetime(2026, 11, 23, 3, 1)
    change = checklists.tick(conn, a, 1, note="paid share 27%", now=before)
    assert (change.changed, change.by, change.at, change.run_status) == (
        True,
        current_user(),
        before,
        "open",
    )
    item = checklists.get_run(conn, a, now=before).items[0]
    assert (item.state, item.changed_by, item.changed_at, item.note) == (
        "done",
        current_user(),
        before,
        "paid share 27%",
    )
    # ticking again changes nothing: the first tick's who and when stay
    again = checklists.tick(conn, a, 1, now=after.replace(tzinfo=UTC))
    assert (again.changed, again.at) == (False, before)
    _tick_all(conn, a, before)
    _tick_all(conn, b, after.replace(tzinfo=UTC))
    run_a, run_b = checklists.get_run(conn, a), checklists.get_run(conn, b)
    assert (run_a.status, run_a.state, run_a.done, run_a.completed_at) == (
        "done",
        "on_time",
        11,
        before,
    )
    assert (run_b.status, run_b.state) == ("done", "late")
    actions = [e["action"] for e in audit.events_for(conn, "sop_run_item", f"{a}/1")]
    assert actions == ["tick", "note"]
    assert {e["actor"] for e in audit.events_for(conn, "sop_run_item", f"{a}/1")} == {
        current_user()
    }
    # unticking reopens a done run
    assert checklists.untick(conn, a, 5).run_status == "open"
    assert checklists.get_run(conn, a).completed_at is None


def test_items_overdue_after_their_deadline(two_shops: sqlite3.Connection) -> None:
    conn = two_shops
    checklists.ensure_runs(conn, MON)
    a = _run_id(conn, ADS, "tmall-a", MON)
    checklists.tick(conn, a, 1)
    early = checklists.get_run(conn, a, now=datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    late = checklists.get_run(conn, a, now=datetime(2026, 11, 23, 4, 0, tzinfo=UTC))
    assert not early.overdue and not any(i.overdue for i in early.items)
    assert late.overdue
    assert [i.overdue for i in late.items] == [False] + [True] * 10


def test_skipping_items_and_runs_needs_a_reason_and_excuses_the_run(
    two_shops: sqlite3.Connection,
) -> None:
    conn = two_shops
    checklists.ensure_runs(conn, MON)
    a = _run_id(conn, ADS, "tmall-a", MON)
    with pytest.raises(ValueError, match="needs a reason"):
        checklists.skip_item(conn, a, 2, "  ")
    checklists.skip_item(conn, a, 2, "no feed ads this week")
    item = checklists.get_run(conn, a).items[1]
    assert (item.state, item.skip_reason) == ("skipped", "no feed ads this week")
    b = _run_id(conn, ADS, "jd-b", MON)
    with pytest.raises(ValueError, match="needs a reason"):
        checklists.skip_run(conn, b, "")
    checklists.skip_run(conn, b, "shop closed for stock-take")
    with pytest.raises(ValueError, match="closed \\(skipped\\)"):
        checklists.tick(conn, b, 1)
    checklists.ensure_runs(conn, MON + timedelta(days=1))
    rows = {
        (r.template_key, r.shop_key): r
        for r in checklists.adherence_by_template(conn, MON, MON)
        if r.template_key == ADS
    }
    skipped, missed = rows[(ADS, "jd-b")], rows[(ADS, "tmall-a")]
    assert (skipped.due, skipped.skipped, skipped.ratio) == (0, 1, None)  # excused
    assert (missed.due, missed.missed, missed.ratio) == (1, 1, 0.0)  # counts against


def test_a_changed_template_gets_a_new_version_and_runs_keep_theirs(
    two_shops: sqlite3.Connection, tmp_path: Path
) -> None:
    conn = two_shops
    checklists.ensure_runs(conn, MON)
    edited = tmp_path / f"{ADS}.md"
    text = (shipped.sops_dir() / f"{ADS}.md").read_text(encoding="utf-8")
    edited.write_text(text + "- [ ] Live-stream ad spend checked.\n", encoding="utf-8")
    result = _load_files(conn, [edited])
    assert result.new_versions == [ADS]
    assert _load_files(conn, [edited]).unchanged == [ADS]
    assert [e["action"] for e in audit.events_for(conn, "sop_template", ADS)] == [
        "create",
        "new_version",
    ]
    checklists.ensure_runs(conn, MON + timedelta(days=1))
    old = checklists.get_run(conn, _run_id(conn, ADS, "tmall-a", MON))
    new = checklists.get_run(conn, _run_id(conn, ADS, "tmall-a", MON + timedelta(days=1)))
    assert (old.version, old.total) == (1, 11)
    assert (new.version, new.total) == (2, 12)
    assert new.items[-1].text == "Live-stream ad spend checked."
    assert len(checklists.get_template(conn, ADS, version=1).steps) == 11


def test_on_demand_runs_are_started_by_a_command(two_shops: sqlite3.Connection) -> None:
    conn = two_shops
    checklists.ensure_runs(conn, MON)
    now = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    first = checklists.start_run(conn, "crisis-response", MON, now=now)
    second = checklists.start_run(conn, "crisis-response", MON, now=now)
    assert first != second
    run = checklists.get_run(conn, first)
    # due +1d: the end of the next ops day in Shanghai
    assert (run.total, run.closes_on, run.due_at) == (
        9,
        None,
        datetime(2026, 11, 24, 16, 0, tzinfo=UTC),
    )
    assert {r.id for r in checklists.today_runs(conn, MON)} >= {first, second}
    with pytest.raises(ValueError, match="name the shop"):
        checklists.start_run(conn, ADS, MON)
    with pytest.raises(ValueError, match="not per shop"):
        checklists.start_run(conn, "crisis-response", MON, shop_key="jd-b")
    with pytest.raises(ValueError, match="unknown template 'nope'"):
        checklists.start_run(conn, "nope", MON)


def test_campaign_runs_start_t_minus_their_lead(two_shops: sqlite3.Connection) -> None:
    conn = two_shops
    start = date(2026, 3, 20)  # 618 minus 90 days
    checklists.ensure_runs(conn, start - timedelta(days=1))
    checklists.add_campaign(conn, "618-2026", "618", date(2026, 6, 18))
    assert checklists.ensure_runs(conn, start - timedelta(days=1)).created == 0
    checklists.ensure_runs(conn, start)
    assert _runs(conn, "campaign") == [("2026-03-20", "open", 1), ("2026-03-20", "open", 1)]
    run = checklists.get_run(conn, _run_id(conn, "campaign", "tmall-a", start))
    assert (run.campaign, run.total, run.closes_on) == ("618", 24, date(2026, 7, 9))
    by_section = {i.section: i.due_at for i in run.items}
    # Planning by T-60 (end of 2026-04-19 in Shanghai), review by T+7
    assert by_section["Planning"] == datetime(2026, 4, 19, 16, 0, tzinfo=UTC)
    assert by_section["Review (复盘)"] == datetime(2026, 6, 25, 16, 0, tzinfo=UTC)
    assert run.due_at == datetime(2026, 6, 25, 16, 0, tzinfo=UTC)
    checklists.ensure_runs(conn, date(2026, 7, 10))
    assert _runs(conn, "campaign") == [("2026-03-20", "missed", 1), ("2026-03-20", "missed", 1)]


def test_today_is_the_local_ops_day_of_the_store(two_shops: sqlite3.Connection) -> None:
    conn = two_shops
    settings.write(conn, "day_cutoff_hour", "4")
    # 19:30 UTC on the 22nd = 03:30 on the 23rd in Shanghai: before the cutoff, still the 22nd
    checklists.ensure_today(conn, fixed_clock(datetime(2026, 11, 22, 19, 30)))
    assert [d for d, _, _ in _runs(conn, ADS)] == ["2026-11-22", "2026-11-22"]
    run = checklists.get_run(conn, _run_id(conn, ADS, "jd-b", date(2026, 11, 22)))
    assert run.due_at == datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def test_adherence_is_a_kpi_rolled_up_as_a_ratio_of_sums(two_shops: sqlite3.Connection) -> None:
    conn = two_shops
    checklists.ensure_runs(conn, MON)
    thu = MON + timedelta(days=3)
    checklists.ensure_runs(conn, thu)
    _tick_all(conn, _run_id(conn, ADS, "tmall-a", thu), datetime(2026, 11, 26, 2, 0, tzinfo=UTC))
    _tick_all(conn, _run_id(conn, ADS, "jd-b", thu), datetime(2026, 11, 26, 5, 0, tzinfo=UTC))
    provided = checklists.daily_adherence(conn, MON, thu)
    assert provided[("tmall-a", MON)] == {"sop_due": 4.0, "sop_on_time": 0.0}
    assert provided[("tmall-a", thu)] == {"sop_due": 1.0, "sop_on_time": 1.0}
    assert provided[("jd-b", thu)] == {"sop_due": 1.0, "sop_on_time": 0.0}
    daily = by_shop(load_daily(conn, MON, thu))
    metrics = load_metrics(conn)
    days = [MON + timedelta(days=i) for i in range(4)]
    # 12 missed daily runs (23rd-25th) + 1 on time on the 26th: 1/13, not a mean of daily rates
    value = aggregate(metrics["sop_adherence"], metrics, [daily["tmall-a"]], days)
    assert value == pytest.approx(1 / 13)
    both = aggregate(metrics["sop_adherence"], metrics, [daily["tmall-a"], daily["jd-b"]], days)
    assert both == pytest.approx(1 / 26)
    # checklist values alone do not count as the day's data: a missing export stays stale
    assert not has_data(daily["tmall-a"], MON)


def test_a_locked_store_does_not_stop_a_command(
    two_shops: sqlite3.Connection, store_path: Path
) -> None:
    holder = sqlite3.connect(store_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another session is writing
    try:
        two_shops.execute("PRAGMA busy_timeout = 50")
        assert checklists.ensure_on_open(two_shops, fixed_clock(datetime(2026, 11, 23, 2))) is None
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert two_shops.execute("SELECT count(*) FROM sop_runs").fetchone()[0] == 0
    result = checklists.ensure_on_open(two_shops, fixed_clock(datetime(2026, 11, 23, 2)))
    assert result == checklists.EnsureResult(created=15, missed=0)


def test_notes_keep_the_item_state_and_are_audited(two_shops: sqlite3.Connection) -> None:
    conn = two_shops
    checklists.ensure_runs(conn, MON)
    a = _run_id(conn, ADS, "tmall-a", MON)
    checklists.skip_item(conn, a, 4, "no search data")
    checklists.set_note(conn, a, 4, "asked the analyst")
    checklists.set_note(conn, a, 5, "CPC up 3%")
    items = checklists.get_run(conn, a).items
    assert (items[3].state, items[3].skip_reason, items[3].note) == (
        "skipped",
        "no search data",
        "asked the analyst",
    )
    assert (items[4].state, items[4].note, items[4].changed_by) == ("open", "CPC up 3%", None)
    assert [e["action"] for e in audit.events_for(conn, "sop_run_item", f"{a}/4")] == [
        "skip",
        "note",
    ]
    with pytest.raises(ValueError, match="has no item 99"):
        checklists.set_note(conn, a, 99, "x")


def test_progress_bars_and_local_labels() -> None:
    from opsdesk.domain.checklists import local_label, progress_bar

    assert progress_bar(3, 10) == "███░░░░░░░"
    assert progress_bar(2, 11, 8) == "█░░░░░░░"
    assert progress_bar(0, 0, 4) == "░░░░"
    shanghai = "Asia/Shanghai"
    assert local_label(datetime(2026, 11, 23, 3, 0, tzinfo=UTC), shanghai) == "2026-11-23 11:00"
    # local midnight is the end of the day before
    assert local_label(datetime(2026, 11, 23, 16, 0, tzinfo=UTC), shanghai) == "2026-11-23 24:00"
    assert local_label(None, shanghai) == "—"
