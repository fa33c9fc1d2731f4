"""The ministry's list of Kommunen close to their threshold, and the reminder it mails them.

"Erinnerung senden …" shows every selected Kommune's mail as it would go out (recipients,
those who unsubscribed, subject, text) and sends only after a second click; a Kommune
reminded within the interval is refused with the day it may be reminded again. Each
reminder is kept (ThresholdReminder) and written into the Kommune's admin history.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from digitalesamt.lib.admin import ChoicesFieldListFilter
from municipalities.admin import RegierungsbezirkFilter

from ..models import NearThreshold, ReminderOptOut, ThresholdReminder
from ..reminders import (
    ReminderRefused,
    near_threshold,
    next_allowed,
    preview,
    reminded_on,
    send_reminder,
)
from .common import has_model_permission

# Kommunen one reminder action may take: every preview is on one page.
MAX_SELECTED = 100


@admin.register(NearThreshold)
class NearThresholdAdmin(admin.ModelAdmin):
    list_display = (
        "title_display",
        "regierungsbezirk_display",
        "count_display",
        "missing_display",
        "last_reminder_display",
    )
    list_display_links = None
    list_filter = (RegierungsbezirkFilter, ("kind", ChoicesFieldListFilter))
    search_fields = ("name", "^ars")
    search_help_text = _("Name oder Regionalschlüssel (Anfang)")
    actions = ["send_reminders"]

    # The page of one Kommune here is a read-only summary; its data is kept in its own admin.
    fields = ("name", "ars", "kind", "regierungsbezirk", "landkreis")
    readonly_fields = fields

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> NearThreshold | None:
        # Any Kommune: one that has just reached its threshold is no longer in the list.
        try:
            return self.model._default_manager.get(pk=int(object_id))
        except (ValueError, self.model.DoesNotExist):
            return None

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        # The list is what the page is for, not a choice of one to view.
        extra_context = {"title": self.opts.verbose_name_plural, **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def get_ordering(self, request: HttpRequest) -> tuple:
        # Not the `ordering` attribute: `missing` is an annotation of get_queryset, which the
        # admin's checks do not see. The changelist applies this after get_queryset.
        return ("missing", "name")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Not ModelAdmin's: it orders by `missing` before the annotation exists.
        queryset = self.model._default_manager.get_queryset()
        return near_threshold(queryset).select_related("regierungsbezirk")

    @admin.display(description=_("Kommune"), ordering="name")
    def title_display(self, obj: NearThreshold) -> str:
        url = reverse("admin:municipalities_municipality_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.title)

    @admin.display(description=_("Regierungsbezirk"), ordering="regierungsbezirk__name")
    def regierungsbezirk_display(self, obj: NearThreshold) -> str:
        return obj.regierungsbezirk.name if obj.regierungsbezirk else "–"

    @admin.display(description=_("Online-Verfahren"), ordering="procedure_count")
    def count_display(self, obj: NearThreshold) -> str:
        # Count and threshold in one column: the list fits 1280 px beside its filters.
        return gettext("%(count)d von %(threshold)d") % {
            "count": obj.procedure_count,
            "threshold": obj.threshold,
        }

    @admin.display(description=_("fehlen"), ordering="missing")
    def missing_display(self, obj: NearThreshold) -> int:
        return obj.missing

    @admin.display(description=_("zuletzt erinnert"), ordering="last_reminder_at")
    def last_reminder_display(self, obj: NearThreshold) -> str:
        return reminded_on(obj.last_reminder_at)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_remind_permission(self, request: HttpRequest) -> bool:
        return has_model_permission(request, ThresholdReminder, "add")

    @admin.action(description=_("Erinnerung senden …"), permissions=["remind"])
    def send_reminders(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """Show the mails first; send them when the preview's button was pressed."""
        chosen = list(queryset.order_by("name", "pk")[: MAX_SELECTED + 1])
        if len(chosen) > MAX_SELECTED:
            self.message_user(
                request,
                gettext(
                    "Bitte wählen Sie höchstens %(max)d Kommunen auf einmal aus; jede "
                    "Erinnerung wird vor dem Versand angezeigt."
                )
                % {"max": MAX_SELECTED},
                messages.ERROR,
            )
            return None
        if request.POST.get("confirm") == "yes":
            self._send(request, chosen)
            return None
        now = timezone.now()
        previews = []
        for municipality in chosen:
            mail = preview(municipality)
            allowed = next_allowed(municipality, now)
            previews.append(
                {
                    "municipality": municipality,
                    "subject": mail.subject,
                    "body": mail.body,
                    "recipients": mail.recipients,
                    "opted_out": mail.opted_out,
                    "allowed": allowed,
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Erinnerung senden"),
            "opts": self.opts,
            "previews": previews,
            "sendable": [row for row in previews if row["recipients"] and not row["allowed"]],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "interval": settings.THRESHOLD_REMINDER_INTERVAL_DAYS,
        }
        return TemplateResponse(request, "admin/awards/nearthreshold/reminder.html", context)

    def _send(self, request: HttpRequest, chosen: list[NearThreshold]) -> None:
        sent = 0
        for municipality in chosen:
            try:
                reminder = send_reminder(municipality=municipality, by=request.user)
            except ReminderRefused as refusal:
                self.message_user(request, str(refusal), messages.WARNING)
                continue
            sent += 1
            self.log_change(
                request,
                reminder.municipality,
                gettext("Erinnerung an den Schwellenwert gesendet an %(recipients)s.")
                % {"recipients": ", ".join(reminder.recipients)},
            )
        if sent:
            self.message_user(
                request,
                ngettext(
                    "%(count)d Erinnerung ist versandt.",
                    "%(count)d Erinnerungen sind versandt.",
                    sent,
                )
                % {"count": sent},
                messages.SUCCESS,
            )


@admin.register(ThresholdReminder)
class ThresholdReminderAdmin(admin.ModelAdmin):
    """The reminders sent, read-only: who was reminded, when, by whom, with which text."""

    list_display = ("municipality", "sent_at", "sent_by", "procedure_count", "threshold")
    list_select_related = ("municipality", "sent_by")
    search_fields = ("municipality__name", "^municipality__ars")
    fields = (
        "municipality",
        "sent_at",
        "sent_by",
        "procedure_count",
        "threshold",
        "recipients",
        "subject",
        "body",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # sent from the list of Kommunen close to their threshold

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(ReminderOptOut)
class ReminderOptOutAdmin(admin.ModelAdmin):
    """The addresses that unsubscribed from the reminders, through the link in one of them.

    Only the address's owner unsubscribes (awards.unsubscribe); deleting a row, at their
    request, sends that address reminders again.
    """

    list_display = ("address", "opted_out_at")
    search_fields = ("address",)
    fields = ("address", "opted_out_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
