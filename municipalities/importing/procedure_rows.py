"""Read a procedure file (CSV or JSON) into rows of text, before any row is checked.

How the format's open points are decided is told in procedures.py.
"""

import csv
import datetime
import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, BinaryIO

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from digitalesamt.lib.spreadsheet import csv_value
from municipalities.validation import codepoint, control_character, shown

from .files import (
    DecodedStream,
    ImportFileError,
    Problem,
    ProblemList,
    csv_header,
    csv_rows,
    decode_stream,
    json_list_items,
    too_many_rows,
)

REQUIRED_COLUMNS = ("ars", "titel", "url", "zustaendigkeit", "leika_schluessel")
OPTIONAL_COLUMNS = ("ozg_id", "aktiv")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
KEY_SEPARATOR = "|"
CSV_DELIMITERS = (";", ",", "\t")
# Read: .xlsx (read_xlsx). Refused with a hint: the rest, .xlsm for its macros.
SPREADSHEET_EXTENSIONS = frozenset({".xlsm", ".xls", ".ods", ".numbers"})
# An .xlsx is a ZIP: what it may unpack to, as a multiple of the upload's limit, and how many
# parts it may have, so that a small file cannot unpack to gigabytes.
XLSX_MAX_UNPACKED_FACTOR = 20
XLSX_MAX_PARTS = 500

# (position, {column: text}, problem); see Records.
Row = tuple[int, dict[str, str], str | None]


@dataclass
class Records:
    """Rows of a file as (position, {column: text}, problem) before any check.

    `problem` says why a row's cells cannot be told apart (e.g. too many values); None if fine.
    """

    rows: Iterator[Row]
    columns: set[str]
    label: str
    total: int
    errors: ProblemList = field(default_factory=ProblemList)
    warnings: ProblemList = field(default_factory=ProblemList)
    # False when a file-level error makes checking the rows pointless.
    rows_follow: bool = True


def read_file(
    data: bytes | BinaryIO, filename: str = "", *, max_rows: int | None = None
) -> Records:
    """Decode a procedure file and split it into rows; raise ImportFileError if unreadable.

    `data` is the file's bytes or a seekable binary file: a CSV file is read from it as a
    stream. A JSON file of more than `max_rows` entries is refused here; the rows of a CSV file
    or an Excel workbook are counted as they are read (plan_import stops after `max_rows`).
    """
    text_format = detect_format(filename)
    if text_format == "xlsx":
        return read_xlsx(data if isinstance(data, bytes) else data.read())
    source = decode_stream(data)
    if text_format is None:
        text_format = "json" if _first_character(source.text) in ("[", "{") else "csv"
    if text_format == "json":
        return read_json(source.text.read(), max_rows=max_rows)
    return read_csv(source)


def _first_character(text: io.TextIOBase) -> str:
    """Return the first character of a text stream that is not white space, and rewind it."""
    first = ""
    while not first:
        piece = text.read(4096)
        if not piece:
            break
        first = piece.lstrip()[:1]
    text.seek(0)
    return first


def detect_format(filename: str) -> str | None:
    """Return "csv" or "json" by the file's extension, or None when the content must decide."""
    extension = PurePath(filename).suffix.lower() if filename else ""
    if extension in (".csv", ".json", ".xlsx"):
        return extension[1:]
    if extension in SPREADSHEET_EXTENSIONS:
        raise ImportFileError.about_file(
            _(
                "Tabellen im Format %(extension)s können nicht gelesen werden. Bitte die Tabelle "
                "als CSV speichern (in Excel: „Speichern unter“ → „CSV UTF-8“) oder JSON liefern."
            )
            % {"extension": extension}
        )
    return None


def read_csv(source: DecodedStream) -> Records:
    """Split CSV text into rows keyed by the header's column names, reading it as a stream."""
    lines = source.text
    first_line = lines.readline()
    line_feeds = first_line.count("\n")  # in the lines up to the header
    delimiter = None
    match = re.fullmatch(r"sep=(.)\r?\n?", first_line)
    if match:
        delimiter = match.group(1)
        first_line = lines.readline()
        line_feeds += first_line.count("\n")
    while first_line and not first_line.strip():
        first_line = lines.readline()
        line_feeds += first_line.count("\n")
    if delimiter is None:
        delimiter = _detect_delimiter(first_line)
    header_line = line_feeds or 1
    header = [name.strip().lower() for name in csv_header(first_line, delimiter)]
    records = Records(
        rows=iter(()),
        columns=set(header),
        label=_("Zeile %(line)s"),
        total=source.line_feeds - line_feeds + (not source.ends_with_line_feed),
    )
    duplicates = sorted(name for name, count in Counter(header).items() if name and count > 1)
    for name in duplicates:
        records.errors.append(
            Problem(
                None, _("Die Spalte „%(column)s“ kommt mehrfach vor.") % {"column": shown(name)}
            )
        )
    _check_columns(records, header)
    if records.errors:
        records.rows_follow = False
        return records
    records.rows = _csv_rows(lines, header, delimiter, header_line)
    return records


