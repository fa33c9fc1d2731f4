"""The review queue's columns and tools: who has an application, and the list as a file.

`QueueTools` is a mixin of `ApplicationAdmin`: the columns it adds read the annotations of
`awards.review.with_link_check_counts`, so the list costs the same queries at 10 and at 500.
"""

import datetime

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.functional import lazy
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from digitalesamt.accounts.roles import REVIEWER_GROUP
from digitalesamt.lib.admin import CheckedListFilter, refuse
from digitalesamt.lib.spreadsheet import csv_bytes, xlsx_bytes
from municipalities.constants import Kind
from municipalities.models import Municipality

from .. import services
from ..constants import AWAITING_REVIEW
from ..models import Application, TransitionError
from .common import ApplicationViews

ASSIGN_ACTIONS = ("assign_to_me", "assign_to_colleague")
EXPORT_FORMATS = {
    "csv": "text/csv; charset=utf-8; header=present",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def person_name(user: AbstractBaseUser | None) -> str:
    """How the queue names a colleague: the first name, else the user name."""
    if user is None:
        return ""
    return user.get_short_name() or user.get_username()


def days_waiting(application: Application, now: datetime.datetime) -> int | None:
    """Whole days since the (latest) submission, for an application with the ministry."""
    if application.status not in AWAITING_REVIEW or application.submitted_at is None:
        return None
    return (now - application.submitted_at).days


def link_check_parts(application: Application) -> list[str]:
    """ "57 ok", "2 defekt", "3 offen" (the last only when any), from the annotations."""
    if application.latest_submission_id is None:
        return []
    parts = [
        gettext("%(count)s ok")
        % {"count": number_format(application.link_ok, force_grouping=True)},
        gettext("%(count)s defekt")
        % {"count": number_format(application.link_broken, force_grouping=True)},
    ]
    if application.link_open:
        parts.append(
            gettext("%(count)s offen")
            % {"count": number_format(application.link_open, force_grouping=True)}
        )
    return parts


# Soft hyphens where the queue's longest German words may break, so that its columns fit
# 1280 px: "Verwaltungsgemeinschaft" is a kind and begins a VG's title.
SOFT_HYPHENS = {
    "Verwaltungsgemeinschaft": "Verwaltungs\u00adgemeinschaft",
    "Regierungsbezirk": "Regierungs\u00adbezirk",
}


def breakable(text: str) -> str:
    text = str(text)
    for word, hyphenated in SOFT_HYPHENS.items():
        text = text.replace(word, hyphenated)
    return text


lazy_breakable = lazy(breakable, str)


def regierungsbezirk_name(municipality: Municipality) -> str | None:
    """A Bezirk lies in itself; a Kommune without one (a test's) has none."""
    if municipality.kind == Kind.BEZIRK:
        return municipality.name
    return municipality.regierungsbezirk.name if municipality.regierungsbezirk else None


def colleagues() -> QuerySet:
    """Who may be given an application: active staff in the reviewers' group."""
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, groups__name=REVIEWER_GROUP)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class ColleagueChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user: AbstractBaseUser) -> str:
        return user.get_full_name() or user.get_username()


class AssignForm(forms.Form):
    reviewer = ColleagueChoiceField(
        label=_("Zuweisen an"),
        queryset=colleagues(),
        empty_label=_("Bitte wählen"),
        error_messages={"required": _("Bitte wählen Sie, wem Sie die Anträge zuweisen.")},
    )


