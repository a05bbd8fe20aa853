"""The metric catalogue in the store: loading the shipped TOML and users' own metric files.

A catalogue file holds `[[metric]]` tables (see fixtures/catalogue.toml, shipped in the package as
opsdesk.fixtures) and optionally `[[rule]]` tables. Loading is idempotent: metrics are upserted
by key; a default target and a rule are added only when the store has none for them yet, so
users' edits are never reverted.
"""

from __future__ import annotations

import json
import re
import sqlite3
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opsdesk import shipped
from opsdesk.domain.metrics import (
    AGGREGATIONS,
    DIRECTIONS,
    UNITS,
    FormulaError,
    Metric,
    parse_formula,
)
from opsdesk.domain.text import UnsafeTextError, refuse_control
from opsdesk.store import audit
from opsdesk.store.connection import current_user, now_iso, write_transaction


class CatalogueError(ValueError):
    """A catalogue file that cannot be loaded; the message names the file and the entry."""


@dataclass(frozen=True)
class LoadResult:
    added: list[str]
    updated: list[str]
    rules_added: list[str]
    targets_added: list[str]


def load_metrics(conn: sqlite3.Connection) -> dict[str, Metric]:
    """Every metric in the store, by key, in catalogue order (base first)."""
    rows = conn.execute("SELECT * FROM metrics ORDER BY kind = 'derived', id").fetchall()
    base = {r["key"] for r in rows if r["kind"] == "base"}
    out: dict[str, Metric] = {}
    for r in rows:
        out[r["key"]] = Metric(
            key=r["key"],
            name_en=r["name_en"],
            name_zh=r["name_zh"],
            unit=r["unit"],
            direction=r["direction"],
            aggregation=r["aggregation"],
            formula=parse_formula(r["formula"], base) if r["formula"] else None,
            aliases=tuple(json.loads(r["aliases"])),
            description=r["description"],
        )
    return out


def metric_ids(conn: sqlite3.Connection) -> dict[str, int]:
    return {r[0]: r[1] for r in conn.execute("SELECT key, id FROM metrics")}


TEXT_FIELDS = ("key", "name_en", "name_zh", "aliases", "description")


def _refuse_control(entry: dict[str, Any], where: str, fields: tuple[str, ...]) -> None:
    """Names, keys and aliases are plain text: a control character refuses the file."""
    for name in fields:
        value = entry.get(name)
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str):
                try:
                    refuse_control(
                        text, f"{where}: field {name!r}", multiline=name == "description"
                    )
                except UnsafeTextError as e:
                    raise CatalogueError(str(e)) from None


def _validate(entry: dict[str, Any], where: str, base_keys: set[str]) -> dict[str, Any]:
    def need(name: str) -> Any:
        if name not in entry or entry[name] in ("", None):
            raise CatalogueError(f"{where}: field {name!r} is required")
        return entry[name]

    key = need("key")
    _refuse_control(entry, where, TEXT_FIELDS)
    if not isinstance(key, str) or not key.replace("_", "").isalnum() or not key.islower():
        raise CatalogueError(f"{where}: field 'key': {key!r} must be lower_snake_case")
    unit = entry.get("unit", "count")
    if unit not in UNITS:
        raise CatalogueError(f"{where}: field 'unit': {unit!r} is not one of {', '.join(UNITS)}")
    direction = entry.get("direction")
    if direction is not None and direction not in DIRECTIONS:
        raise CatalogueError(f"{where}: field 'direction': {direction!r} is not up or down")
    agg = entry.get("aggregation", "sum")
    if agg not in AGGREGATIONS:
        raise CatalogueError(f"{where}: field 'aggregation': {agg!r} is not sum or last")
    formula = entry.get("formula")
    if formula is not None:
        try:
            formula = str(parse_formula(str(formula), base_keys))
        except FormulaError as e:
            raise CatalogueError(f"{where}: field 'formula': {e}") from None
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise CatalogueError(f"{where}: field 'aliases' must be a list of strings")
    for name in ("name_en", "name_zh", "description"):
        if not isinstance(entry.get(name, ""), str):
            raise CatalogueError(f"{where}: field {name!r} must be text, not {entry[name]!r}")
    target = entry.get("target")
    if target is not None and (not isinstance(target, dict) or "value" not in target):
        raise CatalogueError(f"{where}: field 'target' must be {{ value = …, amber = … }}")
    for name in ("value", "amber"):
        if target is not None and not _is_number(target.get(name, 0.0)):
            raise CatalogueError(
                f"{where}: field 'target.{name}' must be a number, not {target[name]!r}"
            )
    return {
        "key": key,
        "name_en": need("name_en"),
        "name_zh": entry.get("name_zh", ""),
        "unit": unit,
        "direction": direction,
        "aggregation": agg,
        "kind": "derived" if formula else "base",
        "formula": formula,
        "aliases": json.dumps(aliases, ensure_ascii=False),
        "description": entry.get("description", ""),
        "target": target,
    }


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _table_lines(path: Path, name: str) -> list[int]:
    """Line numbers of each `[[name]]` header, so errors can point at the entry's line."""
    pattern = re.compile(rf"^\s*\[\[\s*{name}\s*\]\]")
    text = path.read_text(encoding="utf-8", errors="replace")
    return [i for i, line in enumerate(text.splitlines(), 1) if pattern.match(line)]


def read_catalogue_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise CatalogueError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as e:
        raise CatalogueError(f"{path}: not valid TOML: {e}") from None


