"""Read, check and save files of linked online procedures (format: DESIGN section 6).

One core for two callers: the command `import_procedures` loads a file for many Kommunen, the
municipal portal lets one Kommune upload the same format and shows a preview first::

    plan = plan_import(data, filename="verfahren.csv", only_municipality=kommune)
    if not plan.errors:
        apply_plan(plan)

What the format leaves open is decided here:

- Encoding: UTF-8 with or without BOM; a file that is not valid UTF-8 is read as Windows-1252,
  which is what Excel writes for "CSV (Trennzeichen-getrennt)". Binary files, spreadsheets
  (.xlsx, .xls, .ods) and UTF-16 ("Unicode-Text") are refused with a hint to save as CSV.
- Format: `.csv` or `.json` by extension; any other name is sniffed (a file starting with `[` or
  `{` is JSON). CSV delimiter: whichever of `;`, `,` and tab splits the header into the known
  column names; Excel's `sep=;` first line is honoured. Header names are case-insensitive;
  unknown columns are ignored with a warning.
- JSON: a list of objects with the column names as keys, or an object `{"verfahren": [...]}`.
  `leika_schluessel` may also be a list of keys and `aktiv` a boolean.
- Positions: CSV rows by their physical line number (header = line 1, a quoted line break
  counts); JSON items as "Eintrag n", counted from 1.
- `ozg_id` and `aktiv` are optional columns. A file without one of them leaves that field of
  existing links alone (new links get no OZG-ID and are active). An empty `aktiv` cell means "ja".
- Rows with the same ARS and URL (after `normalize_url`) are one procedure linked under several
  services: their LeiKa keys are merged. Title, scope and `aktiv` come from the first of these
  rows and the OZG-ID from the first row that has one; a later row that says otherwise gets a
  warning, not an error.
- A procedure's services are the keys the file names for it: keys it had before and the file no
  longer names are removed.
- Links in the database that the file does not mention are left alone; a file deactivates a
  procedure with `aktiv` = `nein`, it never deletes one.

Planning costs a constant number of queries: the register's ARS, the LeiKa catalogue, then the
existing links of the affected Kommunen and their services (two queries per 900 Kommunen).
`apply_plan` writes in one transaction; a plan that another import overtook raises
`ImportConflict` and leaves nothing half-written.
"""

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import batched
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from municipalities.constants import Scope
from municipalities.models import Municipality, ProcedureLink, Service
from municipalities.validation import (
    ars_validator,
    leika_validator,
    normalize_url,
    web_url_validator,
)

REQUIRED_COLUMNS = ("ars", "titel", "url", "zustaendigkeit", "leika_schluessel")
OPTIONAL_COLUMNS = ("ozg_id", "aktiv")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
KEY_SEPARATOR = "|"
CSV_DELIMITERS = (";", ",", "\t")
SPREADSHEET_EXTENSIONS = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".numbers"})

PROGRESS_EVERY = 10_000
# Ids per IN (...): below every backend's parameter limit.
ID_CHUNK = 900
# Rows per executemany() call: bounds the prepared parameters held in memory at once.
EXECUTE_CHUNK = 10_000

TITLE_MAX_LENGTH = ProcedureLink._meta.get_field("title").max_length
URL_MAX_LENGTH = ProcedureLink._meta.get_field("url").max_length
OZG_ID_MAX_LENGTH = ProcedureLink._meta.get_field("ozg_id").max_length
# Compiled here: the validators' lazy regexes cost a proxy call per row.
ARS_PATTERN = re.compile(ars_validator.regex.pattern)
LEIKA_PATTERN = re.compile(leika_validator.regex.pattern)
SCOPES = frozenset(Scope.values)
# Excel turns "091620000000" into the number 91620000000 unless the column is text.
ARS_WITHOUT_ZERO = re.compile(r"^9\d{10}$")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
BINARY_SIGNATURES = {
    b"PK\x03\x04": "ZIP/Excel (.xlsx)",
    b"\xd0\xcf\x11\xe0": "Excel 97-2003 (.xls)",
    b"%PDF": "PDF",
}
TRUE_VALUES = frozenset({"", "ja"})
FALSE_VALUES = frozenset({"nein"})
SHOWN_VALUE_LENGTH = 80


