"""Demo PDCA cycles: a dozen cycles in every stage, owned by the demo team, on the demo data.

Built through the store's own functions (gates, frozen baselines, change events, SOP version
link, iteration), each step dated relative to the end date E (the ops day): every row and
audit event a step writes (stage moves, stage_since, edits, action items and their closes)
then carries that day (10:00 local) and the demo person's login, not the wall clock of the
run nor the OS login, so the board shows realistic ages and histories read in order.
Tied to the injected incidents: the conversion slide at jd-home opens a cycle at Plan, the
stock-out streak another; an older cycle shows a real shift after its change date (the
latest 618/双11 warm-up lifted traffic: standardised, with the campaign named as confounder);
one is abandoned with its lesson. A demo shorter than 120 days has no cycles.
Deterministic: the same arguments give the same cycles.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from opsdesk.demo.seasons import Window
from opsdesk.domain.pdca import FOLLOW_UP_DAYS
from opsdesk.store import actions, pdca
from opsdesk.store.connection import now_iso

SOP = "daily-traffic-ads"
MIN_DAYS = 120
"""Days of data a demo needs for its cycles (the oldest one's baseline is 108 days back)."""


def clear_pdca(conn: sqlite3.Connection) -> dict[str, int]:
    """Inside the caller's transaction (`demo --replace`): every cycle and its rows."""
    return {
        table: conn.execute(sql).rowcount
        for table, sql in (
            ("action_items", "DELETE FROM action_items WHERE source_kind = 'pdca'"),
            ("pdca_experiment_arms", "DELETE FROM pdca_experiment_arms"),
            ("pdca_stage_history", "DELETE FROM pdca_stage_history"),
            (
                "sop_versions_unlinked",
                "UPDATE sop_template_versions SET pdca_cycle_id = NULL"
                " WHERE pdca_cycle_id IS NOT NULL",
            ),
            ("pdca_cycles", "DELETE FROM pdca_cycles"),
        )
    }


_STAMPED = (
    "UPDATE pdca_cycles SET created_at = :at, created_by = :by WHERE created_at >= :wall",
    "UPDATE pdca_cycles SET updated_at = :at, updated_by = :by WHERE updated_at >= :wall",
    "UPDATE pdca_cycles SET follow_up_at = :at, follow_up_by = :by WHERE follow_up_at >= :wall",
    "UPDATE pdca_cycles SET stage_since = :at, opened_on = CASE WHEN created_at = :at"
    " THEN :day ELSE opened_on END WHERE stage_since >= :wall",
    "UPDATE action_items SET created_at = :at, created_by = :by"
    " WHERE source_kind = 'pdca' AND created_at >= :wall",
    "UPDATE action_items SET closed_at = :at, closed_by = :by"
    " WHERE source_kind = 'pdca' AND closed_at >= :wall",
    "UPDATE events SET created_at = :at, created_by = :by"
    " WHERE kind = 'pdca' AND created_at >= :wall",
    "UPDATE sop_template_versions SET created_at = :at, created_by = :by"
    " WHERE pdca_cycle_id IS NOT NULL AND created_at >= :wall",
    "UPDATE pdca_stage_history SET at = :at, by = :by WHERE id > :history",
    "UPDATE audit_events SET old = replace(old, at, :at), new = replace(replace(new, at, :at),"
    " '\"opened_on\": \"' || :today || '\"', '\"opened_on\": \"' || :day || '\"'),"
    " at = :at, actor = :by WHERE id > :audit",
)
"""What a step restamps: the times its writes set to the wall clock (and their logins), the
stage moves and audit events it added (values that carry the wall clock included)."""


class _Builder:
    def __init__(self, conn: sqlite3.Connection, end: date, shops: Sequence[str]) -> None:
        self.conn = conn
        self.end = end
        self.shops = list(shops)

    def shop(self, wanted: str, fallback: int) -> str:
        return wanted if wanted in self.shops else self.shops[fallback % len(self.shops)]

    def day(self, back: int) -> date:
        return self.end - timedelta(days=back)

    def today(self, back: int) -> date:
        """The local today of a step done `back` days before the ops day."""
        return self.day(back) + timedelta(days=1)

    @contextmanager
    def step(self, back: int, by: str) -> Iterator[None]:
        """Everything the block writes happened `back` days before E at 10:00 local, by `by`:
        the stage moves and audit events it adds, and the cycle and action-item times it set
        to the wall clock (values in audit events included)."""
        c = self.conn
        marks = {
            "history": c.execute("SELECT coalesce(max(id), 0) FROM pdca_stage_history").fetchone()[
                0
            ],
            "audit": c.execute("SELECT coalesce(max(id), 0) FROM audit_events").fetchone()[0],
            "wall": now_iso(),
        }
        yield
        at = f"{self.day(back).isoformat()}T02:00:00+00:00"
        for sql in _STAMPED:
            day, today = self.day(back).isoformat(), self.today(back).isoformat()
            c.execute(sql, {**marks, "at": at, "by": by, "day": day, "today": today})

    def open(
        self,
        back: int,
        owner: str,
        title: str,
        metric: str,
        shop: str | None,
        *,
        problem: str = "",
        baseline: tuple[date, date] | None = None,
    ) -> int:
        with self.step(back, owner):
            c = pdca.open_cycle(
                self.conn,
                today=self.today(back),
                title=title,
                metric_key=metric,
                shop_key=shop,
                owner=owner,
                problem=problem,
                baseline=baseline,
            )
        return c.id

    def plan(
        self,
        cid: int,
        back: int,
        hypothesis: str,
        plan: str,
        acts: list[tuple[str, str, int]],
        **fields: Any,
    ) -> None:
        with self.step(back, self.owner(cid)):
            pdca.edit(
                self.conn, cid, today=self.today(back), hypothesis=hypothesis, plan=plan, **fields
            )
            for text, owner, due_back in acts:
                pdca.add_action(self.conn, cid, text, owner, self.day(due_back))

    def owner(self, cid: int) -> str:
        return str(
            self.conn.execute("SELECT owner FROM pdca_cycles WHERE id = ?", (cid,)).fetchone()[0]
        )

    def edit(self, cid: int, back: int, **fields: Any) -> None:
        """An edit of the cycle by its owner `back` days before E."""
        with self.step(back, self.owner(cid)):
            pdca.edit(self.conn, cid, today=self.today(back), **fields)

    def close(self, cid: int, number: int, back: int) -> None:
        """Action item `number` of the cycle done by its owner `back` days before E."""
        with self.step(back, self.owner(cid)):
            actions.close(self.conn, "pdca", cid, number, "done")

    def to_check(
        self,
        cid: int,
        owner: str,
        hypothesis: str,
        plan: str,
        acts: list[tuple[str, str, int]],
        backs: tuple[int, int, int, int],
        *,
        done: int = 0,
        change_day: date | None = None,
    ) -> None:
        """Plan, Do, the change and Check, on the days `backs` (days before E) gives: planned
        with its action items (the first `done` of them done), moved to Do, the change live
        (on `change_day`, default its own day), moved to Check."""
        plan_back, do_back, change_back, check_back = backs
        self.plan(cid, plan_back, hypothesis, plan, acts)
        for n in range(1, done + 1):
            self.close(cid, n, do_back)
        self.move(cid, "do", do_back, owner)
        self.change(cid, change_day or self.day(change_back), change_back)
        self.move(cid, "check", check_back, owner)

    def follow_up(self, cid: int, back: int, owner: str, note: str) -> None:
        """Confirm a standard's follow-up check `back` days before E with the result its
        computed comparison suggests, by `owner` at 10:00 local that day."""
        from opsdesk.domain.pdca import suggest_follow_up
        from opsdesk.store.catalogue import load_metrics

        c = pdca.get(self.conn, cid)
        check = pdca.follow_up_check(self.conn, c, self.day(back))
        result = suggest_follow_up(load_metrics(self.conn)[c.metric_key], check)[0] or "held"
        with self.step(back, owner):
            pdca.confirm_follow_up(self.conn, cid, today=self.today(back), result=result, note=note)

    def move(self, cid: int, to: str, back: int, owner: str) -> None:
        with self.step(back, owner):
            pdca.move(self.conn, cid, to, today=self.today(back))

    def change(self, cid: int, day: date, back: int) -> None:
        self.edit(cid, back, change_date=day)

    def act(
        self, cid: int, back: int, owner: str, decision: str, lesson: str, sop: str | None = None
    ) -> int | None:
        with self.step(back, owner):
            r = pdca.act(
                self.conn,
                cid,
                today=self.today(back),
                decision=decision,
                lesson=lesson,
                sop_key=sop,
            )
        return None if r.new_cycle is None else r.new_cycle.id


def build_cycles(
    conn: sqlite3.Connection, end: date, shops: Sequence[str], seasons: Sequence[Window]
) -> int:
    """The demo cycles (the store's own transactions); returns how many were made."""
    if not shops:
        return 0
    b = _Builder(conn, end, shops)
    jd, tmall, douyin = b.shop("jd-home", 1), b.shop("tmall-apparel", 0), b.shop("douyin-beauty", 2)
    first = conn.execute("SELECT min(day) FROM observations").fetchone()[0]
    start_day = date.fromisoformat(first) if first else end
    if (end - start_day).days + 1 < MIN_DAYS:
        return 0  # the oldest cycle needs its baseline: shorter demos have no cycles

    # The older cycle with a real shift: the latest warm-up at least 40 days in and 14 days back.
    warm = [
        w
        for w in seasons
        if w.season.major and w.start - timedelta(days=30) >= start_day and w.start <= b.day(40)
    ]
    if warm:
        w = warm[-1]
        back0 = (end - w.start).days + 1  # opened the day before the warm-up starts
        cid = b.open(
            back0,
            "li.na",
            "Warm-up traffic push: more search bids",
            "visitors",
            tmall,
            problem="Visitors flat for a month before the campaign.",
            baseline=(w.start - timedelta(days=28), w.start - timedelta(days=1)),
        )
        b.to_check(
            cid,
            "li.na",
            "Raising search bids from the warm-up start lifts visitors",
            "Raise bids 20% on the top 50 keywords",
            [("Raise the bids", "li.na", back0 - 2)],
            (back0, back0 - 2, back0 - 6, back0 - 20),
            done=1,
            change_day=w.start,
        )
        b.act(
            cid,
            back0 - 22,
            "li.na",
            "standardise",
            "Bids raised at the warm-up start paid off; check the campaign's own lift next"
            " time (the warm-up overlaps).",
            SOP,
        )
        if back0 - 22 - FOLLOW_UP_DAYS - 1 >= 0:  # its follow-up check came due: confirmed
            b.follow_up(
                cid,
                back0 - 22 - FOLLOW_UP_DAYS - 1,
                "li.na",
                "Checked four weeks on against the baseline.",
            )

    # Plan: the conversion slide at jd-home (the incident), stock-outs, all-shops ROAS.
    b.open(
        0,
        "chen.jie",
        "Conversion sliding on jd-home",
        "conversion_rate",
        jd,
        problem="Conversion sliding for 5 days: each day over 6% below its 7-day mean.",
    )
    cid = b.open(
        2,
        "zhang.wei",
        "Stock-outs above 3% of active SKUs",
        "stockout_rate",
        tmall,
        problem="Stock-out rate rising from 3.4% to 5.2%.",
    )
    b.edit(cid, 1, root_cause="Reorder points set before the peak", due_plan=b.day(-2))
    cid = b.open(6, "li.na", "Lift ROAS on search ads", "roas", None)
    b.edit(cid, 5, due_plan=b.day(1), hypothesis="Negative keywords cut waste")

    # Do: first response (action items due and overdue for the stand-up), paid share trial.
    cid = b.open(
        12, "wang.fang", "Faster first response with quick replies", "cs_first_response_s", douyin
    )
    b.plan(
        cid,
        11,
        "Quick replies for the 20 commonest questions cut first response",
        "Write the replies, train the team, switch them on",
        [
            ("Write the 20 quick replies", "wang.fang", 8),
            ("Train the evening shift", "wang.fang", 1),
            ("Switch the replies on", "wang.fang", -1),
        ],
    )
    b.close(cid, 1, 11)
    b.move(cid, "do", 10, "wang.fang")
    cid = b.open(9, "li.na", "Cut the paid share of traffic", "paid_share", tmall)
    b.plan(
        cid,
        8,
        "Better titles bring organic traffic",
        "Rewrite titles of the top SKUs",
        [("Rewrite 50 titles", "chen.jie", 0)],
        scope_note="Trial on 20% of SKUs first",
    )
    b.move(cid, "do", 7, "li.na")
    b.change(cid, b.day(3), 3)

    # Check: bundles at jd-home (with an A/B test), new main images at tmall.
    cid = b.open(30, "chen.jie", "Bundle offers raise the order value", "aov", jd)
    b.to_check(
        cid,
        "chen.jie",
        "A two-item bundle raises AOV",
        "Bundle the top 10 pairs",
        [("Set up 10 bundles", "chen.jie", 25)],
        (29, 28, 20, 5),
        done=1,
    )
    with b.step(5, "chen.jie"):
        pdca.set_arm(conn, cid, "A", 4120, 131, "no bundle")
        pdca.set_arm(conn, cid, "B", 4075, 152, "bundle shown")
    cid = b.open(40, "chen.jie", "New main images", "conversion_rate", tmall)
    b.to_check(
        cid,
        "chen.jie",
        "Lifestyle main images convert better",
        "Shoot and swap the top 20 images",
        [("Shoot the images", "chen.jie", 33), ("Swap them", "chen.jie", 31)],
        (39, 38, 30, 15),
        done=2,
    )

    # Act: refunds at douyin (a decision taken, the lesson still to write).
    cid = b.open(50, "wang.fang", "Size guide to cut refunds", "refund_rate", douyin)
    b.to_check(
        cid,
        "wang.fang",
        "A size guide on the detail page cuts refunds",
        "Add the size guide",
        [("Write the size guide", "wang.fang", 45)],
        (49, 48, 40, 25),
    )
    b.edit(cid, 3, decision="iterate", target=0.05)
    b.move(cid, "act", 3, "wang.fang")

    # Closed: abandoned (with its lesson), and one iterated into a new cycle at Plan.
    cid = b.open(70, "zhao.min", "Live-stream coupons", "conversion_rate", douyin)
    b.to_check(
        cid,
        "zhao.min",
        "A coupon during live streams lifts conversion",
        "Coupon every evening stream",
        [("Set up the coupons", "zhao.min", 66)],
        (69, 68, 60, 45),
    )
    b.act(
        cid,
        44,
        "zhao.min",
        "abandon",
        "Coupons moved buyers from other days, not conversion overall: stopped.",
    )
    cid = b.open(80, "zhang.wei", "Next-day dispatch cut-off at 16:00", "late_shipment_rate", jd)
    b.to_check(
        cid,
        "zhang.wei",
        "A later cut-off with a second pick wave keeps shipments on time",
        "Add a 15:00 pick wave",
        [("Agree the wave with the warehouse", "zhang.wei", 76)],
        (79, 78, 70, 55),
    )
    b.act(
        cid, 50, "zhang.wei", "iterate", "Half the effect: the second wave needs one more packer."
    )
    return int(conn.execute("SELECT count(*) FROM pdca_cycles").fetchone()[0])
