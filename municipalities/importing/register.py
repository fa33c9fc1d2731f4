"""Read the official municipal register (Destatis GV100AD) and bring the Kommunen up to date.

The importer works in three steps that tests and benchmarks can call one by one:

1. `parse_register()` turns the text of a GV100AD file into `RegisterRecord`s and checks every
   line (length, Satzart, keys, numbers, Gebietsstand) before anything else happens;
   `read_coordinates()` does the same for the Destatis "Auszug" CSV with the coordinates.
2. `build_units()` maps the Bavarian records to `Unit`s, one per Kommune that can hold the award,
   with its links, totals and coordinates.
3. `apply_units()` writes them in one transaction with bulk operations.

`import_register()` runs all three. Every problem is collected as a `Problem` and raised together
in an `ImportFileError`, so a bad file is reported in full and changes nothing.
"""

import csv
import datetime
import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from municipalities.constants import GEMEINDE_KINDS, Kind
from municipalities.models import Municipality
from municipalities.signals import register_changed

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_REGISTER = DATA_DIR / "GV100AD_31082025_BY.txt"
DEFAULT_COORDINATES = DATA_DIR / "31122021_Auszug_GV_BY.csv"

BAVARIA = "09"
RECORD_LENGTH = 220
MAX_REPORTED_PROBLEMS = 20
COORDINATE_PLACES = Decimal("0.00001")
# Text files hold no control characters but tab, line breaks and form feed.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")

# Satzart → number of leading key digits the record must carry (Land 2, RB 1, Region 1, Kreis 2).
# Satzart 30 (Region) only occurs in Baden-Württemberg; it is read and ignored.
KEY_DIGITS = {"10": 2, "20": 3, "30": 4, "40": 5, "50": 5, "60": 8}

# Textkennzeichen of the Bavarian records that become Kommunen; the others are known and skipped:
# 40/41 is the kreisfreie Stadt as a Kreis and 50/50 a verbandsfreie Gemeinde as its own
# Gemeindeverband (both are the Satzart-60 record of the same place), 60/65 and 60/66 are
# gemeindefreie Gebiete (forests, lakes) that nobody administers as a Kommune.
KIND_BY_TEXT_KEY = {
    ("40", "44"): Kind.LANDKREIS,
    ("50", "54"): Kind.VG,
    ("60", "60"): Kind.MARKT,
    ("60", "61"): Kind.KREISFREIE_STADT,
    ("60", "63"): Kind.STADT,
    ("60", "64"): Kind.GEMEINDE,
    ("60", "67"): Kind.GROSSE_KREISSTADT,
}
SKIPPED_TEXT_KEYS = {("40", "41"), ("50", "50"), ("60", "65"), ("60", "66")}
# The GV100 writes the status of a place after its name ("Hösbach, M", "Emmerting (VGem)").
# The name people use drops it; `register_name` keeps the register's form.
NAME_SUFFIXES = (", GKSt", ", St", ", M", ", Landeshauptstadt", " (VGem)")

# Fields the importer owns; everything else on a Municipality (website) is left alone.
IMPORTED_FIELDS = (
    "ags",
    "name",
    "register_name",
    "kind",
    "seat",
    "population",
    "area_ha",
    "latitude",
    "longitude",
    "postal_code",
    "register_date",
)
LINK_FIELDS = ("regierungsbezirk", "landkreis", "verwaltungsgemeinschaft")
# Coordinates come from a separate, older file: a Kommune it lacks keeps the ones it has.
KEEP_WHEN_MISSING = frozenset({"latitude", "longitude"})
UPDATE_BATCH = 100


@dataclass(frozen=True)
class Problem:
    """One reason a file is refused; `line` is 1-based, or None for the file as a whole."""

    line: int | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return _("Zeile %(line)d: %(message)s") % {"line": self.line, "message": self.message}


