"""SOP template files (opsdesk.io.sop_templates): the shipped set, the format, every refusal."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from opsdesk import shipped
from opsdesk.domain.recurrence import Deadline, Rule
from opsdesk.io.sop_templates import TemplateError, load_directory, parse_file, parse_text

GOOD = """\
# Test checklist
<!-- a comment -->
key: test-list
owner: promotion
cadence: weekly on monday
scope: store
due: +1d 10:00
source: notes

> First line of the description.
> Second line.

- [ ] Step before any section.
## Morning {by 09:00}
- [ ] Read the numbers.
  Detail one.
  - sub bullet
- [ ] Own deadline. {by +1d}

## Afternoon
- [ ] Last step.
"""


def test_a_template_with_every_feature() -> None:
    t = parse_text(GOOD, "x.md")
    assert (t.key, t.title, t.owner, t.scope, t.source) == (
        "test-list",
        "Test checklist",
        "promotion",
        "store",
        "notes",
    )
    assert t.rule == Rule("weekly", weekday=0)
    assert t.due == Deadline(1, time(10, 0), "run")
    assert t.description == "First line of the description.\nSecond line."
    assert [(s.section, s.text, s.by, s.detail) for s in t.steps] == [
        ("", "Step before any section.", None, ""),
        ("Morning", "Read the numbers.", Deadline(0, time(9, 0)), "Detail one.\n- sub bullet"),
        ("Morning", "Own deadline.", Deadline(1, None), ""),
        ("Afternoon", "Last step.", None, ""),
    ]


def test_key_defaults_to_the_file_name(tmp_path: Path) -> None:
    p = tmp_path / "my-sop.md"
    p.write_text("# Mine\nowner: cs-lead\ncadence: daily\n- [ ] Do it.\n", encoding="utf-8")
    t = parse_file(p)
    assert (t.key, t.scope, t.due) == ("my-sop", "shop", None)


def test_layout_does_not_change_the_fingerprint_but_content_does() -> None:
    relaid = GOOD.replace("\n\n", "\n\n\n").replace("key: test-list", "key:   test-list")
    assert parse_text(relaid, "x.md").fingerprint() == parse_text(GOOD, "x.md").fingerprint()
    edited = GOOD.replace("Last step.", "Last step, edited.")
    assert parse_text(edited, "x.md").fingerprint() != parse_text(GOOD, "x.md").fingerprint()


MINIMAL = "# T\nowner: operator\ncadence: daily\n- [ ] Step.\n"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", 1, "empty template"),
        ("owner: x\n", 1, "starts with its title"),
        ("#NoSpace\n", 1, "starts with its title"),
        (MINIMAL + "# Second title\n", 5, "only one '# Title'"),
        (MINIMAL + "### Deep\n", 5, "deeper headings"),
        (MINIMAL + "## {by 10:00}\n", 5, "a section needs a title"),
        (MINIMAL + "- [x] Ticked.\n", 5, "steps are unticked"),
        (MINIMAL + "- No box.\n", 5, "a step is written '- [ ] what to do'"),
        (MINIMAL + "- [ ]   \n", 5, "empty step"),
        (MINIMAL + "- [ ] Bad deadline {by noon}\n", 5, "deadline 'noon'"),
        (MINIMAL + "- [ ] Unclosed {by 10:00\n", 5, "a deadline is written"),
        (MINIMAL + "owner: again\n", 5, "must come before the steps"),
        (MINIMAL + "> late description\n", 5, "comes before the steps"),
        (MINIMAL + "Just some prose.\n", 5, "unexpected text"),
        ("# T\n  indented\n", 2, "indented text belongs under a step"),
        ("# T\ncolour: red\n", 2, "unknown field 'colour'"),
        ("# T\nowner: a\nowner: b\n", 3, "given twice (first on line 2)"),
        ("# T\nowner:\n", 2, "field 'owner' is empty"),
        ("# T\ncadence: daily\n- [ ] S.\n", 1, "missing field 'owner'"),
        ("# T\nowner: x\n- [ ] S.\n", 1, "missing field 'cadence'"),
        ("# T\nowner: x\ncadence: hourly\n- [ ] S.\n", 3, "unknown cadence 'hourly'"),
        ("# T\nowner: x\ncadence: monthly on 40\n- [ ] S.\n", 3, "day '40' must be 1 to 31"),
        ("# T\nowner: x\ncadence: daily\nscope: team\n- [ ] S.\n", 4, "scope 'team'"),
        ("# T\nowner: x\ncadence: daily\ndue: 26:00\n- [ ] S.\n", 4, "not a time of day"),
        ("# T\nowner: x\ncadence: daily\ndue: T-3\n- [ ] S.\n", 4, "cadence is not campaign"),
        ("# T\nowner: x\ncadence: daily\n- [ ] S. {by T+1}\n", 4, "cadence is not campaign"),
        ("# T\nowner: x\ncadence: campaign T-30\ndue: +2d\n- [ ] S.\n", 4, "campaign deadlines"),
        ("# T\nowner: x\ncadence: daily\nkey: Bad Key\n- [ ] S.\n", 4, "key 'Bad Key'"),
        ("# T\nowner: x\ncadence: daily\n\n", 4, "no steps"),
    ],
)
def test_malformed_templates_name_the_line_and_the_reason(
    text: str, line: int, reason: str
) -> None:
    with pytest.raises(TemplateError) as e:
        parse_text(text, "bad.md")
    assert e.value.line == line
    assert reason in e.value.reason
    assert str(e.value).startswith(f"bad.md:{line}: ")


def test_files_that_are_missing_or_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="no such file"):
        parse_file(tmp_path / "nope.md")
    p = tmp_path / "gbk.md"
    p.write_bytes("# 标题\nowner: x\n".encode() + "cadence: 每天\n".encode("gbk"))
    with pytest.raises(TemplateError) as e:
        parse_file(p)
    assert (e.value.line, e.value.reason) == (3, "not UTF-8 text")


def test_duplicate_keys_in_a_directory_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(MINIMAL.replace("# T\n", "# T\nkey: same\n"), "utf-8")
    (tmp_path / "b.md").write_text(MINIMAL.replace("# T\n", "# T\nkey: same\n"), "utf-8")
    with pytest.raises(TemplateError, match="key 'same' is already used"):
        load_directory(tmp_path)


SHIPPED = {
    # key: (cadence, owner, scope, number of steps)
    "daily-traffic-ads": ("daily", "promotion", "shop", 11),
    "cs-aftersales-queue": ("daily", "cs-lead", "shop", 15),
    "reviews-reputation": ("daily", "cs-lead", "shop", 8),
    "inventory-fulfilment": ("daily", "supply-chain", "shop", 9),
    "weekly-review-prep": ("weekly on monday", "data-analyst", "store", 12),
    "competitor-channel-review": ("weekly on thursday", "operator", "shop", 7),
    "monthly-product-review": ("monthly on 3", "operator", "shop", 9),
    "budget-vs-actual": ("monthly on 5", "manager", "store", 8),
    "campaign": ("campaign T-90", "operator", "shop", 24),
    "platform-rule-change": ("on demand", "operator", "store", 6),
    "crisis-response": ("on demand", "manager", "store", 9),
    "risk-drill": ("quarterly on 15", "risk-owner", "store", 6),
}


def test_every_sop_of_the_domain_brief_ships_with_its_full_steps() -> None:
    templates = {t.key: t for t in load_directory(shipped.sops_dir())}
    assert {k: (str(t.rule), t.owner, t.scope, len(t.steps)) for k, t in templates.items()} == (
        SHIPPED
    )
    campaign = templates["campaign"]
    assert [s for s in dict.fromkeys(s.section for s in campaign.steps)] == [
        "Planning",
        "Preparation",
        "Warm-up",
        "Execution",
        "Review (复盘)",
    ]
    assert {str(s.by) for s in campaign.steps} == {"T-60", "T-31", "T-1", "T+0", "T+7"}
    ads = [s.text for s in templates["daily-traffic-ads"].steps]
    assert any("Paid share ≤ 30%" in s for s in ads)
    assert any("80% keyword ads" in s for s in ads)
    assert all(t.source for t in templates.values())
