"""The risk register in the store: risks and their KRIs, triggers, reviews and linked runs.

- Adding risks (the seed register of `opsdesk init`, a user's TOML file) is all or nothing.
  The seed adds only the risks the store does not have, so a later `init` never overwrites a
  person's edits; a user's file refuses keys already in the register.
- Every change (add, edit, score, review, trigger, a run started) is one short write
  transaction with an audit event carrying the OS login; edited risks are marked `edited`.
- A linked run done (its last item ticked) stores when, by whom and its time to respond; a
  drill's also sets the risk's last and next drill (`opsdesk.store.risk_runs`, which the
  checklist store calls in the same transaction). Reopened (an item unticked): put back.
- `evaluate_kris(conn, day, today)` is what the stand-up and `opsdesk check` call: a breached
  KRI records a trigger (once per KRI, shop and day), makes the risk triggered, pulls its next
  review to today and voids an acceptance that was conditional on it. A KRI that stops
  firing does not close anything: a person reviews the risk.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opsdesk import shipped
from opsdesk.domain import risks as rules
from opsdesk.domain.risk_files import RegisterFileError, parse_register
from opsdesk.domain.risk_kris import Kri, Reading, days_needed, evaluate, kri_dict
from opsdesk.domain.risks import Risk, RiskError, Score
from opsdesk.store import audit
from opsdesk.store.connection import current_user, now_iso, write_transaction

if TYPE_CHECKING:
    from opsdesk.clock import Clock

DRILL_SOP = "risk-drill"


@dataclass(frozen=True)
class StoredKri:
    id: int
    kri: Kri


@dataclass(frozen=True)
class StoredRisk:
    id: int
    risk: Risk
    kris: tuple[StoredKri, ...]
    source: str
    edited: bool


@dataclass(frozen=True)
class Trigger:
    id: int
    risk_key: str
    kri_id: int | None  # None: the KRI was removed since
    shop_key: str
    day: date
    value: float | None
    message: str
    triggered_at: str


@dataclass(frozen=True)
class Review:
    id: int
    kind: str  # create, review, score
    at: str
    by: str
    old_inherent: Score | None
    old_residual: Score | None
    inherent: Score
    residual: Score
    next_review: date
    note: str


@dataclass(frozen=True)
class LinkedRun:
    run_id: int
    purpose: str  # contingency, drill
    template_key: str
    shop_key: str | None
    run_day: date
    status: str
    started_at: datetime
    completed_at: datetime | None  # stored when the run was done (record_run_done)
    completed_by: str | None = None
    time_to_respond_s: int | None = None

    @property
    def time_to_respond(self) -> timedelta | None:
        """A finished run's time from start to done, as stored when it was done."""
        if self.time_to_respond_s is None:
            return None
        return timedelta(seconds=self.time_to_respond_s)


