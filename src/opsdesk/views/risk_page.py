"""The risk screen's read model: every editable field as text, the summary line and the body
(KRIs with their values, the score history, triggers, linked runs), in the store's time.
Built from `opsdesk.views.risks.build_detail`; no Textual here.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from opsdesk.domain.checklists import local_label
from opsdesk.domain.risk_kris import kri_text
from opsdesk.store import settings
from opsdesk.store.risks import EDITABLE
from opsdesk.views import risks

NEW_KRI = "kri +"
"""The editor's last row: type a KRI line there to add one (`kind=above metric=… threshold=…`)."""


@dataclass(frozen=True)
class RiskScreenView:
    detail: risks.RiskDetail
    fields: tuple[tuple[str, str], ...]
    summary: str
    body: str


def field_values(detail: risks.RiskDetail) -> tuple[tuple[str, str], ...]:
    """(field, value as text) for every editable field, in the editor's order."""
    r = detail.risk
    values: dict[str, Any] = {
        "title": r.title,
        "category": r.category,
        "description": r.description,
        "owner": r.owner,
        "likelihood": r.inherent.likelihood,
        "impact": r.inherent.impact,
        "residual_likelihood": r.residual.likelihood,
        "residual_impact": r.residual.impact,
        "response": r.response,
        "accept_until": r.accept_until,
        "mitigation": r.mitigation,
        "contingency": r.contingency,
        "contingency_sop": r.contingency_sop,
        "response_level": r.response_level,
        "review_days": r.review_days,
        "next_review": r.next_review,
        "last_drill": r.last_drill,
        "next_drill": r.next_drill,
        "drill_days": r.drill_days,
        "status": r.status,
    }
    rows = [(name, "" if values[name] is None else str(values[name])) for name in EDITABLE]
    rows += [(f"kri {i}", kri_text(k)) for i, k in enumerate(r.kris, 1)]
    rows.append((NEW_KRI, ""))
    return tuple(rows)


def build_risk_page(conn: sqlite3.Connection, key: str, today: date) -> RiskScreenView:
    """The risk as the screen shows it (runs in a worker)."""
    tz = settings.read(conn).timezone
    d = risks.build_detail(conn, key, today)
    r = d.risk
    summary = (
        f"{r.title}\ninherent {r.inherent.likelihood}×{r.inherent.impact}={r.inherent.value} "
        f"{r.inherent.level} · residual {r.residual.likelihood}×{r.residual.impact}="
        f"{r.residual.value} {r.residual.level} · {r.status} · {r.response_level}"
        + (" · REVIEW OVERDUE" if d.row.overdue else "")
        + (f" · acceptance {d.row.acceptance}" if d.row.acceptance else "")
    )
    lines = [f"KRIs (ops day {today - timedelta(days=1)}):"]
    lines += [
        f"  {'BREACHED' if k.breached else 'ok'} {k.rule} · {k.shop} {k.value_text}"
        for k in d.row.kris
    ] or ["  none"]
    lines.append("Score history:")
    for v in d.reviews:
        note = f" — {v.note}" if v.note else ""
        at = local_label(datetime.fromisoformat(v.at), tz)
        lines.append(
            f"  {at} {v.kind:<6} {v.by:<10} {risks.review_scores(v)} next {v.next_review}{note}"
        )
    lines.append(f"Triggers ({len(d.row.triggers)}):")
    lines += [f"  {t.day} {t.message}" for t in d.row.triggers[:20]] or ["  none"]
    lines.append(f"Linked runs ({len(d.runs)}):")
    lines += [f"  {risks.run_line(x, tz)}" for x in d.runs]
    if not d.runs:
        lines.append("  none")
    return RiskScreenView(d, field_values(d), summary, "\n".join(lines))