def load_catalogue(
    conn: sqlite3.Connection, path: Path | None = None, *, source: str = "catalogue"
) -> LoadResult:
    """Upsert the metrics (and default targets and rules) of a catalogue file (default: the
    shipped catalogue), all or nothing."""
    path = path or shipped.catalogue_file()
    doc = read_catalogue_file(path)
    entries = doc.get("metric", [])
    rules = doc.get("rule", [])
    if not isinstance(entries, list) or not isinstance(rules, list):
        raise CatalogueError(f"{path}: use [[metric]] and [[rule]] tables")
    existing = {
        r["key"]: r for r in conn.execute("SELECT key, kind, formula, id FROM metrics").fetchall()
    }
    base_keys = {k for k, r in existing.items() if r["kind"] == "base"}
    metric_lines = _table_lines(path, "metric")
    rule_lines = _table_lines(path, "rule")
    validated = []
    seen: set[str] = set()
    for i, entry in enumerate(entries, 1):
        line = metric_lines[i - 1] if i <= len(metric_lines) else 0
        where = f"{path}:{line}: metric #{i}" + (
            f" ({entry.get('key')})" if entry.get("key") else ""
        )
        v = _validate(
            entry,
            where,
            base_keys | {e.get("key", "") for e in entries[: i - 1] if not e.get("formula")},
        )
        if v["key"] in seen:
            raise CatalogueError(f"{where}: key {v['key']!r} appears twice in the file")
        seen.add(v["key"])
        old = existing.get(v["key"])
        if old is not None and old["kind"] != v["kind"]:
            raise CatalogueError(
                f"{where}: {v['key']!r} is already a {old['kind']} metric; it cannot become "
                f"{v['kind']}"
            )
        validated.append(v)

    added, updated, rules_added, targets_added = [], [], [], []
    actor = current_user()
    with write_transaction(conn):
        for v in validated:
            target = v.pop("target")
            old_row = conn.execute("SELECT * FROM metrics WHERE key = ?", (v["key"],)).fetchone()
            cols = [c for c in v if c != "key"]
            if old_row is None:
                conn.execute(
                    f"INSERT INTO metrics (key, {', '.join(cols)}, source) "  # noqa: S608
                    f"VALUES (?, {', '.join('?' for _ in cols)}, ?)",
                    (v["key"], *(v[c] for c in cols), source),
                )
                added.append(v["key"])
                audit.record(conn, "metric", v["key"], "create", None, v, actor=actor)
            else:
                old = {c: old_row[c] for c in cols}
                new = {c: v[c] for c in cols}
                if old != new:
                    conn.execute(
                        f"UPDATE metrics SET {', '.join(f'{c} = ?' for c in cols)} "  # noqa: S608
                        "WHERE key = ?",
                        (*(v[c] for c in cols), v["key"]),
                    )
                    updated.append(v["key"])
                    audit.record(conn, "metric", v["key"], "update", old, new, actor=actor)
            if target is not None:
                mid = conn.execute("SELECT id FROM metrics WHERE key = ?", (v["key"],)).fetchone()[
                    0
                ]
                has = conn.execute(
                    "SELECT 1 FROM targets WHERE metric_id = ? AND shop_id IS NULL", (mid,)
                ).fetchone()
                if not has:
                    conn.execute(
                        "INSERT INTO targets (metric_id, shop_id, valid_from, valid_to, value,"
                        " amber, created_at, created_by) VALUES (?, NULL, NULL, NULL, ?, ?, ?, ?)",
                        (
                            mid,
                            float(target["value"]),
                            float(target.get("amber", 0.0)),
                            now_iso(),
                            actor,
                        ),
                    )
                    targets_added.append(v["key"])
        for i, rule in enumerate(rules, 1):
            line = rule_lines[i - 1] if i <= len(rule_lines) else 0
            where = f"{path}:{line}: rule #{i}"
            key = rule.get("key")
            if not key:
                raise CatalogueError(f"{where}: field 'key' is required")
            _refuse_control(rule, where, ("key", "description"))
            if conn.execute("SELECT 1 FROM alert_rules WHERE key = ?", (key,)).fetchone():
                continue
            for name in ("kind", "baseline", "severity", "description"):
                if not isinstance(rule.get(name, ""), str):
                    raise CatalogueError(f"{where} ({key}): field {name!r} must be text")
            if not _is_number(rule.get("threshold", 0)):
                raise CatalogueError(f"{where} ({key}): field 'threshold' must be a number")
            metric_key = rule.get("metric")
            mid = None
            if metric_key is not None:
                row = conn.execute("SELECT id FROM metrics WHERE key = ?", (metric_key,)).fetchone()
                if row is None:
                    raise CatalogueError(f"{where} ({key}): field 'metric': unknown {metric_key!r}")
                mid = row[0]
            try:
                conn.execute(
                    "INSERT INTO alert_rules (key, metric_id, kind, baseline, threshold, severity,"
                    " description) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        key,
                        mid,
                        rule.get("kind"),
                        rule.get("baseline"),
                        rule.get("threshold"),
                        rule.get("severity", "warning"),
                        rule.get("description", ""),
                    ),
                )
            except sqlite3.IntegrityError as e:
                raise CatalogueError(f"{where} ({key}): {e}") from None
            rules_added.append(key)
            audit.record(conn, "alert_rule", key, "create", None, rule, actor=actor)
    return LoadResult(added, updated, rules_added, targets_added)
