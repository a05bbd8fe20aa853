"""Cell values in import files: numbers written the way exports write them, and dates.

Numbers: `1234`, `1,234`, `1,234.50`, `¥198`, `￥198`, `3.8%` (-> 0.038), surrounding spaces.
Dates: `2026-11-21`, `2026/11/21`, `2026/3/5`, `20261121`, an optional `00:00:00` time, and
datetime/date objects from XLSX cells. Both parsers raise ValueError with the reason alone;
the caller adds the file, line and column. Also: what an export writes for "no value" (`-`,
`--`) and its note lines under the data (`数据来源：…`).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

from opsdesk.domain.validation import check_day

_CURRENCY = "¥￥$"
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_DATE_SEP = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")

TOTAL_MARKERS = ("合计", "总计", "汇总", "total", "totals", "grand total", "sum")
"""What an export writes in the date column of a totals row (compared case-insensitively)."""


NONE_MARKERS = ("-", "--", "—", "－")
"""What a platform export writes in a wide file's cell for "no value" (like an empty cell)."""

NOTE_MARKERS = ("注", "备注", "说明", "数据来源", "来源", "note", "notes", "source")
"""How a note line under an export's data starts (compared case-insensitively)."""


def is_none_marker(cell: object) -> bool:
    """An empty cell, or one an export fills with a dash for "no value"."""
    if cell is None:
        return True
    return isinstance(cell, str) and (not cell.strip() or cell.strip() in NONE_MARKERS)


def is_note(cells: list[object]) -> bool:
    """A note line (`数据来源：生意参谋`, `注：…`): one text cell, the first, that starts with a
    note marker or holds a colon, and nothing else on the line."""
    first = cells[0] if cells else None
    if not isinstance(first, str) or not first.strip():
        return False
    if any(c is not None and (not isinstance(c, str) or c.strip()) for c in cells[1:]):
        return False
    text = first.strip()
    if text[0].isdigit():
        return False
    folded = text.casefold()
    return folded.startswith(NOTE_MARKERS) or ":" in text or "：" in text


def is_total_marker(cell: object) -> bool:
    if not isinstance(cell, str):
        return False
    text = cell.strip().rstrip(":：").strip().casefold()
    return text in TOTAL_MARKERS


def parse_number(cell: object) -> tuple[float, int]:
    """The value of a cell and the number of decimals it was written with (as a fraction).

    `3.8%` is (0.038, 3): one decimal of a percentage is three decimals of the fraction.
    Raises ValueError for empty, unparsable, non-finite and negative values.
    """
    if cell is None:
        raise ValueError("no value")
    if isinstance(cell, bool):
        raise ValueError(f"{cell!r} is not a number")
    if isinstance(cell, int | float):
        value = _checked(float(cell), str(cell))
        text = repr(value)
        whole = value.is_integer() or "e" in text
        decimals = 0 if whole else len(text.split(".")[1])
        return value, decimals
    if not isinstance(cell, str):
        raise ValueError(f"{cell!r} is not a number")
    raw = cell.strip()
    if not raw:
        raise ValueError("no value")
    text = raw.strip(_CURRENCY).strip()
    percent = text.endswith("%")
    if percent:
        text = text[:-1].strip()
    if not text:  # a currency sign or a percent sign alone
        raise ValueError(f"{raw!r} is not a number")
    if text[0] in "+-" and text[1:2] and text[1] in _CURRENCY:
        text = text[0] + text[2:].strip()
    if "," in text:
        if not _GROUPED.match(text):
            raise ValueError(f"{raw!r} is not a number (misplaced thousands separator)")
        text = text.replace(",", "")
    if not _NUMBER.match(text):
        raise ValueError(f"{raw!r} is not a number")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{raw!r} is not a finite number")
    mantissa = text.lower().split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    if percent:
        value /= 100
        decimals += 2
    return _checked(value, raw), decimals


def _checked(value: float, raw: str) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{raw!r} is not a finite number")
    if value < 0:
        raise ValueError(f"{raw!r} is negative")
    return value


def parse_day(cell: object) -> str:
    """The ISO day (`YYYY-MM-DD`) a date cell names; ValueError when it names none."""
    if cell is None:
        raise ValueError("no date")
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, int) and not isinstance(cell, bool):
        cell = str(cell)
    if not isinstance(cell, str):
        raise ValueError(f"{cell!r} is not a date")
    text = cell.strip()
    if not text:
        raise ValueError("no date")
    m = _DATE_SEP.match(text)
    if m:
        y, mo, d = m.group(1), m.group(3), m.group(4)
    else:
        m = _DATE_COMPACT.match(text)
        if not m:
            raise ValueError(f"{text!r} is not a date (use 2026-11-21, 2026/11/21 or 20261121)")
        y, mo, d = m.group(1), m.group(2), m.group(3)
    try:
        return date(int(y), int(mo), int(d)).isoformat()
    except ValueError:
        raise ValueError(f"{text!r} is not a calendar date") from None


class DayCache:
    """`parse_day` with memory: a file repeats each date once per shop and metric.

    With `last`, a day after it is refused (`opsdesk.domain.validation.check_day`).
    """

    def __init__(self, last: date | None = None) -> None:
        self.known: dict[object, str] = {}
        """Cells already read as a day (and allowed): a hot loop may look here first."""
        self._bad: dict[object, str] = {}
        self.last = last

    def __call__(self, cell: object) -> str:
        found = self.known.get(cell)
        if found is not None:
            return found
        if cell in self._bad:
            raise ValueError(self._bad[cell])
        try:
            found = parse_day(cell)
            reason = check_day(date.fromisoformat(found), self.last)
            if reason is not None:
                raise ValueError(reason)
        except ValueError as e:
            self._bad[cell] = str(e)
            raise
        self.known[cell] = found
        return found
