"""The ministry's admin of awards: the register of numbers, the live count, revocation."""

import datetime

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Max, Min, Model, Q, QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from digitalesamt.lib.admin import (
    BooleanListFilter,
    IntegerListFilter,
    PageRowsChangeList,
    RowCheckbox,
)
from digitalesamt.lib.forms import first_error

from .. import services
from ..forms import RevocationForm
from ..models import Award, TransitionError
from ..review import (
    with_live_progress,
)
from ..witness import with_confirmed_progress
from .common import post_only
from .press import PressViews

ISSUED_FIELDS = ("number", "municipality", "issued_on", "procedure_count", "created_at")
# Written only by services.revoke_award, which also tells the Kommune.
REVOCATION_FIELDS = ("revoked_at", "revoked_by", "revocation_reason")


class AwardYearFilter(IntegerListFilter):
    """The years in which awards were issued, newest first."""

    title = _("Jahr")
    parameter_name = "year"
    # The years a date can have; a year lookup past them fails in the database layer.
    min_value = datetime.MINYEAR
    max_value = datetime.MAXYEAR
    YEARS_COUNTED = 100

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        # Not `dates("issued_on", "year")`: on SQLite that truncates every award's date in a
        # Python function (15 ms of the list's 125 at full size). The first and last date,
        # then one count per year between them: two plain queries, years without awards left out.
        span = Award.objects.aggregate(first=Min("issued_on"), last=Max("issued_on"))
        if span["first"] is None:
            return []
        years = range(span["last"].year, span["first"].year - 1, -1)
        if len(years) > self.YEARS_COUNTED:  # a stray date far off: a column per year is too many
            dates = Award.objects.dates("issued_on", "year", order="DESC")
            return [(str(day.year), str(day.year)) for day in dates]
        counts = Award.objects.aggregate(
            **{
                f"in_{year}": Count(
                    "pk",
                    filter=Q(
                        issued_on__gte=datetime.date(year, 1, 1),
                        issued_on__lte=datetime.date(year, 12, 31),
                    ),
                )
                for year in years
            }
        )
        return [(str(year), str(year)) for year in years if counts[f"in_{year}"]]

    def filter_by_number(self, queryset: QuerySet, number: int) -> QuerySet:
        return queryset.filter(issued_on__year=number)


class RevokedFilter(BooleanListFilter):
    title = _("widerrufen")
    parameter_name = "revoked"
    condition = Q(revoked_at__isnull=False)