class ProcedureImportError(Exception):
    """An import that cannot go on; the message is for the user."""


class ImportFileError(ProcedureImportError):
    """The file as a whole cannot be read (encoding, format, header)."""


class PlanHasErrors(ProcedureImportError):
    """A plan with bad rows was given to `apply_plan`."""


class ImportConflict(ProcedureImportError):
    """The database changed between planning and saving, e.g. by a second import."""


class _StalePlan(Exception):
    """A link of the plan no longer exists."""


@dataclass(frozen=True, slots=True)
class Issue:
    """An error or warning, with the position it belongs to (none for the whole file)."""

    line: int | None
    reason: str
    label: str = ""

    def __str__(self) -> str:
        return f"{self.label}: {self.reason}" if self.label else self.reason


@dataclass(slots=True)
class PlannedProcedure:
    """One procedure of the file: what it will look like and how it differs from the database.

    `ozg_id` and `active` are None while the file has no such column; planning fills them in
    from the existing link (or the defaults for a new one).
    """

    lines: list[int]
    label: str
    ars: str
    municipality_id: int
    url: str
    title: str
    scope: str
    leika_keys: list[str]
    ozg_id: str | None
    active: bool | None
    link_id: int | None = None
    # field name -> (old, new); "services" holds sorted LeiKa keys.
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def line(self) -> int:
        return self.lines[0]


@dataclass
class ImportPlan:
    """What importing a file would do; `errors` must be empty before `apply_plan`."""

    new: list[PlannedProcedure] = field(default_factory=list)
    changed: list[PlannedProcedure] = field(default_factory=list)
    unchanged: list[PlannedProcedure] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    rows: int = 0
    service_ids: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def procedures(self) -> list[PlannedProcedure]:
        return [*self.new, *self.changed, *self.unchanged]

    @property
    def error_lines(self) -> int:
        """Number of distinct rows with at least one error."""
        return len({issue.line for issue in self.errors if issue.line is not None})


Progress = Callable[[int, int], None]
Row = tuple[int, dict[str, str], str | None]


def field_label(name: str) -> str:
    """Return the German label of a field named in `PlannedProcedure.changes`."""
    return str(ProcedureLink._meta.get_field(name).verbose_name)


def plan_import(
    data: bytes,
    *,
    filename: str = "",
    only_municipality: Municipality | None = None,
    progress: Progress | None = None,
) -> ImportPlan:
    """Read and check a procedure file and compare it with the database; save nothing.

    With `only_municipality` every row must belong to that Kommune. `progress(done, total)` is
    called every PROGRESS_EVERY rows while checking.
    """
    plan = ImportPlan()
    try:
        text_format = detect_format(filename)
        text = decode_text(data)
        if text_format is None:
            text_format = "json" if text.lstrip()[:1] in ("[", "{") else "csv"
        records = read_json(text) if text_format == "json" else read_csv(text)
    except ImportFileError as exc:
        plan.errors.append(Issue(None, str(exc)))
        return plan
    plan.errors.extend(records.errors)
    plan.warnings.extend(records.warnings)
    if not records.rows_follow:
        return plan

    checker = _RowChecker(records, only_municipality)
    plan.service_ids = checker.service_ids
    merged: dict[tuple[int, str], PlannedProcedure] = {}
    for position, (line, record, problem) in enumerate(records.rows, start=1):
        if progress is not None and position % PROGRESS_EVERY == 0:
            progress(position, records.total)
        plan.rows = position
        procedure = checker.check(line, record, problem, plan.errors)
        if procedure is None:
            continue
        key = (procedure.municipality_id, procedure.url)
        first = merged.get(key)
        if first is None:
            merged[key] = procedure
        else:
            _merge(first, procedure, plan.warnings)
    if progress is not None and plan.rows >= PROGRESS_EVERY and plan.rows % PROGRESS_EVERY:
        progress(plan.rows, plan.rows)
    if not plan.rows and not plan.errors:
        plan.warnings.append(Issue(None, _("Die Datei enthält keine Verfahren.")))

    checker.urls.clear()  # the largest cache; comparing needs the memory
    _compare_with_database(plan, list(merged.values()), checker.service_keys)
    return plan


