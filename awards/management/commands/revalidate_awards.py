from django.core.management import BaseCommand
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from awards.models import Award
from awards.review import with_live_progress
from awards.witness import with_confirmed_progress


class Command(BaseCommand):
    help = _(
        "Zählt die aktiven Online-Verfahren jedes Trägers des Prädikats neu und listet die "
        "Träger unter ihrem Schwellenwert, nach der eigenen Liste und nach den Bundesdaten. "
        "Widerruft nichts: das entscheidet das Ministerium."
    )

    def handle(self, *args: object, **options: object) -> None:
        # One query: every valid award with its Kommune's live count, threshold and the
        # count the federal dashboard confirms.
        holders = list(
            with_confirmed_progress(
                with_live_progress(Award.objects.valid().select_related("municipality"))
            ).order_by("number")
        )
        at_risk = [award for award in holders if award.live_count < award.live_threshold]
        summary = ngettext(
            "%(checked)d Träger geprüft, %(at_risk)d unter dem Schwellenwert",
            "%(checked)d Träger geprüft, %(at_risk)d unter dem Schwellenwert",
            len(holders),
        ) % {"checked": len(holders), "at_risk": len(at_risk)}
        self.stdout.write(f"{summary}:" if at_risk else f"{summary}.")
        for award in at_risk:
            self.stdout.write(
                _("  %(kommune)s (%(number)s): %(count)d von %(threshold)d Online-Verfahren")
                % {
                    "kommune": award.municipality.title,
                    "number": award.number,
                    "count": award.live_count,
                    "threshold": award.live_threshold,
                }
            )
        self.source_check(holders)

    def source_check(self, holders: list[Award]) -> None:
        """The same check on the count the source confirms, for the holders that were synced."""
        synced = [award for award in holders if award.synced_at is not None]
        below = [award for award in synced if award.confirmed_count < award.live_threshold]
        summary = _(
            "Laut Bundesdaten: %(synced)d abgeglichen, %(below)d unter dem Schwellenwert, "
            "%(unsynced)d nicht abgeglichen"
        ) % {
            "synced": len(synced),
            "below": len(below),
            "unsynced": len(holders) - len(synced),
        }
        self.stdout.write(f"{summary}:" if below else f"{summary}.")
        for award in below:
            self.stdout.write(
                _(
                    "  %(kommune)s (%(number)s): %(confirmed)d von %(threshold)d in den "
                    "Bundesdaten bestätigt (%(count)d in der eigenen Liste), abgeglichen am "
                    "%(date)s"
                )
                % {
                    "kommune": award.municipality.title,
                    "number": award.number,
                    "confirmed": award.confirmed_count,
                    "threshold": award.live_threshold,
                    "count": award.live_count,
                    "date": formats.date_format(timezone.localdate(award.synced_at), "j. F Y"),
                }
            )
