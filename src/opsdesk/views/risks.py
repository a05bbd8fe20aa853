"""Read models of the risk register: the register table, the heat map, one risk, stand-up.

What the CLI, the app and (later) the weekly review show about risks is built here from the
store and the domain rules, without Textual. KRI readings are for the ops day; review dates
are compared with the store's local today.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from opsdesk.domain import risks as rules
from opsdesk.domain.risks import CATEGORIES, LEVEL_LETTERS, Risk, Score
from opsdesk.store import risks as store

SORTS = ("score", "level", "next_review", "owner", "key")


@dataclass(frozen=True)
class KriView:
    metric: str | None
    shop: str
    rule: str
    value: float | None
    value_text: str
    breached: bool
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "shop": self.shop,
            "rule": self.rule,
            "value": self.value,
            "breached": self.breached,
        }


@dataclass(frozen=True)
class RiskRow:
    """One risk as a line of the register."""

    id: int
    risk: Risk
    overdue: bool
    due: bool
    acceptance: str | None  # None, active, expired, void
    last_trigger: store.Trigger | None
    moved_inherent: str  # '', 'up', 'down': at the last review
    moved_residual: str
    kris: tuple[KriView, ...] = ()
    triggers: tuple[store.Trigger, ...] = ()
    drill_overdue: bool = False

    @property
    def key(self) -> str:
        return self.risk.key

    def score(self, residual: bool = False) -> Score:
        return self.risk.residual if residual else self.risk.inherent

    def moved(self, residual: bool = False) -> str:
        return self.moved_residual if residual else self.moved_inherent

    @property
    def marks(self) -> str:
        """`!` triggered, `R` review overdue, `D` drill overdue (text: reads without colour)."""
        return (
            ("!" if self.risk.status == "triggered" else "")
            + ("R" if self.overdue else "")
            + ("D" if self.drill_overdue else "")
        )


@dataclass(frozen=True)
class Register:
    today: date
    day: date  # the ops day the KRIs were read for
    rows: list[RiskRow]


def _kri_views(readings: Iterable[store.KriReading], metrics: dict[str, Any]) -> list[KriView]:
    from opsdesk.domain.metrics import format_value

    out = []
    for r in readings:
        metric = metrics.get(r.kri.kri.metric_key or "")
        value = r.reading.value
        text = format_value(metric, value) if metric is not None else "—"
        out.append(
            KriView(
                r.kri.kri.metric_key,
                r.reading.shop_key,
                r.kri.kri.describe(metrics),
                value,
                text,
                r.reading.breached,
                r.reading.message,
            )
        )
    return out


def build_register(
    conn: sqlite3.Connection,
    today: date,
    *,
    with_kris: bool = False,
    with_triggers: bool = False,
    stored: Sequence[store.StoredRisk] | None = None,
) -> Register:
    """Every risk with its marks; with_kris evaluates the KRIs (read-only) for the ops day.
    `stored`: the risks as the caller just read them (else read here)."""
    from opsdesk.store.catalogue import load_metrics

    day = today - timedelta(days=1)
    stored = store.list_risks(conn) if stored is None else stored
    latest = store.latest_triggers(conn)
    last = store.last_reviews(conn)
    readings: dict[str, list[store.KriReading]] = {}
    metrics: dict[str, Any] = {}
    if with_kris:
        metrics = dict(load_metrics(conn))
        for r in store.read_kris(conn, day, stored):
            readings.setdefault(r.risk_key, []).append(r)
    rows = [
        _row(
            s,
            today,
            last.get(s.id),
            latest.get(s.id),
            kris=_kri_views(readings.get(s.risk.key, []), metrics),
            triggers=store.triggers_for(conn, s.id) if with_triggers else (),
        )
        for s in stored
    ]
    return Register(today, day, rows)


def _row(
    s: store.StoredRisk,
    today: date,
    review: store.Review | None,
    last_trigger: store.Trigger | None,
    *,
    kris: Sequence[KriView] = (),
    triggers: Sequence[store.Trigger] = (),
) -> RiskRow:
    """A stored risk as a register row: its marks, and how its scores moved at `review` (its
    latest review or re-scoring)."""
    old_i = review.old_inherent if review else None
    old_r = review.old_residual if review else None
    return RiskRow(
        id=s.id,
        risk=s.risk,
        overdue=rules.review_overdue(s.risk, today),
        due=rules.review_due(s.risk, today),
        acceptance=rules.acceptance_state(s.risk, today),
        last_trigger=last_trigger,
        moved_inherent=rules.movement(
            old_i.value if old_i else None,
            review.inherent.value if review else s.risk.inherent.value,
        ),
        moved_residual=rules.movement(
            old_r.value if old_r else None,
            review.residual.value if review else s.risk.residual.value,
        ),
        kris=tuple(kris),
        triggers=tuple(triggers),
        drill_overdue=rules.drill_overdue(s.risk, today),
    )


def filter_rows(
    rows: Sequence[RiskRow],
    *,
    level: str | None = None,
    residual: bool = False,
    category: str | None = None,
    owner: str | None = None,
    status: str | None = None,
    due: bool = False,
    words: Sequence[str] = (),
) -> list[RiskRow]:
    """The rows matching every filter given (`words`: each in the key or the title, any
    case); ValueError names a bad one."""
    if level is not None and level not in rules.LEVELS:
        raise ValueError(f"--level: {level!r} is not one of {', '.join(rules.LEVELS)}")
    if category is not None and category not in CATEGORIES:
        raise ValueError(f"--category: {category!r} is not one of {', '.join(CATEGORIES)}")
    if status is not None and status not in rules.STATUSES:
        raise ValueError(f"--status: {status!r} is not one of {', '.join(rules.STATUSES)}")
    if owner is not None and (why := rules.check_login(owner)):
        raise ValueError(f"--owner: {why}")
    return [
        r
        for r in rows
        if (level is None or r.score(residual).level == level)
        and (category is None or r.risk.category == category)
        and (owner is None or r.risk.owner == owner)
        and (status is None or r.risk.status == status)
        and (not due or r.due)
        and all(w.lower() in f"{r.key} {r.risk.title}".lower() for w in words)
    ]


def parse_filter(text: str) -> dict[str, Any]:
    """The app's filter line: `category:service owner:cs-lead status:triggered due stock`
    (also `cat:`, `level:`); other words must appear in the key or title."""
    out: dict[str, Any] = {"words": []}
    names = {"category": "category", "cat": "category", "owner": "owner", "status": "status"}
    names["level"] = "level"
    for token in text.split():
        name, sep, value = token.partition(":")
        if sep and name.lower() in names:
            out[names[name.lower()]] = value
        elif token.lower() == "due":
            out["due"] = True
        else:
            out["words"].append(token)
    return out


def sort_rows(rows: Sequence[RiskRow], by: str, residual: bool = False) -> list[RiskRow]:
    """Highest score (or level) first; next review and owner ascending; ties by key."""
    if by not in SORTS:
        raise ValueError(f"sort: {by!r} is not one of {', '.join(SORTS)}")
    if by == "score":
        return sorted(rows, key=lambda r: (-r.score(residual).value, r.key))
    if by == "level":
        rank = {lv: i for i, lv in enumerate(reversed(rules.LEVELS))}
        return sorted(rows, key=lambda r: (rank[r.score(residual).level], r.key))
    if by == "next_review":
        return sorted(rows, key=lambda r: (r.risk.next_review, r.key))
    if by == "owner":
        return sorted(rows, key=lambda r: (r.risk.owner, r.key))
    return sorted(rows, key=lambda r: r.key)


def risk_dict(row: RiskRow) -> dict[str, Any]:
    """A risk in JSON (the keys the README documents)."""
    r = row.risk
    return {
        "key": r.key,
        "title": r.title,
        "category": r.category,
        "owner": r.owner,
        "inherent": r.inherent.as_dict(),
        "residual": r.residual.as_dict(),
        "response": r.response,
        "response_level": r.response_level,
        "accept_until": r.accept_until.isoformat() if r.accept_until else None,
        "acceptance": row.acceptance,
        "status": r.status,
        "next_review": r.next_review.isoformat(),
        "overdue": row.overdue,
        "drill_overdue": row.drill_overdue,
        "contingency_sop": r.contingency_sop,
        "kris": [k.as_dict() for k in row.kris],
        "triggers": [trigger_dict(t) for t in row.triggers],
    }


def trigger_dict(t: store.Trigger) -> dict[str, Any]:
    return {"day": t.day.isoformat(), "shop": t.shop_key, "value": t.value, "message": t.message}


CSV_COLUMNS = (
    "key",
    "title",
    "category",
    "owner",
    "likelihood",
    "impact",
    "score",
    "level",
    "residual_likelihood",
    "residual_impact",
    "residual_score",
    "residual_level",
    "response",
    "response_level",
    "status",
    "next_review",
    "overdue",
)


def csv_row(row: RiskRow) -> list[Any]:
    r = row.risk
    return [
        r.key,
        r.title,
        r.category,
        r.owner,
        r.inherent.likelihood,
        r.inherent.impact,
        r.inherent.value,
        r.inherent.level,
        r.residual.likelihood,
        r.residual.impact,
        r.residual.value,
        r.residual.level,
        r.response,
        r.response_level,
        r.status,
        r.next_review.isoformat(),
        "yes" if row.overdue else "no",
    ]


# ---- heat map ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HeatMap:
    residual: bool
    cells: dict[tuple[int, int], list[RiskRow]] = field(default_factory=dict)

    def at(self, likelihood: int, impact: int) -> list[RiskRow]:
        return self.cells.get((likelihood, impact), [])


def build_heatmap(rows: Sequence[RiskRow], residual: bool = False) -> HeatMap:
    """Open and triggered risks by (likelihood, impact), highest score first in each cell."""
    cells: dict[tuple[int, int], list[RiskRow]] = {}
    for row in rows:
        if row.risk.status == "closed":
            continue
        s = row.score(residual)
        cells.setdefault((s.likelihood, s.impact), []).append(row)
    for key in cells:
        cells[key].sort(key=lambda r: r.key)
    return HeatMap(residual, cells)


def cell_label(likelihood: int, impact: int, count: int) -> str:
    """A cell as text: its level letter and count (`H3`), or the letter and `·` when empty."""
    letter = LEVEL_LETTERS[rules.level(likelihood * impact)]
    return f"{letter}{count}" if count else f"{letter}·"


def heatmap_text(heatmap: HeatMap) -> str:
    """The 5×5 grid for a terminal or a report: likelihood up, impact across."""
    which = "residual" if heatmap.residual else "inherent"
    lines = [f"risk heat map ({which}): likelihood ↑, impact →; L low, M medium, H high"]
    for lk in range(5, 0, -1):
        cells = " ".join(f"{cell_label(lk, im, len(heatmap.at(lk, im))):>4}" for im in range(1, 6))
        lines.append(f"  {lk} │{cells}")
    lines.append("    └" + "─" * 25)
    lines.append("      " + " ".join(f"{im:>4}" for im in range(1, 6)))
    return "\n".join(lines) + "\n"


# ---- one risk -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskDetail:
    row: RiskRow
    reviews: list[store.Review]
    runs: list[store.LinkedRun]

    @property
    def risk(self) -> Risk:
        return self.row.risk


def build_detail(conn: sqlite3.Connection, key: str, today: date) -> RiskDetail:
    """One risk with its KRI readings, triggers, reviews (score history) and linked runs."""
    from opsdesk.store.catalogue import load_metrics

    stored = store.get_risk(conn, key)
    day = today - timedelta(days=1)
    metrics = dict(load_metrics(conn))
    readings = store.read_kris(conn, day, [stored])
    last = store.last_reviews(conn).get(stored.id)
    triggers = store.triggers_for(conn, stored.id)
    runs = store.runs_for(conn, stored.id)
    row = _row(
        stored,
        today,
        last,
        triggers[0] if triggers else None,
        kris=_kri_views(readings, metrics),
        triggers=triggers,
    )
    return RiskDetail(row, store.reviews_for(conn, stored.id), runs)


def detail_dict(d: RiskDetail) -> dict[str, Any]:
    out = risk_dict(d.row)
    r = d.risk
    out.update(
        {
            "description": r.description,
            "mitigation": r.mitigation,
            "contingency": r.contingency,
            "review_days": r.review_days,
            "drill_days": r.drill_days,
            "last_drill": r.last_drill.isoformat() if r.last_drill else None,
            "next_drill": r.next_drill.isoformat() if r.next_drill else None,
            "reviews": [
                {
                    "kind": v.kind,
                    "at": v.at,
                    "by": v.by,
                    "inherent": v.inherent.value,
                    "residual": v.residual.value,
                    "old": (
                        {"inherent": v.old_inherent.as_dict(), "residual": v.old_residual.as_dict()}
                        if v.old_inherent and v.old_residual
                        else None
                    ),
                    "new": {"inherent": v.inherent.as_dict(), "residual": v.residual.as_dict()},
                    "next_review": v.next_review.isoformat(),
                    "note": v.note,
                }
                for v in d.reviews
            ],
            "runs": [
                {
                    "run": x.run_id,
                    "purpose": x.purpose,
                    "sop": x.template_key,
                    "shop": x.shop_key,
                    "day": x.run_day.isoformat(),
                    "status": x.status,
                    "completed_at": x.completed_at.isoformat() if x.completed_at else None,
                    "completed_by": x.completed_by,
                    "time_to_respond_s": x.time_to_respond_s,
                }
                for x in d.runs
            ],
        }
    )
    return out


def review_scores(v: store.Review) -> str:
    """A review's scores as likelihood×impact, and what they were when they changed:
    `inherent 4×4=16 (was 3×3=9) · residual 3×2=6`."""

    def one(name: str, new: Score, old: Score | None) -> str:
        was = f" (was {old.likelihood}×{old.impact}={old.value})" if old and old != new else ""
        return f"{name} {new.likelihood}×{new.impact}={new.value}{was}"

    return (
        f"{one('inherent', v.inherent, v.old_inherent)} · "
        f"{one('residual', v.residual, v.old_residual)}"
    )


def run_line(x: store.LinkedRun, tz: str) -> str:
    """A linked run as one line (CLI and app): `run 12 drill risk-drill 2026-11-29 done ·
    time to respond 26 min by zhao.min at 2026-11-29 10:26` (times in the store's zone)."""
    from opsdesk.domain.times import local_label

    line = f"run {x.run_id} {x.purpose} {x.template_key} {x.run_day} {x.status}"
    if x.time_to_respond_s is not None and x.completed_at is not None:
        line += (
            f" · time to respond {duration_text(x.time_to_respond_s)}"
            f" by {x.completed_by} at {local_label(x.completed_at, tz)}"
        )
    return line


def duration_text(seconds: int) -> str:
    """`45 s`, `26 min`, `3 h 05 min`, `2 d 4 h`."""
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


# ---- the stand-up's Risks section -----------------------------------------------------------


@dataclass(frozen=True)
class StandupRisks:
    triggered: list[RiskRow]  # triggered risks, major first
    due: list[RiskRow]  # reviews due today or overdue (not triggered), most overdue first
    new_triggers: int


def build_standup_risks(conn: sqlite3.Connection, day: date, today: date) -> StandupRisks:
    """Evaluate the KRIs for the ops day (recording new triggers), then what to talk about."""
    stored = store.list_risks(conn)
    evaluation = store.evaluate_kris(conn, day, today, stored=stored)
    # the register read once when nothing was triggered (a trigger changes statuses and dates)
    rows = build_register(conn, today, stored=None if evaluation.new_triggers else stored).rows
    triggered = sorted(
        (r for r in rows if r.risk.status == "triggered"),
        key=lambda r: (r.risk.response_level != "major", -r.risk.inherent.value, r.key),
    )
    due = sorted(
        (r for r in rows if r.due and r.risk.status != "triggered"),
        key=lambda r: (r.risk.next_review, r.key),
    )
    return StandupRisks(triggered, due, len(evaluation.new_triggers))
