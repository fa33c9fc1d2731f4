"""Read the OpenStreetMap-derived assignment of postal codes to Gemeinden into `PostalCode`.

The file is `zuordnung_plz_ort.csv` as suche-postleitzahl.org publishes it from OpenStreetMap
(ODbL, "© OpenStreetMap contributors"): columns `osm_id,ags,ort,plz,landkreis,bundesland`, one
row per place and postal code. Only Bavarian rows (AGS beginning with 09) are read; their AGS is
matched to `Municipality.ags`. The file replaces every stored postal code in one transaction, and
a file with a bad row changes nothing (the import contract of files.py).
"""

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from municipalities.models import Municipality, PostalCode
from municipalities.signals import register_changed
from municipalities.validation import shown

from .files import DATA_DIR, ImportFileError, Problem, ProblemList, csv_rows, read_text, wrong_width

# A few Kommunen only, for the tests and the demo (municipalities/data/README.md); not complete.
SAMPLE_POSTCODES = DATA_DIR / "zuordnung_plz_ort_sample.csv"
COLUMNS = ("osm_id", "ags", "ort", "plz", "landkreis", "bundesland")
BAVARIA = "09"
AGS_PATTERN = re.compile(r"\d{8}")
PLZ_PATTERN = re.compile(r"\d{5}")
PLACE_MAX_LENGTH = PostalCode._meta.get_field("place").max_length


@dataclass
class PostcodeResult:
    """What a postcode file held and what of it was stored."""

    rows: int = 0
    stored: int = 0
    unknown_ags: int = 0
    other_laender: int = 0
    municipalities: int = 0


def read_postcodes(path: Path | str) -> tuple[dict[tuple[str, int], str], PostcodeResult]:
    """Check every row; return {(postal code, Kommune id): place} and the counts.

    Raise ImportFileError for a file too large, unreadable, with another header or a bad row.
    """
    limit = settings.POSTCODE_FILE_MAX_BYTES
    try:
        size = Path(path).stat().st_size
    except OSError:
        size = 0  # read_text says why it cannot be read
    if size > limit:
        raise ImportFileError.about_file(
            _("Die Datei ist größer als %(size)s; so viel wird nicht gelesen.")
            % {"size": filesizeformat(limit)},
            path=path,
        )
    text, _encoding = read_text(path)
    reader = csv.reader(io.StringIO(text))
    try:
        header = [column.strip().lower() for column in next(reader, [])]
    except csv.Error:
        header = []
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise ImportFileError.about_file(
            _(
                "Die Datei ist keine Zuordnung von Postleitzahlen zu Orten: ihr fehlen die "
                "Spalten %(columns)s. Die erste Zeile muss lauten: %(header)s"
            )
            % {"columns": ", ".join(missing), "header": ",".join(COLUMNS)},
            path=path,
        )
    index = {column: header.index(column) for column in COLUMNS}
    width = len(header)
    by_ags = {
        ags: pk
        for ags, pk in Municipality.objects.filter(ags__startswith=BAVARIA).values_list("ags", "pk")
        if len(ags) == len("09162000")  # a Gemeinde's; Landkreise and Bezirke have shorter ones
    }
    problems = ProblemList()
    result = PostcodeResult()
    found: dict[tuple[str, int], str] = {}
    for line, row in csv_rows(reader, problems):
        result.rows += 1
        if len(row) != width:
            problems.append(wrong_width(line, len(row), width))
            continue
        ags, place, code = (row[index[column]].strip() for column in ("ags", "ort", "plz"))
        if len(ags) == 7 and ags.isdigit():  # a spreadsheet dropped the leading zero
            ags = f"0{ags}"
        if not ags.startswith(BAVARIA):
            result.other_laender += 1
            continue
        messages = []
        if not AGS_PATTERN.fullmatch(ags):
            messages.append(
                _("Der Gemeindeschlüssel (AGS) „%(ags)s“ hat nicht genau 8 Ziffern.")
                % {"ags": shown(ags)}
            )
        if not PLZ_PATTERN.fullmatch(code):
            messages.append(
                _("Die Postleitzahl „%(code)s“ hat nicht genau 5 Ziffern.") % {"code": shown(code)}
            )
        if len(place) > PLACE_MAX_LENGTH:
            messages.append(
                _("Der Ort ist länger als %(limit)d Zeichen.") % {"limit": PLACE_MAX_LENGTH}
            )
        if messages:
            problems.add(line, "", messages)
            continue
        municipality_id = by_ags.get(ags)
        if municipality_id is None:
            result.unknown_ags += 1
            continue
        found.setdefault((code, municipality_id), place)
    if problems:
        raise ImportFileError(problems, path=path)
    if not result.rows:
        raise ImportFileError([Problem(None, _("Die Datei enthält keine Zeile."))], path=path)
    return found, result


def apply_postcodes(found: dict[tuple[str, int], str], result: PostcodeResult) -> PostcodeResult:
    """Replace every stored postal code with `found` in one transaction."""
    with transaction.atomic():
        before = set(PostalCode.objects.values_list("code", "municipality_id"))
        PostalCode.objects.all().delete()
        PostalCode.objects.bulk_create(
            (
                PostalCode(code=code, municipality_id=municipality_id, place=place)
                for (code, municipality_id), place in found.items()
            ),
            batch_size=1000,
        )
        changed = {municipality_id for _code, municipality_id in before ^ set(found)}
        if changed:
            # What the public search finds changed with these Kommunen; its caches follow.
            register_changed.send(sender=PostalCode, municipality_ids=sorted(changed))
    result.stored = len(found)
    result.municipalities = len({municipality_id for _code, municipality_id in found})
    return result


def import_postcodes(path: Path | str) -> PostcodeResult:
    """Read, check and store a postcode file; raise ImportFileError if it cannot be imported."""
    found, result = read_postcodes(path)
    return apply_postcodes(found, result)
