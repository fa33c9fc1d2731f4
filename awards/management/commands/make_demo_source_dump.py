"""Write the demo's source dump from the demo data (a database filled by `seed_demo`)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from awards.demo_source import DEMO_SOURCE_DUMP, build_source_dump
from awards.models import Award


class Command(BaseCommand):
    help = _(
        "Schreibt die Demo-Bundesdaten (Seiten wie die API des Dashboards Digitale Verwaltung, "
        "gzip-komprimiertes JSON) aus den Demo-Daten. Vorher seed_demo mit dem Standard-"
        "Startwert laden; gleiche Demo-Daten ergeben dieselbe Datei."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            default=str(DEMO_SOURCE_DUMP),
            help=_("Zieldatei (Standard: die mitgelieferte Datei)."),
        )

    def handle(self, *args: Any, output: str, **options: Any) -> None:
        if not Award.objects.exists():
            raise CommandError(_("Keine Demo-Daten geladen: zuerst seed_demo ausführen."))
        data = build_source_dump()
        Path(output).write_bytes(data)
        self.stdout.write(
            _("Demo-Bundesdaten geschrieben: %(path)s (%(size)s KB).")
            % {"path": output, "size": len(data) // 1024}
        )
