"""The evidence on the application page: history, spot checks, the link check, the evidence table.

Drawing a sample, a verdict and restarting the link check are POSTs to views of their own.
"""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext

from digitalesamt.lib.admin import external_link
from digitalesamt.lib.forms import first_error

from .. import services
from ..constants import SPOT_CHECK
from ..forms import DrawSampleForm, VerdictForm
from ..models import Application, SpotCheck, Submission, TransitionError
from ..review import (
    compare_evidence,
    draw_spot_checks,
    record_verdict,
    stale_minutes,
    undrawn_items,
)
from .common import ApplicationViews, post_only

# The query parameter of the page of evidence shown on the application page.
EVIDENCE_PAGE = "seite"


class EvidenceViews(ApplicationViews):
    """The sections "Verlauf", "Stichprobe", "Linkprüfung" and "Nachweise" of the page."""

    def evidence_routes(self) -> list[tuple[str, Callable, str]]:
        return [
            ("stichprobe/", self.draw_sample_view, "draw_sample"),
            ("stichprobe/<int:check_id>/", self.verdict_view, "verdict"),
            ("linkpruefung/", self.restart_link_check_view, "restart_link_check"),
        ]

    def evidence_context(
        self,
        request: HttpRequest,
        application: Application,
        latest: Submission | None,
        earlier: list[Submission],
    ) -> dict:
        """The evidence comes a page at a time (?seite=N, REVIEW_EVIDENCE_PAGE_SIZE rows), the
        differences first; the counts above it are those of all rows.
        """
        comparison = (
            compare_evidence(latest, page=request.GET.get(EVIDENCE_PAGE))
            if latest is not None
            else None
        )
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
        return {
            "events": application.events.select_related("actor"),
            "latest_submission": latest,
            # A name is what its user typed: isolated, so that right-to-left text stays put.
            "submitted_by": format_html("<bdi>{}</bdi>", latest.submitted_by)
            if latest is not None and latest.submitted_by is not None
            else "–",
            "earlier_submissions": earlier,
            "comparison": comparison,
            "evidence_rows": [
                (row, external_link(row.url)) for row in (comparison.rows if comparison else [])
            ],
            "evidence_page_parameter": EVIDENCE_PAGE,
            "link_check": comparison.checks if comparison else None,
            "stale_minutes": stale_minutes(),
            "spot_checks": spot_checks,
            "can_draw": (
                self.has_draw_permission(request)
                and application.can(SPOT_CHECK)
                and latest is not None
            ),
            "can_judge": self.has_verdict_permission(request) and application.can(SPOT_CHECK),
            "draw_form": DrawSampleForm(available=available, auto_id="id_draw_%s")
            if available
            else None,
            "evidence_urls": {
                name: reverse(f"admin:awards_application_{name}", args=[application.pk])
                for name in ("draw_sample", "restart_link_check")
            },
        }

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
