"""Read the Destatis municipal register GV100AD: fixed-width records of 220 characters.

`parse_register()` checks every line (length, Satzart, keys, numbers, Gebietsstand) before
anything else happens and returns the Bavarian records; a bad line refuses the whole file.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from .files import ImportFileError, Problem

BAVARIA = "09"
RECORD_LENGTH = 220

# Satzart → number of leading key digits the record must carry (Land 2, RB 1, Region 1, Kreis 2).
# Satzart 30 (Region) only occurs in Baden-Württemberg; it is read and ignored.
KEY_DIGITS = {"10": 2, "20": 3, "30": 4, "40": 5, "50": 5, "60": 8}


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


def parse_register(text: str, *, path: Path | str | None = None) -> list[RegisterRecord]:
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
        raise ImportFileError(problems, path=path)
    if not records:
        raise ImportFileError.about_file(
            _(
                "Die Datei enthält keine bayerischen Datensätze (Regionalschlüssel 09…). "
                "Erwartet wird das Gemeindeverzeichnis GV100AD von Destatis."
            ),
            path=path,
        )
    return records
