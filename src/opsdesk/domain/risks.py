"""The risk register's rules (pure: no I/O): scores, levels, responses, acceptance, reviews.

- Score = likelihood (1–5) × impact (1–5), 1–25. Levels (DOMAIN.md §6's decision): low 1–5,
  medium 6–12, high 15–25 (13 and 14 cannot occur: no product of two numbers 1–5 gives them).
- Inherent: before mitigation; residual: after. The residual score may not be higher than the
  inherent one.
- Responses: avoid, mitigate, transfer, accept. An acceptance needs an expiry date
  (`accept_until`); once it has passed, or once a KRI marked `voids_acceptance` fired, the
  acceptance no longer holds and the risk is in the review queue.
- Review scheduling: every `review_days` days from the last review; a risk whose next review
  is today or earlier is due, earlier than today overdue. Closed risks are never due.
- Drills: every `drill_days` days (default 90: the risk-drill SOP is quarterly). A drill done
  sets the last drill to its day (never earlier than the one recorded) and the next drill to
  that + `drill_days` (`after_drill`).

`validate_risk` checks a risk's fields and is what every path (TOML file, CLI, app) calls.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from opsdesk.domain.risk_kris import Kri, KriError, parse_kri
from opsdesk.domain.text import control_problem

CATEGORIES: dict[str, str] = {
    "policy": "Policy & regulation",
    "platform": "Platform rules",
    "traffic-cost": "Traffic cost & channels",
    "market": "Market & competition",
    "supply-chain": "Supply chain & stock",
    "tech": "Tech systems",
    "payment": "Payment security",
    "privacy": "Data privacy",
    "ip": "Intellectual property",
    "reputation": "Reputation & crisis",
    "campaign": "Campaign execution",
    "fraud": "Fraud & fake orders",
    "service": "Service capacity",
    "cross-border": "Cross-border",
    "talent": "Talent & organisation",
}
"""Every category of DOMAIN.md §6, key -> label."""

RESPONSES = ("avoid", "mitigate", "transfer", "accept")
RESPONSE_LEVELS = ("major", "general")
RESPONSE_LEVEL_LABELS = {"major": "major 重大", "general": "general 一般"}
STATUSES = ("open", "triggered", "closed")
LEVELS = ("low", "medium", "high")
LEVEL_LETTERS = {"low": "L", "medium": "M", "high": "H"}
SCALE = range(1, 6)
MAX_TEXT = 2000
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
_LOGIN = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}$")


class RiskError(ValueError):
    """A risk that breaks a rule; `problems` lists (field, reason)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{f}: {r}" for f, r in problems))


def score(likelihood: int, impact: int) -> int:
    return likelihood * impact


def level(value: int) -> str:
    """low 1–5, medium 6–12, high 15–25."""
    if not 1 <= value <= 25:
        raise ValueError(f"score {value}: a score is 1–25")
    if value <= 5:
        return "low"
    if value <= 12:
        return "medium"
    return "high"


@dataclass(frozen=True)
class Score:
    likelihood: int
    impact: int

    @property
    def value(self) -> int:
        return score(self.likelihood, self.impact)

    @property
    def level(self) -> str:
        return level(self.value)

    def as_dict(self) -> dict[str, Any]:
        return {
            "likelihood": self.likelihood,
            "impact": self.impact,
            "score": self.value,
            "level": self.level,
        }


def check_scores(inherent: Score, residual: Score) -> list[tuple[str, str]]:
    """Problems with a pair of scores: each number 1–5, residual not above inherent."""
    problems: list[tuple[str, str]] = []
    for name, v in (
        ("likelihood", inherent.likelihood),
        ("impact", inherent.impact),
        ("residual_likelihood", residual.likelihood),
        ("residual_impact", residual.impact),
    ):
        if isinstance(v, bool) or not isinstance(v, int) or v not in SCALE:
            problems.append((name, f"{v!r} is not a whole number from 1 to 5"))
    if not problems and residual.value > inherent.value:
        problems.append(
            (
                "residual",
                f"residual score {residual.value} ({residual.likelihood}×{residual.impact}) is "
                f"higher than the inherent score {inherent.value} "
                f"({inherent.likelihood}×{inherent.impact}): mitigation cannot raise a risk",
            )
        )
    return problems


@dataclass(frozen=True)
class Risk:
    key: str
    title: str
    category: str
    owner: str
    inherent: Score
    residual: Score
    response: str
    review_days: int
    next_review: date
    description: str = ""
    accept_until: date | None = None
    acceptance_voided_on: date | None = None
    mitigation: str = ""
    contingency: str = ""
    contingency_sop: str | None = None
    response_level: str = "general"
    last_drill: date | None = None
    next_drill: date | None = None
    status: str = "open"
    kris: tuple[Kri, ...] = ()
    drill_days: int = 90


