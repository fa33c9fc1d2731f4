"""What every importer shares: reading a data file, and reporting what is wrong with it.

A file is read as bytes and decoded once (`decode_text`), the same way for the register, the
LeiKa catalogue and a procedure file uploaded in the portal, so that a file one of them refuses
is refused by the others with the same words. Each problem is a `Problem`; a file that cannot be
imported raises them together in an `ImportFileError`.
"""

import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
MAX_REPORTED_PROBLEMS = 20
# Text holds no control characters but tab, line feed, vertical tab, form feed and carriage
# return; a vertical tab is what a line break copied out of Word or PowerPoint becomes.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# What people hand in instead of a text file, told by its first bytes.
BINARY_SIGNATURES = {
    b"PK\x03\x04": "ZIP/Excel (.xlsx)",
    b"\xd0\xcf\x11\xe0": "Excel 97-2003 (.xls)",
    b"%PDF": "PDF",
}
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a file, or a row of it, cannot be imported.

    `line` is the 1-based line (or, in JSON, entry) it belongs to, None for the file as a whole;
    `label` names that position when "Zeile n" does not ("Eintrag 3").
    """

    line: int | None
    message: str
    label: str = ""

    def __str__(self) -> str:
        if self.label:
            return f"{self.label}: {self.message}"
        if self.line is None:
            return self.message
        return _("Zeile %(line)d: %(message)s") % {"line": self.line, "message": self.message}


class ImportFileError(Exception):
    """A data file that cannot be imported as a whole; nothing was changed."""

    def __init__(self, problems: Sequence[Problem], *, path: Path | str | None = None) -> None:
        self.problems = list(problems)
        self.path = str(path) if path is not None else None
        super().__init__(self.summary())

    @classmethod
    def about_file(cls, message: str, *, path: Path | str | None = None) -> "ImportFileError":
        """Return the error for one problem of the file as a whole."""
        return cls([Problem(None, message)], path=path)

    def summary(self, limit: int = MAX_REPORTED_PROBLEMS) -> str:
        """Describe the first `limit` problems and how many more there are, in German."""
        bad_lines = len({problem.line for problem in self.problems if problem.line is not None})
        if bad_lines and self.path:
            head = ngettext(
                "Die Datei %(path)s wurde nicht eingelesen, nichts wurde geändert. "
                "%(count)d fehlerhafte Zeile:",
                "Die Datei %(path)s wurde nicht eingelesen, nichts wurde geändert. "
                "%(count)d fehlerhafte Zeilen:",
                bad_lines,
            ) % {"path": self.path, "count": bad_lines}
        elif bad_lines:
            head = ngettext(
                "Die Datei wurde nicht eingelesen, nichts wurde geändert. "
                "%(count)d fehlerhafte Zeile:",
                "Die Datei wurde nicht eingelesen, nichts wurde geändert. "
                "%(count)d fehlerhafte Zeilen:",
                bad_lines,
            ) % {"count": bad_lines}
        elif self.path:
            head = _("Die Datei %(path)s wurde nicht eingelesen, nichts wurde geändert.") % {
                "path": self.path
            }
        else:
            head = _("Die Datei wurde nicht eingelesen, nichts wurde geändert.")
        lines = [head, *(f"  {problem}" for problem in self.problems[:limit])]
        if len(self.problems) > limit:
            lines.append(
                _("  … und %(count)d weitere Fehler.") % {"count": len(self.problems) - limit}
            )
        return "\n".join(lines)


def read_bytes(path: Path | str) -> bytes:
    """Return the content of a file; raise ImportFileError saying why it cannot be read."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        message = _("Die Datei wurde nicht gefunden.")
    except IsADirectoryError:
        message = _("Das ist ein Ordner, keine Datei.")
    except OSError as error:
        message = _("Die Datei kann nicht gelesen werden: %(error)s") % {
            "error": error.strerror or error
        }
    raise ImportFileError.about_file(message, path=path)


def read_text(path: Path | str) -> tuple[str, str]:
    """Return the text of a file and the encoding it was read with (see `decode_text`)."""
    data = read_bytes(path)
    try:
        return decode_text(data)
    except ImportFileError as error:
        raise ImportFileError(error.problems, path=path) from None


def decode_text(data: bytes) -> tuple[str, str]:
    """Return the text of a file's bytes and the encoding: "utf-8" or "windows-1252".

    UTF-8 (with or without BOM) first; bytes that are not valid UTF-8 are almost always
    Windows-1252, which older Destatis issues and Excel's "CSV (Trennzeichen-getrennt)" use.
    Empty files, UTF-16 ("Unicode-Text") and binary files are refused rather than guessed at.
    """
    if data.startswith(UTF16_BOMS):
        raise ImportFileError.about_file(
            _(
                "Die Datei ist in UTF-16 („Unicode-Text“) gespeichert. Bitte als UTF-8 speichern "
                "(in Excel: „Speichern unter“ → „CSV UTF-8“)."
            )
        )
    for signature, kind in BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise ImportFileError.about_file(
                _(
                    "Die Datei ist keine Textdatei, sondern %(kind)s. Bitte die Daten als "
                    "Textdatei speichern (in Excel: „Speichern unter“ → „CSV UTF-8“)."
                )
                % {"kind": kind}
            )
    not_text = ImportFileError.about_file(
        _("Die Datei ist keine Textdatei oder ihre Zeichenkodierung ist unbekannt.")
    )
    if b"\x00" in data:
        raise not_text
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        try:
            text, encoding = data.decode("cp1252"), "windows-1252"
        except UnicodeDecodeError:
            raise not_text from None
    # DOS tools ended files with Ctrl-Z.
    text = text.removesuffix("\x1a")
    if CONTROL_CHARACTERS.search(text):
        raise not_text
    if not text or text.isspace():
        raise ImportFileError.about_file(_("Die Datei ist leer."))
    return text, encoding


def csv_rows(
    reader: Any, problems: list[Problem], *, first_line: int = 1
) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, cells) for the non-empty rows of a `csv.reader`.

    A row is numbered by the physical line it starts on, so a quoted line break counts;
    `first_line` is the number of the reader's first line. A row that cannot be read (in
    practice a quote never closed swallowed the rest of the file) ends the file with a problem.
    """
    while True:
        line = first_line + reader.line_num
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            problems.append(
                Problem(
                    line,
                    _(
                        "Die Zeile kann nicht gelesen werden: ein Anführungszeichen ist nicht "
                        "geschlossen oder ein Wert ist viel zu lang."
                    ),
                )
            )
            return
        if any(cell.strip() for cell in row):
            yield line, row


def csv_columns(
    reader: Any, wanted: Sequence[str], *, path: Path | str
) -> tuple[dict[str, int], int]:
    """Read the header row; return the position of each wanted column and the header's width.

    Refuse the file when a wanted column is missing.
    """
    header = [column.strip() for column in next(reader, [])]
    missing = [column for column in wanted if column not in header]
    if missing:
        raise ImportFileError.about_file(
            _("Der Datei fehlen die Spalten: %(columns)s.") % {"columns": ", ".join(missing)},
            path=path,
        )
    return {column: header.index(column) for column in wanted}, len(header)


def wrong_width(line: int, found: int, expected: int) -> Problem:
    """Return the problem of a row with another number of cells than the header."""
    return Problem(
        line,
        _("Die Zeile hat %(count)d statt %(expected)d Spalten.")
        % {"count": found, "expected": expected},
    )