def _d(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _risk_from_row(r: sqlite3.Row, kris: tuple[StoredKri, ...]) -> StoredRisk:
    risk = Risk(
        key=r["key"],
        title=r["title"],
        category=r["category"],
        owner=r["owner"],
        inherent=Score(r["likelihood"], r["impact"]),
        residual=Score(r["residual_likelihood"], r["residual_impact"]),
        response=r["response"],
        review_days=r["review_days"],
        next_review=date.fromisoformat(r["next_review"]),
        description=r["description"],
        accept_until=_d(r["accept_until"]),
        acceptance_voided_on=_d(r["acceptance_voided_on"]),
        mitigation=r["mitigation"],
        contingency=r["contingency"],
        contingency_sop=r["contingency_sop"],
        response_level=r["response_level"],
        last_drill=_d(r["last_drill"]),
        next_drill=_d(r["next_drill"]),
        status=r["status"],
        kris=tuple(k.kri for k in kris),
        drill_days=r["drill_days"],
    )
    return StoredRisk(r["id"], risk, kris, r["source"], bool(r["edited"]))


KRI_COLUMNS = ("metric_key", "kind", "threshold", "baseline", "days", "shop_key",
               "voids_acceptance")  # fmt: skip
"""A KRI's columns in risk_kris, named as Kri's fields."""


def _kri_values(k: Kri) -> tuple[Any, ...]:
    """A KRI's values in the order of KRI_COLUMNS."""
    return tuple(int(v) if isinstance(v, bool) else v for v in (getattr(k, c) for c in KRI_COLUMNS))


def _kris(conn: sqlite3.Connection) -> dict[int, list[StoredKri]]:
    out: dict[int, list[StoredKri]] = {}
    for k in conn.execute("SELECT * FROM risk_kris ORDER BY risk_id, position"):
        values = {c: k[c] for c in KRI_COLUMNS}
        values["voids_acceptance"] = bool(values["voids_acceptance"])
        out.setdefault(k["risk_id"], []).append(StoredKri(k["id"], Kri(**values)))
    return out


def _insert_kri(conn: sqlite3.Connection, risk_id: int, position: int, k: Kri) -> None:
    conn.execute(
        f"INSERT INTO risk_kris (risk_id, position, {', '.join(KRI_COLUMNS)})"  # noqa: S608
        f" VALUES (?, ?, {', '.join('?' for _ in KRI_COLUMNS)})",
        (risk_id, position, *_kri_values(k)),
    )


def list_risks(conn: sqlite3.Connection) -> list[StoredRisk]:
    """Every risk, in the order they were added."""
    kris = _kris(conn)
    return [
        _risk_from_row(r, tuple(kris.get(r["id"], ())))
        for r in conn.execute("SELECT * FROM risks ORDER BY id")
    ]


def get_risk(conn: sqlite3.Connection, key: str) -> StoredRisk:
    row = conn.execute("SELECT * FROM risks WHERE key = ?", (key,)).fetchone()
    if row is None:
        raise ValueError(f"no risk {key!r} (see `opsdesk risk list`)")
    kris = _kris(conn).get(row["id"], [])
    return _risk_from_row(row, tuple(kris))


def known_names(conn: sqlite3.Connection) -> tuple[set[str], set[str], set[str]]:
    """The metric keys, SOP template keys and shop keys a risk may name."""
    metrics = {r[0] for r in conn.execute("SELECT key FROM metrics")}
    sops = {r[0] for r in conn.execute("SELECT key FROM sop_templates")}
    shops = {r[0] for r in conn.execute("SELECT key FROM shops")}
    return metrics, sops, shops


def read_register_file(conn: sqlite3.Connection, path: Path, today: date) -> list[Risk]:
    """Parse and check a register file against the store; RegisterFileError lists problems."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise RegisterFileError([f"{path}:0: file: no such file"]) from None
    except IsADirectoryError:
        raise RegisterFileError([f"{path}:0: file: is a directory"]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise RegisterFileError([f"{path}:{line}: file: not UTF-8 text"]) from None
    metrics, sops, shops = known_names(conn)
    return parse_register(text, str(path), today, metrics=metrics, sops=sops, shops=shops)


def _risk_values(risk: Risk) -> dict[str, Any]:
    return {
        "title": risk.title,
        "category": risk.category,
        "description": risk.description,
        "owner": risk.owner,
        "likelihood": risk.inherent.likelihood,
        "impact": risk.inherent.impact,
        "residual_likelihood": risk.residual.likelihood,
        "residual_impact": risk.residual.impact,
        "response": risk.response,
        "accept_until": risk.accept_until.isoformat() if risk.accept_until else None,
        "mitigation": risk.mitigation,
        "contingency": risk.contingency,
        "contingency_sop": risk.contingency_sop,
        "response_level": risk.response_level,
        "review_days": risk.review_days,
        "next_review": risk.next_review.isoformat(),
        "last_drill": risk.last_drill.isoformat() if risk.last_drill else None,
        "next_drill": risk.next_drill.isoformat() if risk.next_drill else None,
        "drill_days": risk.drill_days,
        "status": risk.status,
    }


def field_values(risk: Risk) -> dict[str, Any]:
    """A risk's editable fields as stored and audited (dates as ISO text)."""
    return _risk_values(risk)


def _insert(conn: sqlite3.Connection, risk: Risk, source: str, actor: str, at: str) -> None:
    values = _risk_values(risk)
    cols = list(values)
    cur = conn.execute(
        f"INSERT INTO risks (key, {', '.join(cols)}, source, created_at, created_by)"  # noqa: S608
        f" VALUES (?, {', '.join('?' for _ in cols)}, ?, ?, ?)",
        (risk.key, *values.values(), source, at, actor),
    )
    risk_id = int(cur.lastrowid or 0)
    for i, k in enumerate(risk.kris, 1):
        _insert_kri(conn, risk_id, i, k)
    _review_row(conn, risk_id, "create", None, risk, at, actor, "")
    audit.record(
        conn,
        "risk",
        risk.key,
        "create",
        None,
        {**values, "kris": [kri_dict(k) for k in risk.kris], "source": source},
        actor=actor,
    )


def _review_row(
    conn: sqlite3.Connection,
    risk_id: int,
    kind: str,
    old: Risk | None,
    new: Risk,
    at: str,
    actor: str,
    note: str,
) -> None:
    conn.execute(
        "INSERT INTO risk_reviews (risk_id, kind, at, by, old_likelihood, old_impact,"
        " old_residual_likelihood, old_residual_impact, likelihood, impact,"
        " residual_likelihood, residual_impact, next_review, note)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            risk_id,
            kind,
            at,
            actor,
            old.inherent.likelihood if old else None,
            old.inherent.impact if old else None,
            old.residual.likelihood if old else None,
            old.residual.impact if old else None,
            new.inherent.likelihood,
            new.inherent.impact,
            new.residual.likelihood,
            new.residual.impact,
            new.next_review.isoformat(),
            note,
        ),
    )


