"""Import linked online procedures of many Kommunen from a CSV or JSON file (DESIGN section 6)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from municipalities.importing.files import ImportFileError, ProblemList, open_file
from municipalities.importing.procedures import (
    ImportPlan,
    PlannedProcedure,
    ProcedureImportError,
    apply_plan,
    field_label,
    plan_import,
)
from municipalities.validation import number

# A report that lists 150,000 bad rows helps nobody; the first ones show what is wrong.
SHOWN_LINES = 50


class Command(BaseCommand):
    help = _(
        "Importiert verlinkte Online-Verfahren aus einer CSV- oder JSON-Datei "
        "(Spalten ars, titel, url, zustaendigkeit, leika_schluessel, ozg_id, aktiv). "
        "Enthält die Datei einen Fehler, wird nichts gespeichert."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=_("CSV- oder JSON-Datei mit den Verfahren"))
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("Nur prüfen und anzeigen, was sich ändern würde; nichts speichern."),
        )

    def handle(self, *args: Any, file: str, dry_run: bool, verbosity: int, **options: Any) -> None:
        try:
            handle = open_file(file)
        except ImportFileError as error:
            raise CommandError(error.summary()) from None
        # The ministry's file holds every Kommune's procedures: no row limit here, but the cap
        # per Kommune holds, and problems are kept up to settings.IMPORT_MAX_REPORTED_PROBLEMS.
        # A CSV file is read from the disk as a stream, not held in memory.
        with handle:
            try:
                plan = plan_import(
                    handle,
                    filename=file,
                    progress=self.progress if verbosity else None,
                    limit_rows=False,
                )
            except OSError as error:
                message = _("Die Datei kann nicht gelesen werden: %(error)s") % {
                    "error": error.strerror or error
                }
                raise CommandError(
                    ImportFileError.about_file(message, path=file).summary()
                ) from None

        if verbosity:
            for line in self.limited(plan.warnings, _("weitere Hinweise")):
                self.stdout.write(self.style.WARNING(_("Hinweis: %(issue)s") % {"issue": line}))
        if plan.errors:
            raise CommandError(self.error_report(plan))

        if dry_run:
            if verbosity:
                self.describe(plan, everything=verbosity >= 2)
                self.stdout.write(
                    _("Probelauf, nichts gespeichert: %(summary)s")
                    % {"summary": self.summary(plan)}
                )
            return
        if verbosity >= 2:
            self.describe(plan, everything=True)
        if plan.new or plan.changed:
            if verbosity:
                self.stdout.write(_("Speichere …"))
                self.stdout.flush()
            try:
                apply_plan(plan)
            except ProcedureImportError as exc:
                raise CommandError(str(exc)) from exc
        if verbosity:
            self.stdout.write(self.style.SUCCESS(self.summary(plan)))

    def summary(self, plan: ImportPlan) -> str:
        """Return "1.200 neu, 3 geändert, 0 unverändert (1.203 Zeilen, 20 Kommunen)"."""
        municipalities = len({procedure.municipality_id for procedure in plan.procedures})
        counts = _("%(new)s neu, %(changed)s geändert, %(unchanged)s unverändert") % {
            "new": number(len(plan.new)),
            "changed": number(len(plan.changed)),
            "unchanged": number(len(plan.unchanged)),
        }
        rows = ngettext("%(count)s Zeile", "%(count)s Zeilen", plan.rows) % {
            "count": number(plan.rows)
        }
        kommunen = ngettext("%(count)s Kommune", "%(count)s Kommunen", municipalities) % {
            "count": number(municipalities)
        }
        return f"{counts} ({rows}, {kommunen})"

    def progress(self, done: int, total: int) -> None:
        self.stdout.write(
            _("… %(done)s von %(total)s Zeilen geprüft")
            % {"done": number(done), "total": number(total)}
        )
        self.stdout.flush()

    def limited(self, issues: ProblemList, more: str) -> list[str]:
        """Return the first issues as lines, and one line that counts the rest.

        The rest includes what the plan only counted (past IMPORT_MAX_REPORTED_PROBLEMS).
        """
        lines = [str(issue) for issue in issues[:SHOWN_LINES]]
        hidden = issues.total - len(lines)
        if hidden:
            lines.append(_("… und %(count)s %(more)s") % {"count": number(hidden), "more": more})
        return lines

    def error_report(self, plan: ImportPlan) -> str:
        if plan.error_lines:
            head = ngettext(
                "%(errors)s Fehler in %(lines)s Zeile; es wurde nichts gespeichert.",
                "%(errors)s Fehler in %(lines)s Zeilen; es wurde nichts gespeichert.",
                plan.error_lines,
            ) % {"errors": number(plan.errors.total), "lines": number(plan.error_lines)}
        else:
            head = _("Die Datei kann nicht importiert werden; es wurde nichts gespeichert.")
        return "\n".join([head, *self.limited(plan.errors, _("weitere Fehler"))])

    def describe(self, plan: ImportPlan, *, everything: bool) -> None:
        """Print the new and changed procedures (the first ones unless `everything`)."""
        for heading, procedures in ((_("Neu"), plan.new), (_("Geändert"), plan.changed)):
            if not procedures:
                continue
            self.stdout.write(f"{heading}:")
            shown = procedures if everything else procedures[:SHOWN_LINES]
            for procedure in shown:
                self.stdout.write(f"  {self.describe_one(procedure)}")
            if len(shown) < len(procedures):
                self.stdout.write(
                    "  "
                    + _("… und %(count)s weitere") % {"count": number(len(procedures) - len(shown))}
                )

    def describe_one(self, procedure: PlannedProcedure) -> str:
        text = f"{procedure.label}: {procedure.ars} {procedure.title} <{procedure.url}>"
        if procedure.changes:
            text += " – " + ", ".join(field_label(name) for name in procedure.changes)
        return text
