"""The audit trail's entries under this app: a German name and a permission of their own."""

from auditlog.models import LogEntry
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    LogEntry.Action.CREATE: _("angelegt"),
    LogEntry.Action.UPDATE: _("geändert"),
    LogEntry.Action.DELETE: _("gelöscht"),
    LogEntry.Action.ACCESS: _("aufgerufen"),
}


class AuditEntry(LogEntry):
    """One change in the audit trail (django-auditlog's LogEntry): who, when, what.

    A proxy, so that the admin shows it in German and the Administration group can be given
    `accounts.view_auditentry`; there is no permission to add, change or delete one.
    """

    class Meta:
        proxy = True
        verbose_name = _("Eintrag im Änderungsprotokoll")
        verbose_name_plural = _("Einträge im Änderungsprotokoll")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return gettext("%(object)s %(action)s") % {
            "object": self.object_repr,
            "action": self.action_label,
        }

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.get_action_display()))