def add_risks(conn: sqlite3.Connection, new: Sequence[Risk], *, source: str) -> list[str]:
    """Add checked risks, all or nothing; a key already in the register refuses the lot."""
    actor, at = current_user(), now_iso()
    with write_transaction(conn):
        taken = [
            r.key
            for r in new
            if conn.execute("SELECT 1 FROM risks WHERE key = ?", (r.key,)).fetchone()
        ]
        if taken:
            raise ValueError(
                f"already in the register: {', '.join(taken)} (edit them with `risk score`, "
                "`risk review` or in the app); nothing was added"
            )
        for r in new:
            _insert(conn, r, source, actor, at)
    return [r.key for r in new]


def load_seed(conn: sqlite3.Connection, today: date, path: Path | None = None) -> list[str]:
    """The shipped register (default: fixtures/risks.toml, shipped in the package): the risks
    the store does not have yet (never overwrites)."""
    path = path or shipped.risks_file()
    if not path.exists():
        return []
    have = {r[0] for r in conn.execute("SELECT key FROM risks")}
    seed = read_register_file(conn, path, today)
    missing = [r for r in seed if r.key not in have]
    if not missing:
        return []
    return add_risks(conn, missing, source="seed")


def load_seed_today(conn: sqlite3.Connection, clock: Clock | None = None) -> list[str]:
    """`load_seed` on the store's local today by `clock` (default: the system's), which is
    what `opsdesk init` calls; tests pass a fixed clock so seeded review dates are fixed."""
    from opsdesk.store.settings import store_today

    return load_seed(conn, store_today(conn, clock))


def _update(
    conn: sqlite3.Connection,
    stored: StoredRisk,
    new: Risk,
    action: str,
    actor: str,
    *,
    kris: bool = False,
) -> None:
    old_values, new_values = _risk_values(stored.risk), _risk_values(new)
    changed = {k: v for k, v in new_values.items() if old_values[k] != v}
    if changed:
        conn.execute(
            f"UPDATE risks SET {', '.join(f'{k} = ?' for k in changed)}, edited = 1"  # noqa: S608
            " WHERE id = ?",
            (*changed.values(), stored.id),
        )
    old_kris = [kri_dict(k) for k in stored.risk.kris]
    new_kris = [kri_dict(k) for k in new.kris]
    if kris and old_kris != new_kris:
        _replace_kris(conn, stored, new.kris)
        conn.execute("UPDATE risks SET edited = 1 WHERE id = ?", (stored.id,))
    audit.record(
        conn,
        "risk",
        new.key,
        action,
        {k: old_values[k] for k in changed} | ({"kris": old_kris} if kris else {}),
        changed | ({"kris": new_kris} if kris else {}),
        actor=actor,
    )


