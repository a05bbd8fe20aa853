"""What the full-text index holds: one registration per kind of text people write.

Each `Source` names a table's text column, the kind it is searched as (`--kind`), the object a
hit opens (object type, id and part, as SQL over the row), who wrote it and when (SQL over the
row, or the audit event that follows the write: `audit` = object type, key and action).

The index is kept current by triggers created in a migration; `migration_sql(sources)` writes
them, so adding a source is: a registration here, then a new migration holding
`python -m opsdesk.store.search_sources KEY...` (a test checks the store's triggers are exactly
these). Why triggers in SQL and not sqlite-utils' `enable_fts(create_triggers=True)`: that makes
one FTS table per source table and needs rowid tables (sop_run_items is WITHOUT ROWID); one
index over every source ranks all hits together and is kept by the store itself, whichever
program writes to it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

NOW_SQL = "strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')"
"""The trigger's moment, in the format of `connection.now_iso`."""

KINDS = ("notes", "decisions", "actions", "cycles", "risks", "checklists")

_COLUMNS = "source, kind, object_type, object_id, part, who, at, body, audit_key"


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


SOURCES: tuple[Source, ...] = (
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
    Source(
        key="checklist_item_skip",
        kind="checklists",
        table="sop_run_items",
        column="skip_reason",
        object_type="sop_run",
        object_id="{row}.run_id",
        part="{row}.position",
        who="{row}.changed_by",
        at=f"coalesce({{row}}.changed_at, {NOW_SQL})",
    ),
    Source(
        key="checklist_run_skip",
        kind="checklists",
        table="sop_runs",
        column="skip_reason",
        object_type="sop_run",
        object_id="{row}.id",
        who="{row}.closed_by",
        at=f"coalesce({{row}}.closed_at, {NOW_SQL})",
    ),
    *(
        Source(
            key=f"risk_{column}",
            kind="risks",
            table="risks",
            column=column,
            object_type="risk",
            object_id="{row}.key",
            who="{row}.created_by",
            at="{row}.created_at",
            audit=("risk", "{row}.key", "edit"),
        )
        for column in ("title", "description", "mitigation", "contingency")
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
)


def by_key(keys: list[str]) -> list[Source]:
    known = {s.key: s for s in SOURCES}
    return [known[k] for k in keys]


if __name__ == "__main__":  # print the SQL of the named sources for a new migration
    print("\n\n".join(s.sql() for s in by_key(sys.argv[1:])))
