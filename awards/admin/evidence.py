"""The evidence on the application page: summary, history, spot checks, link check, evidence.

Drawing a sample, the sample's verdicts and restarting the link check are POSTs to views of
their own. The verdicts come in one form; when it has errors, the page is rendered again
with what was typed, under the form's own URL (a GET there leads back to the page).
"""

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext

from digitalesamt.lib.admin import external_link
from digitalesamt.lib.forms import first_error

from .. import services
from ..constants import SPOT_CHECK
from ..forms import DrawSampleForm, EvidenceFilterForm, VerdictForm
from ..models import Application, SpotCheck, Submission, TransitionError
from ..review import (
    DEFAULT_SAMPLE_SIZE,
    EvidenceComparison,
    VerdictChange,
    compare_evidence,
    compare_rounds,
    draw_spot_checks,
    record_verdicts,
    stale_minutes,
    summarise,
    undrawn_items,
)
from .common import ApplicationViews, post_only

# The query parameter of the page of evidence shown on the application page.
EVIDENCE_PAGE = "seite"
# The POST field that lists the spot checks of the sample form, one value per check.
SAMPLE_FIELD = "stichprobe"
# Where the session keeps the number of links a reviewer drew last: a reviewer's habit,
# not a property of one application, so it follows them to the next application.
SAMPLE_SIZE_KEY = "awards_review_sample_size"


def sample_forms(checks: list[SpotCheck], data: dict | None = None) -> dict[int, VerdictForm]:
    """One VerdictForm per drawn link, showing (and remembering as seen) what is stored."""
    return {
        check.pk: VerdictForm(
            data,
            prefix=f"check-{check.pk}",
            initial={
                "verdict": check.verdict,
                "note": check.note,
                "seen_verdict": check.verdict,
                "seen_note": check.note,
            },
        )
        for check in checks
    }


def latest_checks(submission: Submission | None) -> list[SpotCheck]:
    if submission is None:
        return []
    return list(
        SpotCheck.objects.filter(item__submission=submission).select_related("item", "reviewer")
    )