def _replace_kris(conn: sqlite3.Connection, stored: StoredRisk, kris: Sequence[Kri]) -> None:
    """The risk's KRIs become `kris`: changed positions updated in place (their triggers stay
    theirs), new ones added, dropped ones deleted (their triggers stay, kri_id NULL)."""
    for i, k in enumerate(kris, 1):
        if i <= len(stored.kris):
            conn.execute(
                f"UPDATE risk_kris SET {', '.join(f'{c} = ?' for c in KRI_COLUMNS)}"  # noqa: S608
                " WHERE id = ?",
                (*_kri_values(k), stored.kris[i - 1].id),
            )
        else:
            _insert_kri(conn, stored.id, i, k)
    for dropped in stored.kris[len(kris) :]:
        conn.execute("DELETE FROM risk_kris WHERE id = ?", (dropped.id,))


def rescore(
    conn: sqlite3.Connection,
    key: str,
    inherent: Score,
    residual: Score | None,
    note: str,
    today: date,
) -> Risk:
    """New scores (residual unchanged unless given), recorded as a review: the history."""
    actor = current_user()
    with write_transaction(conn):
        stored = get_risk(conn, key)
        residual = residual or stored.risk.residual
        problems = rules.check_scores(inherent, residual)
        if problems:
            raise RiskError(problems)
        new = replace(
            stored.risk,
            inherent=inherent,
            residual=residual,
            next_review=rules.next_review_after(today, stored.risk.review_days),
            status="open" if stored.risk.status == "triggered" else stored.risk.status,
        )
        _update(conn, stored, new, "score", actor)
        _review_row(conn, stored.id, "score", stored.risk, new, now_iso(), actor, note)
    return new


def review(
    conn: sqlite3.Connection,
    key: str,
    note: str,
    today: date,
    *,
    next_review: date | None = None,
    accept_until: date | None = None,
    status: str | None = None,
) -> Risk:
    """A person reviewed the risk: record it, set the next review (default: today + cadence).

    A triggered risk goes back to open (or the status given); `accept_until` renews an
    acceptance (and clears a voided one).
    """
    if not note.strip():
        raise RiskError([("note", "a review needs a note: what was looked at and decided")])
    if next_review is not None and next_review < today:
        raise RiskError([("next", f"{next_review} is in the past")])
    if status is not None and status not in rules.STATUSES:
        raise RiskError([("status", f"{status!r} is not one of {', '.join(rules.STATUSES)}")])
    actor = current_user()
    with write_transaction(conn):
        stored = get_risk(conn, key)
        old = stored.risk
        if accept_until is not None:
            if old.response != "accept":
                raise RiskError([("accept_until", "only an accepted risk has an expiry")])
            if accept_until < today:
                raise RiskError([("accept_until", f"{accept_until} is in the past")])
        new = replace(
            old,
            next_review=next_review or rules.next_review_after(today, old.review_days),
            status=status or ("open" if old.status == "triggered" else old.status),
            accept_until=accept_until or old.accept_until,
            acceptance_voided_on=None if accept_until else old.acceptance_voided_on,
        )
        _update(conn, stored, new, "review", actor)
        if accept_until:
            conn.execute("UPDATE risks SET acceptance_voided_on = NULL WHERE id = ?", (stored.id,))
        _review_row(conn, stored.id, "review", old, new, now_iso(), actor, note)
    return new


EDITABLE = (
    "title",
    "category",
    "description",
    "owner",
    "likelihood",
    "impact",
    "residual_likelihood",
    "residual_impact",
    "response",
    "accept_until",
    "mitigation",
    "contingency",
    "contingency_sop",
    "response_level",
    "review_days",
    "next_review",
    "last_drill",
    "next_drill",
    "drill_days",
    "status",
)


