"""The Kommune's progress and its application: the dashboard and the application page."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from awards.constants import Status
from awards.documents.links import award_documents
from awards.models import Application, ApplicationEvent, Award, TransitionError
from awards.services import create_application
from municipalities.history import history_context
from municipalities.models import Municipality

from ..access import municipal_staff_required
from ..catalogue import suggested_services, unlinked_central
from ..steps import application_steps


def _actor_name(event: ApplicationEvent) -> str:
    actor = event.actor
    if actor is None:
        return "–"
    name = actor.get_full_name() or actor.get_username()
    if actor.is_staff:
        return _("%(name)s (Staatsministerium)") % {"name": name}
    return name


def portal_state(municipality: Municipality) -> dict[str, Any]:
    """Collect the Kommune's count, threshold, application, history and award for the portal."""
    progress = municipality.progress()
    application = (
        Application.objects.filter(municipality=municipality).order_by("-created_at", "-pk").first()
    )
    events: list[ApplicationEvent] = []
    change_request = rejection = None
    if application is not None:
        events = list(application.events.select_related("actor").order_by("created_at", "pk"))
        for event in events:
            event.actor_name = _actor_name(event)
        if application.status in (Status.CHANGES_REQUESTED, Status.REJECTED):
            # The latest event into the current status carries the reviewer's words.
            latest = next((e for e in reversed(events) if e.to_status == application.status), None)
            if application.status == Status.CHANGES_REQUESTED:
                change_request = latest
            else:
                rejection = latest
    award = Award.objects.valid().filter(municipality=municipality).first()
    if award is not None:
        award.municipality = municipality  # the documents' snippet names it
    revoked = None
    if award is None:
        revoked = (
            Award.objects.filter(municipality=municipality, revoked_at__isnull=False)
            .order_by("-revoked_at")
            .first()
        )
    is_open = application is not None and application.is_open
    return {
        "municipality": municipality,
        "count": progress.count,
        "threshold": progress.threshold,
        "missing": progress.missing,
        "application": application,
        "is_open": is_open,
        "events": events,
        "change_request": change_request,
        "rejection": rejection,
        "award": award,
        "documents": award_documents(award) if award else {},
        "revoked_award": revoked,
        "can_create": award is None and not is_open,
        "submission": application.latest_submission() if application else None,
        "steps": application_steps(
            count=progress.count,
            threshold=progress.threshold,
            missing=progress.missing,
            application=application,
        ),
    }


@municipal_staff_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show the Kommune's count against its threshold, the application and the next step.

    Below the threshold also the way to it: central procedures not yet linked, then the
    services most Kommunen of the same kind offer (three queries, however many links).
    """
    context = portal_state(request.municipality)
    if context["missing"]:
        context["way"] = {
            "central": unlinked_central(request.municipality),
            "services": suggested_services(request.municipality),
        }
    context["count_history"] = history_context(request.municipality, threshold=context["threshold"])
    return render(request, "portal/dashboard.html", context)


@municipal_staff_required
@require_GET
def application(request: HttpRequest) -> HttpResponse:
    """Show the Kommune's application with its history and the actions open to it now."""
    return _application_page(request)


def _application_page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    context = portal_state(request.municipality)
    context["error"] = error
    return render(request, "portal/application.html", context, status=status)


def refusal_for(
    request: HttpRequest, *actions: str
) -> tuple[Application | None, HttpResponse | None]:
    """Return the Kommune's open application, or the page that says why it is refused.

    The first of `actions` allowed now lets the application through; if none is, the last
    one's refusal is shown.
    """
    application = Application.objects.open().filter(municipality=request.municipality).first()
    if application is None:
        error = _("Ihre Kommune hat derzeit keinen offenen Antrag.")
        return None, _application_page(request, error=error, status=409)
    if any(application.can(action) for action in actions[:-1]):
        return application, None
    try:
        application.ensure_allowed(actions[-1])
    except TransitionError as refusal:
        return None, _application_page(request, error=str(refusal), status=409)
    return application, None


def latest_change_request(application: Application) -> ApplicationEvent | None:
    """The reviewer's latest request for changes, with the name to show (one query)."""
    event = (
        application.events.filter(to_status=Status.CHANGES_REQUESTED)
        .select_related("actor")
        .order_by("-created_at", "-pk")
        .first()
    )
    if event is not None:
        event.actor_name = _actor_name(event)
    return event


@municipal_staff_required
@require_POST
def application_create(request: HttpRequest) -> HttpResponse:
    """Prepare the application: open a draft for the user's Kommune ("Antrag vorbereiten")."""
    try:
        create_application(municipality=request.municipality, by=request.user)
    except TransitionError as refusal:
        return _application_page(request, error=str(refusal), status=409)
    messages.success(
        request,
        _(
            "Der Antrag ist vorbereitet. Prüfen Sie jetzt Ihre Angaben und reichen Sie den "
            "Antrag ein, sobald Ihre Liste der Online-Verfahren vollständig ist."
        ),
    )
    return redirect("portal:application")


@municipal_staff_required
@require_POST
def application_answer(request: HttpRequest) -> HttpResponse:
    """Send an answer form of an older page to the check page: answering resubmits only there.

    Nothing is submitted here; 303 makes the browser GET the check page, where the answer is
    written again with the declaration.
    """
    response = redirect("portal:application_submit")
    response.status_code = 303
    return response
