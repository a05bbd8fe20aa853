"""Reading import files into rows of cells: CSV in UTF-8 (with or without BOM) or GB18030/GBK,
and XLSX (the first worksheet, through openpyxl in read-only mode).

Rows come with their line number in the file (the spreadsheet row for XLSX) so that every
message can point at it. CSV cells are strings; XLSX cells are what the sheet holds (str,
int, float, datetime, or None for an empty cell).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CSV_SUFFIXES = (".csv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
ENCODINGS = ("utf-8-sig", "gb18030")
"""Tried in this order; GB18030 is a superset of GBK and GB2312."""


class ReadError(ValueError):
    """A file that cannot be read at all (missing, unknown format, undecodable)."""


Row = tuple[int, list[object]]


@dataclass
class SourceFile:
    """A file opened for import: its bytes' hash, its encoding, and its rows."""

    path: Path
    kind: str  # "csv" or "xlsx"
    sha256: str
    encoding: str
    rows: Iterator[Row]


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
        return SourceFile(path, "xlsx", digest, "xlsx", _xlsx_rows(path, data))
    text, encoding = decode(path, data)
    return SourceFile(path, "csv", digest, encoding, _csv_rows(path, text))


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


def _csv_rows(path: Path, text: str) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for cells in reader:
            yield start, list(cells)
            start = reader.line_num + 1
    except csv.Error as e:
        raise ReadError(f"{path}:{reader.line_num}: not valid CSV: {e}") from None


def _xlsx_rows(path: Path, data: bytes) -> Iterator[Row]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a damaged or foreign file
        raise ReadError(f"{path}: not a readable XLSX workbook ({type(e).__name__})") from None
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
            yield number, list(values)
    finally:
        book.close()