class AssignedFilter(CheckedListFilter):
    """The applications of the signed-in reviewer, or those nobody has yet."""

    title = _("zugewiesen")
    parameter_name = "zugewiesen"
    MINE = "mir"
    NOBODY = "niemandem"

    def check_value(self, value: str) -> None:
        if value not in (self.MINE, self.NOBODY):
            raise refuse(self.parameter_name, value)

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [(self.MINE, gettext("mir")), (self.NOBODY, gettext("niemandem"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == self.MINE:
            return queryset.filter(reviewer=request.user)
        if self.value() == self.NOBODY:
            return queryset.filter(reviewer__isnull=True)
        return queryset


class QueueTools(ApplicationViews):
    """The queue's own columns, assigning applications, and the export of the filtered list."""

    actions = ASSIGN_ACTIONS

    @admin.display(description=_("eingereicht"), ordering="submitted_at")
    def submitted_on(self, obj: Application) -> str:
        if obj.submitted_at is None:
            return self.get_empty_value_display()
        return date_format(timezone.localtime(obj.submitted_at), "j. N Y")

    @admin.display(description=_("Tage in Prüfung"), ordering="-submitted_at")
    def days_waiting(self, obj: Application) -> int | str:
        days = days_waiting(obj, timezone.now())
        return self.get_empty_value_display() if days is None else days

    @admin.display(description=_("Verfahren / Schwelle"), ordering="evidence_count")
    def evidence(self, obj: Application) -> str:
        """Count and threshold of the latest submission."""
        if obj.evidence_count is None:
            return self.get_empty_value_display()
        return f"{obj.evidence_count} / {obj.evidence_threshold}"

    @admin.display(description=_("Linkprüfung"), ordering="link_broken")
    def link_check(self, obj: Application) -> SafeString | str:
        parts = link_check_parts(obj)
        if not parts:
            return self.get_empty_value_display()
        # Each part stays on one line; the line breaks, if at all, between them.
        return format_html_join(
            " · ", '<span class="queue-nowrap">{}</span>', ((part,) for part in parts)
        )

    @admin.display(description=_("zugewiesen"), ordering="reviewer__first_name")
    def assigned(self, obj: Application) -> str:
        return person_name(obj.reviewer) or self.get_empty_value_display()

    # Assigning ----------------------------------------------------------------------------

    def _assign(self, request: HttpRequest, queryset: QuerySet, reviewer: AbstractBaseUser) -> None:
        done, refused = 0, []
        for application in queryset.select_related("municipality"):
            try:
                services.assign(application=application, reviewer=reviewer, by=request.user)
                done += 1
            except TransitionError as error:
                refused.append(str(error))
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(count)d Antrag %(name)s zugewiesen.",
                    "%(count)d Anträge %(name)s zugewiesen.",
                    done,
                )
                % {"count": done, "name": reviewer.get_full_name() or reviewer.get_username()},
                messages.SUCCESS,
            )
        for message in dict.fromkeys(refused):
            self.message_user(request, message, messages.ERROR)

    @admin.action(description=_("Mir zuweisen"), permissions=["review"])
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._assign(request, queryset, request.user)

    @admin.action(
        description=_("Einer Kollegin oder einem Kollegen zuweisen …"), permissions=["review"]
    )
    def assign_to_colleague(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """Ask whom, on a page of its own (as Django's "delete selected" does), then assign."""
        form = AssignForm(request.POST if "reviewer" in request.POST else None)
        if form.is_valid():
            self._assign(request, queryset, form.cleaned_data["reviewer"])
            return None
        selected = list(queryset.select_related("municipality"))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Anträge zuweisen"),
            "subtitle": None,
            "opts": self.opts,
            "form": form,
            "applications": selected,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "back_url": request.get_full_path(),
        }
        return TemplateResponse(request, "admin/awards/application/assign.html", context)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        # Django drops an action the user may not run and says "no action selected"; an
        # attempt to assign without the review permission is refused outright instead.
        if (
            request.method == "POST"
            and request.POST.get("action") in ASSIGN_ACTIONS
            and not self.has_review_permission(request)
        ):
            raise PermissionDenied
        extra_context = {**(extra_context or {}), "export_links": self.export_links(request)}
        return super().changelist_view(request, extra_context)

    # Export -------------------------------------------------------------------------------

    def export_links(self, request: HttpRequest) -> list[tuple[str, str]]:
        """The export links of the changelist, with its filters and search."""
        query = request.GET.urlencode()
        return [
            (
                f"{reverse('admin:awards_application_export', args=[name])}"
                f"{'?' + query if query else ''}",
                label,
            )
            for name, label in (
                ("csv", gettext("Als CSV exportieren")),
                ("xlsx", gettext("Als Excel (XLSX) exportieren")),
            )
        ]

    def export_header(self) -> list[str]:
        return [
            gettext("Kommune"),
            gettext("Regionalschlüssel (ARS)"),
            gettext("Art"),
            gettext("Regierungsbezirk"),
            gettext("Status"),
            gettext("eingereicht am"),
            gettext("Tage in Prüfung"),
            gettext("Verfahren"),
            gettext("Schwellenwert"),
            gettext("Links ok"),
            gettext("Links defekt"),
            gettext("Links offen"),
            gettext("zugewiesen"),
            gettext("entschieden am"),
        ]

    def export_row(self, obj: Application, now: datetime.datetime, *, as_text: bool) -> list:
        def day(moment: datetime.datetime | None) -> datetime.date | str | None:
            if moment is None:
                return None
            local = timezone.localtime(moment).date()
            return local.isoformat() if as_text else local

        municipality = obj.municipality
        return [
            municipality.title,
            municipality.ars,
            municipality.get_kind_display(),
            regierungsbezirk_name(municipality),
            obj.get_status_display(),
            day(obj.submitted_at),
            days_waiting(obj, now),
            obj.evidence_count,
            obj.evidence_threshold,
            obj.link_ok if obj.latest_submission_id else None,
            obj.link_broken if obj.latest_submission_id else None,
            obj.link_open if obj.latest_submission_id else None,
            (obj.reviewer.get_full_name() or obj.reviewer.get_username()) if obj.reviewer else None,
            day(obj.decided_at),
        ]

    def export_view(self, request: HttpRequest, file_format: str) -> HttpResponse:
        """The changelist's rows (filters, search and order as shown) as CSV or XLSX."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if file_format not in EXPORT_FORMATS:
            return HttpResponse(status=404)
        changelist = self.get_changelist_instance(request)
        queryset = changelist.get_queryset(request)
        limit = settings.REVIEW_EXPORT_MAX_ROWS
        rows = list(queryset[: limit + 1])
        if len(rows) > limit:
            self.message_user(
                request,
                gettext(
                    "Die Liste hat mehr als %(limit)s Anträge. Bitte schränken Sie sie mit "
                    "einem Filter ein und exportieren Sie dann."
                )
                % {"limit": number_format(limit, force_grouping=True)},
                messages.ERROR,
            )
            query = request.GET.urlencode()
            url = reverse("admin:awards_application_changelist")
            return HttpResponseRedirect(f"{url}?{query}" if query else url)
        now = timezone.now()
        header = self.export_header()
        table = [self.export_row(obj, now, as_text=file_format == "csv") for obj in rows]
        if file_format == "csv":
            body = csv_bytes(header, table)
        else:
            body = xlsx_bytes(gettext("Anträge"), header, table)
        response = HttpResponse(body, content_type=EXPORT_FORMATS[file_format])
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="antraege-{stamp}.{file_format}"'
        return response
