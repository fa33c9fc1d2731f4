"""Tables that people open in a spreadsheet: cells that never run as a formula.

A spreadsheet runs a cell that starts like a formula (OWASP "CSV injection"); a Kommune's name
or a comment could start with "=". The public open data's CSV (digitalesamt.public) uses the
same prefixes.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def csv_cell(value: Any) -> Any:
    """Return a value as a CSV cell: nothing for None, text like a formula behind a '."""
    if value is None:
        return ""
    if looks_like_formula(value):
        return f"'{value}"
    return value


def csv_value(cell: str) -> str:
    """Return what `csv_cell` wrote for a text: its ' before a formula's first character dropped.

    So that a file this module wrote reads back as the values it was written from.
    """
    if cell.startswith("'") and looks_like_formula(cell[1:]):
        return cell[1:]
    return cell


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV file German Excel opens with a double click: UTF-8 with BOM, ";" between cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([csv_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """An Excel workbook of one sheet; dates stay dates, text that looks like a formula text."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]  # Excel's limit for a sheet name
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            if looks_like_formula(cell.value):
                # Stored as text and marked as such: Excel shows it and never evaluates it.
                cell.data_type = "s"
                cell.quotePrefix = True
            elif hasattr(cell.value, "year"):
                cell.number_format = "DD.MM.YYYY"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