def _detect_delimiter(header: str) -> str:
    """Pick the delimiter that splits the header into the most known column names."""

    def known(delimiter: str) -> int:
        try:
            names = next(csv.reader([header], delimiter=delimiter), [])
        except csv.Error:  # a value past the field size limit: csv_header says so
            return 0
        return sum(name.strip().lower() in COLUMNS for name in names)

    return max(CSV_DELIMITERS, key=known)


def _csv_rows(
    lines: io.TextIOBase, header: list[str], delimiter: str, header_line: int
) -> Iterator[Row]:
    reader = csv.reader(lines, delimiter=delimiter)
    width = len(header)
    unreadable: list[Problem] = []
    for line, values in csv_rows(reader, unreadable, first_line=header_line + 1):
        if len(values) > width and any(value.strip() for value in values[width:]):
            yield line, {}, _too_many_values(len(values), width)
            continue
        yield line, dict(zip(header, map(csv_value, values), strict=False)), None
    for problem in unreadable:
        yield problem.line, {}, problem.message


def _too_many_values(found: int, width: int) -> str:
    return _(
        "Die Zeile hat %(found)d Werte, der Kopf nur %(width)d Spalten. Enthält ein Wert das "
        "Trennzeichen, muss er in Anführungszeichen stehen."
    ) % {"found": found, "width": width}


