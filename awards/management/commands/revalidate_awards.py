from django.core.management import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from awards.models import Award
from awards.review import with_live_progress


class Command(BaseCommand):
    help = _(
        "Zählt die aktiven Online-Verfahren jedes Trägers des Prädikats neu und listet die "
        "Träger unter ihrem Schwellenwert. Widerruft nichts: das entscheidet das Ministerium."
    )

    def handle(self, *args: object, **options: object) -> None:
        # One query: every valid award with its Kommune's live count and threshold.
        holders = list(
            with_live_progress(Award.objects.valid().select_related("municipality")).order_by(
                "number"
            )
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
