"""Template versions: loading the shipped and users' files (a changed one becomes version
n+1) and listing them."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from opsdesk import shipped
from opsdesk.domain import recurrence
from opsdesk.domain.checklists import Step, Template
from opsdesk.store import audit
from opsdesk.store.checklists._common import _iso, _now
from opsdesk.store.connection import current_user, write_transaction


@dataclass(frozen=True)
class LoadResult:
    added: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TemplateInfo:
    key: str
    version: int
    version_id: int
    title: str
    owner: str
    cadence: str
    scope: str
    due: str | None
    steps: int
    source_file: str


def load_templates(
    conn: sqlite3.Connection,
    templates: Sequence[Template],
    source_files: Sequence[str] | None = None,
) -> LoadResult:
    """Add templates or new versions of them, all in one transaction; unchanged ones are kept."""
    result = LoadResult()
    actor = current_user()
    files = list(source_files) if source_files is not None else [""] * len(templates)
    with write_transaction(conn):
        for t, source_file in zip(templates, files, strict=True):
            row = conn.execute("SELECT id FROM sop_templates WHERE key = ?", (t.key,)).fetchone()
            now = _iso(_now(None))
            if row is None:
                cur = conn.execute(
                    "INSERT INTO sop_templates (key, created_at, created_by) VALUES (?, ?, ?)",
                    (t.key, now, actor),
                )
                template_id, version = int(cur.lastrowid or 0), 1
            else:
                template_id = row[0]
                latest = conn.execute(
                    "SELECT version, fingerprint FROM sop_template_versions"
                    " WHERE template_id = ? ORDER BY version DESC LIMIT 1",
                    (template_id,),
                ).fetchone()
                if latest is not None and latest["fingerprint"] == t.fingerprint():
                    result.unchanged.append(t.key)
                    continue
                version = (latest["version"] if latest else 0) + 1
            canon = t.canonical()
            conn.execute(
                "INSERT INTO sop_template_versions (template_id, version, fingerprint, title,"
                " owner, cadence, scope, due, description, source_ref, source_file, steps,"
                " created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    template_id,
                    version,
                    t.fingerprint(),
                    t.title,
                    t.owner,
                    canon["cadence"],
                    t.scope,
                    canon["due"],
                    t.description,
                    t.source,
                    source_file,
                    json.dumps(canon["steps"], ensure_ascii=False),
                    now,
                    actor,
                ),
            )
            (result.added if version == 1 else result.new_versions).append(t.key)
            audit.record(
                conn,
                "sop_template",
                t.key,
                "create" if version == 1 else "new_version",
                None,
                {"version": version, "fingerprint": t.fingerprint(), "file": source_file},
                actor=actor,
            )
    return result


def load_shipped(
    conn: sqlite3.Connection, templates: Sequence[tuple[Template, Path]]
) -> LoadResult:
    """The shipped templates, parsed by the caller (`opsdesk.io.sop_templates.parse_files` of
    `shipped.sops_dir()`), and the adherence metrics: what `opsdesk init` loads."""
    from opsdesk.store.catalogue import load_catalogue

    load_catalogue(conn, shipped.sop_metrics_file(), source="checklists")
    return load_templates(conn, [t for t, _ in templates], [str(p) for _, p in templates])


def _version_template(row: sqlite3.Row, key: str) -> Template:
    steps = tuple(
        Step(
            s["text"],
            s["section"],
            recurrence.parse_deadline(s["by"]) if s["by"] else None,
            s["detail"],
        )
        for s in json.loads(row["steps"])
    )
    return Template(
        key=key,
        title=row["title"],
        owner=row["owner"],
        rule=recurrence.parse_rule(row["cadence"]),
        scope=row["scope"],
        due=recurrence.parse_deadline(row["due"]) if row["due"] else None,
        steps=steps,
        description=row["description"],
        source=row["source_ref"],
    )


def _latest_versions(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT t.key, t.id AS template_id, v.* FROM sop_templates t"
        " JOIN sop_template_versions v ON v.template_id = t.id"
        " WHERE v.version = (SELECT max(version) FROM sop_template_versions"
        "                    WHERE template_id = t.id)"
        " ORDER BY t.key"
    ).fetchall()


def list_templates(conn: sqlite3.Connection) -> list[TemplateInfo]:
    return [
        TemplateInfo(
            key=r["key"],
            version=r["version"],
            version_id=r["id"],
            title=r["title"],
            owner=r["owner"],
            cadence=r["cadence"],
            scope=r["scope"],
            due=r["due"],
            steps=len(json.loads(r["steps"])),
            source_file=r["source_file"],
        )
        for r in _latest_versions(conn)
    ]


def get_template(conn: sqlite3.Connection, key: str, version: int | None = None) -> Template:
    """A template as stored (latest version unless one is asked for)."""
    sql = (
        "SELECT v.* FROM sop_template_versions v JOIN sop_templates t ON t.id = v.template_id"
        " WHERE t.key = ?"
    )
    params: list[object] = [key]
    if version is not None:
        sql += " AND v.version = ?"
        params.append(version)
    row = conn.execute(sql + " ORDER BY v.version DESC LIMIT 1", params).fetchone()
    if row is None:
        known = ", ".join(t.key for t in list_templates(conn))
        raise ValueError(f"unknown template {key!r}" + (f" (known: {known})" if known else ""))
    return _version_template(row, key)


def new_version_from_cycle(
    conn: sqlite3.Connection, key: str, cycle_id: int, note: str, *, actor: str, at: str
) -> tuple[int, int]:
    """Inside the caller's transaction: version n+1 of template `key`, a copy of version n
    that records the PDCA cycle it came from (Act → standardise), with `note` appended to its
    description. The fingerprint stays the file's, so reloading the unchanged shipped file does
    not add yet another version. Returns (version id, version number)."""
    row = conn.execute(
        "SELECT v.* FROM sop_template_versions v JOIN sop_templates t ON t.id = v.template_id"
        " WHERE t.key = ? ORDER BY v.version DESC LIMIT 1",
        (key,),
    ).fetchone()
    if row is None:
        known = ", ".join(t.key for t in list_templates(conn))
        raise ValueError(
            f"--sop: unknown template {key!r}" + (f" (known: {known})" if known else "")
        )
    version = int(row["version"]) + 1
    description = (row["description"] + "\n\n" + note).strip()
    cur = conn.execute(
        "INSERT INTO sop_template_versions (template_id, version, fingerprint, title, owner,"
        " cadence, scope, due, description, source_ref, source_file, steps, created_at,"
        " created_by, pdca_cycle_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            row["template_id"],
            version,
            row["fingerprint"],
            row["title"],
            row["owner"],
            row["cadence"],
            row["scope"],
            row["due"],
            description,
            row["source_ref"],
            row["source_file"],
            row["steps"],
            at,
            actor,
            cycle_id,
        ),
    )
    audit.record(
        conn,
        "sop_template",
        key,
        "new_version",
        {"version": version - 1},
        {"version": version, "pdca_cycle": cycle_id},
        actor=actor,
    )
    return int(cur.lastrowid or 0), version
