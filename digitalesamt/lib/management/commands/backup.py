"""Write a backup: the database (pg_dump) and every stored file, as one archive with a manifest.

manage.py backup [ARCHIVE]   # default: digitalesamt-<date>-<time>.tar in the current folder
"""

from pathlib import Path

from django.core.management import BaseCommand, CommandError
from django.utils.translation import gettext as _

from digitalesamt.lib import backup


class Command(BaseCommand):
    help = _(
        "Sichert die Datenbank (pg_dump) und alle gespeicherten Dateien in ein Archiv mit "
        "Manifest und Prüfsumme (ARCHIV.sha256)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "archive", nargs="?", help=_("Pfad des Archivs, oder ein Ordner für den Standardnamen")
        )

    def handle(self, *args: object, **options: object) -> None:
        archive = Path(options["archive"] or ".")
        if archive.is_dir():
            archive = archive / backup.default_archive_name()
        if archive.exists():
            raise CommandError(_("%(archive)s gibt es schon.") % {"archive": archive})
        try:
            summary = backup.backup(archive)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            _(
                "%(archive)s: %(tables)d Tabellen, %(rows)d Zeilen, %(files)d Dateien, "
                "%(megabytes).1f MB in %(seconds).1f s"
            )
            % {
                "archive": archive,
                "tables": summary.tables,
                "rows": summary.rows,
                "files": summary.files,
                "megabytes": summary.bytes / 1e6,
                "seconds": summary.seconds,
            }
        )