def apply_plan(plan: ImportPlan) -> None:
    """Save a checked plan in one transaction: create new links, update changed ones.

    Refuse a plan with errors. Raise ImportConflict, with nothing saved, when the database
    no longer matches the plan (another import saved the same links meanwhile).
    """
    if plan.errors:
        raise PlanHasErrors(_("Die Datei enthält Fehler; es wurde nichts gespeichert."))
    if not plan.new and not plan.changed:
        return
    try:
        with transaction.atomic():
            now = timezone.now()
            _create_links(plan.new, now)
            _update_links(plan.changed, now)
            _set_services(plan)
    except (IntegrityError, OperationalError, _StalePlan) as exc:
        for procedure in plan.new:
            procedure.link_id = None
        if isinstance(exc, OperationalError):
            # SQLite's lock wait timed out, or PostgreSQL broke a deadlock.
            message = _(
                "Die Datenbank ist gerade durch einen anderen Import belegt. Es wurde nichts "
                "gespeichert; bitte später erneut versuchen."
            )
        else:
            message = _(
                "Die Verfahren wurden inzwischen anderweitig geändert, vermutlich durch einen "
                "gleichzeitigen Import. Es wurde nichts gespeichert; bitte den Import erneut "
                "prüfen und ausführen."
            )
        raise ImportConflict(message) from exc


def detect_format(filename: str) -> str | None:
    """Return "csv" or "json" by the file's extension, or None when the content must decide."""
    extension = PurePath(filename).suffix.lower() if filename else ""
    if extension in (".csv", ".json"):
        return extension[1:]
    if extension in SPREADSHEET_EXTENSIONS:
        raise ImportFileError(
            _(
                "Tabellen im Format %(extension)s können nicht gelesen werden. Bitte die Tabelle "
                "als CSV speichern (in Excel: „Speichern unter“ → „CSV UTF-8“) oder JSON liefern."
            )
            % {"extension": extension}
        )
    return None


def decode_text(data: bytes) -> str:
    """Decode an uploaded file: UTF-8 (with or without BOM), else Windows-1252."""
    if not data or data.isspace():
        raise ImportFileError(_("Die Datei ist leer."))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(
            _(
                "Die Datei ist in UTF-16 („Unicode-Text“) gespeichert. Bitte als „CSV UTF-8“ "
                "oder „CSV (Trennzeichen-getrennt)“ speichern."
            )
        )
    for signature, kind in BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise ImportFileError(
                _(
                    "Die Datei ist keine Textdatei, sondern %(kind)s. Bitte eine CSV- oder "
                    "JSON-Datei hochladen."
                )
                % {"kind": kind}
            )
    not_text = ImportFileError(
        _("Die Datei ist keine Textdatei (CSV oder JSON) oder ihre Zeichenkodierung ist unbekannt.")
    )
    if b"\x00" in data:
        raise not_text
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise not_text from None
    if CONTROL_CHARACTERS.search(text):
        raise not_text
    return text


