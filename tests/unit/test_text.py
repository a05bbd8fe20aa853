"""domain/text.py: control characters refused in names, shown visibly in output, spreadsheet
cells that start like a formula written as text."""

from __future__ import annotations

import json

import pytest

from opsdesk.domain.text import (
    UnsafeTextError,
    json_safe,
    refuse_control,
    spreadsheet_safe,
    visible,
)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain 双11 text", "plain 双11 text"),
        ("\x1b]0;pwned\x07", "␛]0;pwned␇"),
        ("\x1b[2J", "␛[2J"),
        ("\x00\x08\r\x1f", "␀␈␍␟"),
        ("\x7f", "\\x7f"),
        ("\x9b31m\x80\x9f", "\\x9b31m\\x80\\x9f"),
        ("a\u202eb\u202ac\u2066d\u2069", "a\\u202eb\\u202ac\\u2066d\\u2069"),
        ("line one\n\tline two", "line one\n\tline two"),
        ("[bold]x[/]", "[bold]x[/]"),
        ("\u200f\u2028é", "\u200f\u2028é"),  # marks and separators are not in the refused set
    ],
)
def test_visible_shows_every_control_character(raw: str, shown: str) -> None:
    assert visible(raw) == shown


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("\x1b]0;pwned\x07", "shop name: control character U+001B (␛) at character 1"),
        ("ok\x9b31m", "shop name: control character U+009B (\\x9b) at character 3"),
        ("abc\u202eexe", "shop name: control character U+202E (\\u202e) at character 4"),
        ("two\nlines", "shop name: control character U+000A (␊) at character 4"),
        ("a\tb", "shop name: control character U+0009 (␉) at character 2"),
        ("\x7f", "shop name: control character U+007F (\\x7f) at character 1"),
    ],
)
def test_names_with_a_control_character_are_refused(raw: str, message: str) -> None:
    with pytest.raises(UnsafeTextError) as e:
        refuse_control(raw, "shop name")
    assert str(e.value) == f"{message} is not allowed: names and keys are plain text"


def test_free_text_may_keep_newlines_and_tabs_but_not_escapes() -> None:
    refuse_control("first\n\tsecond", "description", multiline=True)
    refuse_control("[bold]x[/] =1+2 双11", "shop name")
    with pytest.raises(UnsafeTextError, match="U\\+001B"):
        refuse_control("ok\n\x1b[2J", "description", multiline=True)


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x.example/","y")', '\'=HYPERLINK("http://x.example/","y")'),
        ("+cmd", "'+cmd"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\tx", "'\tx"),
        ("\r=1", "␍=1"),  # a visible CR starts nothing
        ("-", "'-"),
        ("-2+3", "'-2+3"),
        ("-12.5", "-12.5"),
        ("+3.8%", "+3.8%"),
        ("-1,234.50", "-1,234.50"),
        ("-1e-05", "-1e-05"),
        ("tmall-apparel", "tmall-apparel"),
        ("\x1b]0;x\x07", "␛]0;x␇"),
        (-0.1, -0.1),
        (3, 3),
        (None, None),
    ],
)
def test_spreadsheet_cells(cell: object, written: object) -> None:
    assert spreadsheet_safe(cell) == written


def test_json_safe_escapes_what_json_dumps_leaves_raw_and_keeps_the_data() -> None:
    data = {"name": "\x1b]0;pwned\x07 \x9b31m \u202eexe \x7f 双11"}
    dumped = json_safe(json.dumps(data, ensure_ascii=False))
    assert dumped == '{"name": "\\u001b]0;pwned\\u0007 \\u009b31m \\u202eexe \\u007f 双11"}'
    assert json.loads(dumped) == data


def test_the_cli_console_shows_any_str_as_plain_text() -> None:
    from rich.table import Table

    from opsdesk.cli.common import console

    out = console()
    table = Table("name", box=None)
    table.add_row("\x1b]0;pwned\x07 [link=http://x.example/]y[/link] :smile:")
    with out.capture() as captured:
        out.print(table)
        out.print("[bold]x[/] \x9b31m")
    assert [line.strip() for line in captured.get().splitlines()] == [
        "name",
        "␛]0;pwned␇ [link=http://x.example/]y[/link] :smile:",
        "[bold]x[/] \\x9b31m",
    ]