class AtRiskFilter(BooleanListFilter):
    """Valid awards whose Kommune's live count fell below its threshold (see revalidate_awards)."""

    title = _("gefährdet (unter Schwellenwert)")
    parameter_name = "at_risk"

    # The holders at risk are read once, in one query of the counting rule: as a subquery the
    # rule would run twice, for the page's rows and for their count (430 ms on SQLite at full
    # size, with 500,000 links).
    def yes(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(pk__in=self.at_risk())

    def no(self, queryset: QuerySet) -> QuerySet:
        # A revoked award is neither: it is not held any more.
        return queryset.valid().exclude(pk__in=self.at_risk())

    @staticmethod
    def at_risk() -> list[int]:
        return list(Award.objects.holders_at_risk().values_list("pk", flat=True))


class SourceAtRiskFilter(BooleanListFilter):
    """Valid awards of synced Kommunen whose source-confirmed count is below the threshold."""

    title = _("unter dem Schwellenwert laut Bundesdaten")
    parameter_name = "at_risk_source"
    # Expects the annotations of AwardAdmin.get_queryset; a holder never synced is neither.
    condition = Q(synced_at__isnull=False, confirmed_count__lt=F("live_threshold"))

    def yes(self, queryset: QuerySet) -> QuerySet:
        return queryset.valid().filter(self.condition)

    def no(self, queryset: QuerySet) -> QuerySet:
        return queryset.valid().filter(synced_at__isnull=False).exclude(self.condition)


@admin.register(Award)
class AwardAdmin(RowCheckbox, PressViews, admin.ModelAdmin):
    list_display = (
        "number",
        "municipality",
        "issued_on",
        "procedure_count",
        "live_progress",
        "at_risk",
        "confirmed",
        "revoked",
    )
    list_filter = (AwardYearFilter, RevokedFilter, AtRiskFilter, SourceAtRiskFilter)
    search_fields = ("number", "municipality__name", "^municipality__ars")
    search_help_text = _("Nummer, Name oder Regionalschlüssel der Kommune")
    list_select_related = ("municipality",)
    autocomplete_fields = ("municipality",)
    # Counting every award again on each page buys nothing: the filtered count is enough.
    show_full_result_count = False
    # Half Django's 100: rendering the rows is most of a page's cost once the queries are cheap.
    list_per_page = 50

    def get_changelist(self, request: HttpRequest, **kwargs: object) -> type:
        # The live and confirmed counts for the page's rows only (see PageRowsChangeList).
        return PageRowsChangeList

    @admin.display(description=_("widerrufen"), boolean=True, ordering="revoked_at")
    def revoked(self, obj: Award) -> bool:
        return obj.is_revoked

    @admin.display(description=_("Online-Verfahren jetzt"), ordering="live_count")
    def live_progress(self, obj: Award) -> str:
        return gettext("%(count)d von %(threshold)d") % {
            "count": obj.live_count,
            "threshold": obj.live_threshold,
        }

    @admin.display(description=_("gefährdet"), boolean=True)
    def at_risk(self, obj: Award) -> bool | None:
        # A revoked award cannot be at risk any more; "unknown" says so better than "no".
        if obj.is_revoked:
            return None
        return obj.live_count < obj.live_threshold

    @admin.display(description=_("bestätigt laut Bundesdaten"), ordering="confirmed_count")
    def confirmed(self, obj: Award) -> str:
        if obj.synced_at is None:
            return gettext("nicht abgeglichen")
        return gettext("%(count)d von %(threshold)d") % {
            "count": obj.confirmed_count,
            "threshold": obj.live_threshold,
        }

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return with_confirmed_progress(with_live_progress(super().get_queryset(request)))

    def get_fieldsets(self, request: HttpRequest, obj: Award | None = None) -> tuple:
        issued = (None, {"fields": ("number", "municipality", "issued_on", "procedure_count")})
        if obj is None:
            return (issued,)
        return (
            (
                None,
                {"fields": (*issued[1]["fields"], "application", "approval_justification")},
            ),
            (_("Schild, Signet und Prüfseite"), {"fields": ("public_documents",)}),
            (_("Widerruf"), {"fields": REVOCATION_FIELDS}),
            (_("Verlauf"), {"fields": ("created_at",)}),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Award | None = None) -> tuple:
        if obj is None:
            return ("created_at",)
        return (
            *ISSUED_FIELDS,
            "application",
            "approval_justification",
            "public_documents",
            *REVOCATION_FIELDS,
        )

    @admin.display(description=_("Öffentlich"))
    def public_documents(self, obj: Award) -> str:
        links = [
            (reverse("awards:verify", args=[obj.number]), gettext("Prüfseite")),
            (reverse("awards:plaque", args=[obj.number]), gettext("Schild (PDF)")),
            (reverse("awards:signet_png", args=[obj.number]), gettext("Signet (PNG)")),
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    def view_on_site(self, obj: Award) -> str:
        # The verification path is printed on the plaque and never changes.
        return f"/pruefen/{obj.number}/"

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Awards are issued by approving an application; by hand only for seed data.
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # A number once issued stays on record; a wrong award is revoked, not deleted.
        return False

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<int:object_id>/widerrufen/",
                self.admin_site.admin_view(self.revoke_view),
                name="{}_{}_revoke".format(*info),
            ),
            path(
                "<int:object_id>/pressetext/",
                self.admin_site.admin_view(self.press_view),
                name="{}_{}_press".format(*info),
            ),
            path(
                "<int:object_id>/pressetext.docx",
                self.admin_site.admin_view(self.press_docx_view),
                name="{}_{}_press_docx".format(*info),
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        award = self.get_object(request, unquote(object_id))
        extra_context = {
            **(extra_context or {}),
            # Every field of an issued award is read-only: nothing to save.
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        if award is not None and not award.is_revoked:
            extra_context["press_url"] = reverse("admin:awards_award_press", args=[award.pk])
        if award is not None and not award.is_revoked and self.has_change_permission(request):
            extra_context["revocation_form"] = RevocationForm(auto_id="id_revocation_%s")
            extra_context["revoke_url"] = reverse("admin:awards_award_revoke", args=[award.pk])
        return super().change_view(request, object_id, form_url, extra_context)

    def revoke_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Revoke the award with the reason given; the service refuses a second revocation."""
        if refusal := post_only(request):
            return refusal
        award = get_object_or_404(Award, pk=object_id)
        if not self.has_change_permission(request, award):
            raise PermissionDenied
        form = RevocationForm(request.POST)
        if not form.is_valid():
            self.message_user(request, first_error(form), messages.ERROR)
        else:
            try:
                services.revoke_award(
                    award=award, by=request.user, reason=form.cleaned_data["reason"]
                )
            except TransitionError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("Die Auszeichnung %(number)s ist widerrufen.")
                    % {"number": award.number},
                    messages.SUCCESS,
                )
        return HttpResponseRedirect(reverse("admin:awards_award_change", args=[award.pk]))
