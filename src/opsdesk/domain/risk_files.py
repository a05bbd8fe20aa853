"""Risk register files: `[[risk]]` tables in TOML, checked whole (pure: text in, risks out).

Every problem is reported as `file:line: field: reason` — the line of the field when the file
has it, else of its `[[risk]]` (or `[[risk.kri]]`) header — and a file with any problem gives
no risk at all (all or nothing). The fields are those of `domain.risks.validate_risk`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from opsdesk.domain.risks import Risk, validate_risk

_HEADER = re.compile(r"^\s*\[\[\s*risk\s*\]\]")
_KRI_HEADER = re.compile(r"^\s*\[\[\s*risk\.kri\s*\]\]")
_FIELD = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=")
_KRI_FIELD = re.compile(r"^kri #(\d+) (\w+)$")


@dataclass
class _Block:
    line: int
    fields: dict[str, int] = field(default_factory=dict)
    kris: list[tuple[int, dict[str, int]]] = field(default_factory=list)

    def where(self, name: str) -> int:
        m = _KRI_FIELD.match(name)
        if m:
            i = int(m.group(1)) - 1
            if i < len(self.kris):
                kri_line, kri_fields = self.kris[i]
                return kri_fields.get(m.group(2), kri_line)
        if name.startswith("kri #"):
            i = int(name.split()[1][1:]) - 1
            return self.kris[i][0] if i < len(self.kris) else self.line
        return self.fields.get(name, self.line)


def _blocks(text: str) -> list[_Block]:
    """Where each `[[risk]]` starts and the line of each of its fields and KRIs."""
    blocks: list[_Block] = []
    in_kri = False
    for n, line in enumerate(text.splitlines(), 1):
        if _HEADER.match(line):
            blocks.append(_Block(n))
            in_kri = False
            continue
        if _KRI_HEADER.match(line) and blocks:
            blocks[-1].kris.append((n, {}))
            in_kri = True
            continue
        m = _FIELD.match(line)
        if m and blocks:
            target = blocks[-1].kris[-1][1] if in_kri else blocks[-1].fields
            target.setdefault(m.group(1), n)
    return blocks


class RegisterFileError(ValueError):
    """Every problem of a register file, one `file:line: field: reason` per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def parse_register(
    text: str,
    name: str,
    today: date,
    *,
    metrics: Collection[str],
    sops: Collection[str],
    shops: Collection[str] | None = None,
) -> list[Risk]:
    """Every risk of a register file; raises RegisterFileError listing every problem."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        line = getattr(e, "lineno", None) or _line_of(str(e))
        raise RegisterFileError([f"{name}:{line}: not valid TOML: {e}"]) from None
    problems: list[str] = []
    for key in doc:
        if key != "risk":
            problems.append(f"{name}:1: {key}: unknown table (use [[risk]] tables)")
    entries = doc.get("risk", [])
    if not isinstance(entries, list) or not entries:
        problems.append(f"{name}:1: risk: no [[risk]] table in the file")
        raise RegisterFileError(problems)
    blocks = _blocks(text)
    out: list[Risk] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        block = blocks[i] if i < len(blocks) else _Block(1)
        risk, found = validate_risk(entry, today, metrics=metrics, sops=sops, shops=shops)
        for f, reason in found:
            problems.append(f"{name}:{block.where(f)}: {f}: {reason}")
        if risk is None:
            continue
        if risk.key in seen:
            problems.append(
                f"{name}:{block.where('key')}: key: {risk.key!r} is already used on line "
                f"{seen[risk.key]}"
            )
            continue
        seen[risk.key] = block.where("key")
        out.append(risk)
    if problems:
        raise RegisterFileError(problems)
    return out


def _line_of(message: str) -> int:
    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else 1
