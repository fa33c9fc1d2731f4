"""The review queue and the application page of the ministry's admin.

Status is never edited here: every decision is a POST to a view of its own that calls the
matching function in `awards.services`, which checks the state, writes the history and sends mail.
"""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Case, F, Model, QuerySet, Value, When
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from digitalesamt.lib.admin import (
    CheckedListFilter,
    ChoicesFieldListFilter,
    external_link,
    refuse,
)
from digitalesamt.lib.forms import first_error
from municipalities.admin import RegierungsbezirkFilter, procedure_links_url
from municipalities.constants import Kind
from municipalities.models import Municipality

from .. import services
from ..constants import APPROVE, AWAITING_REVIEW, SPOT_CHECK, START_REVIEW, Status
from ..forms import DrawSampleForm, RejectForm, RequestChangesForm, VerdictForm
from ..models import Application, Award, SpotCheck, TransitionError
from ..review import (
    compare_evidence,
    draw_spot_checks,
    record_verdict,
    stale_minutes,
    undrawn_items,
    with_latest_submission,
)
from .common import has_model_permission, post_only

# The query parameter of the page of evidence shown on the application page.
EVIDENCE_PAGE = "seite"


class QueueStatusFilter(CheckedListFilter):
    """Each status, and the applications that wait for the ministry."""

    title = _("Status")
    parameter_name = "status"
    AWAITING = "zu_pruefen"

    def check_value(self, value: str) -> None:
        if value != self.AWAITING and value not in Status.values:
            raise refuse(self.parameter_name, value)

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [
            (self.AWAITING, gettext("zu prüfen (eingereicht oder in Prüfung)")),
            *Status.choices,
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == self.AWAITING:
            return queryset.awaiting_review()
        if value in Status.values:
            return queryset.filter(status=value)
        return queryset


class ApplicationRegierungsbezirkFilter(RegierungsbezirkFilter):
    """The seven Bezirke; an application of a Bezirk lies in its own Regierungsbezirk."""

    def filter_by_pk(self, queryset: QuerySet, pk: int) -> QuerySet:
        inside = Municipality.objects.in_regierungsbezirk(pk)
        return queryset.filter(municipality__in=inside.values("pk"))


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """The review queue and the application page; decisions go through the services."""

    list_display = (
        "kommune",
        "kind",
        "regierungsbezirk",
        "status_label",
        "submitted_on",
        "evidence",
        "reviewer",
    )
    list_display_links = ("kommune",)
    list_filter = (
        QueueStatusFilter,
        ApplicationRegierungsbezirkFilter,
        ("municipality__kind", ChoicesFieldListFilter),
    )
    search_fields = ("municipality__name", "^municipality__ars")
    search_help_text = _("Name oder Regionalschlüssel der Kommune")
    list_select_related = ("municipality", "municipality__regierungsbezirk", "reviewer")
    fieldsets = (
        (
            _("Kommune"),
            {"fields": ("kommune_page", "kind", "regierungsbezirk", "live_progress")},
        ),
        (
            _("Antrag"),
            {
                "fields": (
                    "status_label",
                    "reviewer",
                    "created_by",
                    "created_at",
                    "submitted_at",
                    "decided_at",
                    "award_link",
                )
            },
        ),
    )
    # Everything on the page is read-only; only the review actions below change anything.
    readonly_fields = flatten_fieldsets(fieldsets)

    @admin.display(description=_("Kommune"), ordering="municipality__name")
    def kommune(self, obj: Application) -> str:
        return obj.municipality.title

    @admin.display(description=_("Kommune"))
    def kommune_page(self, obj: Application) -> SafeString:
        municipality = obj.municipality
        return format_html(
            '<a href="{}">{}</a> ({})',
            reverse("admin:municipalities_municipality_change", args=[municipality.pk]),
            municipality.title,
            municipality.ars,
        )

    @admin.display(description=_("Art"), ordering="municipality__kind")
    def kind(self, obj: Application) -> str:
        return obj.municipality.get_kind_display()

    @admin.display(description=_("Regierungsbezirk"), ordering="municipality__regierungsbezirk")
    def regierungsbezirk(self, obj: Application) -> str:
        municipality = obj.municipality
        if municipality.kind == Kind.BEZIRK:
            return municipality.name
        if municipality.regierungsbezirk is None:
            return self.get_empty_value_display()
        return municipality.regierungsbezirk.name

    @admin.display(description=_("Online-Verfahren jetzt"))
    def live_progress(self, obj: Application) -> SafeString:
        progress = obj.municipality.progress()
        return format_html(
            '{} <a href="{}">{}</a>',
            gettext("%(count)d aktiv gezählt, Schwellenwert %(threshold)d.")
            % {"count": progress.count, "threshold": progress.threshold},
            procedure_links_url(municipality=obj.municipality_id),
            gettext("Liste der Online-Verfahren"),
        )

    @admin.display(description=_("Status"), ordering="status")
    def status_label(self, obj: Application) -> str:
        return obj.get_status_display()

    @admin.display(description=_("eingereicht am"), ordering="submitted_at")
    def submitted_on(self, obj: Application) -> str:
        if obj.submitted_at is None:
            return self.get_empty_value_display()
        return date_format(timezone.localtime(obj.submitted_at), "j. F Y")

    @admin.display(description=_("Verfahren / Schwellenwert"), ordering="evidence_count")
    def evidence(self, obj: Application) -> str:
        """Count and threshold of the latest submission."""
        if obj.evidence_count is None:
            return self.get_empty_value_display()
        return f"{obj.evidence_count} / {obj.evidence_threshold}"

    @admin.display(description=_("Auszeichnung"))
    def award_link(self, obj: Application) -> SafeString | str:
        award = Award.objects.filter(application=obj).first()
        if award is None:
            return self.get_empty_value_display()
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:awards_award_change", args=[award.pk]), award
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return with_latest_submission(
            super()
            .get_queryset(request)
            .select_related(
                "municipality", "municipality__regierungsbezirk", "reviewer", "created_by"
            )
        )

    def get_ordering(self, request: HttpRequest) -> list:
        # The queue: what waits for the ministry first, the longest waiting at the top.
        return [
            Case(When(status__in=AWAITING_REVIEW, then=Value(0)), default=Value(1)).asc(),
            F("submitted_at").asc(nulls_last=True),
            "created_at",
        ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A Kommune applies in the portal; the ministry only reviews.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # The model form stays read-only for everybody, superusers too: only transitions
        # change an application. The review actions check has_review_permission instead.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_review_permission(self, request: HttpRequest) -> bool:
        return has_model_permission(request, Application, "change")

    def has_draw_permission(self, request: HttpRequest) -> bool:
        return has_model_permission(request, SpotCheck, "add")

    def has_verdict_permission(self, request: HttpRequest) -> bool:
        return has_model_permission(request, SpotCheck, "change")

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        routes = [
            ("pruefung-beginnen/", self.start_review_view, "start_review"),
            ("bewilligen/", self.approve_view, "approve"),
            ("nachbesserung/", self.request_changes_view, "request_changes"),
            ("ablehnen/", self.reject_view, "reject"),
            ("stichprobe/", self.draw_sample_view, "draw_sample"),
            ("stichprobe/<int:check_id>/", self.verdict_view, "verdict"),
            ("linkpruefung/", self.restart_link_check_view, "restart_link_check"),
        ]
        return [
            *(
                path(
                    f"<int:object_id>/{route}",
                    self.admin_site.admin_view(view),
                    name=f"{prefix}_{name}",
                )
                for route, view, name in routes
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
        application = self.get_object(request, unquote(object_id))
        if application is not None and self.has_view_permission(request, application):
            extra_context = {**(extra_context or {}), **self.review_context(request, application)}
        return super().change_view(request, object_id, form_url, extra_context)

    def review_context(self, request: HttpRequest, application: Application) -> dict:
        """Everything the application page shows below its fields, in a fixed number of queries.

        The evidence comes a page at a time (?seite=N, REVIEW_EVIDENCE_PAGE_SIZE rows), the
        differences first; the counts above it are those of all rows.
        """
        submissions = list(
            application.submissions.select_related("submitted_by").order_by("-number")
        )
        latest = submissions[0] if submissions else None
        comparison = (
            compare_evidence(latest, page=request.GET.get(EVIDENCE_PAGE))
            if latest is not None
            else None
        )
        can_review = self.has_review_permission(request)
        spot_checks = []
        available = 0
        if latest is not None:
            checks = SpotCheck.objects.filter(item__submission=latest).select_related(
                "item", "reviewer"
            )
            spot_checks = [
                (
                    check,
                    external_link(check.item.url),
                    VerdictForm(
                        initial={"verdict": check.verdict, "note": check.note},
                        auto_id=f"id_check{check.pk}_%s",
                    ),
                )
                for check in checks
            ]
            available = undrawn_items(latest).count()

        def url(name: str) -> str:
            return reverse(f"admin:awards_application_{name}", args=[application.pk])

        return {
            "review": True,
            "events": application.events.select_related("actor"),
            "latest_submission": latest,
            # A name is what its user typed: isolated, so that right-to-left text stays put.
            "submitted_by": format_html("<bdi>{}</bdi>", latest.submitted_by)
            if latest is not None and latest.submitted_by is not None
            else "–",
            "earlier_submissions": submissions[1:],
            "comparison": comparison,
            "evidence_rows": [
                (row, external_link(row.url)) for row in (comparison.rows if comparison else [])
            ],
            "evidence_page_parameter": EVIDENCE_PAGE,
            "link_check": comparison.checks if comparison else None,
            "stale_minutes": stale_minutes(),
            "spot_checks": spot_checks,
            "can_review": can_review,
            "can_start_review": can_review and application.can(START_REVIEW),
            "can_decide": can_review and application.can(APPROVE),
            "can_draw": (
                self.has_draw_permission(request)
                and application.can(SPOT_CHECK)
                and latest is not None
            ),
            "can_judge": self.has_verdict_permission(request) and application.can(SPOT_CHECK),
            "status_label": application.get_status_display(),
            "draw_form": DrawSampleForm(available=available, auto_id="id_draw_%s")
            if available
            else None,
            "request_changes_form": RequestChangesForm(auto_id="id_changes_%s"),
            "reject_form": RejectForm(auto_id="id_reject_%s"),
            "action_urls": {
                name: url(name)
                for name in (
                    "start_review",
                    "approve",
                    "request_changes",
                    "reject",
                    "draw_sample",
                    "restart_link_check",
                )
            },
        }

    def _application(
        self, request: HttpRequest, object_id: int, permitted: Callable[[HttpRequest], bool]
    ) -> Application:
        if not permitted(request):
            raise PermissionDenied
        return get_object_or_404(Application.objects.select_related("municipality"), pk=object_id)

    def _back(self, application: Application, anchor: str = "") -> HttpResponseRedirect:
        url = reverse("admin:awards_application_change", args=[application.pk])
        return HttpResponseRedirect(f"{url}#{anchor}" if anchor else url)

    def _transition(
        self,
        request: HttpRequest,
        object_id: int,
        step: Callable[[Application], str],
        form_class: type[forms.Form] | None = None,
    ) -> HttpResponse:
        """Run one workflow step; a refusal becomes an error message and changes nothing."""
        if refusal := post_only(request):
            return refusal
        application = self._application(request, object_id, self.has_review_permission)
        form = form_class(request.POST) if form_class is not None else None
        if form is not None and not form.is_valid():
            self.message_user(request, first_error(form), messages.ERROR)
            return self._back(application, "entscheidung")
        try:
            success = step(application, **(form.cleaned_data if form is not None else {}))
        except TransitionError as error:
            self.message_user(request, str(error), messages.ERROR)
            return self._back(application, "entscheidung")
        self.message_user(request, success, messages.SUCCESS)
        return self._back(application)

    def start_review_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        def step(application: Application) -> str:
            services.start_review(application=application, reviewer=request.user)
            return gettext("Die Prüfung hat begonnen; Sie sind als Prüferin/Prüfer eingetragen.")

        return self._transition(request, object_id, step)

    def approve_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        def step(application: Application) -> str:
            award = services.approve_application(application=application, reviewer=request.user)
            return gettext(
                "Der Antrag ist bewilligt. Nummer der Auszeichnung: %(number)s. "
                "Die Kommune wird per E-Mail benachrichtigt."
            ) % {"number": award.number}

        return self._transition(request, object_id, step)

    def request_changes_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        def step(application: Application, message: str) -> str:
            services.request_changes(
                application=application, reviewer=request.user, message=message
            )
            return gettext("Nachbesserung erbeten; die Kommune wird per E-Mail benachrichtigt.")

        return self._transition(request, object_id, step, RequestChangesForm)

    def reject_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        def step(application: Application, reason: str) -> str:
            services.reject_application(
                application=application, reviewer=request.user, reason=reason
            )
            return gettext("Der Antrag ist abgelehnt; die Kommune wird per E-Mail benachrichtigt.")

        return self._transition(request, object_id, step, RejectForm)

    def restart_link_check_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Queue the link check of the latest submission again when it is stuck or failed."""
        if refusal := post_only(request):
            return refusal
        application = self._application(request, object_id, self.has_review_permission)
        try:
            services.restart_link_check(application=application)
        except TransitionError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("Die Linkprüfung ist neu gestartet; die Ergebnisse erscheinen hier."),
                messages.SUCCESS,
            )
        return self._back(application, "linkpruefung")

    def draw_sample_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Draw N random links of the latest submission that are not in the sample yet."""
        if refusal := post_only(request):
            return refusal
        application = self._application(request, object_id, self.has_draw_permission)
        latest = application.latest_submission()
        available = (
            latest.items.filter(spot_check__isnull=True).count() if latest is not None else 0
        )
        form = DrawSampleForm(request.POST, available=available)
        if not available:
            self.message_user(
                request,
                gettext("Alle Nachweise dieser Einreichung sind schon gezogen."),
                messages.ERROR,
            )
        elif not form.is_valid():
            self.message_user(request, first_error(form), messages.ERROR)
        else:
            try:
                drawn = draw_spot_checks(
                    application=application,
                    count=form.cleaned_data["count"],
                    reviewer=request.user,
                )
            except TransitionError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("%(count)d Links für die Stichprobe gezogen.") % {"count": len(drawn)},
                    messages.SUCCESS,
                )
        return self._back(application, "stichprobe")

    def verdict_view(self, request: HttpRequest, object_id: int, check_id: int) -> HttpResponse:
        """Save the verdict on one drawn link of this application."""
        if refusal := post_only(request):
            return refusal
        application = self._application(request, object_id, self.has_verdict_permission)
        spot_check = get_object_or_404(
            SpotCheck.objects.select_related("item"),
            pk=check_id,
            item__submission__application=application,
        )
        form = VerdictForm(request.POST)
        if not form.is_valid():
            self.message_user(request, first_error(form), messages.ERROR)
        else:
            try:
                record_verdict(
                    application=application,
                    spot_check=spot_check,
                    reviewer=request.user,
                    **form.cleaned_data,
                )
            except TransitionError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("Bewertung für „%(title)s“ gespeichert.")
                    % {"title": spot_check.item.title},
                    messages.SUCCESS,
                )
        return self._back(application, f"stichprobe-{spot_check.pk}")
