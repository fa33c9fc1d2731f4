"""Load the OpenStreetMap-derived postal codes of the Bavarian Gemeinden into `PostalCode`."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from municipalities.importing.files import ImportFileError
from municipalities.importing.postcodes import COLUMNS, import_postcodes


def _count(value: int) -> str:
    return number_format(value, force_grouping=True)


class Command(BaseCommand):
    help = _(
        "Liest die Zuordnung von Postleitzahlen zu Gemeinden (zuordnung_plz_ort.csv, aus "
        "OpenStreetMap, ODbL) ein und ersetzt alle gespeicherten Postleitzahlen. Nur Zeilen "
        "aus Bayern werden gelesen."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file",
            help=_("CSV-Datei mit den Spalten %(columns)s.") % {"columns": ",".join(COLUMNS)},
        )

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        try:
            result = import_postcodes(file)
        except ImportFileError as error:
            raise CommandError(error.summary()) from None
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Postleitzahlen eingelesen: %(rows)s Zeilen, %(stored)s Zuordnungen für "
                    "%(kommunen)s Kommunen gespeichert, %(unknown)s Zeilen mit unbekanntem "
                    "Gemeindeschlüssel, %(other)s Zeilen aus anderen Ländern übersprungen."
                )
                % {
                    "rows": _count(result.rows),
                    "stored": _count(result.stored),
                    "kommunen": _count(result.municipalities),
                    "unknown": _count(result.unknown_ags),
                    "other": _count(result.other_laender),
                }
            )
        )
