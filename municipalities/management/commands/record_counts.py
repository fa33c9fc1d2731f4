"""Store every Kommune's count of today: the nightly recount of the count history."""

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from municipalities.history import record_counts


class Command(BaseCommand):
    help = _(
        "Zählt die Online-Verfahren jeder Kommune (eigene Liste und in den Bundesdaten "
        "bestätigt) und speichert den Zählstand des Tages; ein zweiter Lauf am selben Tag "
        "überschreibt ihn. Täglich ausführen, etwa nachts per cron."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--day", help=_("Tag des Zählstands im Format JJJJ-MM-TT (Standard: heute).")
        )

    def handle(self, *args: Any, day: str | None, **options: Any) -> None:
        try:
            chosen = datetime.date.fromisoformat(day) if day else None
        except ValueError:
            raise CommandError(
                _("Geben Sie den Tag im Format JJJJ-MM-TT an, zum Beispiel 2026-12-01.")
            ) from None
        stored = record_counts(chosen)
        self.stdout.write(
            _("Zählstand von %(count)s Kommunen gespeichert.")
            % {"count": number_format(stored, force_grouping=True)}
        )