def update_fields(
    conn: sqlite3.Connection,
    key: str,
    changes: Mapping[str, Any],
    today: date,
    *,
    based_on: int | None = None,
) -> Risk:
    """Change fields of a risk (the app's editor; `kri`: the whole list of KRI tables);
    checked by the same rules as a file. `based_on`: the risk's version when it was read
    (`store.versioning`): a field someone changed since is refused, never overwritten."""
    unknown = [k for k in changes if k not in (*EDITABLE, "kri")]
    if unknown:
        raise RiskError([(k, "not an editable field") for k in unknown])
    actor = current_user()
    with write_transaction(conn):
        stored = get_risk(conn, key)
        _check_version(conn, stored, changes, based_on)
        entry: dict[str, Any] = {
            "key": key,
            **{k: v for k, v in _risk_values(stored.risk).items() if v is not None},
            "kri": [kri_dict(k) for k in stored.risk.kris],
        }
        entry.update(changes)
        if entry.get("response") != "accept":
            entry.pop("accept_until", None)
        metrics, sops, shops = known_names(conn)
        new, problems = rules.validate_risk(entry, today, metrics=metrics, sops=sops, shops=shops)
        if new is None:
            raise RiskError(problems)
        new = replace(new, acceptance_voided_on=stored.risk.acceptance_voided_on)
        _update(conn, stored, new, "edit", actor, kris="kri" in changes)
        if new.inherent != stored.risk.inherent or new.residual != stored.risk.residual:
            _review_row(conn, stored.id, "score", stored.risk, new, now_iso(), actor, "edited")
    return new


def _check_version(
    conn: sqlite3.Connection, stored: StoredRisk, changes: Mapping[str, Any], based_on: int | None
) -> None:
    from opsdesk.store import versioning

    now = {**_risk_values(stored.risk), "kris": [kri_dict(k) for k in stored.risk.kris]}
    yours = {("kris" if k == "kri" else k): v for k, v in changes.items()}
    theirs = {k: now.get(k) for k in yours}
    versioning.check(conn, "risk", stored.risk.key, based_on, theirs=theirs, yours=yours)


# ---- reading the history ----------------------------------------------------------------


def _score(likelihood: int | None, impact: int | None) -> Score | None:
    return Score(likelihood, impact) if likelihood is not None and impact is not None else None


def _review(r: sqlite3.Row) -> Review:
    return Review(
        r["id"],
        r["kind"],
        r["at"],
        r["by"],
        _score(r["old_likelihood"], r["old_impact"]),
        _score(r["old_residual_likelihood"], r["old_residual_impact"]),
        Score(r["likelihood"], r["impact"]),
        Score(r["residual_likelihood"], r["residual_impact"]),
        date.fromisoformat(r["next_review"]),
        r["note"],
    )


def reviews_for(conn: sqlite3.Connection, risk_id: int) -> list[Review]:
    """The risk's reviews and re-scorings, oldest first: its score history."""
    rows = conn.execute("SELECT * FROM risk_reviews WHERE risk_id = ? ORDER BY id", (risk_id,))
    return [_review(r) for r in rows]


def last_reviews(conn: sqlite3.Connection) -> dict[int, Review]:
    """Each risk's latest review or re-scoring (not its creation), by risk id."""
    rows = conn.execute(
        "SELECT * FROM risk_reviews WHERE id IN (SELECT max(id) FROM risk_reviews"
        " WHERE kind != 'create' GROUP BY risk_id)"
    )
    return {r["risk_id"]: _review(r) for r in rows}


def _trigger(r: sqlite3.Row) -> Trigger:
    return Trigger(
        r["id"],
        r["risk_key"],
        r["kri_id"],
        r["shop_key"],
        date.fromisoformat(r["day"]),
        r["value"],
        r["message"],
        r["triggered_at"],
    )


_TRIGGER_SELECT = (
    "SELECT t.*, r.key AS risk_key FROM risk_triggers t JOIN risks r ON r.id = t.risk_id"
)


def triggers_for(conn: sqlite3.Connection, risk_id: int) -> list[Trigger]:
    """The risk's triggers, latest first."""
    rows = conn.execute(
        _TRIGGER_SELECT + " WHERE t.risk_id = ? ORDER BY t.day DESC, t.id DESC", (risk_id,)
    )
    return [_trigger(r) for r in rows]


def latest_triggers(conn: sqlite3.Connection) -> dict[int, Trigger]:
    """Each risk's latest trigger, by risk id."""
    rows = conn.execute(
        _TRIGGER_SELECT  # noqa: S608 (a constant)
        + " WHERE t.id IN (SELECT max(id) FROM risk_triggers GROUP BY risk_id)"
    )
    return {r["risk_id"]: _trigger(r) for r in rows}


