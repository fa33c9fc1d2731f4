"""The ministry's list of mails that could not be delivered after every retry."""

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import notifications
from ..models import UndeliveredMail
from .common import has_model_permission


@admin.register(UndeliveredMail)
class UndeliveredMailAdmin(admin.ModelAdmin):
    list_display = ("subject", "recipient_list", "last_error", "attempts", "failed_at")
    list_display_links = ("subject",)
    search_fields = ("subject", "recipients")
    fields = (
        "subject",
        "recipient_list",
        "attempts",
        "first_attempt_at",
        "failed_at",
        "last_error",
        "body",
    )
    readonly_fields = fields
    actions = ["send_again"]

    @admin.display(description=_("Empfänger"))
    def recipient_list(self, obj: UndeliveredMail) -> str:
        return ", ".join(obj.recipients)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Rows come from the mail task only, when it gives up.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Nothing here is edited; sending again needs the change permission (see the action).
        return False

    @admin.action(description=_("erneut senden"), permissions=["send"])
    def send_again(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = notifications.send_again(queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d E-Mail wird erneut gesendet.",
                "%(count)d E-Mails werden erneut gesendet.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    def has_send_permission(self, request: HttpRequest) -> bool:
        return has_model_permission(request, UndeliveredMail, "change")
