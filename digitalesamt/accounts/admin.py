"""The ministry's user admin: clerks of a Kommune and reviewers, their Kommune, invitations."""

from smtplib import SMTPException

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from municipalities.models import Membership

from . import (
    audit_admin,  # noqa: F401 - registers the audit trail's admin
    second_factor,
)
from .forms import InviteForm
from .invitations import (
    InvitationError,
    check_can_resend,
    invite_user,
    pending_invitation,
    send_invitation,
)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "municipality", "created_at")
    list_select_related = ("user", "municipality")
    search_fields = ("user__username", "user__email", "municipality__name", "^municipality__ars")
    search_help_text = _("Benutzername, E-Mail-Adresse, Name oder Regionalschlüssel der Kommune")
    autocomplete_fields = ("user", "municipality")
    readonly_fields = ("created_at",)


class MembershipInline(admin.StackedInline):
    model = Membership
    autocomplete_fields = ("municipality",)
    fields = ("municipality",)
    extra = 0
    max_num = 1


class AccessKindFilter(admin.SimpleListFilter):
    """Tell clerks of a Kommune from the ministry's staff."""

    title = _("Zugang")
    parameter_name = "zugang"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("kommune", gettext("Kommune")), ("ministerium", gettext("Ministerium"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "kommune":
            return queryset.filter(membership__isnull=False)
        if self.value() == "ministerium":
            return queryset.filter(is_staff=True)
        return queryset


User = get_user_model()
admin.site.unregister(User)

# The devices of the second factor are no list to browse (a TOTP device's page would show its
# secret): a user sees theirs on "Zweiter Faktor", an administrator can only reset them.
for _label in second_factor.DEVICE_APPS:
    for _model in apps.get_app_config(_label).get_models():
        if admin.site.is_registered(_model):
            admin.site.unregister(_model)


@admin.register(User)
class AccountAdmin(UserAdmin):
    """Django's user admin with the Kommune, invitations and the invite page."""

    list_display = (
        "username",
        "email",
        "full_name_display",
        "municipality_display",
        "is_staff",
        "invitation_pending",
    )
    list_filter = (AccessKindFilter, "is_staff", "is_superuser", "is_active", "groups")
    list_select_related = ("membership__municipality",)
    search_fields = (
        *UserAdmin.search_fields,
        "membership__municipality__name",
        "^membership__municipality__ars",
    )
    actions = ("send_invitations",)
    change_form_template = "admin/auth/user/change_form_second_factor.html"

    @admin.display(description=_("Name"), ordering="last_name")
    def full_name_display(self, obj: Model) -> str:
        return obj.get_full_name()

    @admin.display(description=_("Kommune"), ordering="membership__municipality__name")
    def municipality_display(self, obj: Model) -> str | None:
        membership = getattr(obj, "membership", None)
        return membership.municipality.title if membership else None

    @admin.display(description=_("Einladung offen"), boolean=True)
    def invitation_pending(self, obj: Model) -> bool:
        return pending_invitation(obj)

    def get_inlines(self, request: HttpRequest, obj: Model | None) -> list:
        # The add page is Django's two-step one; the Kommune is chosen once the user exists.
        return [MembershipInline] if obj is not None else []

    @admin.action(description=_("Einladung (erneut) senden"), permissions=["change"])
    def send_invitations(self, request: HttpRequest, queryset: QuerySet) -> None:
        sent = 0
        for user in queryset.order_by("username"):
            try:
                check_can_resend(user)
                send_invitation(user)
            except InvitationError as error:
                self.message_user(request, error.message, messages.WARNING)
            except (SMTPException, OSError) as error:
                self.message_user(
                    request,
                    gettext("Die E-Mail an %(email)s konnte nicht gesendet werden: %(error)s")
                    % {"email": user.email, "error": error},
                    messages.ERROR,
                )
            else:
                sent += 1
        if sent:
            self.message_user(
                request,
                ngettext("%(count)d Einladung gesendet.", "%(count)d Einladungen gesendet.", sent)
                % {"count": sent},
                messages.SUCCESS,
            )

    def get_urls(self) -> list:
        invite = path(
            "einladen/",
            self.admin_site.admin_view(self.invite_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_invite",
        )
        reset = path(
            "<path:object_id>/zweiter-faktor-zuruecksetzen/",
            self.admin_site.admin_view(self.reset_second_factor_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_reset_second_factor",
        )
        return [invite, reset, *super().get_urls()]

    def has_reset_second_factor_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perms(second_factor.RESET_PERMISSIONS)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ):
        extra_context = {
            **(extra_context or {}),
            "can_reset_second_factor": self.has_reset_second_factor_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def reset_second_factor_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Delete a user's devices after a confirmation; they set up a new one at next login."""
        if not self.has_reset_second_factor_permission(request):
            raise PermissionDenied
        user = get_object_or_404(self.get_queryset(request), pk=object_id)
        if request.method == "POST":
            removed = second_factor.reset(user)
            if removed:
                self.log_change(request, user, gettext("Zweiten Faktor zurückgesetzt."))
                self.message_user(
                    request,
                    gettext(
                        "Der zweite Faktor von %(name)s ist zurückgesetzt. Bei der nächsten "
                        "Anmeldung richtet %(name)s ihn neu ein."
                    )
                    % {"name": user.get_username()},
                    messages.SUCCESS,
                )
            return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", user.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": user,
            "title": gettext("Zweiten Faktor zurücksetzen"),
            "summary": second_factor.device_summary(user),
        }
        return TemplateResponse(request, "admin/auth/user/reset_second_factor.html", context)

    def invite_view(self, request: HttpRequest) -> HttpResponse:
        """Create a user for a Kommune or the ministry and send the invitation."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = InviteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                user = invite_user(
                    email=form.cleaned_data["email"],
                    municipality=form.cleaned_data["municipality"],
                    ministry=form.cleaned_data["ministry"],
                )
            except InvitationError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(
                    request,
                    gettext("Einladung an %(email)s gesendet.") % {"email": user.email},
                    messages.SUCCESS,
                )
                return redirect(
                    f"admin:{self.opts.app_label}_{self.opts.model_name}_change", user.pk
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Benutzer einladen"),
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/auth/user/invite.html", context)