def acceptance_state(risk: Risk, today: date) -> str | None:
    """None (not accepted), 'active', 'expired' (accept_until passed) or 'void' (a KRI fired)."""
    if risk.response != "accept":
        return None
    if risk.acceptance_voided_on is not None:
        return "void"
    if risk.accept_until is None or risk.accept_until < today:
        return "expired"
    return "active"


def next_review_after(day: date, review_days: int) -> date:
    return day + timedelta(days=review_days)


def review_due(risk: Risk, today: date) -> bool:
    """In the review queue: the next review is today or earlier, or the acceptance lapsed."""
    if risk.status == "closed":
        return False
    return risk.next_review <= today or acceptance_state(risk, today) in ("expired", "void")


def review_overdue(risk: Risk, today: date) -> bool:
    """Past its review date, or its acceptance has lapsed; never for a closed risk."""
    if risk.status == "closed":
        return False
    return risk.next_review < today or acceptance_state(risk, today) in ("expired", "void")


def after_drill(last_drill: date | None, day: date, drill_days: int) -> tuple[date, date]:
    """The last and next drill dates once a drill held on `day` is done."""
    last = max(day, last_drill) if last_drill is not None else day
    return last, last + timedelta(days=drill_days)


def drill_overdue(risk: Risk, today: date) -> bool:
    """Its next drill has passed (never for a closed risk or one without a drill date)."""
    return risk.status != "closed" and risk.next_drill is not None and risk.next_drill < today


def pulled_review(next_review: date, today: date) -> date:
    """A trigger pulls the next review to today (never later than it was)."""
    return min(next_review, today)


def movement(old: int | None, new: int) -> str:
    """'up', 'down' or '' comparing a score with the one before."""
    if old is None or old == new:
        return ""
    return "up" if new > old else "down"


ONE_LINE_FIELDS = ("key", "title", "category", "owner")  # names: no newline or tab either


def _text(
    entry: Mapping[str, Any], name: str, problems: list[tuple[str, str]], *, required: bool
) -> str:
    value = entry.get(name)
    if value is None or value == "":
        if required:
            problems.append((name, "is required"))
        return ""
    if not isinstance(value, str):
        problems.append((name, f"{value!r} is not text"))
        return ""
    if len(value) > MAX_TEXT:
        problems.append((name, f"longer than {MAX_TEXT} characters"))
    if problem := control_problem(value, multiline=name not in ONE_LINE_FIELDS):
        problems.append((name, problem))
    return value


def _day(entry: Mapping[str, Any], name: str, problems: list[tuple[str, str]]) -> date | None:
    value = entry.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.append((name, f"{value!r} is not a date (YYYY-MM-DD)"))
        return None


def _int(entry: Mapping[str, Any], name: str, problems: list[tuple[str, str]]) -> int:
    value = entry.get(name)
    if value is None:
        problems.append((name, "is required"))
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
        problems.append((name, f"{value!r} is not a whole number from 1 to 5"))
        return 0
    return value


def _days(
    entry: Mapping[str, Any], name: str, default: int, problems: list[tuple[str, str]]
) -> int:
    value = entry.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        problems.append((name, f"{value!r} is not a number of days (1 or more)"))
        return default
    return value


def check_login(owner: str) -> str | None:
    """Why `owner` is not an OS login (lower-case, letters, digits, . _ -), or None."""
    if not _LOGIN.match(owner):
        return f"{owner!r} is not a login (lower-case letters, digits, '.', '_', '-')"
    return None


