"""What the full-text index holds: one registration per kind of text people write.

Each `Source` names a table's text column, the kind it is searched as (`--kind`), the object a
hit opens (object type, id and part, as SQL over the row), who wrote it and when (SQL over the
row, or the audit event that follows the write: `audit` = object type, key and action).

The index is kept current by triggers created in a migration; `Source.sql()` writes them, and
a migration names its sources on a line `-- @search-sources: KEY ...` that `expand` replaces
with their SQL when the migration runs. Adding a source is: a registration here, then a new
migration with that line (`python -m opsdesk.store.search_sources KEY...` prints the SQL to
read; a test checks the store's triggers are exactly these). Why triggers in SQL and not
sqlite-utils' `enable_fts(create_triggers=True)`: that makes one FTS table per source table and
needs rowid tables (sop_run_items is WITHOUT ROWID); one index over every source ranks all hits
together and is kept by the store itself, whichever program writes to it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

NOW_SQL = "strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')"
"""The trigger's moment, in the format of `connection.now_iso`."""

KINDS = ("notes", "decisions", "actions", "cycles", "risks", "checklists")

_COLUMNS = "source, kind, object_type, object_id, part, who, at, body, audit_key"
PDCA_TEXT = (
    "title", "problem", "root_cause", "hypothesis", "plan", "scope_note", "lesson",
    "follow_up_note",
)  # fmt: skip
"""A cycle's free-text columns (each one source, `pdca_<column>`, kind `cycles`)."""
DIRECTIVE = "-- @search-sources:"
"""A migration line `-- @search-sources: KEY ...` stands for those sources' SQL (`expand`)."""


@dataclass(frozen=True)
class Source:
    key: str
    kind: str
    table: str
    column: str
    object_type: str
    object_id: str  # SQL over `{row}`
    part: str = "''"
    who: str = "NULL"
    at: str = NOW_SQL
    audit: tuple[str, str, str] | None = None  # object type, key SQL over `{row}`, action

    def _values(self, row: str, *, backfill: bool = False) -> str:
        def on(expr: str) -> str:
            return expr.format(row=row)

        audit, who, at = "NULL", on(self.who), on(self.at)
        if self.audit is not None:
            kind, key, action = self.audit
            audit = f"'{kind}:' || {on(key)} || ':{action}'"
            if backfill:  # rows written before the index: who and when from their last event
                last = (
                    f" FROM audit_events a WHERE a.object_type = '{kind}'"
                    f" AND a.object_key = {on(key)} AND a.action = '{action}'"
                    " ORDER BY a.id DESC LIMIT 1)"
                )
                who = f"coalesce((SELECT a.actor{last}, {who})"
                at = f"coalesce((SELECT a.at{last}, {at})"
        return (
            f"'{self.key}', '{self.kind}', '{self.object_type}', {on(self.object_id)},"
            f" {on(self.part)}, {who}, {at}, {row}.{self.column}, {audit}"
        )

    def _delete(self, row: str) -> str:
        return (
            f"DELETE FROM search_docs WHERE source = '{self.key}'"  # noqa: S608 (DDL text)
            f" AND object_id = {self.object_id.format(row=row)}"
            f" AND part = {self.part.format(row=row)};"
        )

    def sql(self) -> str:
        """The triggers that keep this source in the index, and the backfill of what exists."""
        t, c, k = self.table, self.column, self.key
        insert = f"INSERT INTO search_docs ({_COLUMNS})"
        return "\n".join(
            [
                f"CREATE TRIGGER search_{k}_ai AFTER INSERT ON {t}"
                f" WHEN coalesce(new.{c}, '') <> '' BEGIN",
                f"    {insert} VALUES ({self._values('new')});",
                "END;",
                f"CREATE TRIGGER search_{k}_au AFTER UPDATE OF {c} ON {t}"
                f" WHEN old.{c} IS NOT new.{c} BEGIN",
                f"    {self._delete('old')}",
                f"    {insert} SELECT {self._values('new')} WHERE coalesce(new.{c}, '') <> '';",
                "END;",
                f"CREATE TRIGGER search_{k}_ad AFTER DELETE ON {t} BEGIN",
                f"    {self._delete('old')}",
                "END;",
                f"{insert} SELECT {self._values(t, backfill=True)} FROM {t}"  # noqa: S608
                f" WHERE coalesce({t}.{c}, '') <> '';",
            ]
        )


