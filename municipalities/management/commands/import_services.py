"""Load the LeiKa catalogue with its OZG-Leistungen into `Service`."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from municipalities.importing.catalogue import (
    COLUMNS,
    DEFAULT_CATALOGUE,
    apply_catalogue,
    read_catalogue,
)
from municipalities.importing.files import ImportFileError


def _count(value: int) -> str:
    return number_format(value, force_grouping=True)


class Command(BaseCommand):
    help = _(
        "Liest den LeiKa-Katalog mit den OZG-Leistungen ein (CSV). Ohne Angabe wird die "
        "mitgelieferte Datei gelesen."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file",
            nargs="?",
            default=str(DEFAULT_CATALOGUE),
            help=_("CSV-Datei mit den Spalten %(columns)s.") % {"columns": ", ".join(COLUMNS)},
        )

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        try:
            services, skipped = read_catalogue(file)
        except ImportFileError as error:
            raise CommandError(error.summary()) from None
        result = apply_catalogue(services)
        result.skipped = skipped
        if result.changed:
            message = _(
                "%(total)s Leistungen eingelesen: %(created)s neu, %(updated)s aktualisiert."
            ) % {
                "total": _count(result.total),
                "created": _count(result.created),
                "updated": _count(result.updated),
            }
        else:
            message = _("Keine Änderungen: %(total)s Leistungen sind aktuell.") % {
                "total": _count(result.total)
            }
        self.stdout.write(self.style.SUCCESS(message))
        if skipped:
            self.stdout.write(
                ngettext(
                    "%(count)s Zeile ohne LeiKa-Schlüssel übersprungen.",
                    "%(count)s Zeilen ohne LeiKa-Schlüssel übersprungen.",
                    skipped,
                )
                % {"count": _count(skipped)}
            )
        if result.not_in_file:
            self.stdout.write(
                self.style.WARNING(
                    ngettext(
                        "%(count)s Leistung ist in der Datenbank, aber nicht in der Datei; "
                        "sie bleibt erhalten.",
                        "%(count)s Leistungen sind in der Datenbank, aber nicht in der Datei; "
                        "sie bleiben erhalten.",
                        result.not_in_file,
                    )
                    % {"count": _count(result.not_in_file)}
                )
            )
