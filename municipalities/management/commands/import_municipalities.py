"""Bring the Kommunen up to date from the official Destatis register (GV100AD)."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from municipalities.constants import Kind
from municipalities.importing.register import (
    DEFAULT_COORDINATES,
    DEFAULT_REGISTER,
    ImportFileError,
    ImportResult,
    import_register,
)


def _count(value: int) -> str:
    return number_format(value, force_grouping=True)


class Command(BaseCommand):
    help = _(
        "Liest das Gemeindeverzeichnis GV100AD von Destatis ein und legt die bayerischen "
        "Kommunen an oder aktualisiert sie. Ohne Angaben werden die mitgelieferten Dateien gelesen."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--register",
            default=str(DEFAULT_REGISTER),
            help=_("GV100AD-Datei (feste Satzlänge 220 Zeichen, UTF-8 oder Windows-1252)."),
        )
        parser.add_argument(
            "--coordinates",
            default=str(DEFAULT_COORDINATES),
            help=_("Destatis-Auszug (CSV mit Semikolon) mit Längen- und Breitengrad je Gemeinde."),
        )

    def handle(self, *args: Any, register: str, coordinates: str, **options: Any) -> None:
        started = time.perf_counter()
        try:
            result = import_register(register, coordinates)
        except ImportFileError as error:
            raise CommandError(error.summary()) from None
        self.report(result)
        if options["verbosity"] >= 2:
            seconds = time.perf_counter() - started
            self.stdout.write(
                _("Dauer: %(seconds)s s") % {"seconds": number_format(seconds, decimal_pos=2)}
            )

    def report(self, result: ImportResult) -> None:
        if result.encoding != "utf-8":
            self.stdout.write(
                _("Die Datei wurde als %(encoding)s gelesen.") % {"encoding": result.encoding}
            )
        if not result.changed:
            self.stdout.write(
                self.style.SUCCESS(
                    ngettext(
                        "Keine Änderungen: %(count)s Kommune ist aktuell.",
                        "Keine Änderungen: %(count)s Kommunen sind aktuell.",
                        result.total,
                    )
                    % {"count": _count(result.total)}
                )
            )
        else:
            created, updated = sum(result.created.values()), sum(result.updated.values())
            self.stdout.write(
                self.style.SUCCESS(
                    _("%(total)s Kommunen eingelesen: %(created)s neu, %(updated)s aktualisiert.")
                    % {
                        "total": _count(result.total),
                        "created": _count(created),
                        "updated": _count(updated),
                    }
                )
            )
            for kind in Kind:
                if result.by_kind[kind]:
                    self.stdout.write(
                        _("  %(kind)s: %(total)s (%(created)s neu, %(updated)s aktualisiert)")
                        % {
                            "kind": kind.label,
                            "total": _count(result.by_kind[kind]),
                            "created": _count(result.created[kind]),
                            "updated": _count(result.updated[kind]),
                        }
                    )
        if result.not_in_file:
            self.stdout.write(
                self.style.WARNING(
                    ngettext(
                        "%(count)s Kommune ist in der Datenbank, aber nicht in der Datei; "
                        "sie bleibt erhalten.",
                        "%(count)s Kommunen sind in der Datenbank, aber nicht in der Datei; "
                        "sie bleiben erhalten.",
                        result.not_in_file,
                    )
                    % {"count": _count(result.not_in_file)}
                )
            )
        if result.without_coordinates:
            self.stdout.write(
                self.style.WARNING(
                    ngettext(
                        "%(count)s Gemeinde hat keine Koordinaten in der Koordinatendatei.",
                        "%(count)s Gemeinden haben keine Koordinaten in der Koordinatendatei.",
                        result.without_coordinates,
                    )
                    % {"count": _count(result.without_coordinates)}
                )
            )
