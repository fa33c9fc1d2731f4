"""Delete the audit trail's entries older than AUDIT_LOG_RETENTION_DAYS (the privacy statement)."""

import datetime
from typing import Any

from auditlog.models import LogEntry
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class Command(BaseCommand):
    help = _(
        "Löscht die Einträge des Änderungsprotokolls, die älter sind als "
        "AUDIT_LOG_RETENTION_DAYS Tage. Kann täglich laufen."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        days = settings.AUDIT_LOG_RETENTION_DAYS
        cutoff = timezone.now() - datetime.timedelta(days=days)
        # One DELETE: no signal listens to an entry's deletion.
        deleted, _by_model = LogEntry.objects.filter(timestamp__lt=cutoff).delete()
        self.stdout.write(
            ngettext(
                "%(count)s Eintrag des Änderungsprotokolls gelöscht (älter als %(days)s Tage).",
                "%(count)s Einträge des Änderungsprotokolls gelöscht (älter als %(days)s Tage).",
                deleted,
            )
            % {"count": number_format(deleted, force_grouping=True), "days": days}
        )