class ImportFileError(Exception):
    """A data file that cannot be imported as a whole; nothing was changed."""

    def __init__(self, path: Path | str, problems: Sequence[Problem]) -> None:
        self.path = str(path)
        self.problems = list(problems)
        super().__init__(self.summary())

    def summary(self, limit: int = MAX_REPORTED_PROBLEMS) -> str:
        """Describe the first `limit` problems and how many more there are, in German."""
        line_problems = [p for p in self.problems if p.line is not None]
        if line_problems:
            lines = [
                ngettext(
                    "Die Datei %(path)s wurde nicht eingelesen, nichts wurde geändert. "
                    "%(count)d fehlerhafte Zeile:",
                    "Die Datei %(path)s wurde nicht eingelesen, nichts wurde geändert. "
                    "%(count)d fehlerhafte Zeilen:",
                    len({p.line for p in line_problems}),
                )
                % {"path": self.path, "count": len({p.line for p in line_problems})}
            ]
        else:
            lines = [
                _("Die Datei %(path)s wurde nicht eingelesen, nichts wurde geändert.")
                % {"path": self.path}
            ]
        lines += [f"  {problem}" for problem in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(
                _("  … und %(count)d weitere Fehler.") % {"count": len(self.problems) - limit}
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class RegisterRecord:
    """One line of a GV100AD file, sliced into the fields the importer uses."""

    line: int
    satzart: str
    register_date: datetime.date
    land: str
    rb: str
    kreis: str
    gemeinde: str
    verband: str
    name: str
    seat: str
    text_key: str
    area_ha: int | None
    population: int | None
    postal_code: str

    @property
    def is_bavarian(self) -> bool:
        return self.land == BAVARIA

    @property
    def bezirk_key(self) -> str:
        return self.land + self.rb

    @property
    def kreis_key(self) -> str:
        return self.land + self.rb + self.kreis

    @property
    def verband_key(self) -> str:
        return self.kreis_key + self.verband

    @property
    def ags(self) -> str:
        return self.kreis_key + self.gemeinde

    @property
    def ars(self) -> str:
        """Return the 12-digit Amtlicher Regionalschlüssel, zero-filled below the record's level."""
        if self.satzart == "60":
            return self.verband_key + self.gemeinde
        if self.satzart == "50":
            return self.verband_key + "000"
        key = {"10": self.land, "20": self.bezirk_key, "40": self.kreis_key}.get(
            self.satzart, self.kreis_key
        )
        return key.ljust(12, "0")


@dataclass
class Unit:
    """A Kommune as the register describes it, ready to be written to a `Municipality`."""

    ars: str
    ags: str
    kind: str
    name: str
    register_name: str
    seat: str
    register_date: datetime.date
    population: int | None = None
    area_ha: int | None = None
    postal_code: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    regierungsbezirk: str | None = None  # ARS of the linked Kommune
    landkreis: str | None = None
    verwaltungsgemeinschaft: str | None = None
    line: int = 0

    def values(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in IMPORTED_FIELDS}


@dataclass
class ImportResult:
    """What `apply_units()` did, counted per kind."""

    total: int
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    by_kind: Counter = field(default_factory=Counter)
    not_in_file: int = 0
    without_coordinates: int = 0
    encoding: str = "utf-8"

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def clean_name(register_name: str) -> str:
    """Return the name people use, without the register's status suffixes.

    "Hösbach, M" → "Hösbach", "Bad Tölz, St" → "Bad Tölz", "Emmerting (VGem)" → "Emmerting".
    "München, Landeshauptstadt" becomes "München" as well: the city calls itself
    "Landeshauptstadt München" and `Municipality.title` already says "Stadt München", while
    "Stadt München, Landeshauptstadt" reads like a register entry. Parts that tell places
    apart, such as "(Allgäu)" or "a.d.Donau", stay.
    """
    name = register_name.strip()
    stripped = True
    while stripped:
        stripped = False
        for suffix in NAME_SUFFIXES:
            if name.endswith(suffix):
                name = name[: -len(suffix)].rstrip()
                stripped = True
    return name


def read_text(path: Path | str) -> tuple[str, str]:
    """Return the text of a file and the encoding it was read with.

    UTF-8 (with or without BOM) first; older Destatis issues came in Windows-1252, and bytes that
    are not valid UTF-8 are almost always that. Binary files are refused rather than guessed at.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ImportFileError(path, [Problem(None, _("Die Datei wurde nicht gefunden."))]) from None
    except IsADirectoryError:
        raise ImportFileError(
            path, [Problem(None, _("Das ist ein Ordner, keine Datei."))]
        ) from None
    except OSError as error:
        raise ImportFileError(
            path,
            [Problem(None, _("Die Datei kann nicht gelesen werden: %(error)s") % {"error": error})],
        ) from None
    not_text = ImportFileError(
        path, [Problem(None, _("Die Datei ist keine Textdatei (sie enthält Binärdaten)."))]
    )
    if b"\x00" in raw:
        raise not_text
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        # DOS tools ended files with Ctrl-Z.
        text = text.removesuffix("\x1a")
        if CONTROL_CHARACTERS.search(text):
            raise not_text
        return text, "utf-8" if encoding == "utf-8-sig" else "windows-1252"
    raise not_text


def _text_lines(text: str) -> Iterable[tuple[int, str]]:
    """Yield (line number, line) without line breaks, skipping empty lines."""
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if line.strip():
            yield number, line


def _number(value: str, label: str, problems: list[Problem], line: int) -> int | None:
    if value.isascii() and value.isdigit():
        return int(value)
    problems.append(
        Problem(line, _("%(field)s „%(value)s“ ist keine Zahl.") % {"field": label, "value": value})
    )
    return None


def parse_line(number: int, line: str, problems: list[Problem]) -> RegisterRecord | None:
    """Slice one GV100AD line; append what is wrong with it to `problems`.

    A line shorter than 220 characters is accepted when it looks right-trimmed: it ends in a
    non-blank character (editors and some tools drop trailing blanks) and, padded with blanks,
    every field the importer reads is still complete and valid. The fields it drops that way
    (Finanzamt, Gerichtsbarkeit, Wahlkreise) are blank or unused. A line cut off inside a field
    fails that check, and a short line that ends in blanks cannot come from trimming; both are
    refused as too short, as is any line that is too long.
    """
    length = len(line)
    wrong_length = Problem(
        number,
        _("Die Zeile hat %(length)d statt %(expected)d Zeichen.")
        % {"length": length, "expected": RECORD_LENGTH},
    )
    if length > RECORD_LENGTH or (length < RECORD_LENGTH and line[-1] == " "):
        problems.append(wrong_length)
        return None
    if length < RECORD_LENGTH:
        own_problems: list[Problem] = []
        record = _parse_fields(number, line.ljust(RECORD_LENGTH), own_problems)
        # A field cut off is a cut-off line, and that is what the reader should hear.
        if own_problems:
            problems.append(wrong_length)
        return record
    return _parse_fields(number, line, problems)


def _parse_fields(number: int, line: str, problems: list[Problem]) -> RegisterRecord | None:
    before = len(problems)
    satzart = line[0:2]
    if satzart not in KEY_DIGITS:
        problems.append(Problem(number, _("Unbekannte Satzart „%(value)s“.") % {"value": satzart}))
        return None

    raw_date = line[2:10]
    register_date = None
    try:
        if raw_date.isascii() and raw_date.isdigit():
            register_date = datetime.date(int(raw_date[:4]), int(raw_date[4:6]), int(raw_date[6:]))
    except ValueError:
        pass
    if register_date is None:
        problems.append(
            Problem(
                number,
                _("Gebietsstand „%(value)s“ ist kein gültiges Datum (JJJJMMTT).")
                % {"value": raw_date},
            )
        )

    key = line[10:18]
    required_key = key[: KEY_DIGITS[satzart]]
    verband = line[18:22]
    if not (required_key.isascii() and required_key.isdigit()) or (
        satzart in ("50", "60") and not (verband.isascii() and verband.isdigit())
    ):
        shown = key + verband if satzart in ("50", "60") else required_key
        problems.append(
            Problem(
                number,
                _("Regionalschlüssel „%(value)s“ besteht nicht nur aus Ziffern.")
                % {"value": shown.strip() or shown},
            )
        )

    name = line[22:72].strip()
    if not name:
        problems.append(Problem(number, _("Der Name fehlt.")))
    text_key = line[122:124].strip()

    area_ha = population = None
    postal_code = ""
    if satzart == "60":
        area_ha = _number(line[128:139], _("Fläche"), problems, number)
        population = _number(line[139:150], _("Bevölkerung"), problems, number)
        _number(line[150:161], _("Bevölkerung männlich"), problems, number)
        postal_code = line[165:170]
        # Gemeindefreie Gebiete have no postal code; every Gemeinde has one.
        if postal_code.strip() or text_key not in ("65", "66"):
            _number(postal_code, _("Postleitzahl"), problems, number)

    if len(problems) > before:
        return None
    return RegisterRecord(
        line=number,
        satzart=satzart,
        register_date=register_date,
        land=line[10:12],
        rb=line[12:13],
        kreis=line[13:15],
        gemeinde=line[15:18],
        verband=verband,
        name=name,
        seat=line[72:122].strip(),
        text_key=text_key,
        area_ha=area_ha,
        population=population,
        postal_code=postal_code.strip(),
    )


def parse_register(text: str, *, path: Path | str = "") -> list[RegisterRecord]:
    """Check every line of a GV100AD text and return the Bavarian records.

    Lines of other Länder are checked too (a broken line is a broken file) but not returned.
    """
    problems: list[Problem] = []
    records = []
    for number, line in _text_lines(text):
        record = parse_line(number, line, problems)
        if record is not None and record.is_bavarian:
            records.append(record)
    if problems:
        raise ImportFileError(path, problems)
    if not records:
        raise ImportFileError(
            path,
            [
                Problem(
                    None,
                    _(
                        "Die Datei enthält keine bayerischen Datensätze (Regionalschlüssel 09…). "
                        "Erwartet wird das Gemeindeverzeichnis GV100AD von Destatis."
                    ),
                )
            ],
        )
    return records


def csv_rows(reader: Any, problems: list[Problem]) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, row) for the non-empty rows; a CSV syntax error ends the file."""
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                yield reader.line_num, row
    except csv.Error as error:
        problems.append(
            Problem(
                reader.line_num,
                _("Die Zeile ist kein gültiges CSV: %(error)s") % {"error": error},
            )
        )


def _decimal(value: str) -> Decimal:
    return Decimal(value.strip().replace(",", ".")).quantize(COORDINATE_PLACES, ROUND_HALF_UP)


def read_coordinates(path: Path | str) -> dict[str, tuple[Decimal, Decimal]]:
    """Return (latitude, longitude) by AGS from the Destatis "Auszug" CSV.

    The extract is an Excel export: `;`-separated, leading zeros of the keys lost ("9" for
    Land 09), decimal commas. Only Bavarian Gemeinden (Satzart 60) are read.
    """
    text, _encoding = read_text(path)
    reader = csv.reader(io.StringIO(text), delimiter=";")
    header = [column.strip() for column in next(reader, [])]
    wanted = ("Satz-art", "Land", "RB", "Kreis", "Gem", "Längengrad", "Breitengrad")
    missing = [column for column in wanted if column not in header]
    if missing:
        raise ImportFileError(
            path,
            [
                Problem(
                    None,
                    _("Der Koordinatendatei fehlen die Spalten: %(columns)s.")
                    % {"columns": ", ".join(missing)},
                )
            ],
        )
    index = {column: header.index(column) for column in wanted}
    problems: list[Problem] = []
    coordinates: dict[str, tuple[Decimal, Decimal]] = {}
    for line, row in csv_rows(reader, problems):
        if len(row) < len(header):
            problems.append(
                Problem(
                    line,
                    _("Die Zeile hat %(count)d statt %(expected)d Spalten.")
                    % {"count": len(row), "expected": len(header)},
                )
            )
            continue
        cell = {column: row[position].strip() for column, position in index.items()}
        if cell["Satz-art"] != "60" or cell["Land"].lstrip("0") != "9":
            continue
        parts = (cell["Land"], cell["RB"], cell["Kreis"], cell["Gem"])
        if not all(part.isascii() and part.isdigit() for part in parts):
            problems.append(Problem(line, _("Der Gemeindeschlüssel ist unvollständig.")))
            continue
        ags = parts[0].zfill(2) + parts[1] + parts[2].zfill(2) + parts[3].zfill(3)
        if not (cell["Längengrad"] or cell["Breitengrad"]):
            continue
        try:
            latitude, longitude = _decimal(cell["Breitengrad"]), _decimal(cell["Längengrad"])
        except InvalidOperation:
            problems.append(
                Problem(
                    line,
                    _("Koordinaten „%(lon)s“/„%(lat)s“ sind keine Zahlen.")
                    % {"lon": cell["Längengrad"], "lat": cell["Breitengrad"]},
                )
            )
            continue
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            problems.append(Problem(line, _("Die Koordinaten liegen außerhalb des Wertebereichs.")))
            continue
        coordinates[ags] = (latitude, longitude)
    if problems:
        raise ImportFileError(path, problems)
    return coordinates


def _mean(values: Sequence[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values) / len(values)).quantize(COORDINATE_PLACES, ROUND_HALF_UP)


def _find_seat(seat: str, candidates: Sequence[Unit]) -> Unit | None:
    """Return the Gemeinde named like `seat`, the larger one should two share the name.

    Spacing may differ ("Bad Neustadt a. d. Saale") and the seat may omit the river a name
    carries ("Gemünden" for "Gemünden a.Main").
    """

    def squeeze(name: str) -> str:
        return "".join(name.split()).casefold()

    matches = [unit for unit in candidates if squeeze(unit.name) == squeeze(seat)]
    matches = matches or [unit for unit in candidates if unit.name.startswith(f"{seat} ")]
    return max(matches, key=lambda unit: unit.population or 0, default=None)


def _place_at_seat(unit: Unit, members: Sequence[Unit], region: Sequence[Unit]) -> None:
    """Give a VG, Landkreis or Bezirk the coordinates and postal code of its seat.

    When the seat is one of the members (for a Bezirk: any Gemeinde of the Regierungsbezirk),
    its point and postal code are used. Some Landratsämter and VGs sit in a town that is not a
    member (Landkreis Regensburg in the kreisfreie Stadt Regensburg, VG Eichstätt in the Große
    Kreisstadt Eichstätt): they get the mean point of their members, so that a map shows them
    on their own area and apart from the town, and the postal code of the seat town in the
    Regierungsbezirk (`region`), which is where their office and mail are.
    """
    seat = _find_seat(unit.seat, members)
    if seat is not None:
        unit.latitude, unit.longitude = seat.latitude, seat.longitude
        unit.postal_code = seat.postal_code
        return
    located = [member for member in members if member.latitude is not None]
    unit.latitude = _mean([member.latitude for member in located])
    unit.longitude = _mean([member.longitude for member in located])
    seat = _find_seat(unit.seat, region)
    unit.postal_code = seat.postal_code if seat else ""


def build_units(
    records: Sequence[RegisterRecord],
    coordinates: dict[str, tuple[Decimal, Decimal]],
    *,
    path: Path | str = "",
) -> list[Unit]:
    """Map Bavarian register records to Kommunen with links, totals and coordinates.

    Gemeinden carry their own figures; a VG, Landkreis or Bezirk gets the sum of its member
    Gemeinden's population and area (the area of a Landkreis and a Bezirk also counts the
    gemeindefreie Gebiete in it, which belong to its territory but are no Kommune; they are
    uninhabited, so the population does not change).
    """
    problems: list[Problem] = []
    bezirk_keys = {record.bezirk_key for record in records if record.satzart == "20"}
    kreis_keys = {record.kreis_key for record in records if record.satzart == "40"}
    verband_keys = {record.verband_key for record in records if record.satzart == "50"}
    seen: dict[str, int] = {}
    bezirke: dict[str, Unit] = {}
    landkreise: dict[str, Unit] = {}
    vgs: dict[str, Unit] = {}
    units: list[Unit] = []
    gemeinden: list[Unit] = []
    free_area: list[RegisterRecord] = []

    for record in records:
        if record.satzart in ("10", "30"):
            continue
        if record.satzart != "20":
            missing = _missing_parent(record, bezirk_keys, kreis_keys, verband_keys)
            if missing:
                problems.append(missing)
                continue
        if (record.satzart, record.text_key) in SKIPPED_TEXT_KEYS:
            if record.text_key in ("65", "66"):
                free_area.append(record)
            continue
        kind = Kind.BEZIRK if record.satzart == "20" else None
        kind = kind or KIND_BY_TEXT_KEY.get((record.satzart, record.text_key))
        if kind is None:
            problems.append(
                Problem(
                    record.line,
                    _("Unbekanntes Textkennzeichen „%(value)s“ für Satzart %(satzart)s.")
                    % {"value": record.text_key, "satzart": record.satzart},
                )
            )
            continue
        if record.ars in seen:
            problems.append(
                Problem(
                    record.line,
                    _("Der Regionalschlüssel %(ars)s kommt doppelt vor (zuerst Zeile %(first)d).")
                    % {"ars": record.ars, "first": seen[record.ars]},
                )
            )
            continue
        seen[record.ars] = record.line
        if kind == Kind.BEZIRK:
            unit = _unit(record, kind, ags=record.bezirk_key)
            bezirke[record.bezirk_key] = unit
        elif kind == Kind.LANDKREIS:
            unit = _unit(record, kind, ags=record.kreis_key)
            landkreise[record.kreis_key] = unit
        elif kind == Kind.VG:
            unit = _unit(record, kind, ags="")
            vgs[record.verband_key] = unit
        else:
            unit = _unit(record, kind, ags=record.ags, seat="")
            unit.population, unit.area_ha = record.population, record.area_ha
            unit.postal_code = record.postal_code
            if record.ags in coordinates:
                unit.latitude, unit.longitude = coordinates[record.ags]
            gemeinden.append(unit)
        units.append(unit)

    if problems:
        raise ImportFileError(path, problems)

    for unit in units:
        if unit.kind != Kind.BEZIRK:
            unit.regierungsbezirk = bezirke[unit.ars[:3]].ars
        if unit.kind in (Kind.VG, *GEMEINDE_KINDS):
            landkreis = landkreise.get(unit.ars[:5])
            unit.landkreis = landkreis.ars if landkreis else None
        if unit.kind in GEMEINDE_KINDS:
            vg = vgs.get(unit.ars[:9])
            unit.verwaltungsgemeinschaft = vg.ars if vg else None

    members: dict[str, list[Unit]] = defaultdict(list)
    for gemeinde in gemeinden:
        for parent in (gemeinde.regierungsbezirk, gemeinde.landkreis):
            members[parent].append(gemeinde)
        if gemeinde.verwaltungsgemeinschaft:
            members[gemeinde.verwaltungsgemeinschaft].append(gemeinde)
    free_area_by_parent: Counter = Counter()
    for record in free_area:
        free_area_by_parent[bezirke[record.bezirk_key].ars] += record.area_ha
        if record.kreis_key in landkreise:
            free_area_by_parent[landkreise[record.kreis_key].ars] += record.area_ha
    for unit in units:
        if unit.kind in GEMEINDE_KINDS:
            continue
        own = members.get(unit.ars, [])
        unit.population = sum(member.population for member in own)
        unit.area_ha = sum(member.area_ha for member in own) + free_area_by_parent[unit.ars]
        _place_at_seat(unit, own, members[unit.regierungsbezirk or unit.ars])
    return units


def _unit(record: RegisterRecord, kind: str, *, ags: str, seat: str | None = None) -> Unit:
    return Unit(
        ars=record.ars,
        ags=ags,
        kind=kind,
        name=clean_name(record.name),
        register_name=record.name,
        seat=record.seat if seat is None else seat,
        register_date=record.register_date,
        line=record.line,
    )


def _missing_parent(
    record: RegisterRecord, bezirk_keys: set[str], kreis_keys: set[str], verband_keys: set[str]
) -> Problem | None:
    """Return a problem if a record's Regierungsbezirk, Kreis or Gemeindeverband is missing."""
    checks = [
        (_("Der Regierungsbezirk %(key)s fehlt in der Datei."), record.bezirk_key, bezirk_keys)
    ]
    if record.satzart in ("50", "60"):
        checks.append((_("Der Kreis %(key)s fehlt in der Datei."), record.kreis_key, kreis_keys))
    if record.satzart == "60":
        checks.append(
            (_("Der Gemeindeverband %(key)s fehlt in der Datei."), record.verband_key, verband_keys)
        )
    for message, key, keys in checks:
        if key not in keys:
            return Problem(record.line, message % {"key": key})
    return None


# Parents before children, so that every link points at a row that already exists.
LEVELS = (
    frozenset({Kind.BEZIRK}),
    frozenset({Kind.LANDKREIS}),
    frozenset({Kind.VG}),
    GEMEINDE_KINDS,
)


def apply_units(units: Sequence[Unit]) -> ImportResult:
    """Create and update the Kommunen of `units` in one transaction; delete nothing.

    One query loads every Kommune; new ones are created level by level (Bezirke, Landkreise,
    VGs, Gemeinden) so that links resolve, and only rows whose values differ are updated.
    Kommunen missing from the file are kept, since awards may point at them, and counted.
    """
    result = ImportResult(total=len(units), by_kind=Counter(unit.kind for unit in units))
    result.without_coordinates = sum(
        1 for unit in units if unit.kind in GEMEINDE_KINDS and unit.latitude is None
    )
    in_file = {unit.ars for unit in units}
    with transaction.atomic():
        existing = {municipality.ars: municipality for municipality in Municipality.objects.all()}
        result.not_in_file = sum(1 for ars in existing if ars not in in_file)
        pk_by_ars = {ars: municipality.pk for ars, municipality in existing.items()}
        # Rows grouped by the fields that changed: a quarterly release changes mostly
        # populations, and each bulk UPDATE then carries only those columns.
        to_update: dict[frozenset[str], list[Municipality]] = defaultdict(list)
        for level in LEVELS:
            to_create: list[Municipality] = []
            for unit in units:
                if unit.kind not in level:
                    continue
                values = unit.values()
                for link in LINK_FIELDS:
                    target = getattr(unit, link)
                    values[f"{link}_id"] = pk_by_ars[target] if target else None
                municipality = existing.get(unit.ars)
                if municipality is None:
                    to_create.append(Municipality(ars=unit.ars, **values))
                    result.created[unit.kind] += 1
                    continue
                changed = _assign_changes(municipality, values)
                if changed:
                    to_update[frozenset(changed)].append(municipality)
                    result.updated[unit.kind] += 1
            if to_create:
                Municipality.objects.bulk_create(to_create, batch_size=500)
                if any(municipality.pk is None for municipality in to_create):
                    # Backends that cannot return ids from a bulk insert.
                    pk_by_ars = dict(Municipality.objects.values_list("ars", "pk"))
                else:
                    pk_by_ars.update((m.ars, m.pk) for m in to_create)
        for fields, rows in to_update.items():
            # bulk_update's CASE grows with the batch; small batches keep it linear.
            Municipality.objects.bulk_update(rows, sorted(fields), batch_size=UPDATE_BATCH)
        changed_pks = [row.pk for rows in to_update.values() for row in rows]
        if changed_pks:
            # Inside the transaction: what shows the old names changes with the import, or not.
            register_changed.send(sender=Municipality, municipality_ids=changed_pks)
    return result


def _assign_changes(municipality: Municipality, values: dict[str, object]) -> set[str]:
    """Set the values that differ on `municipality`; return the names of the changed fields."""
    changed = set()
    for attname, value in values.items():
        name = attname.removesuffix("_id")
        if value is None and name in KEEP_WHEN_MISSING:
            continue
        if getattr(municipality, attname) != value:
            setattr(municipality, attname, value)
            changed.add(name)
    return changed


def import_register(
    register_path: Path | str = DEFAULT_REGISTER,
    coordinates_path: Path | str | None = DEFAULT_COORDINATES,
) -> ImportResult:
    """Read, check and apply a GV100AD file (and the coordinates); raise ImportFileError if bad."""
    text, encoding = read_text(register_path)
    records = parse_register(text, path=register_path)
    coordinates = read_coordinates(coordinates_path) if coordinates_path else {}
    units = build_units(records, coordinates, path=register_path)
    result = apply_units(units)
    result.encoding = encoding
    return result
