"""Read a procedure file (CSV or JSON) into rows of text, before any row is checked.

How the format's open points are decided is told in procedures.py.
"""

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django.utils.translation import gettext as _

from municipalities.validation import codepoint, control_character, shown

from .files import (
    ImportFileError,
    Problem,
    ProblemList,
    csv_header,
    csv_rows,
    decode_text,
    json_list_items,
    too_many_rows,
)

REQUIRED_COLUMNS = ("ars", "titel", "url", "zustaendigkeit", "leika_schluessel")
OPTIONAL_COLUMNS = ("ozg_id", "aktiv")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
KEY_SEPARATOR = "|"
CSV_DELIMITERS = (";", ",", "\t")
SPREADSHEET_EXTENSIONS = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".numbers"})

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


def read_file(data: bytes, filename: str = "", *, max_rows: int | None = None) -> Records:
    """Decode a procedure file and split it into rows; raise ImportFileError if unreadable.

    A JSON file of more than `max_rows` entries is refused here; a CSV file's rows are counted
    as they are read (plan_import stops after `max_rows`).
    """
    text_format = detect_format(filename)
    text, _encoding = decode_text(data)
    if text_format is None:
        text_format = "json" if text.lstrip()[:1] in ("[", "{") else "csv"
    return read_json(text, max_rows=max_rows) if text_format == "json" else read_csv(text)


def detect_format(filename: str) -> str | None:
    """Return "csv" or "json" by the file's extension, or None when the content must decide."""
    extension = PurePath(filename).suffix.lower() if filename else ""
    if extension in (".csv", ".json"):
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


def read_csv(text: str) -> Records:
    """Split CSV text into rows keyed by the header's column names."""
    lines = io.StringIO(text, newline="")
    first_line = lines.readline()
    delimiter = None
    match = re.fullmatch(r"sep=(.)\r?\n?", first_line)
    if match:
        delimiter = match.group(1)
        first_line = lines.readline()
    while first_line and not first_line.strip():
        first_line = lines.readline()
    if delimiter is None:
        delimiter = _detect_delimiter(first_line)
    header_end = lines.tell()
    header_line = text[:header_end].count("\n") or 1
    header = [name.strip().lower() for name in csv_header(first_line, delimiter)]
    records = Records(
        rows=iter(()),
        columns=set(header),
        label=_("Zeile %(line)s"),
        total=text.count("\n", header_end) + (not text.endswith("\n")),
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
    lines: io.StringIO, header: list[str], delimiter: str, header_line: int
) -> Iterator[Row]:
    reader = csv.reader(lines, delimiter=delimiter)
    width = len(header)
    unreadable: list[Problem] = []
    for line, values in csv_rows(reader, unreadable, first_line=header_line + 1):
        if len(values) > width and any(value.strip() for value in values[width:]):
            yield line, {}, _too_many_values(len(values), width)
            continue
        yield line, dict(zip(header, values, strict=False)), None
    for problem in unreadable:
        yield problem.line, {}, problem.message


def _too_many_values(found: int, width: int) -> str:
    return _(
        "Die Zeile hat %(found)d Werte, der Kopf nur %(width)d Spalten. Enthält ein Wert das "
        "Trennzeichen, muss er in Anführungszeichen stehen."
    ) % {"found": found, "width": width}


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
