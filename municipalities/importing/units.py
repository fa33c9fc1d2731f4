"""Turn register records into Kommunen (`Unit`s) and write them to `Municipality`.

`build_units()` maps the Bavarian records to one `Unit` per Kommune that can hold the award,
with its links, totals and coordinates; `apply_units()` writes them in one transaction.
"""

import datetime
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from municipalities.constants import GEMEINDE_KINDS, Kind
from municipalities.models import Municipality
from municipalities.search import normalize
from municipalities.signals import register_changed

from .coordinates import COORDINATE_PLACES
from .files import ImportFileError, Problem
from .gv100ad import RegisterRecord

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
    "search_name",
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

    @property
    def search_name(self) -> str:
        return normalize(self.name)

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
    path: Path | str | None = None,
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
        raise ImportFileError(problems, path=path)

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