def runs_for(conn: sqlite3.Connection, risk_id: int | None = None) -> list[LinkedRun]:
    """Checklist runs started for a risk (all risks: None), latest first."""
    where, params = ("WHERE l.risk_id = ?", (risk_id,)) if risk_id is not None else ("", ())
    rows = conn.execute(
        "SELECT l.run_id, l.purpose, t.key AS template_key, s.key AS shop_key, r.run_day,"  # noqa: S608
        " r.status, r.created_at, l.completed_at, l.completed_by, l.time_to_respond_s"
        " FROM risk_runs l"
        " JOIN sop_runs r ON r.id = l.run_id JOIN sop_templates t ON t.id = r.template_id"
        f" LEFT JOIN shops s ON s.id = r.shop_id {where} ORDER BY r.id DESC",
        params,
    )
    return [
        LinkedRun(
            r["run_id"],
            r["purpose"],
            r["template_key"],
            r["shop_key"],
            date.fromisoformat(r["run_day"]),
            r["status"],
            datetime.fromisoformat(r["created_at"]),
            datetime.fromisoformat(r["completed_at"]) if r["completed_at"] else None,
            r["completed_by"],
            r["time_to_respond_s"],
        )
        for r in rows
    ]


# ---- runs linked to a risk --------------------------------------------------------------


class DrillOpen(ValueError):
    """A risk's drill is still open: one drill at a time (the CLI's wording; the app says
    how to tick it there)."""

    def __init__(self, key: str, run_id: int, run_day: date) -> None:
        self.key, self.run_id, self.run_day = key, run_id, run_day
        super().__init__(
            f"{key}: drill run {run_id} started {run_day} is still open: tick it"
            f" (opsdesk checklists tick {run_id} …) or drop it"
            f" (opsdesk checklists skip {run_id} --reason …) first"
        )


def start_linked_run(
    conn: sqlite3.Connection,
    key: str,
    purpose: str,
    today: date,
    *,
    shop_key: str | None = None,
    now: datetime | None = None,
) -> int:
    """Start the risk's contingency SOP or a risk-drill as a checklist run linked to it.

    A contingency SOP that runs per shop uses `shop_key`, else the shop of the risk's latest
    trigger. A second drill while the risk's latest one is open raises DrillOpen.
    """
    from opsdesk.store.checklists import get_template
    from opsdesk.store.checklists.runs import start_run_in_transaction

    stored = get_risk(conn, key)
    if purpose == "drill":
        template_key = DRILL_SOP
        running = [r for r in runs_for(conn, stored.id) if r.purpose == "drill"]
        if running and running[0].status == "open":
            raise DrillOpen(key, running[0].run_id, running[0].run_day)
    elif purpose == "contingency":
        if not stored.risk.contingency_sop:
            raise ValueError(f"{key}: no contingency SOP named (contingency_sop)")
        template_key = stored.risk.contingency_sop
    else:
        raise ValueError(f"purpose {purpose!r}: contingency or drill")
    template = get_template(conn, template_key)
    if template.scope == "shop" and shop_key is None:
        latest = latest_triggers(conn).get(stored.id)
        if latest is None or latest.shop_key == "all":
            raise ValueError(f"{template_key} runs per shop: name the shop (--shop KEY)")
        shop_key = latest.shop_key
    if template.scope == "store":
        shop_key = None
    actor = current_user()
    with write_transaction(conn):
        run_id = start_run_in_transaction(conn, template_key, today, shop_key=shop_key, now=now)
        conn.execute(
            "INSERT INTO risk_runs (risk_id, run_id, purpose, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?)",
            (stored.id, run_id, purpose, now_iso(), actor),
        )
        audit.record(
            conn,
            "risk",
            key,
            purpose,
            None,
            {"run": run_id, "sop": template_key, "shop": shop_key},
            actor=actor,
        )
    return run_id


# ---- KRI evaluation ---------------------------------------------------------------------


@dataclass(frozen=True)
class KriReading:
    risk_key: str
    kri: StoredKri
    reading: Reading


