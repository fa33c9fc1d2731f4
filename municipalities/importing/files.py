"""What every importer shares: reading a data file, and reporting what is wrong with it.

A file is read as bytes and decoded once (`decode_text`), the same way for the register, the
LeiKa catalogue and a procedure file uploaded in the portal, so that a file one of them refuses
is refused by the others with the same words. Each problem is a `Problem`; a file that cannot be
imported raises them together in an `ImportFileError`.

Whatever a file holds, reading it costs memory in proportion to what is kept, not to the file:
problems are kept up to settings.IMPORT_MAX_REPORTED_PROBLEMS and the rest only counted
(`ProblemList`), and a JSON list is decoded one entry at a time (`json_list_items`). What the
parsers cannot take (JSON nested thousands deep, a number of thousands of digits, a CSV value
past the field size limit) is refused with a German message, never an exception.
"""

import codecs
import csv
import io
import json
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from municipalities.validation import CONTROL_CHARACTERS, number

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
MAX_REPORTED_PROBLEMS = 20
JSON_WHITESPACE = re.compile(r"[ \t\n\r]*")
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


class ProblemList(list):
    """Problems in the order found: the first `limit` are kept, the rest only counted.

    Problems of the file as a whole (line None; a few at most) are always kept, since they
    decide whether any row of it can be taken.

    `limit` is settings.IMPORT_MAX_REPORTED_PROBLEMS unless given. A file of millions of bad
    rows thus costs the memory of a hundred problems; `omitted` and `lines` still count them all.
    """

    def __init__(self, problems: Iterable[Problem] = (), *, limit: int | None = None) -> None:
        super().__init__()
        self.limit = settings.IMPORT_MAX_REPORTED_PROBLEMS if limit is None else limit
        self.omitted = 0
        # Distinct lines with a problem; a row's problems come together.
        self.lines = 0
        self._last_line: int | None = None
        self.extend(problems)

    def append(self, problem: Problem) -> None:
        if problem.line is not None and problem.line != self._last_line:
            self.lines += 1
            self._last_line = problem.line
        # A problem of the file as a whole is always kept: it decides whether any row is taken.
        if len(self) < self.limit or problem.line is None:
            super().append(problem)
        else:
            self.omitted += 1

    def extend(self, problems: Iterable[Problem]) -> None:
        lines = self.lines
        for problem in problems:
            self.append(problem)
        if isinstance(problems, ProblemList):
            # What the other list counted without keeping it.
            self.omitted += problems.omitted
            self.lines = lines + problems.lines

    def add(self, line: int, label: str, messages: Sequence[str]) -> None:
        """Add the problems of one row; once the list is full, only count them."""
        if len(self) + len(messages) <= self.limit:
            self.extend(Problem(line, message, label) for message in messages)
            return
        if line != self._last_line:
            self.lines += 1
            self._last_line = line
        kept = max(self.limit - len(self), 0)
        super().extend(Problem(line, message, label) for message in messages[:kept])
        self.omitted += len(messages) - kept

    def __iadd__(self, problems: Iterable[Problem]) -> "ProblemList":
        self.extend(problems)
        return self

    @property
    def total(self) -> int:
        """All problems found, kept or not."""
        return len(self) + self.omitted


def more_problems(count: int) -> str:
    """Return the line that counts the problems not listed: "… und 2.620.817 weitere Fehler."."""
    return _("… und %(count)s weitere Fehler.") % {"count": number(count)}


def too_many_rows(limit: int) -> Problem:
    """Return the problem of a file with more than `limit` rows."""
    return Problem(
        None,
        _(
            "Die Datei hat mehr als %(limit)s Zeilen; höchstens %(limit)s sind erlaubt. Bitte "
            "teilen Sie sie in mehrere Dateien auf."
        )
        % {"limit": number(limit)},
    )


class ImportFileError(Exception):
    """A data file that cannot be imported as a whole; nothing was changed."""

    def __init__(self, problems: Sequence[Problem], *, path: Path | str | None = None) -> None:
        # A ProblemList stays one, with what it counted without keeping it.
        self.problems = problems if isinstance(problems, ProblemList) else list(problems)
        self.omitted = getattr(problems, "omitted", 0)
        self.bad_lines = getattr(
            problems, "lines", len({p.line for p in self.problems if p.line is not None})
        )
        self.path = str(path) if path is not None else None
        super().__init__(self.summary())

    @classmethod
    def about_file(cls, message: str, *, path: Path | str | None = None) -> "ImportFileError":
        """Return the error for one problem of the file as a whole."""
        return cls([Problem(None, message)], path=path)

    def summary(self, limit: int = MAX_REPORTED_PROBLEMS) -> str:
        """Describe the first `limit` problems and how many more there are, in German."""
        bad_lines = self.bad_lines
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
        more = max(len(self.problems) - limit, 0) + self.omitted
        if more:
            lines.append(f"  {more_problems(more)}")
        return "\n".join(lines)


