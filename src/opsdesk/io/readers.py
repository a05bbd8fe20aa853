"""Reading import files into rows of cells: CSV in UTF-8 (with or without BOM) or GB18030/GBK,
and XLSX (the first worksheet, through openpyxl in read-only mode).

`SourceFile.line()` is the line number of the row last read (the spreadsheet row for XLSX),
asked for only when a message must point at it, so reading stays as fast as the csv module.
CSV cells are strings; XLSX cells are what the sheet holds (str, int, float, datetime, or
None for an empty cell).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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
class SourceFile:
    """A file opened for import: its bytes' hash, its encoding, its rows and where we are."""

    path: Path
    kind: str  # "csv" or "xlsx"
    sha256: str
    encoding: str
    rows: Iterator[Row]
    line: Callable[[], int]


def open_source(path: Path) -> SourceFile:
    """Open a CSV or XLSX file; ReadError names the file and what is wrong with it."""
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
        sheet = _XlsxRows(path, data)
        return SourceFile(path, "xlsx", digest, "xlsx", iter(sheet), sheet.line)
    text, encoding = decode(path, data)
    reader = csv.reader(io.StringIO(text, newline=""))
    return SourceFile(path, "csv", digest, encoding, _csv_rows(path, reader), _line_of(reader))


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
    raise ReadError(f"{path}: cannot decode the file as UTF-8 or GB18030/GBK")


def _line_of(reader: Any) -> Callable[[], int]:
    return lambda: int(reader.line_num)


def _csv_rows(path: Path, reader: Any) -> Iterator[Row]:
    try:
        yield from reader
    except csv.Error as e:
        raise ReadError(f"{path}:{reader.line_num}: not valid CSV: {e}") from None


class _XlsxRows:
    """The rows of the first worksheet, counting them."""

    def __init__(self, path: Path, data: bytes) -> None:
        self.path = path
        self.data = data
        self.number = 0

    def line(self) -> int:
        return self.number

    def __iter__(self) -> Iterator[Row]:
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(self.data), read_only=True, data_only=True)
        except Exception as e:  # openpyxl raises many kinds for a damaged or foreign file
            raise ReadError(
                f"{self.path}: not a readable XLSX workbook ({type(e).__name__})"
            ) from None
        try:
            for values in book.worksheets[0].iter_rows(values_only=True):
                self.number += 1
                yield list(values)
        finally:
            book.close()
