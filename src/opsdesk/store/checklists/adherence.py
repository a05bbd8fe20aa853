"""Adherence per template and shop (on-time runs / due runs) for `checklists adherence`."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from opsdesk.domain.checklists import run_state
from opsdesk.store.checklists._common import _parse_time


@dataclass(frozen=True)
class TemplateAdherence:
    template_key: str
    shop_key: str | None
    due: int
    on_time: int
    late: int
    missed: int
    skipped: int

    @property
    def ratio(self) -> float | None:
        return self.on_time / self.due if self.due else None


def adherence_by_template(
    conn: sqlite3.Connection, start: date, end: date
) -> list[TemplateAdherence]:
    """On-time ÷ due per template and shop over run days `start`…`end`."""
    tally: dict[tuple[str, str | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in conn.execute(
        "SELECT t.key, s.key, r.status, r.completed_at, r.due_at FROM sop_runs r"
        " JOIN sop_templates t ON t.id = r.template_id LEFT JOIN shops s ON s.id = r.shop_id"
        " WHERE r.run_day BETWEEN ? AND ?",
        (start.isoformat(), end.isoformat()),
    ):
        tally[(r[0], r[1])][run_state(r[2], _parse_time(r[3]), _parse_time(r[4]))] += 1
    out = []
    for (tkey, skey), c in sorted(tally.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        out.append(
            TemplateAdherence(
                tkey,
                skey,
                c["on_time"] + c["late"] + c["missed"],
                c["on_time"],
                c["late"],
                c["missed"],
                c["skipped"],
            )
        )
    return out