def _fields(
    prefix: str,
    kind: str,
    table: str,
    columns: tuple[str, ...],
    object_type: str,
    object_id: str,
    *,
    who: str,
    at: str,
    audit: tuple[str, str, str] | None = None,
) -> tuple[Source, ...]:
    """One source per text column of a table, keyed `<prefix>_<column>`."""
    return tuple(
        Source(f"{prefix}_{c}", kind, table, c, object_type, object_id, "''", who, at, audit)
        for c in columns
    )


def _closed_skip(key: str, table: str, object_id: str, part: str, by: str, at: str) -> Source:
    """A skip reason, written by whoever closed (or changed) the row, then."""
    return Source(
        key=key,
        kind="checklists",
        table=table,
        column="skip_reason",
        object_type="sop_run",
        object_id=object_id,
        part=part,
        who=f"{{row}}.{by}",
        at=f"coalesce({{row}}.{at}, {NOW_SQL})",
    )


SOURCES: tuple[Source, ...] = (
    # -- 0004_search ----------------------------------------------------------------------------
    Source(
        key="checklist_note",
        kind="notes",
        table="sop_run_items",
        column="note",
        object_type="sop_run",
        object_id="{row}.run_id",
        part="{row}.position",
        audit=("sop_run_item", "{row}.run_id || '/' || {row}.position", "note"),
    ),
    _closed_skip(
        "checklist_item_skip",
        "sop_run_items",
        "{row}.run_id",
        "{row}.position",
        "changed_by",
        "changed_at",
    ),  # fmt: skip
    _closed_skip("checklist_run_skip", "sop_runs", "{row}.id", "''", "closed_by", "closed_at"),
    *_fields(
        "risk",
        "risks",
        "risks",
        ("title", "description", "mitigation", "contingency"),
        "risk",
        "{row}.key",
        who="{row}.created_by",
        at="{row}.created_at",
        audit=("risk", "{row}.key", "edit"),
    ),
    Source(
        key="risk_review_note",
        kind="risks",
        table="risk_reviews",
        column="note",
        object_type="risk_review",
        object_id="{row}.risk_id",
        part="{row}.id",
        who="{row}.by",
        at="{row}.at",
    ),
    # -- 0007: PDCA cycles, action items, the weekly review ---------------------------------------
    *_fields(
        "pdca",
        "cycles",
        "pdca_cycles",
        PDCA_TEXT,
        "pdca_cycle",
        "{row}.id",
        who="{row}.updated_by",
        at="{row}.updated_at",
    ),
    Source(
        key="pdca_stage_reason",
        kind="cycles",
        table="pdca_stage_history",
        column="reason",
        object_type="pdca_cycle",
        object_id="{row}.cycle_id",
        part="{row}.id",
        who="{row}.by",
        at="{row}.at",
    ),
    *_fields(
        "action",
        "actions",
        "action_items",
        ("text", "note"),
        "action_item",
        "{row}.id",
        who="coalesce({row}.closed_by, {row}.created_by)",
        at="coalesce({row}.closed_at, {row}.created_at)",
    ),
    Source(
        key="meeting_notes",
        kind="notes",
        table="meetings",
        column="notes",
        object_type="meeting",
        object_id="{row}.id",
        who="{row}.updated_by",
        at="{row}.updated_at",
    ),
    Source(
        key="meeting_decision",
        kind="decisions",
        table="meeting_decisions",
        column="text",
        object_type="meeting",
        object_id="{row}.meeting_id",
        part="{row}.number",
        who="{row}.decided_by",
        at="{row}.decided_at",
    ),
    Source(
        key="metric_note",
        kind="notes",
        table="metric_notes",
        column="note",
        object_type="metric_note",
        object_id="{row}.id",
        who="{row}.written_by",
        at="{row}.written_at",
    ),
)
"""Every source, in the order of the migrations that created their triggers."""


def by_key(keys: list[str]) -> list[Source]:
    known = {s.key: s for s in SOURCES}
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise KeyError(f"unknown search sources: {', '.join(unknown)}")
    return [known[k] for k in keys]


def expand(sql: str) -> str:
    """A migration's text with every `-- @search-sources: KEY ...` line replaced by the
    triggers and backfill of those sources (blocks separated by a blank line), so a migration
    names its sources instead of repeating their generated SQL. The expansion of a released
    migration is fixed: a test pins its digest, so a registration it uses never changes."""
    out = []
    for line in sql.split("\n"):
        if line.startswith(DIRECTIVE):
            out.append("\n\n".join(s.sql() for s in by_key(line[len(DIRECTIVE) :].split())))
        else:
            out.append(line)
    return "\n".join(out)


if __name__ == "__main__":  # print the SQL of the named sources for a new migration
    print("\n\n".join(s.sql() for s in by_key(sys.argv[1:])))
