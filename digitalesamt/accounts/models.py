"""The audit trail's entries under this app: a German name and a permission of their own."""

from auditlog.models import LogEntry
from django.utils.translation import gettext_lazy as _


class AuditEntry(LogEntry):
    """One change in the audit trail (django-auditlog's LogEntry): who, when, what.

    A proxy, so that the admin shows it in German and the Administration group can be given
    `accounts.view_auditentry`; there is no permission to add, change or delete one.
    """

    class Meta:
        proxy = True
        verbose_name = _("Eintrag im Änderungsprotokoll")
        verbose_name_plural = _("Änderungsprotokoll")
        default_permissions = ("view",)
