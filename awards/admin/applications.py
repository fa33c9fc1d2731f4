"""The review queue and the application page of the ministry's admin.

Status is never edited here: every decision is a POST to a view of its own that calls the
matching function in `awards.services`, which checks the state, writes the history and sends mail.
"""

from collections.abc import Iterator

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.contrib.admin.views.main import ChangeList
from django.db.models import Case, F, Model, QuerySet, Value, When
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from digitalesamt.lib.admin import (
    CheckedListFilter,
    ChoicesFieldListFilter,
    PageRowsChangeList,
    RowCheckbox,
    refuse,
)
from municipalities.admin import RegierungsbezirkFilter, procedure_links_url
from municipalities.constants import Kind
from municipalities.models import Municipality

from ..constants import AWAITING_REVIEW, Status
from ..models import Application, Award
from ..review import (
    with_latest_submission,
    with_link_check_counts,
)
from .decisions import DecisionViews
from .evidence import EvidenceViews
from .queue import AssignedFilter, QueueTools, breakable, lazy_breakable


class QueueStatusFilter(CheckedListFilter):
    """Each status, and the applications that wait for the ministry: the default.

    Without a status in the address the queue shows what waits ("zu prüfen"), and the filter
    shows that choice selected; "Alle" is a value of its own (?status=alle).
    """

    title = _("Status")
    parameter_name = "status"
    AWAITING = "zu_pruefen"
    OPEN = "offen"
    ALL = "alle"

    def check_value(self, value: str) -> None:
        if value not in (self.AWAITING, self.OPEN, self.ALL) and value not in Status.values:
            raise refuse(self.parameter_name, value)

    def value(self) -> str:
        return super().value() or self.AWAITING

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [
            (self.ALL, gettext("Alle")),
            (self.AWAITING, gettext("zu prüfen (eingereicht oder in Prüfung)")),
            (self.OPEN, gettext("offen (noch nicht entschieden)")),
            *Status.choices,
        ]

    def choices(self, changelist: ChangeList) -> Iterator[dict]:
        choices = super().choices(changelist)
        # Django's own "All" drops the parameter, which now means the default: "Alle" above
        # takes its place.
        next(choices)
        yield from choices

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == self.AWAITING:
            return queryset.awaiting_review()
        if value == self.OPEN:
            return queryset.open()
        if value in Status.values:
            return queryset.filter(status=value)
        return queryset


class ApplicationRegierungsbezirkFilter(RegierungsbezirkFilter):
    """The seven Bezirke; an application of a Bezirk lies in its own Regierungsbezirk."""

    def filter_by_pk(self, queryset: QuerySet, pk: int) -> QuerySet:
        inside = Municipality.objects.in_regierungsbezirk(pk)
        return queryset.filter(municipality__in=inside.values("pk"))


@admin.register(Application)
class ApplicationAdmin(RowCheckbox, QueueTools, DecisionViews, EvidenceViews, admin.ModelAdmin):
    """The review queue and the application page; decisions go through the services."""

    list_display = (
        "kommune",
        "kind",
        "regierungsbezirk",
        "status_label",
        "submitted_on",
        "days_waiting",
        "evidence",
        "link_check",
        "assigned",
    )
    list_display_links = ("kommune",)
    list_filter = (
        QueueStatusFilter,
        AssignedFilter,
        ApplicationRegierungsbezirkFilter,
        ("municipality__kind", ChoicesFieldListFilter),
    )
    search_fields = ("municipality__name", "^municipality__ars")
    search_help_text = _("Name oder Regionalschlüssel der Kommune")
    list_select_related = ("municipality", "municipality__regierungsbezirk", "reviewer")
    # Counting every application again on each page buys nothing: the filtered count is enough.
    show_full_result_count = False
    # Half Django's 100: rendering the rows is most of a page's cost once the queries are cheap.
    list_per_page = 50
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
        return breakable(obj.municipality.title)

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
        return breakable(obj.municipality.get_kind_display())

    @admin.display(
        description=lazy_breakable(_("Regierungsbezirk")), ordering="municipality__regierungsbezirk"
    )
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

    @admin.display(description=_("Auszeichnung"))
    def award_link(self, obj: Application) -> SafeString | str:
        award = Award.objects.filter(application=obj).first()
        if award is None:
            return self.get_empty_value_display()
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:awards_award_change", args=[award.pk]), award
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return with_link_check_counts(
            with_latest_submission(
                super()
                .get_queryset(request)
                .select_related(
                    "municipality", "municipality__regierungsbezirk", "reviewer", "created_by"
                )
            )
        )

    def get_changelist(self, request: HttpRequest, **kwargs: object) -> type:
        # The evidence and link check counts for the page's rows only (see PageRowsChangeList).
        return PageRowsChangeList

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

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        routes = [*self.decision_routes(), *self.evidence_routes()]
        return [
            path(
                "export.<str:file_format>",
                self.admin_site.admin_view(self.export_view),
                name=f"{prefix}_export",
            ),
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
        """Everything the application page shows below its fields, in a fixed number of queries."""
        submissions = list(
            application.submissions.select_related("submitted_by").order_by("-number")
        )
        latest = submissions[0] if submissions else None
        return {
            "review": True,
            **self.decision_context(request, application, latest),
            **self.evidence_context(request, application, latest, submissions[1:]),
        }