@dataclass
class Records:
    """Rows of a file as (position, {column: text}, problem) before any check.

    `problem` says why a row's cells cannot be told apart (e.g. too many values); None if fine.
    """

    rows: Iterator[Row]
    columns: set[str]
    label: str
    total: int
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    # False when a file-level error makes checking the rows pointless.
    rows_follow: bool = True


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
    header = [name.strip().lower() for name in next(csv.reader([first_line], delimiter=delimiter))]
    records = Records(
        rows=iter(()),
        columns=set(header),
        label=_("Zeile %(line)s"),
        total=text.count("\n", header_end) + (not text.endswith("\n")),
    )
    duplicates = sorted({name for name in header if name and header.count(name) > 1})
    for name in duplicates:
        records.errors.append(
            Issue(None, _("Die Spalte „%(column)s“ kommt mehrfach vor.") % {"column": name})
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
        names = next(csv.reader([header], delimiter=delimiter), [])
        return sum(name.strip().lower() in COLUMNS for name in names)

    return max(CSV_DELIMITERS, key=known)


def _csv_rows(
    lines: io.StringIO, header: list[str], delimiter: str, header_line: int
) -> Iterator[Row]:
    reader = csv.reader(lines, delimiter=delimiter)
    width = len(header)
    while True:
        line = header_line + reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error:
            # In practice a quote that is never closed swallowed the rest of the file.
            problem = _(
                "Die Zeile kann nicht gelesen werden: ein Anführungszeichen ist nicht "
                "geschlossen oder ein Wert ist viel zu lang."
            )
            yield line, {}, problem
            return
        if not any(value.strip() for value in values):
            continue
        if len(values) > width and any(value.strip() for value in values[width:]):
            yield line, {}, _too_many_values(len(values), width)
            continue
        yield line, dict(zip(header, values, strict=False)), None


def _too_many_values(found: int, width: int) -> str:
    return _(
        "Die Zeile hat %(found)d Werte, der Kopf nur %(width)d Spalten. Enthält ein Wert das "
        "Trennzeichen, muss er in Anführungszeichen stehen."
    ) % {"found": found, "width": width}


def read_json(text: str) -> Records:
    """Read a JSON list of procedure objects (or {"verfahren": [...]})."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            _("Die JSON-Datei ist fehlerhaft (Zeile %(line)d, Spalte %(column)d).")
            % {"line": exc.lineno, "column": exc.colno}
        ) from None
    if isinstance(data, dict) and isinstance(data.get("verfahren"), list):
        data = data["verfahren"]
    if not isinstance(data, list):
        raise ImportFileError(
            _(
                "Die JSON-Datei muss eine Liste von Verfahren enthalten "
                "(oder ein Objekt mit der Liste unter „verfahren“)."
            )
        )
    label = _("Eintrag %(line)s")
    columns = {str(key).strip().lower() for item in data if isinstance(item, dict) for key in item}
    records = Records(rows=iter(()), columns=columns, label=label, total=len(data))
    if data:
        _check_columns(records, sorted(columns))
    if records.errors:
        records.rows_follow = False
        return records
    records.rows = _json_rows(data, columns)
    return records


def _json_rows(data: list[Any], columns: set[str]) -> Iterator[Row]:
    for position, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            yield position, {}, _("Der Eintrag ist kein Objekt mit den Feldern eines Verfahrens.")
            continue
        record: dict[str, str] = {}
        problems = []
        for key, value in item.items():
            name = str(key).strip().lower()
            text = _json_value(name, value)
            if text is None:
                problems.append(_("Das Feld „%(column)s“ muss Text enthalten.") % {"column": name})
            else:
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


def _check_columns(records: Records, names: list[str]) -> None:
    found = ", ".join(name for name in names if name) or "–"
    for column in REQUIRED_COLUMNS:
        if column not in records.columns:
            records.errors.append(
                Issue(
                    None,
                    _("Die Pflichtspalte „%(column)s“ fehlt (gefunden: %(found)s).")
                    % {"column": column, "found": found},
                )
            )
    for name in names:
        if name and name not in COLUMNS:
            records.warnings.append(
                Issue(
                    None,
                    _("Die Spalte „%(column)s“ ist unbekannt und wird ignoriert.")
                    % {"column": name},
                )
            )


def _shown(value: str) -> str:
    """Shorten a value for a message, so that one bad cell cannot flood the report."""
    if len(value) <= SHOWN_VALUE_LENGTH:
        return value
    return value[: SHOWN_VALUE_LENGTH - 1] + "…"


class _RowChecker:
    """Check rows against the register and the catalogue, with caches for repeated values."""

    def __init__(self, records: Records, only_municipality: Municipality | None) -> None:
        self.label = records.label
        self.has_ozg_id = "ozg_id" in records.columns
        self.has_active = "aktiv" in records.columns
        self.only = only_municipality
        if only_municipality is not None:
            self.municipality_ids = {only_municipality.ars: only_municipality.pk}
        else:
            self.municipality_ids = dict(Municipality.objects.values_list("ars", "id"))
        self.service_ids: dict[str, int] = dict(Service.objects.values_list("leika_key", "id"))
        self.service_keys = {pk: key for key, pk in self.service_ids.items()}
        # Central procedures repeat the same URL for every Kommune: check each spelling once.
        self.urls: dict[str, tuple[str, str | None]] = {}
        self.ars_reasons: dict[str, str | None] = {}

    def check(
        self, line: int, record: dict[str, str], problem: str | None, errors: list[Issue]
    ) -> PlannedProcedure | None:
        """Return the row as a procedure, or None after adding its problems to `errors`."""
        label = self.label % {"line": line}
        if problem:
            # The row's shape is wrong, so its cells cannot be told apart: say only that.
            errors.append(Issue(line, problem, label))
            return None
        reasons: list[str] = []
        ars = self._ars(record.get("ars", ""), reasons)
        title = " ".join(record.get("titel", "").split())
        if not title:
            reasons.append(_("Der Titel fehlt."))
        elif len(title) > TITLE_MAX_LENGTH:
            reasons.append(
                _("Der Titel ist zu lang (%(length)d Zeichen, höchstens %(max)d).")
                % {"length": len(title), "max": TITLE_MAX_LENGTH}
            )
        url = self._url(record.get("url", ""), reasons)
        scope = self._scope(record.get("zustaendigkeit", ""), reasons)
        keys = self._leika_keys(record.get("leika_schluessel", ""), reasons)
        ozg_id = None
        if self.has_ozg_id:
            ozg_id = record.get("ozg_id", "").strip()
            if len(ozg_id) > OZG_ID_MAX_LENGTH:
                reasons.append(
                    _("Die OZG-ID „%(value)s“ ist zu lang (höchstens %(max)d Zeichen).")
                    % {"value": _shown(ozg_id), "max": OZG_ID_MAX_LENGTH}
                )
        active = None
        if self.has_active:
            active = self._active(record.get("aktiv", ""), reasons)
        if reasons:
            errors.extend(Issue(line, reason, label) for reason in reasons)
            return None
        return PlannedProcedure(
            lines=[line],
            label=label,
            ars=ars,
            municipality_id=self.municipality_ids[ars],
            url=url,
            title=title,
            scope=scope,
            leika_keys=keys,
            ozg_id=ozg_id,
            active=active,
        )

    def _ars(self, value: str, reasons: list[str]) -> str:
        ars = value.strip()
        if ars not in self.ars_reasons:
            self.ars_reasons[ars] = self._check_ars(ars)
        reason = self.ars_reasons[ars]
        if reason:
            reasons.append(reason)
        return ars

    def _check_ars(self, ars: str) -> str | None:
        if not ars:
            return _("Der ARS fehlt.")
        if ARS_WITHOUT_ZERO.match(ars):
            return _(
                "Der ARS „%(ars)s“ hat nur 11 Ziffern; vermutlich hat Excel die führende 0 "
                "entfernt. Die Spalte als Text formatieren."
            ) % {"ars": ars}
        if not ARS_PATTERN.match(ars):
            return _("Der ARS „%(ars)s“ ist ungültig: 12 Ziffern, beginnend mit 09.") % {
                "ars": _shown(ars)
            }
        if self.only is not None and ars != self.only.ars:
            return _("Der ARS %(ars)s gehört nicht zu Ihrer Kommune (%(own)s).") % {
                "ars": ars,
                "own": self.only.ars,
            }
        if ars not in self.municipality_ids:
            return _("Unbekannter ARS %(ars)s: keine Kommune im Gemeindeverzeichnis.") % {
                "ars": ars
            }
        return None

    def _url(self, value: str, reasons: list[str]) -> str:
        cached = self.urls.get(value)
        if cached is None:
            cached = self.urls[value] = self._check_url(value.strip())
        url, reason = cached
        if reason:
            reasons.append(reason)
        return url

    def _check_url(self, url: str) -> tuple[str, str | None]:
        if not url:
            return url, _("Die URL fehlt.")
        shown = _shown(url)
        if not url.lower().startswith(("http://", "https://")):
            return url, _(
                "Die URL „%(url)s“ ist keine http- oder https-Adresse; sie muss mit https:// "
                "beginnen."
            ) % {"url": shown}
        try:
            web_url_validator(url)
            normalized = normalize_url(url)
        except (ValidationError, ValueError):
            return url, _("Die URL „%(url)s“ ist keine gültige Internetadresse.") % {"url": shown}
        if len(normalized) > URL_MAX_LENGTH:
            return url, _("Die URL ist zu lang (%(length)d Zeichen, höchstens %(max)d).") % {
                "length": len(normalized),
                "max": URL_MAX_LENGTH,
            }
        return normalized, None

    def _scope(self, value: str, reasons: list[str]) -> str:
        scope = value.strip().lower()
        if not scope:
            reasons.append(_("Die Zuständigkeit fehlt (kommunal oder zentral)."))
        elif scope not in SCOPES:
            reasons.append(
                _("Unbekannte Zuständigkeit „%(value)s“; erlaubt sind kommunal und zentral.")
                % {"value": _shown(value.strip())}
            )
        return scope

    def _leika_keys(self, value: str, reasons: list[str]) -> list[str]:
        keys: list[str] = []
        for part in value.split(KEY_SEPARATOR):
            key = part.strip()
            if not key or key in keys:
                continue
            keys.append(key)
            if key not in self.service_ids:
                reasons.append(self._key_reason(key))
        if not keys:
            reasons.append(_("Der LeiKa-Schlüssel fehlt (mindestens einer)."))
        return keys

    def _key_reason(self, key: str) -> str:
        if LEIKA_PATTERN.match(key):
            return _("Unbekannter LeiKa-Schlüssel %(key)s: nicht im Leistungskatalog.") % {
                "key": key
            }
        if "e+" in key.lower():
            return _(
                "Der LeiKa-Schlüssel „%(key)s“ wurde von Excel als Zahl gespeichert; "
                "die Spalte als Text formatieren."
            ) % {"key": _shown(key)}
        return _(
            "Der LeiKa-Schlüssel „%(key)s“ ist ungültig: genau 14 Ziffern, mehrere mit | getrennt."
        ) % {"key": _shown(key)}

    def _active(self, value: str, reasons: list[str]) -> bool:
        word = value.strip().lower()
        if word in TRUE_VALUES:
            return True
        if word in FALSE_VALUES:
            return False
        reasons.append(
            _("Unbekannter Wert „%(value)s“ in „aktiv“; erlaubt sind ja und nein.")
            % {"value": _shown(value.strip())}
        )
        return True


def _merge(first: PlannedProcedure, other: PlannedProcedure, warnings: list[Issue]) -> None:
    """Fold a later row of the same procedure into the first one."""
    first.lines.append(other.line)
    first.leika_keys.extend(key for key in other.leika_keys if key not in first.leika_keys)
    differing = []
    if other.title != first.title:
        differing.append(_("Titel"))
    if other.scope != first.scope:
        differing.append(_("Zuständigkeit"))
    if other.active != first.active:
        differing.append(_("aktiv"))
    if other.ozg_id:
        if not first.ozg_id:
            first.ozg_id = other.ozg_id
        elif other.ozg_id != first.ozg_id:
            differing.append(_("OZG-ID"))
    if differing:
        warnings.append(
            Issue(
                other.line,
                _(
                    "Gleiche URL wie %(first)s, aber abweichend: %(fields)s. Es gelten die "
                    "Angaben aus %(first)s; die Leistungen werden zusammengeführt."
                )
                % {"first": first.label, "fields": ", ".join(differing)},
                other.label,
            )
        )


def _compare_with_database(
    plan: ImportPlan, procedures: list[PlannedProcedure], service_keys: dict[int, str]
) -> None:
    """Sort procedures into new, changed and unchanged against the stored links."""
    municipality_ids = sorted({procedure.municipality_id for procedure in procedures})
    existing: dict[tuple[int, str], tuple] = {}
    services: dict[int, list[str]] = {}
    urls: dict[str, str] = {}
    through = ProcedureLink.services.through
    for chunk in batched(municipality_ids, ID_CHUNK):
        links = (
            ProcedureLink.objects.filter(municipality_id__in=chunk)
            .order_by()
            .values_list("id", "municipality_id", "url", "title", "scope", "ozg_id", "active")
        )
        for row in links:
            url = urls.get(row[2])
            if url is None:
                url = urls[row[2]] = normalize_url(row[2])
            existing.setdefault((row[1], url), row)
        pairs = (
            through.objects.filter(procedurelink__municipality_id__in=chunk)
            .order_by()
            .values_list("procedurelink_id", "service_id")
        )
        for link_id, service_id in pairs:
            # A service added after the catalogue was read still counts as a difference.
            services.setdefault(link_id, []).append(service_keys.get(service_id, str(service_id)))

    for procedure in procedures:
        row = existing.get((procedure.municipality_id, procedure.url))
        if row is None:
            if procedure.ozg_id is None:
                procedure.ozg_id = ""
            if procedure.active is None:
                procedure.active = True
            plan.new.append(procedure)
            continue
        link_id, _municipality_id, url, title, scope, ozg_id, active = row
        procedure.link_id = link_id
        if procedure.ozg_id is None:
            procedure.ozg_id = ozg_id
        if procedure.active is None:
            procedure.active = active
        changes = procedure.changes
        for name, old, new in (
            ("url", url, procedure.url),
            ("title", title, procedure.title),
            ("scope", scope, procedure.scope),
            ("ozg_id", ozg_id, procedure.ozg_id),
            ("active", active, procedure.active),
        ):
            if old != new:
                changes[name] = (old, new)
        old_keys = sorted(services.get(link_id, ()))
        new_keys = sorted(procedure.leika_keys)
        if old_keys != new_keys:
            changes["services"] = (old_keys, new_keys)
        (plan.changed if changes else plan.unchanged).append(procedure)


def _create_links(procedures: list[PlannedProcedure], now: datetime) -> None:
    """Insert new links and note their ids for the services.

    Plain INSERTs instead of bulk_create(): building and compiling a model instance per row
    took 12 of 20 seconds for a 150,000-row file on SQLite. Columns the file does not
    fill get the model's defaults, so a field added later needs no change here.
    """
    opts = ProcedureLink._meta
    from_file = ["municipality_id", "title", "url", "scope", "ozg_id", "active"]
    template = ProcedureLink()
    constants = {}
    for model_field in opts.concrete_fields:
        if model_field.primary_key or model_field.attname in from_file:
            continue
        if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
            value = now
        else:
            value = model_field.pre_save(template, add=True)
        if hasattr(value, "resolve_expression"):
            continue  # db_default: leave the column to the database
        constants[model_field] = model_field.get_db_prep_save(value, connection)
    row_fields = [opts.get_field(name) for name in ("municipality", *from_file[1:])]
    fixed = list(constants.values())
    active_field = opts.get_field("active")
    _insert_rows(
        opts.db_table,
        [f.column for f in [*row_fields, *constants]],
        (
            (
                procedure.municipality_id,
                procedure.title,
                procedure.url,
                procedure.scope,
                procedure.ozg_id or "",
                active_field.get_db_prep_save(procedure.active is not False, connection),
                *fixed,
            )
            for procedure in procedures
        ),
    )
    # (Kommune, URL) is unique, so it finds each new row again.
    by_key = {(p.municipality_id, p.url): p for p in procedures}
    for chunk in batched(sorted({p.municipality_id for p in procedures}), ID_CHUNK):
        rows = (
            ProcedureLink.objects.filter(municipality_id__in=chunk)
            .order_by()
            .values_list("id", "municipality_id", "url")
        )
        for link_id, municipality_id, url in rows:
            procedure = by_key.get((municipality_id, url))
            if procedure is not None:
                procedure.link_id = link_id


def _update_links(procedures: list[PlannedProcedure], now: datetime) -> None:
    """Write the changed fields of existing links, one UPDATE statement per set of fields.

    executemany() instead of bulk_update(): bulk_update's CASE WHEN grows with the batch; a
    file that renamed all 150,000 procedures took 45 seconds with it, 3 without.
    """
    # In id order, so that two imports lock shared rows in the same order and do not deadlock.
    ids = sorted(procedure.link_id for procedure in procedures)
    for chunk in batched(ids, ID_CHUNK):
        # Lock the rows (PostgreSQL) and make sure none vanished since planning.
        locked = ProcedureLink.objects.select_for_update().filter(pk__in=chunk)
        if len(locked.values_list("pk", flat=True)) != len(chunk):
            raise _StalePlan
    groups: dict[tuple[str, ...], list[PlannedProcedure]] = {}
    for procedure in procedures:
        names = tuple(sorted(name for name in procedure.changes if name != "services"))
        groups.setdefault(names, []).append(procedure)
    opts = ProcedureLink._meta
    quote = connection.ops.quote_name
    stamp = opts.get_field("updated_at").get_db_prep_save(now, connection)
    for names, group in groups.items():
        fields = [opts.get_field(name) for name in names]
        assignments = ", ".join(
            f"{quote(f.column)} = %s" for f in [*fields, opts.get_field("updated_at")]
        )
        # Table and column names come from the model, values are parameters.
        sql = (
            f"UPDATE {quote(opts.db_table)} SET {assignments} "  # noqa: S608
            f"WHERE {quote(opts.pk.column)} = %s"
        )
        params = (
            [
                *(f.get_db_prep_save(getattr(procedure, f.name), connection) for f in fields),
                stamp,
                procedure.link_id,
            ]
            for procedure in group
        )
        _execute_many(sql, params)


def _set_services(plan: ImportPlan) -> None:
    """Give new links their services and replace those of links whose services changed."""
    through = ProcedureLink.services.through
    relinked = [p for p in plan.changed if "services" in p.changes]
    for chunk in batched((p.link_id for p in relinked), ID_CHUNK):
        through.objects.filter(procedurelink_id__in=chunk).delete()
    # Plain INSERTs instead of bulk_create(): a through instance per pair cost more than the
    # rest of the import together.
    _insert_rows(
        through._meta.db_table,
        [
            through._meta.get_field("procedurelink").column,
            through._meta.get_field("service").column,
        ],
        (
            (procedure.link_id, plan.service_ids[key])
            for procedure in [*plan.new, *relinked]
            for key in procedure.leika_keys
        ),
    )


def _insert_rows(table: str, columns: list[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert rows of prepared values with executemany().

    executemany() rather than multi-row VALUES: psycopg pipelines it, which was twice as fast
    on PostgreSQL, and on SQLite both take about a second for 150,000 rows.
    """
    quote = connection.ops.quote_name
    placeholders = ", ".join(["%s"] * len(columns))
    # Table and column names come from the model, values are parameters.
    sql = (
        f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) "  # noqa: S608
        f"VALUES ({placeholders})"
    )
    _execute_many(sql, rows)


def _execute_many(sql: str, params: Iterable[Sequence[Any]]) -> None:
    with connection.cursor() as cursor:
        for chunk in batched(params, EXECUTE_CHUNK):
            cursor.executemany(sql, chunk)