@dataclass(frozen=True)
class Evaluation:
    day: date
    readings: list[KriReading]
    new_triggers: list[Trigger]

    def for_risk(self, key: str) -> list[KriReading]:
        return [r for r in self.readings if r.risk_key == key]


def read_kris(conn: sqlite3.Connection, day: date, risks: Sequence[StoredRisk]) -> list[KriReading]:
    """Every KRI of the given risks evaluated on `day` (read-only)."""
    from opsdesk.store.catalogue import load_metrics
    from opsdesk.store.observations import by_shop, load_daily
    from opsdesk.store.shops import list_shops
    from opsdesk.store.targets import load_targets

    all_kris = [k.kri for s in risks for k in s.kris]
    if not all_kris:
        return []
    span = days_needed(all_kris)
    metrics = load_metrics(conn)
    values = by_shop(load_daily(conn, day - timedelta(days=span), day))
    dailies = {s.key: values.get(s.key, {}) for s in list_shops(conn)}
    targets = load_targets(conn)
    out = []
    for s in risks:
        for k in s.kris:
            for reading in evaluate(k.kri, metrics, dailies, day, targets):
                out.append(KriReading(s.risk.key, k, reading))
    return out


def evaluate_kris(
    conn: sqlite3.Connection,
    day: date,
    today: date,
    *,
    keys: Sequence[str] | None = None,
    stored: Sequence[StoredRisk] | None = None,
) -> Evaluation:
    """Evaluate every open risk's KRIs (or those of `keys`) on `day`; record new triggers
    (see the module doc). `stored`: the register as the caller just read it (else read here)."""
    watched = [
        s
        for s in (list_risks(conn) if stored is None else stored)
        if s.risk.status != "closed" and s.kris and (keys is None or s.risk.key in keys)
    ]
    readings = read_kris(conn, day, watched)
    breached = [r for r in readings if r.reading.breached]
    recorded = {
        (r["kri_id"], r["shop_key"])
        for r in conn.execute(
            "SELECT kri_id, shop_key FROM risk_triggers WHERE day = ?", (day.isoformat(),)
        )
    }
    fresh = [r for r in breached if (r.kri.id, r.reading.shop_key) not in recorded]
    new: list[Trigger] = []
    if not fresh or getattr(conn, "read_only", False):  # read-only: a writer records them
        return Evaluation(day, readings, new)
    actor, at = current_user(), now_iso()
    with write_transaction(conn):
        for r in fresh:
            cur = conn.execute(
                "INSERT OR IGNORE INTO risk_triggers (risk_id, kri_id, shop_key, day, value,"
                " message, triggered_at, triggered_by)"
                " SELECT risk_id, id, ?, ?, ?, ?, ?, ? FROM risk_kris WHERE id = ?",
                (r.reading.shop_key, day.isoformat(), r.reading.value, r.reading.message, at,
                 actor, r.kri.id),
            )  # fmt: skip
            if cur.rowcount == 0:
                continue
            row = conn.execute("SELECT * FROM risks WHERE key = ?", (r.risk_key,)).fetchone()
            pulled = rules.pulled_review(date.fromisoformat(row["next_review"]), today)
            voided = row["acceptance_voided_on"]
            if r.kri.kri.voids_acceptance and row["response"] == "accept" and voided is None:
                voided = day.isoformat()
            conn.execute(
                "UPDATE risks SET status = 'triggered', next_review = ?, acceptance_voided_on = ?"
                " WHERE id = ? AND status != 'closed'",
                (pulled.isoformat(), voided, row["id"]),
            )
            new.append(
                Trigger(
                    int(cur.lastrowid or 0),
                    r.risk_key,
                    r.kri.id,
                    r.reading.shop_key,
                    day,
                    r.reading.value,
                    r.reading.message,
                    at,
                )
            )
            audit.record(
                conn,
                "risk",
                r.risk_key,
                "trigger",
                {"status": row["status"], "next_review": row["next_review"]},
                {
                    "status": "triggered",
                    "next_review": pulled.isoformat(),
                    "kri": kri_dict(r.kri.kri),
                    "shop": r.reading.shop_key,
                    "day": day.isoformat(),
                    "value": r.reading.value,
                    "acceptance_voided_on": voided,
                },
                actor=actor,
            )
    return Evaluation(day, readings, new)