def validate_risk(
    entry: Mapping[str, Any],
    today: date,
    *,
    metrics: Collection[str],
    sops: Collection[str],
    shops: Collection[str] | None = None,
) -> tuple[Risk | None, list[tuple[str, str]]]:
    """A risk from a mapping of its fields (a TOML table, a form), or every (field, problem).

    `residual_likelihood` / `residual_impact` default to the inherent ones; `review_days` to
    30; `drill_days` to 90; `next_review` to today + review_days; `response` to mitigate.
    """
    problems: list[tuple[str, str]] = []
    known = {
        "key", "title", "category", "description", "owner", "likelihood", "impact",
        "residual_likelihood", "residual_impact", "response", "accept_until", "mitigation",
        "contingency", "contingency_sop", "response_level", "review_days", "next_review",
        "last_drill", "next_drill", "drill_days", "status", "kri",
    }  # fmt: skip
    for name in entry:
        if name not in known:
            problems.append((name, "unknown field"))
    key = _text(entry, "key", problems, required=True)
    if key and not _KEY.match(key):
        problems.append(("key", f"{key!r}: use lower-case letters, digits and '-'"))
    title = _text(entry, "title", problems, required=True)
    category = _text(entry, "category", problems, required=True)
    if category and category not in CATEGORIES:
        problems.append(("category", f"{category!r} is not one of {', '.join(CATEGORIES)}"))
    owner = _text(entry, "owner", problems, required=True)
    if owner and (why := check_login(owner)):
        problems.append(("owner", why))
    likelihood = _int(entry, "likelihood", problems)
    impact = _int(entry, "impact", problems)
    r_l = entry.get("residual_likelihood", likelihood or None)
    r_i = entry.get("residual_impact", impact or None)
    residual_problems = [
        p
        for p in check_scores(Score(likelihood or 1, impact or 1), Score(r_l, r_i))
        if p[0] not in ("likelihood", "impact")
        and not (p[0] == "residual_likelihood" and r_l is None)
        and not (p[0] == "residual_impact" and r_i is None)
    ]
    if likelihood and impact:
        problems.extend(residual_problems)
    else:
        problems.extend(p for p in residual_problems if p[0] != "residual")
    response = entry.get("response", "mitigate")
    if response not in RESPONSES:
        problems.append(("response", f"{response!r} is not one of {', '.join(RESPONSES)}"))
    accept_until = _day(entry, "accept_until", problems)
    if response == "accept" and accept_until is None and "accept_until" not in entry:
        problems.append(("accept_until", "an acceptance needs an expiry date (accept_until)"))
    if response != "accept" and accept_until is not None:
        problems.append(("accept_until", "only an accepted risk has an acceptance expiry"))
    level_ = entry.get("response_level", "general")
    if level_ not in RESPONSE_LEVELS:
        problems.append(("response_level", f"{level_!r} is not major or general"))
    review_days = _days(entry, "review_days", 30, problems)
    drill_days = _days(entry, "drill_days", 90, problems)
    next_review = _day(entry, "next_review", problems) or next_review_after(today, review_days)
    status = entry.get("status", "open")
    if status not in STATUSES:
        problems.append(("status", f"{status!r} is not one of {', '.join(STATUSES)}"))
    sop = entry.get("contingency_sop") or None
    if sop is not None and sop not in sops:
        problems.append(("contingency_sop", f"unknown SOP template {sop!r}"))
    kris: list[Kri] = []
    raw_kris = entry.get("kri", [])
    if not isinstance(raw_kris, list):
        problems.append(("kri", "use [[risk.kri]] tables"))
        raw_kris = []
    for i, raw in enumerate(raw_kris, 1):
        try:
            kris.append(parse_kri(raw, metrics, shops))
        except KriError as e:
            problems.extend((f"kri #{i} {f}", r) for f, r in e.problems)
    if any(k.voids_acceptance for k in kris) and response != "accept":
        problems.append(("kri", "voids_acceptance is for an accepted risk"))
    texts = {n: _text(entry, n, problems, required=False) for n in
             ("description", "mitigation", "contingency")}  # fmt: skip
    last_drill = _day(entry, "last_drill", problems)
    next_drill = _day(entry, "next_drill", problems)
    if problems:
        return None, problems
    return (
        Risk(
            key=key,
            title=title,
            category=category,
            owner=owner,
            inherent=Score(likelihood, impact),
            residual=Score(int(r_l), int(r_i)),
            response=str(response),
            review_days=int(review_days),
            next_review=next_review,
            description=texts["description"],
            accept_until=accept_until,
            mitigation=texts["mitigation"],
            contingency=texts["contingency"],
            contingency_sop=sop,
            response_level=str(level_),
            last_drill=last_drill,
            next_drill=next_drill,
            status=str(status),
            kris=tuple(kris),
            drill_days=drill_days,
        ),
        [],
    )


INT_FIELDS = (
    "likelihood",
    "impact",
    "residual_likelihood",
    "residual_impact",
    "review_days",
    "drill_days",
)
OPTIONAL_FIELDS = ("accept_until", "contingency_sop", "last_drill", "next_drill")


def parse_field(name: str, text: str) -> Any:
    """A field's value from what a person typed (the app's editor); `validate_risk` then
    checks it with the rest. Whole numbers for scores and the cadence; empty clears an
    optional field."""
    text = text.strip()
    if name in INT_FIELDS:
        try:
            return int(text)
        except ValueError:
            raise RiskError([(name, f"{text!r} is not a whole number")]) from None
    if name in OPTIONAL_FIELDS and text in ("", "-", "--"):
        return None
    return text
