"""The audit trail in the admin, read-only: who changed what when, for the Administration group.

It replaces django-auditlog's own admin, which speaks English, filters by correlation id and
lets nobody in but superusers; this one lists the entries under `AuditEntry` (German, its own
view permission) with the changes spelt out field by field.
"""

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from digitalesamt.lib.admin import check_integer

from . import audit
from .models import ACTION_LABELS, AuditEntry

if admin.site.is_registered(LogEntry):
    admin.site.unregister(LogEntry)


class ActorFilter(admin.SimpleListFilter):
    """The users who changed something, not every clerk; and the commands (no user)."""

    title = _("Wer")
    parameter_name = "wer"
    NOBODY = "system"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        actors = (
            get_user_model()
            .objects.filter(pk__in=AuditEntry.objects.values("actor"))
            .order_by("username")
        )
        return [
            *((str(user.pk), user.get_username()) for user in actors),
            (self.NOBODY, gettext("System (ohne Benutzer)")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        if value == self.NOBODY:
            return queryset.filter(actor__isnull=True)
        return queryset.filter(actor_id=check_integer(self.parameter_name, value))


class ModelFilter(admin.SimpleListFilter):
    """The kinds of object the trail records, by their German names."""

    title = _("Art des Objekts")
    parameter_name = "art"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        types = ContentType.objects.get_for_models(*auditlog.get_models())
        named = [(str(ct.pk), str(model._meta.verbose_name_plural)) for model, ct in types.items()]
        return sorted(named, key=lambda item: item[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(content_type_id=check_integer(self.parameter_name, value))


class WhenFilter(admin.DateFieldListFilter):
    """Django's date filter (today, past 7 days, …) under a German title."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.title = gettext("Zeitpunkt")


class ActionFilter(admin.SimpleListFilter):
    title = _("Aktion")
    parameter_name = "aktion"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [(str(action), label) for action, label in ACTION_LABELS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(action=check_integer(self.parameter_name, value, maximum=9))


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only for everyone, superusers too: an entry is evidence, not data to keep tidy."""

    list_display = ("when", "actor_display", "action_display", "object_link", "changes_list")
    list_display_links = ("when",)
    list_filter = (ModelFilter, ActorFilter, ActionFilter, ("timestamp", WhenFilter))
    list_select_related = ("content_type", "actor")
    search_fields = ("object_repr", "actor__username", "actor__email", "actor_email")
    search_help_text = _("Objekt (Name, Nummer, Benutzername) oder wer es geändert hat")
    list_per_page = 50
    # The trail only grows: one COUNT of it per page is enough ("10 Einträge", not "of 10").
    show_full_result_count = False
    fields = ("when", "actor_display", "action_display", "object_link", "changes_table")
    readonly_fields = fields

    class Media:
        css = {"all": ["admin_audit/audit.css"]}

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        extra_context = {"title": gettext("Änderungsprotokoll"), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Old entries go by `manage.py prune_audit_log` (AUDIT_LOG_RETENTION_DAYS), not by hand.
        return False

    @admin.display(description=_("Zeitpunkt"), ordering="timestamp")
    def when(self, entry: AuditEntry) -> str:
        return date_format(localtime(entry.timestamp), "j. F Y, H:i:s")

    @admin.display(description=_("Wer"), ordering="actor__username")
    def actor_display(self, entry: AuditEntry) -> SafeString | str:
        if entry.actor is None:
            if entry.actor_email:  # the user was deleted since
                return gettext("%(email)s (gelöscht)") % {"email": entry.actor_email}
            return gettext("System")
        url = reverse(f"admin:{_user_admin_name()}_change", args=[entry.actor.pk])
        return format_html('<a href="{}">{}</a>', url, entry.actor.get_username())

    @admin.display(description=_("Aktion"), ordering="action")
    def action_display(self, entry: AuditEntry) -> str:
        return entry.action_label

    @admin.display(description=_("Objekt"), ordering="object_repr")
    def object_link(self, entry: AuditEntry) -> SafeString:
        model = entry.content_type.model_class()
        kind = model._meta.verbose_name if model else entry.content_type.model
        url = None
        if entry.action != LogEntry.Action.DELETE:
            try:
                url = reverse(
                    f"admin:{entry.content_type.app_label}_{entry.content_type.model}_change",
                    args=[entry.object_pk],
                )
            except NoReverseMatch:
                url = None
        if url is None:
            return format_html("{}: {}", kind, entry.object_repr)
        return format_html('{}: <a href="{}">{}</a>', kind, url, entry.object_repr)

    @admin.display(description=_("Änderungen"))
    def changes_list(self, entry: AuditEntry) -> SafeString:
        lines = audit.changes(entry, max_length=audit.LIST_VALUE_LENGTH)
        return format_html(
            '<ul class="audit-changes">{}</ul>',
            format_html_join("", "<li>{}</li>", ((_line(change),) for change in lines)),
        )

    @admin.display(description=_("Änderungen"))
    def changes_table(self, entry: AuditEntry) -> SafeString:
        rows = [
            (change.label, change.old if change.old is not None else "", change.new)
            for change in audit.changes(entry)
        ]
        return format_html(
            '<table class="audit-changes"><thead><tr><th scope="col">{}</th>'
            '<th scope="col">{}</th><th scope="col">{}</th></tr></thead><tbody>{}</tbody></table>',
            gettext("Feld"),
            gettext("vorher"),
            gettext("nachher"),
            format_html_join("", '<tr><th scope="row">{}</th><td>{}</td><td>{}</td></tr>', rows),
        )


def _line(change: audit.Change) -> SafeString:
    if change.old is None:
        return format_html("<strong>{}:</strong> {}", change.label, change.new)
    return format_html("<strong>{}:</strong> {} → {}", change.label, change.old, change.new)


def _user_admin_name() -> str:
    app_label, model_name = settings.AUTH_USER_MODEL.lower().split(".")
    return f"{app_label}_{model_name}"
