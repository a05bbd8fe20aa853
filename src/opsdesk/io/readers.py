"""Reading import files into rows of cells: CSV in UTF-8 (with or without BOM) or GB18030/GBK,
and XLSX (every worksheet, through openpyxl in read-only mode).

A file is a list of `Sheet`s: one for a CSV file, one per worksheet for XLSX. `Sheet.line()`
is the line number of the row last read (the spreadsheet row for XLSX), asked for only when a
message must point at it, so reading stays as fast as the csv module. CSV cells are strings;
XLSX cells are what the sheet holds (str, int, float, datetime, or None for an empty cell).
A worksheet also tells its merged ranges and, as it is read, its formula cells that have no
computed value (a file written by a program, never opened in a spreadsheet): the importer
refuses both where they touch the data.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CSV_SUFFIXES = (".csv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
ENCODINGS = ("utf-8-sig", "gb18030")
"""Tried in this order; GB18030 is a superset of GBK and GB2312."""


class ReadError(ValueError):
    """A file that cannot be read at all (missing, unknown format, undecodable)."""


Row = list[object]


@dataclass
class Sheet:
    """The rows of one CSV file or worksheet, and where the reading is."""

    name: str | None
    """The worksheet's name (None for a CSV file)."""
    rows: Iterator[Row]
    line: Callable[[], int]
    merged: list[tuple[str, int, int]] = field(default_factory=list)
    """Merged ranges: (`A3:A4`, first row, last row)."""
    formulas: list[tuple[int, int, str]] = field(default_factory=list)
    """Formula cells without a computed value read so far: (row, column index, `D2`); they
    read as empty."""


@dataclass
class SourceFile:
    """A file opened for import: its bytes' hash, its encoding, its sheets."""

    path: Path
    kind: str  # "csv" or "xlsx"
    sha256: str
    encoding: str
    sheets: list[Sheet]

    @property
    def rows(self) -> Iterator[Row]:
        return self.sheets[0].rows

    def line(self) -> int:
        return self.sheets[0].line()


Report = Callable[[int, int | None], None]
"""Told (lines read, lines in the file or None) every REPORT_EVERY rows, for a progress bar."""
REPORT_EVERY = 20_000


def open_source(path: Path, report: Report | None = None) -> SourceFile:
    """Open a CSV or XLSX file; ReadError names the file and what is wrong with it.

    With `report`, reading tells how far it is (only then: the hot loop pays nothing).
    """
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES + XLSX_SUFFIXES:
        raise ReadError(f"{path}: not a CSV or XLSX file (expected .csv or .xlsx)")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ReadError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ReadError(f"{path}: is a directory") from None
    except OSError as e:
        raise ReadError(f"{path}: cannot read: {e.strerror}") from None
    digest = hashlib.sha256(data).hexdigest()
    if suffix in XLSX_SUFFIXES:
        return SourceFile(path, "xlsx", digest, "xlsx", _xlsx_sheets(path, data))
    text, encoding = decode(path, data)
    reader = csv.reader(io.StringIO(text, newline=""))
    line = _line_of(reader)
    rows = _csv_rows(path, reader)
    if report is not None:
        rows = _reporting(rows, line, text.count("\n"), report)
    sheet = Sheet(None, rows, line)
    return SourceFile(path, "csv", digest, encoding, [sheet])


def _reporting(
    rows: Iterator[Row], line: Callable[[], int], total: int, report: Report
) -> Iterator[Row]:
    n = 0
    for row in rows:
        n += 1
        if n % REPORT_EVERY == 0:
            report(line(), total)
        yield row
    report(line(), total)