class EvidenceViews(ApplicationViews):
    """The sections "Verlauf", "Stichprobe", "Linkprüfung" and "Nachweise" of the page."""

    def evidence_routes(self) -> list[tuple[str, Callable, str]]:
        return [
            ("stichprobe/", self.draw_sample_view, "draw_sample"),
            ("stichprobe/bewertungen/", self.verdicts_view, "verdicts"),
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
        differences first, filtered by ?pruefung=, ?bewertung= and ?abweichung=; the counts
        above it are those of all rows.
        """
        previous = earlier[0] if earlier else None
        rounds = compare_rounds(previous, latest) if latest is not None and previous else None
        filter_form = EvidenceFilterForm(
            request.GET, previous_number=previous.number if rounds else None
        )
        comparison = (
            compare_evidence(
                latest,
                page=request.GET.get(EVIDENCE_PAGE),
                filters=filter_form.to_filter(rounds.added if rounds else frozenset()),
            )
            if latest is not None
            else None
        )
        checks = latest_checks(latest)
        # After a POST with errors, the forms as sent (see verdicts_view); a link drawn since
        # by a colleague comes with what is stored.
        forms = {**sample_forms(checks), **getattr(request, "sample_forms", {})}
        available = undrawn_items(latest).count() if latest is not None else 0
        size = request.session.get(SAMPLE_SIZE_KEY, DEFAULT_SAMPLE_SIZE)
        sample_errors = [(check, forms[check.pk]) for check in checks if forms[check.pk].errors]
        return {
            "events": application.events.select_related("actor"),
            "latest_submission": latest,
            # A name is what its user typed: isolated, so that right-to-left text stays put.
            "submitted_by": format_html("<bdi>{}</bdi>", latest.submitted_by)
            if latest is not None and latest.submitted_by is not None
            else "–",
            "earlier_submissions": earlier,
            "comparison": comparison,
            "summary": summarise(application, comparison, checks, rounds) if comparison else None,
            "evidence_rows": [
                (row, external_link(row.url)) for row in (comparison.rows if comparison else [])
            ],
            "evidence_filter": filter_form,
            "evidence_pages": self._page_links(filter_form, comparison),
            "link_check": comparison.checks if comparison else None,
            "stale_minutes": stale_minutes(),
            "spot_checks": [
                (check, external_link(check.item.url), forms[check.pk]) for check in checks
            ],
            "sample_field": SAMPLE_FIELD,
            "sample_errors": sample_errors,
            "can_draw": (
                self.has_draw_permission(request)
                and application.can(SPOT_CHECK)
                and latest is not None
            ),
            "can_judge": self.has_verdict_permission(request) and application.can(SPOT_CHECK),
            "draw_form": DrawSampleForm(available=available, size=size, auto_id="id_draw_%s")
            if available
            else None,
            "evidence_urls": {
                "page": reverse("admin:awards_application_change", args=[application.pk]),
                **{
                    name: reverse(f"admin:awards_application_{name}", args=[application.pk])
                    for name in ("draw_sample", "restart_link_check", "verdicts")
                },
            },
            "evidence_query": request.GET.urlencode(),
        }

    def _page_links(
        self, filter_form: EvidenceFilterForm, comparison: EvidenceComparison | None
    ) -> dict[str, str]:
        """The query of the previous and next page of evidence, keeping the filters."""
        if comparison is None:
            return {}
        page = comparison.page
        query = filter_form.valid_values()
        links = {}
        if page.has_previous():
            links["previous"] = {**query, EVIDENCE_PAGE: page.previous_page_number()}
        if page.has_next():
            links["next"] = {**query, EVIDENCE_PAGE: page.next_page_number()}
        return {name: "?" + urlencode(params) for name, params in links.items()}

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
                request.session[SAMPLE_SIZE_KEY] = form.cleaned_data["count"]
                self.message_user(
                    request,
                    gettext("%(count)d Links für die Stichprobe gezogen.") % {"count": len(drawn)},
                    messages.SUCCESS,
                )
        return self._back(application, "stichprobe")

    def verdicts_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Save the verdicts and notes of the whole sample in one POST, all or nothing.

        Only what the reviewer changed is saved. With an error, nothing is saved and the page
        comes again with what was typed and an error summary (no redirect, nothing lost).
        """
        application = self._application(request, object_id, self.has_verdict_permission)
        page = reverse("admin:awards_application_change", args=[application.pk])
        query = request.GET.urlencode()
        page_with_query = f"{page}?{query}" if query else page
        if request.method == "GET":
            # The page as rendered after an error lives here: its ?seite= links lead back.
            return HttpResponseRedirect(page_with_query)
        if refusal := post_only(request):
            return refusal
        checks = {check.pk: check for check in latest_checks(application.latest_submission())}
        posted = request.POST.getlist(SAMPLE_FIELD)
        if not posted or not all(value.isascii() and value.isdigit() for value in posted):
            raise BadRequest("sample form without its spot checks")
        ids = list(dict.fromkeys(int(value) for value in posted))
        if not set(ids) <= checks.keys():
            # Another application's link, or one of an earlier round: refuse the whole form.
            raise BadRequest("spot check outside this application's sample")
        forms = sample_forms([checks[pk] for pk in ids], request.POST)
        if not all(form.is_valid() for form in forms.values()):
            return self._page_with_errors(request, application, forms)
        changes = [
            VerdictChange(pk, form.cleaned_data["verdict"], form.cleaned_data["note"])
            for pk, form in forms.items()
            if form.changed
        ]
        if not changes:
            self.message_user(
                request, gettext("Nichts geändert: keine Bewertung gespeichert."), messages.INFO
            )
        else:
            try:
                saved = record_verdicts(
                    application=application, changes=changes, reviewer=request.user
                )
            except TransitionError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d Bewertung gespeichert.",
                        "%(count)d Bewertungen gespeichert.",
                        saved,
                    )
                    % {"count": saved},
                    messages.SUCCESS,
                )
        return HttpResponseRedirect(f"{page_with_query}#stichprobe")

    def _page_with_errors(
        self, request: HttpRequest, application: Application, forms: dict[int, VerdictForm]
    ) -> HttpResponse:
        """The application page again, its sample form bound to what was sent."""
        request.sample_forms = forms
        # Rendered as the page itself: the admin's change form saves only on POST.
        request.method = "GET"
        return self.change_view(request, str(application.pk))
