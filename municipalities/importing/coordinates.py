"""Read the coordinates of the Bavarian Gemeinden from the Destatis "Auszug" CSV."""

import csv
import io
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from django.utils.translation import gettext as _

from .files import ImportFileError, Problem, csv_columns, csv_rows, read_text, wrong_width

COORDINATE_PLACES = Decimal("0.00001")
COLUMNS = ("Satz-art", "Land", "RB", "Kreis", "Gem", "Längengrad", "Breitengrad")


def _decimal(value: str) -> Decimal:
    return Decimal(value.strip().replace(",", ".")).quantize(COORDINATE_PLACES, ROUND_HALF_UP)


def read_coordinates(path: Path | str) -> dict[str, tuple[Decimal, Decimal]]:
    """Return (latitude, longitude) by AGS from the Destatis "Auszug" CSV.

    The extract is an Excel export: `;`-separated, leading zeros of the keys lost ("9" for
    Land 09), decimal commas. Only Bavarian Gemeinden (Satzart 60) are read.
    """
    text, _encoding = read_text(path)
    reader = csv.reader(io.StringIO(text), delimiter=";")
    index, width = csv_columns(reader, COLUMNS, path=path)
    problems: list[Problem] = []
    coordinates: dict[str, tuple[Decimal, Decimal]] = {}
    for line, row in csv_rows(reader, problems):
        if len(row) < width:
            problems.append(wrong_width(line, len(row), width))
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
        raise ImportFileError(problems, path=path)
    return coordinates