def decode(path: Path, data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was in (UTF-8 first, then GB18030)."""
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8-sig":
            encoding = "utf-8 with BOM" if data.startswith(codecs.BOM_UTF8) else "utf-8"
        return text, encoding
    raise ReadError(_undecodable(path, data))


def _undecodable(path: Path, data: bytes) -> str:
    """Why a file decodes as neither encoding, naming the first line at fault: one that is
    neither, or else (a file mixing the two) the first that is not UTF-8."""
    lines = data.split(b"\n")
    lines[0] = lines[0].removeprefix(codecs.BOM_UTF8)

    def decodes(line: bytes, encoding: str) -> bool:
        try:
            line.decode(encoding)
        except UnicodeDecodeError:
            return False
        return True

    for number, line in enumerate(lines, start=1):
        if not decodes(line, "utf-8") and not decodes(line, "gb18030"):
            return (
                f"{path}:{number}: cannot decode the file as UTF-8 or GB18030/GBK: line {number}"
                " is the first that is neither"
            )
    number = next(n for n, line in enumerate(lines, start=1) if not decodes(line, "utf-8"))
    return (
        f"{path}:{number}: cannot decode the file as UTF-8 or GB18030/GBK: it mixes them"
        f" (line {number} is the first that is not UTF-8); save it in one encoding"
    )


def _line_of(reader: Any) -> Callable[[], int]:
    return lambda: int(reader.line_num)


def _csv_rows(path: Path, reader: Any) -> Iterator[Row]:
    try:
        yield from reader
    except csv.Error as e:
        raise ReadError(f"{path}:{reader.line_num}: not valid CSV: {e}") from None


_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+)([0-9]+)(?::([A-Z]+)([0-9]+))?"')


def _xlsx_sheets(path: Path, data: bytes) -> list[Sheet]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        names = list(book.sheetnames)
        parts = [getattr(ws, "_worksheet_path", None) for ws in book.worksheets]
        book.close()
        archive = zipfile.ZipFile(io.BytesIO(data))
        xml = [archive.read(p) if p else b"" for p in parts]
    except Exception as e:  # openpyxl raises many kinds for a damaged or foreign file
        raise ReadError(f"{path}: not a readable XLSX workbook ({type(e).__name__})") from None
    sheets = []
    for i, name in enumerate(names):
        rows = _XlsxRows(path, data, i, has_formulas=b"<f" in xml[i])
        merged = []
        for first_col, first_row, last_col, last_row in _MERGE.findall(xml[i]):
            ref = (first_col + first_row).decode()
            if last_col:
                ref += ":" + (last_col + last_row).decode()
            merged.append((ref, int(first_row), int(last_row or first_row)))
        sheets.append(Sheet(name, iter(rows), rows.line, merged, rows.formulas))
    return sheets


class _XlsxRows:
    """The rows of one worksheet, counting them. A sheet with formulas is read twice in step
    (values and formulas) to find the formula cells that hold no computed value."""

    def __init__(self, path: Path, data: bytes, index: int, *, has_formulas: bool) -> None:
        self.path = path
        self.data = data
        self.index = index
        self.has_formulas = has_formulas
        self.number = 0
        self.formulas: list[tuple[int, int, str]] = []

    def line(self) -> int:
        return self.number

    def __iter__(self) -> Iterator[Row]:
        from openpyxl import load_workbook
        from openpyxl.utils import get_column_letter

        book = load_workbook(io.BytesIO(self.data), read_only=True, data_only=True)
        formulas = (
            load_workbook(io.BytesIO(self.data), read_only=True, data_only=False)
            if self.has_formulas
            else None
        )
        try:
            values = book.worksheets[self.index].iter_rows(values_only=True)
            if formulas is None:
                for row in values:
                    self.number += 1
                    yield list(row)
                return
            written = formulas.worksheets[self.index].iter_rows(values_only=True)
            for row, source in zip(values, written, strict=False):
                self.number += 1
                for j, (value, text) in enumerate(zip(row, source, strict=False)):
                    if value is None and isinstance(text, str) and text.startswith("="):
                        address = f"{get_column_letter(j + 1)}{self.number}"
                        self.formulas.append((self.number, j, address))
                yield list(row)
        finally:
            book.close()
            if formulas is not None:
                formulas.close()
