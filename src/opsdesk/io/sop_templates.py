"""SOP template files: a small, strict Markdown checklist format a person edits in any editor.

```markdown
# Daily traffic & ads check

key: daily-traffic-ads        (optional: defaults to the file name without .md)
owner: promotion              (required: the role that runs it)
cadence: daily                (required: see opsdesk.domain.recurrence)
scope: shop                   (shop: one run per shop, the default; store: one run)
due: 11:00                    (optional run deadline; default: the end of the run's ops day)
source: M3 SOP-10             (optional: where the steps come from)

> Optional description, one or more lines starting with '>'.

## Section title {by T-60}    (optional sections; {by …} is a deadline for their steps)
- [ ] A step. {by 10:00}      (a step; its own {by …} overrides the section's)
  Indented lines under a step are its details (sub-bullets, notes).
```

Fields come before the first section or step. `<!-- … -->` lines are comments. Anything else
is refused: the error names the file, the line and the reason, and nothing is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from opsdesk.domain.checklists import SCOPES, Step, Template
from opsdesk.domain.recurrence import (
    Deadline,
    RecurrenceError,
    parse_deadline,
    parse_rule,
)
from opsdesk.domain.text import UnsafeTextError, refuse_control

FIELDS = ("key", "owner", "cadence", "scope", "due", "source")
REQUIRED = ("owner", "cadence")
_FIELD = re.compile(r"^([a-z_]+):(.*)$")
_STEP = re.compile(r"^[-*] \[(?P<box>.)\] ?(?P<text>.*)$")
_BY = re.compile(r"\{by ([^{}]*)\}\s*$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")


class TemplateError(ValueError):
    """A malformed template: `file:line: reason`."""

    def __init__(self, path: Path | str, line: int, reason: str) -> None:
        self.path, self.line, self.reason = str(path), line, reason
        super().__init__(f"{path}:{line}: {reason}")


def parse_file(path: Path) -> Template:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateError(path, 0, "no such file") from None
    except UnicodeDecodeError as e:
        line = path.read_bytes()[: e.start].count(b"\n") + 1
        raise TemplateError(path, line, "not UTF-8 text") from None
    return parse_text(text, path)


def parse_files(paths: Iterable[Path]) -> list[tuple[Template, Path]]:
    """Every file parsed, with its path, before anything is loaded: a malformed file or a key
    used twice raises TemplateError (so a load is all or nothing)."""
    out: list[tuple[Template, Path]] = []
    seen: dict[str, Path] = {}
    for p in paths:
        t = parse_file(p)
        if t.key in seen:
            raise TemplateError(p, 1, f"key {t.key!r} is already used by {seen[t.key]}")
        seen[t.key] = p
        out.append((t, p))
    return out


def load_directory(directory: Path) -> list[Template]:
    """Every `*.md` template in a directory, by file name; keys must be unique."""
    return [t for t, _ in parse_files(sorted(directory.glob("*.md")))]


def _plain(path: Path | str, lineno: int, value: str, what: str) -> str:
    """`value` when it holds no control character; else a TemplateError naming the line."""
    try:
        refuse_control(value, what)
    except UnsafeTextError as e:
        raise TemplateError(path, lineno, str(e)) from None
    return value


def _split_by(text: str, path: Path | str, lineno: int) -> tuple[str, Deadline | None]:
    """Text without a trailing `{by …}`, and the deadline it gives."""
    m = _BY.search(text)
    if not m:
        if "{by" in text:
            raise TemplateError(path, lineno, "a deadline is written {by 10:00}, {by T-30}…")
        return text.strip(), None
    try:
        by = parse_deadline(m.group(1))
    except RecurrenceError as e:
        raise TemplateError(path, lineno, str(e)) from None
    return text[: m.start()].strip(), by


def parse_text(text: str, path: Path | str = "<template>") -> Template:
    """Parse a template; raises TemplateError naming the line and the reason."""
    title = ""
    title_line = 0
    fields: dict[str, tuple[str, int]] = {}
    description: list[str] = []
    steps: list[tuple[Step, int]] = []
    section = ""
    section_by: Deadline | None = None
    details: list[str] = []
    lines = text.splitlines()

    def close_step() -> None:
        if steps and details:
            step, n = steps[-1]
            steps[-1] = (
                Step(step.text, step.section, step.by, "\n".join(details)),
                n,
            )
        details.clear()

    for n, raw in enumerate(lines, 1):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or (stripped.startswith("<!--") and stripped.endswith("-->")):
            continue
        if not title:
            if not line.startswith("# ") or not line[2:].strip():
                raise TemplateError(path, n, "a template starts with its title: '# Title'")
            title, title_line = _plain(path, n, line[2:].strip(), "title"), n
            continue
        if line[0] in " \t":
            if not steps:
                raise TemplateError(path, n, "indented text belongs under a step '- [ ] …'")
            details.append(_plain(path, n, stripped, "step details"))
            continue
        close_step()
        if line.startswith("# "):
            raise TemplateError(path, n, "only one '# Title' per template; use '## Section'")
        if line.startswith("###"):
            raise TemplateError(path, n, "sections are '## Section'; deeper headings are not used")
        if line.startswith("## "):
            heading, section_by = _split_by(line[3:], path, n)
            if not heading:
                raise TemplateError(path, n, "a section needs a title: '## Preparation'")
            section = _plain(path, n, heading, "section")
            continue
        if line.startswith(">"):
            if steps or section:
                raise TemplateError(path, n, "the '>' description comes before the steps")
            description.append(_plain(path, n, line[1:].strip(), "description"))
            continue
        m = _STEP.match(line)
        if m:
            if m.group("box") != " ":
                raise TemplateError(
                    path, n, "a template's steps are unticked: write '- [ ] …' (ticks go in runs)"
                )
            step_text, by = _split_by(m.group("text"), path, n)
            if not step_text:
                raise TemplateError(path, n, "empty step: write what to do after '- [ ]'")
            _plain(path, n, step_text, "step")
            steps.append((Step(step_text, section, by or section_by), n))
            continue
        if line.startswith(("- ", "* ")):
            raise TemplateError(path, n, "a step is written '- [ ] what to do'")
        fm = _FIELD.match(line)
        if fm:
            name, value = fm.group(1), fm.group(2).strip()
            if name not in FIELDS:
                raise TemplateError(
                    path, n, f"unknown field {name!r} (fields: {', '.join(FIELDS)})"
                )
            if steps or section:
                raise TemplateError(path, n, f"field {name!r} must come before the steps")
            if name in fields:
                raise TemplateError(
                    path, n, f"field {name!r} is given twice (first on line {fields[name][1]})"
                )
            if not value:
                raise TemplateError(path, n, f"field {name!r} is empty")
            fields[name] = (_plain(path, n, value, f"field {name!r}"), n)
            continue
        raise TemplateError(
            path,
            n,
            "unexpected text: use 'field: value', '> description', '## Section' or '- [ ] step'",
        )
    close_step()
    if not title:
        raise TemplateError(path, max(len(lines), 1), "empty template: start with '# Title'")
    return _build(path, title, title_line, fields, description, steps, len(lines))


def _build(
    path: Path | str,
    title: str,
    title_line: int,
    fields: dict[str, tuple[str, int]],
    description: list[str],
    steps: list[tuple[Step, int]],
    last_line: int,
) -> Template:
    for name in REQUIRED:
        if name not in fields:
            raise TemplateError(path, title_line, f"missing field {name!r}")
    key_default = Path(str(path)).stem if str(path) != "<template>" else ""
    key, key_line = fields.get("key", (key_default, title_line))
    if not _KEY.match(key):
        raise TemplateError(
            path, key_line, f"key {key!r}: use lower-case letters, digits, '-' or '_'"
        )
    cadence, cadence_line = fields["cadence"]
    try:
        rule = parse_rule(cadence)
    except RecurrenceError as e:
        raise TemplateError(path, cadence_line, str(e)) from None
    scope, scope_line = fields.get("scope", ("shop", 0))
    if scope not in SCOPES:
        raise TemplateError(path, scope_line, f"scope {scope!r}: use shop or store")
    due = None
    if "due" in fields:
        due_text, due_line = fields["due"]
        try:
            due = parse_deadline(due_text)
        except RecurrenceError as e:
            raise TemplateError(path, due_line, str(e)) from None
        _check_anchor(path, due_line, due, rule.kind)
    if not steps:
        raise TemplateError(path, last_line, "no steps: add at least one '- [ ] step'")
    for step, n in steps:
        if step.by is not None:
            _check_anchor(path, n, step.by, rule.kind)
    return Template(
        key=key,
        title=title,
        owner=fields["owner"][0],
        rule=rule,
        scope=scope,
        due=due,
        steps=tuple(s for s, _ in steps),
        description="\n".join(description).strip(),
        source=fields.get("source", ("", 0))[0],
    )


def _check_anchor(path: Path | str, line: int, deadline: Deadline, kind: str) -> None:
    if deadline.anchor == "campaign" and kind != "campaign":
        raise TemplateError(
            path, line, f"deadline {deadline} counts from a campaign day: cadence is not campaign"
        )
    if deadline.anchor == "run" and kind == "campaign":
        raise TemplateError(
            path, line, f"deadline {deadline}: campaign deadlines are T-N or T+N (campaign day T)"
        )
