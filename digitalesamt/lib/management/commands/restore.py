"""Restore a backup into an empty database and an empty storage, checking every checksum.

manage.py restore ARCHIVE
"""

from pathlib import Path

from django.core.management import BaseCommand, CommandError
from django.utils.translation import gettext as _

from digitalesamt.lib import backup


class Command(BaseCommand):
    help = _(
        "Stellt eine Sicherung (manage.py backup) in eine leere Datenbank und einen leeren "
        "Dateispeicher wieder her und vergleicht danach die Zeilen jeder Tabelle."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", help=_("Pfad des Archivs"))

    def handle(self, *args: object, **options: object) -> None:
        archive = Path(options["archive"])
        if not archive.is_file():
            raise CommandError(_("%(archive)s gibt es nicht.") % {"archive": archive})
        try:
            summary = backup.restore(archive)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            _(
                "Wiederhergestellt: %(tables)d Tabellen, %(rows)d Zeilen (wie im Manifest), "
                "%(files)d Dateien, in %(seconds).1f s"
            )
            % {
                "tables": summary.tables,
                "rows": summary.rows,
                "files": summary.files,
                "seconds": summary.seconds,
            }
        )
