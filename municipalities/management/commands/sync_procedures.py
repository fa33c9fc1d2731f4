"""Fetch the federal dashboard's online services per Kommune and store them as source records."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from digitalesamt.lib.dashboard import DashboardClient
from municipalities.importing.files import ImportFileError
from municipalities.importing.source_files import read_source_file
from municipalities.models import Municipality
from municipalities.sources import SourceSyncer, SyncSummary
from municipalities.tasks import sync_source_records
from municipalities.validation import number


class Command(BaseCommand):
    help = _(
        "Gleicht die Online-Dienste der Kommunen mit dem Dashboard Digitale Verwaltung ab und "
        "speichert sie als Bundesdaten neben den eigenen Listen der Kommunen. Ohne --ars alle "
        "Kommunen Bayerns; bereits abgeglichene werden übersprungen (Fortsetzen)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--ars", nargs="+", default=[], help=_("nur diese Kommunen (Regionalschlüssel)")
        )
        parser.add_argument(
            "--file",
            help=_("Daten aus einer Datei statt von der API: JSON-Seiten oder CSV-Download"),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("auch Kommunen abgleichen, die vor kurzem abgeglichen wurden"),
        )
        parser.add_argument(
            "--queue",
            action="store_true",
            help=_("den Abgleich als Hintergrundaufgabe einreihen (für den nächtlichen Lauf)"),
        )

    def handle(
        self,
        *args: Any,
        ars: list[str],
        file: str | None,
        force: bool,
        queue: bool,
        verbosity: int,
        **options: Any,
    ) -> None:
        if queue:
            sync_source_records.enqueue()
            self.stdout.write(_("Abgleich als Hintergrundaufgabe eingereiht."))
            return
        self.verbosity = verbosity
        syncer = SourceSyncer(progress=self.progress if verbosity else None)
        unknown = sorted(set(ars) - set(syncer.register))
        if unknown:
            raise CommandError(
                _("Keine Kommune mit dem Regionalschlüssel %(ars)s.") % {"ars": ", ".join(unknown)}
            )
        try:
            if file:
                try:
                    records = read_source_file(file)
                except ImportFileError as error:
                    raise CommandError(error.summary()) from None
                syncer.sync_from_file(records, only=set(ars) if ars else None)
            else:
                municipalities = Municipality.objects.order_by("ars")
                if ars:
                    municipalities = municipalities.filter(ars__in=ars)
                elif not force:
                    total = municipalities.count()
                    municipalities = syncer.stale(municipalities)
                    syncer.summary.fresh = total - municipalities.count()
                syncer.sync_from_source(municipalities, DashboardClient())
                if not ars:
                    syncer.drop_stale_central()
        except KeyboardInterrupt:
            self.stdout.write(self.summary(syncer.summary))
            raise CommandError(
                _(
                    "Abgebrochen. Die fertigen Kommunen sind gespeichert; ein neuer Aufruf "
                    "setzt beim Rest fort."
                )
            ) from None
        if verbosity:
            self.stdout.write(self.style.SUCCESS(self.summary(syncer.summary)))
        if syncer.summary.failed:
            failed = syncer.summary.failed
            raise CommandError(
                ngettext(
                    "%(count)s Kommune konnte nicht abgeglichen werden; ihre alten Daten bleiben.",
                    "%(count)s Kommunen konnten nicht abgeglichen werden; ihre alten Daten "
                    "bleiben.",
                    failed,
                )
                % {"count": number(failed)}
            )

    def progress(
        self, index: int, total: int, municipality: Municipality, outcome: str, detail: str
    ) -> None:
        position = f"[{number(index)}/{number(total)}]"
        if outcome == "ok":
            count = int(detail)
            line = ngettext(
                "%(position)s %(kommune)s (%(ars)s): %(count)s Eintrag",
                "%(position)s %(kommune)s (%(ars)s): %(count)s Einträge",
                count,
            ) % {
                "position": position,
                "kommune": municipality.title,
                "ars": municipality.ars,
                "count": number(count),
            }
            self.stdout.write(line)
        else:
            line = _("%(position)s %(kommune)s (%(ars)s): Fehler – %(error)s") % {
                "position": position,
                "kommune": municipality.title,
                "ars": municipality.ars,
                "error": detail,
            }
            self.stderr.write(line)

    def summary(self, summary: SyncSummary) -> str:
        lines = [
            _(
                "Kommunen abgeglichen: %(synced)s, Einträge: %(records)s, geändert: %(changed)s, "
                "fehlgeschlagen: %(failed)s"
            )
            % {
                "synced": number(summary.synced),
                "records": number(summary.records),
                "changed": number(summary.changed),
                "failed": number(summary.failed),
            },
            _(
                "Zentrale Verfahren des Freistaats: %(central)s; bei übergeordneten Kommunen "
                "gespeichert: %(above)s; übersprungen: %(fresh)s kürzlich abgeglichene Kommunen, "
                "%(other)s Einträge anderer Länder, %(outside)s außerhalb des Verzeichnisses, "
                "%(invalid)s ohne gültige URL oder LeiKa-Schlüssel"
            )
            % {
                "central": number(summary.central),
                "above": number(summary.above),
                "fresh": number(summary.fresh),
                "other": number(summary.other_laender),
                "outside": number(summary.outside),
                "invalid": number(summary.invalid),
            },
        ]
        return "\n".join(lines)