def read_xlsx(data: bytes) -> Records:
    """Read the first sheet of an Excel workbook (.xlsx): a header row, then one row a procedure.

    Cells are taken as Excel shows them: numbers without a fraction as digits (a LeiKa key typed
    as a number), "ja"/"nein" for TRUE/FALSE. The XML parts are parsed by the standard library's
    expat, which fetches no external entities and stops entity expansion bombs.
    """
    unreadable = ImportFileError.about_file(
        _(
            "Die Datei ist keine lesbare Excel-Arbeitsmappe (.xlsx). Bitte speichern Sie sie in "
            "Excel erneut als „Excel-Arbeitsmappe“ oder als „CSV UTF-8“."
        )
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            unpacked = sum(part.file_size for part in parts)
        if len(parts) > XLSX_MAX_PARTS or unpacked > (
            XLSX_MAX_UNPACKED_FACTOR * settings.PROCEDURE_FILE_MAX_BYTES
        ):
            raise unreadable
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        cells = sheet.iter_rows(values_only=True)
        header_line, header_cells = 0, ()
        for number, row in enumerate(cells, start=1):
            if any(_xlsx_text(cell).strip() for cell in row):
                header_line, header_cells = number, row
                break
    except ImportFileError:
        raise
    except (zipfile.BadZipFile, InvalidFileException, KeyError, IndexError, OSError, ValueError):
        raise unreadable from None
    header = [_xlsx_text(cell).strip().lower() for cell in header_cells]
    while header and not header[-1]:
        header.pop()
    records = Records(
        rows=iter(()),
        columns=set(header),
        label=_("Zeile %(line)s"),
        total=max((sheet.max_row or 0) - header_line, 0),
    )
    duplicates = sorted(name for name, count in Counter(header).items() if name and count > 1)
    for name in duplicates:
        records.errors.append(
            Problem(
                None, _("Die Spalte „%(column)s“ kommt mehrfach vor.") % {"column": shown(name)}
            )
        )
    _check_columns(records, header)
    if records.errors:
        records.rows_follow = False
        workbook.close()
        return records
    records.rows = _xlsx_rows(workbook, cells, header, header_line, unreadable)
    return records


def _xlsx_rows(
    workbook: Any, cells: Iterator[tuple], header: list[str], header_line: int, unreadable
) -> Iterator[Row]:
    width = len(header)
    try:
        for line, row in enumerate(cells, start=header_line + 1):
            values = [_xlsx_text(cell) for cell in row]
            if not any(value.strip() for value in values):
                continue
            if any(value.strip() for value in values[width:]):
                yield line, {}, _too_many_values(len(values), width)
                continue
            record = dict(zip(header, values, strict=False))
            character = next(
                (c for value in values if (c := control_character(value)) is not None), None
            )
            if character is not None:
                yield (
                    line,
                    {},
                    _(
                        "Die Zeile enthält ein Steuerzeichen oder ungültiges Zeichen (%(char)s). "
                        "Bitte entfernen Sie es."
                    )
                    % {"char": codepoint(character)},
                )
                continue
            yield line, record, None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise unreadable from None
    finally:
        workbook.close()


def _xlsx_text(value: Any) -> str:
    """Return a cell's value as the text the import format expects."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value)


def read_json(text: str, *, max_rows: int | None = None) -> Records:
    """Read a JSON list of procedure objects (or {"verfahren": [...]}), one entry at a time.

    The entries are read twice, for their column names and then as rows, so that no list of
    all entries is held in memory.
    """
    limit = None if max_rows is None else max_rows + 1

    def entries() -> Iterator[tuple[int, Any]]:
        return json_list_items(
            text,
            key="verfahren",
            not_a_list=_(
                "Die JSON-Datei muss eine Liste von Verfahren enthalten "
                "(oder ein Objekt mit der Liste unter „verfahren“)."
            ),
            limit=limit,
        )

    columns: set[str] = set()
    total = 0
    for position, item in entries():
        total = position
        if isinstance(item, dict):
            for key in item:
                name = key.strip().lower()
                character = control_character(name)
                if character is not None:
                    raise ImportFileError.about_file(
                        _(
                            "Ein Feldname in Eintrag %(position)d enthält ein Steuerzeichen oder "
                            "ungültiges Zeichen (%(char)s): „%(name)s“. Bitte entfernen Sie es."
                        )
                        % {"position": position, "char": codepoint(character), "name": shown(name)}
                    )
                columns.add(name)
    if max_rows is not None and total > max_rows:
        raise ImportFileError([too_many_rows(max_rows)])
    label = _("Eintrag %(line)s")
    records = Records(rows=iter(()), columns=columns, label=label, total=total)
    if total:
        _check_columns(records, sorted(columns))
    if records.errors:
        records.rows_follow = False
        return records
    records.rows = _json_rows(entries(), columns)
    return records


def _json_rows(entries: Iterator[tuple[int, Any]], columns: set[str]) -> Iterator[Row]:
    for position, item in entries:
        if not isinstance(item, dict):
            yield position, {}, _("Der Eintrag ist kein Objekt mit den Feldern eines Verfahrens.")
            continue
        record: dict[str, str] = {}
        problems = []
        for key, value in item.items():
            name = key.strip().lower()
            text = _json_value(name, value)
            if text is None:
                problems.append(
                    _("Das Feld „%(column)s“ muss Text enthalten.") % {"column": shown(name)}
                )
                continue
            character = control_character(text)
            if character is not None:
                # "\u0000" or "\ud800" decode to what no database column or page can take.
                problems.append(
                    _(
                        "Das Feld „%(column)s“ enthält ein Steuerzeichen oder ungültiges Zeichen "
                        "(%(char)s). Bitte entfernen Sie es."
                    )
                    % {"column": shown(name), "char": codepoint(character)}
                )
                continue
            record[name] = text
        for name in OPTIONAL_COLUMNS:
            # A key that other entries carry but this one lacks means the default, not "keep".
            if name in columns:
                record.setdefault(name, "")
        yield position, record, " ".join(problems) or None


def _json_value(name: str, value: Any) -> str | None:
    if value is None:
        return ""
    if isinstance(value, bool):
        return ("ja" if value else "nein") if name == "aktiv" else None
    if isinstance(value, str | int):
        return str(value)
    if (
        name == "leika_schluessel"
        and isinstance(value, list)
        and all(isinstance(key, str | int) and not isinstance(key, bool) for key in value)
    ):
        return KEY_SEPARATOR.join(str(key) for key in value)
    return None


# Names a message about a missing column lists of those found.
SHOWN_COLUMNS = 20


def _check_columns(records: Records, names: list[str]) -> None:
    named = [shown(name) for name in names[: SHOWN_COLUMNS + 1] if name]
    if len(named) > SHOWN_COLUMNS:
        named[SHOWN_COLUMNS:] = ["…"]
    found = ", ".join(named) or "–"
    for column in REQUIRED_COLUMNS:
        if column not in records.columns:
            records.errors.append(
                Problem(
                    None,
                    _("Die Pflichtspalte „%(column)s“ fehlt (gefunden: %(found)s).")
                    % {"column": column, "found": found},
                )
            )
    for name in names:
        if name and name not in COLUMNS:
            records.warnings.append(
                Problem(
                    None,
                    _("Die Spalte „%(column)s“ ist unbekannt und wird ignoriert.")
                    % {"column": shown(name)},
                )
            )