def read_bytes(path: Path | str) -> bytes:
    """Return the content of a file; raise ImportFileError saying why it cannot be read."""
    with open_file(path) as file:
        try:
            return file.read()
        except OSError as error:
            raise ImportFileError.about_file(_unreadable(error), path=path) from None


def open_file(path: Path | str) -> BinaryIO:
    """Open a file to read its bytes; raise ImportFileError as `read_bytes` does."""
    try:
        return Path(path).open("rb")
    except OSError as error:
        raise ImportFileError.about_file(_unreadable(error), path=path) from None


def _unreadable(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return _("Die Datei wurde nicht gefunden.")
    if isinstance(error, IsADirectoryError):
        return _("Das ist ein Ordner, keine Datei.")
    return _("Die Datei kann nicht gelesen werden: %(error)s") % {"error": error.strerror or error}


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
    _refuse_binary(data)
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        try:
            text, encoding = data.decode("cp1252"), "windows-1252"
        except UnicodeDecodeError:
            raise _not_text() from None
    # DOS tools ended files with Ctrl-Z.
    text = text.removesuffix("\x1a")
    if CONTROL_CHARACTERS.search(text):
        raise _not_text()
    if not text or text.isspace():
        raise ImportFileError.about_file(_("Die Datei ist leer."))
    return text, encoding


# Bytes decoded at a time while a file is checked without holding its text.
DECODE_CHUNK = 1 << 20


@dataclass(frozen=True)
class DecodedStream:
    """A file's text as a stream (see `decode_stream`), and what is known of its lines."""

    text: io.TextIOWrapper
    encoding: str
    # Line feeds in the whole text, and whether it ends with one.
    line_feeds: int
    ends_with_line_feed: bool


def decode_stream(data: bytes | BinaryIO) -> DecodedStream:
    """Check a file's bytes as `decode_text` does, and return its text as a stream.

    The same refusals, the same encoding and the same text, but decoded a chunk at a time:
    a file of 500,000 rows is not held again as text (which takes up to four bytes a
    character). `data` is the bytes or a seekable binary file, which is then read twice and
    never held whole.
    """
    stream = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    stream.seek(0)
    _refuse_binary(stream.read(4))
    # DOS tools ended files with Ctrl-Z: rare enough to be cut off a copy.
    if stream.seek(0, io.SEEK_END):
        stream.seek(-1, io.SEEK_END)
        if stream.read(1) == b"\x1a":
            stream.seek(0)
            stream = io.BytesIO(stream.read().removesuffix(b"\x1a"))
    for encoding, codec in (("utf-8", "utf-8-sig"), ("windows-1252", "cp1252")):  # noqa: B007
        scanned = _scan(stream, codec)
        if scanned is not None:
            control, content, line_feeds, last = scanned
            break
    else:
        raise _not_text()
    if control:
        raise _not_text()
    if not content:
        raise ImportFileError.about_file(_("Die Datei ist leer."))
    stream.seek(0)
    return DecodedStream(
        text=io.TextIOWrapper(stream, encoding=codec, newline=""),
        encoding=encoding,
        line_feeds=line_feeds,
        ends_with_line_feed=last == b"\n",
    )


def _scan(stream: BinaryIO, codec: str) -> tuple[bool, bool, int, bytes] | None:
    """Decode a file a chunk at a time: (has a control character, has content, line feeds,
    last byte), or None if it is not valid in `codec`. A NUL byte makes it no text at all.
    """
    stream.seek(0)
    decoder = codecs.getincrementaldecoder(codec)()
    control = content = False
    line_feeds, last = 0, b""
    try:
        while True:
            chunk = stream.read(DECODE_CHUNK)
            if b"\x00" in chunk:
                raise _not_text()
            piece = decoder.decode(chunk, final=not chunk)
            control = control or CONTROL_CHARACTERS.search(piece) is not None
            content = content or not (piece.isspace() or not piece)
            if not chunk:
                break
            line_feeds += chunk.count(b"\n")
            last = chunk[-1:]
    except UnicodeDecodeError:
        return None
    return control, content, line_feeds, last


def _refuse_binary(data: bytes) -> None:
    """Refuse UTF-16 and binary files by their first bytes, before any decoding."""
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
    if b"\x00" in data:  # the first bytes only, from decode_stream
        raise _not_text()


def _not_text() -> ImportFileError:
    return ImportFileError.about_file(
        _("Die Datei ist keine Textdatei oder ihre Zeichenkodierung ist unbekannt.")
    )


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
    try:
        header = [column.strip() for column in next(reader, [])]
    except csv.Error:
        raise ImportFileError([unreadable_header()], path=path) from None
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


def unreadable_header() -> Problem:
    """Return the problem of a CSV header the csv module cannot split."""
    return Problem(
        None,
        _(
            "Die Kopfzeile kann nicht gelesen werden: ein Anführungszeichen ist nicht "
            "geschlossen oder ein Wert ist länger als %(max)s Zeichen."
        )
        % {"max": number(csv.field_size_limit())},
    )


def csv_header(line: str, delimiter: str) -> list[str]:
    """Split a CSV header line into its names; raise ImportFileError if it cannot be read."""
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        raise ImportFileError([unreadable_header()]) from None


def json_list_items(
    text: str, *, key: str, not_a_list: str, limit: int | None = None
) -> Iterator[tuple[int, Any]]:
    """Yield (position from 1, value) for the entries of a JSON list, one entry at a time.

    The list is the document, or the value under `key` of an object (other members are read
    and ignored). Decoding one entry at a time keeps no more than an entry in memory, and stops
    once `limit` entries have been yielded. Raise ImportFileError, saying where, for a document
    that is not JSON, that is nested deeper than the decoder allows, that has a number of more
    digits than Python converts, or that holds no such list (`not_a_list` says what is wanted).
    """
    decoder = json.JSONDecoder()
    position = 0
    try:
        index = _skip(text, 0)
        wrapped = text.startswith("{", index)
        if wrapped:
            index = _find_list(decoder, text, index, key)
        elif text.startswith("[", index):
            index += 1
        else:
            decoder.raw_decode(text, index)  # a broken document is reported as broken
            index = None
        if index is None:
            raise ImportFileError.about_file(not_a_list)
        index = _skip(text, index)
        while not text.startswith("]", index):
            if position:
                index = _skip(text, _expect(text, index, ","))
            position += 1
            if limit is not None and position > limit:
                return
            value, index = decoder.raw_decode(text, index)
            yield position, value
            index = _skip(text, index)
        index += 1
        if wrapped:
            index = _rest_of_object(decoder, text, index)
        index = _skip(text, index)
        if index < len(text):
            raise json.JSONDecodeError("Extra data", text, index)
    except json.JSONDecodeError as error:
        raise ImportFileError.about_file(
            _("Die JSON-Datei ist fehlerhaft (Zeile %(line)d, Spalte %(column)d).")
            % {"line": error.lineno, "column": error.colno}
        ) from None
    except RecursionError:
        raise ImportFileError.about_file(
            _(
                "Die JSON-Datei ist zu tief verschachtelt (Eintrag %(position)d). Erwartet wird "
                "eine Liste von Objekten mit einfachen Werten."
            )
            % {"position": max(position, 1)}
        ) from None
    except ValueError:
        # int() refuses more digits than sys.get_int_max_str_digits().
        raise ImportFileError.about_file(
            _(
                "Die JSON-Datei enthält in Eintrag %(position)d eine Zahl mit mehr als %(max)s "
                "Ziffern. Bitte Schlüssel und Kennungen als Text in Anführungszeichen angeben."
            )
            % {"position": max(position, 1), "max": number(sys.get_int_max_str_digits())}
        ) from None


def _skip(text: str, index: int) -> int:
    return JSON_WHITESPACE.match(text, index).end()


def _expect(text: str, index: int, token: str) -> int:
    """Return the index after `token` at `index`; raise JSONDecodeError if it is not there."""
    if not text.startswith(token, index):
        raise json.JSONDecodeError(f"Expecting {token!r}", text, index)
    return index + len(token)


def _member_name(text: str, index: int) -> tuple[str, int]:
    """Read `"name":` at `index`; return the name and where its value begins."""
    if not text.startswith('"', index):
        raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, index)
    name, index = json.decoder.scanstring(text, index + 1)
    return name, _skip(text, _expect(text, _skip(text, index), ":"))


def _find_list(decoder: json.JSONDecoder, text: str, index: int, key: str) -> int | None:
    """Return the index after the "[" of the list under `key` of the object at `index`."""
    index = _skip(text, index + 1)
    first = True
    while not text.startswith("}", index):
        if not first:
            index = _skip(text, _expect(text, index, ","))
        first = False
        name, index = _member_name(text, index)
        if name == key and text.startswith("[", index):
            return index + 1
        _value, index = decoder.raw_decode(text, index)
        index = _skip(text, index)
    return None


def _rest_of_object(decoder: json.JSONDecoder, text: str, index: int) -> int:
    """Read the members after the list up to the object's "}"; return the index after it."""
    index = _skip(text, index)
    while not text.startswith("}", index):
        index = _skip(text, _expect(text, index, ","))
        _name, index = _member_name(text, index)
        _value, index = decoder.raw_decode(text, index)
        index = _skip(text, index)
    return index + 1
