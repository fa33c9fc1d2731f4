"""Read the federal dashboard's records from a file fetched elsewhere (`sync_procedures --file`).

Two formats, as the API gives them:

- JSON: one page as the API answers (`{"content": [...], "totalPages": …}`), a list of such
  pages (a saved dump of every page), or a plain list of records;
- CSV: the API's download (`filetype=csv`), a header with the record's field names
  (`leika_key`, `ars`, `url`, `online_status`, …), `;` or `,` between the cells.

Either may be gzipped (`.gz`, known by its first bytes), as the demo's dump is. Records are
dicts with the API's field names, whichever the format. At most OZG_SOURCE_FILE_MAX_BYTES are
read (unpacked).
"""

import csv
import gzip
import io
import json
import zlib
from pathlib import Path

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .files import ImportFileError, decode_text, read_bytes

GZIP_MAGIC = b"\x1f\x8b"

REQUIRED_COLUMNS = ("leika_key", "ars", "url")


def read_source_file(path: Path | str) -> list[dict]:
    """Return the records of a JSON dump or a CSV download; raise ImportFileError if unreadable."""
    data = _unpacked(read_bytes(path), path)
    try:
        text, _encoding = decode_text(data)
    except ImportFileError as error:
        raise ImportFileError(error.problems, path=path) from None
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        return _json_records(stripped, path)
    return _csv_records(text, path)


def _unpacked(data: bytes, path: Path | str) -> bytes:
    """The file's bytes, unpacked if gzipped; refused beyond OZG_SOURCE_FILE_MAX_BYTES."""
    limit = settings.OZG_SOURCE_FILE_MAX_BYTES
    if data[:2] == GZIP_MAGIC:
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as packed:
                data = packed.read(limit + 1)
        except (OSError, EOFError, zlib.error) as error:
            raise ImportFileError.about_file(
                _("Die gepackte Datei (.gz) ist beschädigt: %(error)s") % {"error": error},
                path=path,
            ) from None
    if len(data) > limit:
        raise ImportFileError.about_file(
            _("Die Datei ist größer als %(size)s; so viel wird nicht gelesen.")
            % {"size": filesizeformat(limit)},
            path=path,
        )
    return data


def _json_records(text: str, path: Path | str) -> list[dict]:
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ImportFileError.about_file(
            _("Die JSON-Datei ist fehlerhaft (Zeile %(line)d): %(error)s")
            % {"line": getattr(error, "lineno", 0), "error": getattr(error, "msg", error)},
            path=path,
        ) from None
    pages = data if isinstance(data, list) else [data]
    records: list[dict] = []
    for item in pages:
        if isinstance(item, dict) and "content" in item:
            content = item["content"]
            if not isinstance(content, list):
                break
            records.extend(content)
        else:
            records.append(item)
    if not all(isinstance(record, dict) for record in records):
        raise ImportFileError.about_file(
            _(
                "Die JSON-Datei enthält keine Einträge der Bundesdaten: erwartet wird eine Seite "
                "der API („content“), eine Liste solcher Seiten oder eine Liste von Einträgen."
            ),
            path=path,
        )
    return records


def _csv_records(text: str, path: Path | str) -> list[dict]:
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") >= header.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise ImportFileError.about_file(
            _("Der CSV-Datei fehlen die Spalten %(columns)s.") % {"columns": ", ".join(missing)},
            path=path,
        )
    reader.fieldnames = columns
    try:
        return [{key: value for key, value in row.items() if key} for row in reader]
    except csv.Error as error:
        raise ImportFileError.about_file(
            _("Die CSV-Datei ist fehlerhaft (Zeile %(line)d): %(error)s")
            % {"line": reader.line_num, "error": error},
            path=path,
        ) from None
