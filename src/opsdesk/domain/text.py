"""Text from people is data, never control: the one home of the rules (CONVENTIONS habit 14).

Several operators share one store, so what one of them typed reaches the others' terminals.
A terminal obeys control characters and escape sequences (ESC ]0;… sets the window title,
ESC [2J clears the screen, C1 0x9b starts a sequence on its own), and bidi overrides make
text read differently from what it is. Three rules, applied everywhere:

- `refuse_control(value, field)`: names and keys (shops, metrics, SOP templates, campaigns…)
  are refused at the door when they hold a control character (C0, DEL, C1) or a bidi
  override/isolate; free text may keep newlines and tabs (`multiline=True`).
- `visible(text)`: stored free text (notes, skip reasons, anything already in a store, file
  content echoed back) is shown with every such character made visible wherever it is printed
  or drawn: C0 as its Control Picture (ESC → `␛`, BEL → `␇`), DEL and C1 as `\\x7f`/`\\x9b`, bidi
  controls as `\\u202e`. Newlines and tabs stay (they move the cursor, never reprogram it).
- `spreadsheet_safe(cell)`: a CSV/XLSX cell holding text that starts like a formula
  (`= + - @`, tab, CR) gets a leading `'`, so a spreadsheet shows it as text; numbers, and
  strings that are plain numbers (`-12.5`), stay numbers.

Markup is the renderer's business: Rich/Textual sites wrap user text in `rich.text.Text`
(never a `str`, which they would parse as markup). JSON keeps the raw strings (a reader of
JSON gets the data as stored): `json.dumps` escapes C0 itself (`\\u001b`), and `json_safe`
escapes what it leaves raw with `ensure_ascii=False` (DEL, C1, bidi), so printed JSON is inert.
"""

from __future__ import annotations

import re

#: Bidi embeddings, overrides and isolates (the "Trojan Source" set): U+202A-202E, U+2066-2069.
BIDI_CONTROLS = frozenset((*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
#: What a spreadsheet reads as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_JSON_RAW = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NUMBER = re.compile(r"[-+]?(?=\.?\d)(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][-+]?\d+)?%?")


class UnsafeTextError(ValueError):
    """A name or key holding a control character; the message names the field and character."""


def is_control(code: int) -> bool:
    """C0, DEL, C1 or a bidi control: characters a terminal (or a reader) would obey."""
    return code < 0x20 or 0x7F <= code <= 0x9F or code in BIDI_CONTROLS


def _shown(ch: str) -> str:
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # Control Pictures: ␀ … ␟ (ESC → ␛)
    if code <= 0xFF:
        return f"\\x{code:02x}"  # DEL and C1
    return f"\\u{code:04x}"  # bidi controls


def visible(text: str) -> str:
    """`text` with every control character shown instead of obeyed; newline and tab kept."""
    if not any(is_control(ord(ch)) for ch in text if ch not in "\n\t"):
        return text
    return "".join(ch if ch in "\n\t" or not is_control(ord(ch)) else _shown(ch) for ch in text)


def control_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` may not be stored as a name or key (its first control character), or None.

    `multiline=True` allows newline and tab (free text); names and keys allow neither.
    """
    allowed = "\n\t" if multiline else ""
    for position, ch in enumerate(value, 1):
        if ch not in allowed and is_control(ord(ch)):
            return (
                f"control character U+{ord(ch):04X} ({_shown(ch)}) at character {position} "
                "is not allowed: names and keys are plain text"
            )
    return None


def refuse_control(value: str, field: str, *, multiline: bool = False) -> None:
    """Raise UnsafeTextError naming `field` when `value` holds a control character."""
    problem = control_problem(value, multiline=multiline)
    if problem is not None:
        raise UnsafeTextError(f"{field}: {problem}")


def spreadsheet_safe(cell: object) -> object:
    """A CSV/XLSX cell as a spreadsheet should see it: text as text, numbers as numbers.

    Non-strings (numbers, None, dates) are returned unchanged; a string is made `visible` and
    prefixed with `'` when it starts like a formula and is not itself a plain number.
    """
    if not isinstance(cell, str):
        return cell
    text = visible(cell)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def json_safe(dumped: str) -> str:
    """A `json.dumps(..., ensure_ascii=False)` text with DEL, C1 and bidi controls as `\\u` escapes.

    `json.dumps` escapes C0 (ESC is `\\u001b`) but writes these raw; in JSON they can only be
    inside strings, where `\\u009b` decodes to the same character: same data, inert output.
    """
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)
