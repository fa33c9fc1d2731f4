"""Read the LeiKa catalogue with its OZG-Leistungen and bring `Service` up to date."""

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from municipalities.models import Service
from municipalities.validation import LEIKA_PATTERN, shown

from .files import (
    DATA_DIR,
    ImportFileError,
    Problem,
    csv_columns,
    csv_rows,
    read_text,
    wrong_width,
)

DEFAULT_CATALOGUE = DATA_DIR / "ozg_leika_leistungen.csv"

# CSV column → Service field. `leika_hinweis` ("nicht im LeiKa") is read only to skip rows.
COLUMNS = {
    "leika_schluessel": "leika_key",
    "leistung": "name",
    "leika_typ": "leika_type",
    "ozg_id": "ozg_id",
    "ozg_leistung": "ozg_name",
    "lebenslage": "lebenslage",
    "themenfeld": "themenfeld",
}
FIELDS = tuple(field for field in COLUMNS.values() if field != "leika_key")


@dataclass
class CatalogueResult:
    total: int
    created: int = 0
    updated: int = 0
    skipped: int = 0
    not_in_file: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def read_catalogue(path: Path | str) -> tuple[list[dict[str, str]], int]:
    """Check every row and return the services and the number of rows without a LeiKa key.

    Rows with an empty key are entries of the OZG catalogue that have no LeiKa service; they are
    skipped. A key that is filled in but not 14 digits is a typo and refuses the file, because
    skipping it would silently drop a service.
    """
    text, _encoding = read_text(path)
    reader = csv.reader(io.StringIO(text))
    index, width = csv_columns(reader, list(COLUMNS), path=path)
    max_lengths = {field: Service._meta.get_field(field).max_length for field in FIELDS}
    problems: list[Problem] = []
    services: list[dict[str, str]] = []
    first_line: dict[str, int] = {}
    skipped = 0
    for line, row in csv_rows(reader, problems):
        if len(row) != width:
            problems.append(wrong_width(line, len(row), width))
            continue
        values = {COLUMNS[column]: row[position].strip() for column, position in index.items()}
        key = values["leika_key"]
        if not key:
            skipped += 1
            continue
        before = len(problems)
        if not LEIKA_PATTERN.fullmatch(key):
            problems.append(
                Problem(
                    line,
                    _("LeiKa-Schlüssel „%(key)s“ hat nicht genau 14 Ziffern.")
                    % {"key": shown(key)},
                )
            )
        elif key in first_line:
            problems.append(
                Problem(
                    line,
                    _("LeiKa-Schlüssel %(key)s kommt doppelt vor (zuerst Zeile %(first)d).")
                    % {"key": key, "first": first_line[key]},
                )
            )
        else:
            first_line[key] = line
        if not values["name"]:
            problems.append(Problem(line, _("Der Name der Leistung fehlt.")))
        for field, limit in max_lengths.items():
            if len(values[field]) > limit:
                problems.append(
                    Problem(
                        line,
                        _("%(field)s ist länger als %(limit)d Zeichen.")
                        % {"field": Service._meta.get_field(field).verbose_name, "limit": limit},
                    )
                )
        if len(problems) == before:
            services.append(values)
    if problems:
        raise ImportFileError(problems, path=path)
    if not services:
        raise ImportFileError.about_file(
            _("Die Datei enthält keine Leistung mit LeiKa-Schlüssel."), path=path
        )
    return services, skipped


def apply_catalogue(services: list[dict[str, str]]) -> CatalogueResult:
    """Create new and update changed services in one transaction; delete nothing.

    Services missing from the file stay, since procedure links may point at them.
    """
    result = CatalogueResult(total=len(services))
    keys = {values["leika_key"] for values in services}
    with transaction.atomic():
        existing = {service.leika_key: service for service in Service.objects.all()}
        result.not_in_file = sum(1 for key in existing if key not in keys)
        to_create, to_update = [], []
        for values in services:
            service = existing.get(values["leika_key"])
            if service is None:
                to_create.append(Service(**values))
                continue
            changed = False
            for field in FIELDS:
                if getattr(service, field) != values[field]:
                    setattr(service, field, values[field])
                    changed = True
            if changed:
                to_update.append(service)
        Service.objects.bulk_create(to_create, batch_size=500)
        Service.objects.bulk_update(to_update, FIELDS, batch_size=500)
    result.created, result.updated = len(to_create), len(to_update)
    return result
