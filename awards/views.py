import re
from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.html import escape
from django.utils.http import quote_etag
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from municipalities.access import municipal_staff_required
from municipalities.models import Kind, Municipality, Threshold

from . import documents
from .models import OPEN_STATUSES, Application, ApplicationEvent, Award, Status
from .portal_forms import AnswerForm, SubmitForm, WithdrawForm
from .services import (
    TransitionError,
    create_application,
    submit_application,
    withdraw_application,
)
from .tasks import render_document

# Verification and documents: the paths printed on plaques and embedded on websites.

DOCUMENT_MAX_AGE = 3600  # an hour: a rename or a revocation reaches every cache within it
VERIFY_MAX_AGE = 60


def normalize_award_number(text: str) -> str:
    """Read a number as people type it from a plaque: " da-2021-0001", "DA 2021 0001"."""
    compact = re.sub(r"[\s\-‐‑–—_]+", "", text).upper()
    match = re.fullmatch(r"DA(\d{4})(\d{4})", compact)
    return f"DA-{match[1]}-{match[2]}" if match else text.strip().upper()


def _find_award(number: str) -> Award | None:
    return (
        Award.objects.select_related("municipality")
        .filter(number=normalize_award_number(number))
        .first()
    )


def _wants_json(request: HttpRequest) -> bool:
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


@require_safe
def verify_form(request: HttpRequest) -> HttpResponse:
    """Take a number typed from a plaque and open its verification page."""
    number = request.GET.get("nummer", "").strip()
    if number:
        return redirect("awards:verify", number=normalize_award_number(number))
    return render(request, "awards/verify_form.html")


@require_safe
def verify(request: HttpRequest, number: str) -> HttpResponse:
    """Say whether an award is valid: a page for people, an Open Badges assertion for machines."""
    award = _find_award(number)
    as_json = _wants_json(request)
    if award is None:
        if as_json:
            message = _("Keine Auszeichnung mit dieser Nummer.")
            response = JsonResponse({"error": message, "nummer": number.strip()}, status=404)
        else:
            context = {"number": number.strip()}
            response = render(request, "awards/verify_unknown.html", context, status=404)
    else:
        status = 410 if award.is_revoked else 200
        if as_json:
            response = JsonResponse(
                badge_assertion(award),
                status=status,
                json_dumps_params={"ensure_ascii": False, "indent": 2},
            )
        else:
            response = render(request, "awards/verify.html", _verify_context(award), status=status)
    patch_vary_headers(response, ["Accept"])
    patch_cache_control(response, public=True, max_age=VERIFY_MAX_AGE)
    return response


def _verify_context(award: Award) -> dict[str, Any]:
    municipality = award.municipality
    context: dict[str, Any] = {
        "award": award,
        "municipality": municipality,
        "verification_url": documents.verification_url(award.number),
    }
    if municipality.kind == Kind.VG:
        context["members"] = list(municipality.members.order_by("name"))
    return context


def badge_assertion(award: Award) -> dict[str, Any]:
    """Describe the award as a hosted assertion modelled on Open Badges 2.0."""
    municipality = award.municipality
    site = settings.SITE_URL
    url = documents.verification_url(award.number)
    public_page = site + reverse("awards:municipality", args=[municipality.ars])
    issued_on = timezone.make_aware(datetime.combine(award.issued_on, time(12)))
    with translation.override("de"):
        threshold = Threshold.for_kind(municipality.kind)
        assertion: dict[str, Any] = {
            "@context": "https://w3id.org/openbadges/v2",
            "type": "Assertion",
            "id": url,
            "recipient": {
                "type": "url",
                "hashed": False,
                "identity": municipality.website or public_page,
                "ars": municipality.ars,
                "name": municipality.title,
                "url": public_page,
            },
            "badge": {
                "type": "BadgeClass",
                "id": site + reverse("awards:verify_form") + "#praedikat",
                "name": "Digitales Amt",
                "description": documents.TAGLINE,
                "image": site + reverse("awards:signet_png", args=[award.number]),
                "criteria": {
                    "narrative": (
                        f"Mindestens {threshold} Online-Verfahren sind auf der Seite der Kommune "
                        "im BayernPortal verlinkt. Jedes Verfahren zählt einmal; reine "
                        "Informationsseiten zählen nicht."
                    )
                },
                "issuer": {
                    "type": "Profile",
                    "id": site + reverse("imprint"),
                    "name": documents.ISSUER,
                    "url": "https://www.stmd.bayern.de/",
                },
            },
            "issuedOn": issued_on.isoformat(),
            "image": site + reverse("awards:signet_png", args=[award.number]),
            "evidence": {
                "narrative": f"{award.procedure_count} Online-Verfahren bei der Verleihung"
            },
            "verification": {"type": "hosted"},
            "revoked": award.is_revoked,
        }
    if award.is_revoked:
        assertion["revocationReason"] = award.revocation_reason
    return assertion


@require_safe
def plaque(request: HttpRequest, number: str) -> HttpResponse:
    """Serve the plaque: A4 landscape, or A3 with ?format=a3."""
    paper = request.GET.get("format", "a4").strip().lower()
    if paper not in documents.PLAQUES:
        return _bad_parameter(request, _("Das Format ist A4 (Standard) oder A3 (?format=a3)."))
    return _document_response(request, number, documents.PLAQUES[paper])


@require_safe
def signet_png(request: HttpRequest, number: str) -> HttpResponse:
    """Serve the signet as PNG, 320 pixels wide or as ?breite=160|320|640 asks."""
    width = request.GET.get("breite", str(documents.SIGNET_DEFAULT_WIDTH)).strip()
    if not width.isdigit() or int(width) not in documents.SIGNET_PNGS:
        return _bad_parameter(request, _("Die Breite ist 160, 320 (Standard) oder 640 Pixel."))
    return _document_response(request, number, documents.SIGNET_PNGS[int(width)])


@require_safe
def signet_svg(request: HttpRequest, number: str) -> HttpResponse:
    """Serve the signet as SVG, the scalable original."""
    return _document_response(request, number, documents.SIGNET_SVG)


def _bad_parameter(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "awards/document_error.html", {"message": message}, status=400)


def _document_response(
    request: HttpRequest, number: str, document: documents.Document
) -> HttpResponse:
    award = _find_award(number)
    if award is None:
        raise Http404(_("Keine Auszeichnung mit dieser Nummer."))
    if award.is_revoked:
        message = _("Diese Auszeichnung wurde widerrufen; ihre Dokumente gelten nicht mehr.")
        context = {"message": message, "award": award}
        return render(request, "awards/document_error.html", context, status=410)
    facts = documents.award_facts(award)
    etag = quote_etag(f"{facts.version()}-{document.name}")
    response = get_conditional_response(request, etag=etag)
    if response is None:
        name = documents.storage_name(facts, document)
        if not default_storage.exists(name):
            render_document_soon(award, document, name)
            if not default_storage.exists(name):
                response = render(
                    request, "awards/document_pending.html", {"award": award}, status=503
                )
                response["Retry-After"] = "5"
                return response
        filename = f"digitales-amt-{award.number}-{document.name}"
        response = FileResponse(
            default_storage.open(name, "rb"), content_type=document.content_type, filename=filename
        )
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=DOCUMENT_MAX_AGE)
    return response


def render_document_soon(award: Award, document: documents.Document, name: str) -> None:
    """Queue the rendering once per document (inline with the immediate backend)."""
    if cache.add(f"rendering:{name}", True, timeout=120):
        render_document.enqueue(award_id=award.pk, document=document.name)


# The municipal portal: the Kommune's progress and its application.


def award_documents(award: Award) -> dict[str, Any]:
    """Return the addresses of the award's plaque and signet and the snippet for websites."""
    number = award.number
    plaque_url = reverse("awards:plaque", args=[number])
    png_url = reverse("awards:signet_png", args=[number])
    site = settings.SITE_URL
    width = documents.SIGNET_DEFAULT_WIDTH // 2  # 160 on the page, the 320 file for sharp screens
    with translation.override("de"):
        alt = _(
            "Digitales Amt – %(name)s, ausgezeichnet %(year)s. Zur Prüfung der Auszeichnung"
        ) % {"name": award.municipality.title, "year": award.issued_on.year}
    values = [
        documents.verification_url(number),
        f"{site}{png_url}?breite={width}",
        f"{site}{png_url}?breite={width * 2}",
        width,
        documents.signet_height(width),
        alt,
    ]
    # Plain text, not marked safe: the page shows the code itself, escaped, in a textarea.
    html = '<a href="{}"><img src="{}" srcset="{} 2x" width="{}" height="{}" alt="{}"></a>'
    snippet = html.format(*[escape(value) for value in values])
    return {
        "plaque_urls": [
            (paper.upper(), f"{plaque_url}?format={paper}") for paper in documents.PLAQUE_PAPERS
        ],
        "signet_pngs": [(w, f"{png_url}?breite={w}") for w in documents.SIGNET_WIDTHS],
        "signet_svg": reverse("awards:signet_svg", args=[number]),
        "signet_preview": f"{png_url}?breite={width * 2}",
        "signet_width": width,
        "signet_height": documents.signet_height(width),
        "verification_url": reverse("awards:verify", args=[number]),
        "snippet": snippet,
    }


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
    progress = Municipality.objects.with_progress().get(pk=municipality.pk)
    count, threshold = progress.procedure_count, progress.threshold
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
    is_open = application is not None and application.status in OPEN_STATUSES
    return {
        "municipality": municipality,
        "count": count,
        "threshold": threshold,
        "missing": max(threshold - count, 0),
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
    }


@municipal_staff_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show the Kommune's count against its threshold, the application and the next step."""
    return render(request, "portal/dashboard.html", portal_state(request.municipality))


@municipal_staff_required
@require_GET
def application(request: HttpRequest) -> HttpResponse:
    """Show the Kommune's application with its history and the actions open to it now."""
    return _application_page(request)


def _application_page(
    request: HttpRequest,
    *,
    submit_form: SubmitForm | None = None,
    answer_form: AnswerForm | None = None,
    withdraw_form: WithdrawForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = portal_state(request.municipality)
    context.update(
        {
            "submit_form": submit_form or SubmitForm(),
            "answer_form": answer_form or AnswerForm(),
            "withdraw_form": withdraw_form or WithdrawForm(),
            "error": error,
        }
    )
    return render(request, "portal/application.html", context, status=status)


def _open_application(request: HttpRequest) -> Application | None:
    return Application.objects.filter(
        municipality=request.municipality, status__in=OPEN_STATUSES
    ).first()


def _no_open_application(request: HttpRequest) -> HttpResponse:
    return _application_page(
        request, error=_("Ihre Kommune hat derzeit keinen offenen Antrag."), status=409
    )


@municipal_staff_required
@require_POST
def application_create(request: HttpRequest) -> HttpResponse:
    """Open a draft application for the user's Kommune."""
    try:
        create_application(municipality=request.municipality, by=request.user)
    except TransitionError as refusal:
        return _application_page(request, error=str(refusal), status=409)
    messages.success(
        request,
        _(
            "Der Antrag ist angelegt. Reichen Sie ihn ein, sobald Ihre Liste der "
            "Online-Verfahren vollständig ist."
        ),
    )
    return redirect("portal:application")


@municipal_staff_required
@require_POST
def application_submit(request: HttpRequest) -> HttpResponse:
    """Submit the draft; the service refuses it below the threshold."""
    application = _open_application(request)
    if application is None:
        return _no_open_application(request)
    if application.status == Status.CHANGES_REQUESTED:
        return _application_page(
            request,
            error=_(
                "Bitte beantworten Sie die Bitte um Nachbesserung; damit reichen Sie erneut ein."
            ),
            status=409,
        )
    form = SubmitForm(request.POST)
    if not form.is_valid():
        return _application_page(request, submit_form=form)
    try:
        submit_application(
            application=application, by=request.user, comment=form.cleaned_data["comment"]
        )
    except TransitionError as refusal:
        return _application_page(request, submit_form=form, error=str(refusal), status=409)
    messages.success(
        request,
        _(
            "Der Antrag ist eingereicht. Das Staatsministerium prüft ihn; Sie erhalten eine "
            "E-Mail, sobald es Neuigkeiten gibt."
        ),
    )
    return redirect("portal:application")


@municipal_staff_required
@require_POST
def application_answer(request: HttpRequest) -> HttpResponse:
    """Answer the reviewer's request for changes and resubmit with the current list."""
    application = _open_application(request)
    if application is None:
        return _no_open_application(request)
    if application.status != Status.CHANGES_REQUESTED:
        return _application_page(
            request,
            error=_("Zu Ihrem Antrag ist derzeit keine Nachbesserung erbeten."),
            status=409,
        )
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return _application_page(request, answer_form=form)
    try:
        submit_application(
            application=application, by=request.user, comment=form.cleaned_data["comment"]
        )
    except TransitionError as refusal:
        return _application_page(request, answer_form=form, error=str(refusal), status=409)
    messages.success(request, _("Ihre Antwort ist gesendet und der Antrag erneut eingereicht."))
    return redirect("portal:application")


@municipal_staff_required
@require_POST
def application_withdraw(request: HttpRequest) -> HttpResponse:
    """Withdraw the open application once the user ticked the confirmation."""
    application = _open_application(request)
    if application is None:
        return _no_open_application(request)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return _application_page(request, withdraw_form=form)
    try:
        withdraw_application(
            application=application, by=request.user, comment=form.cleaned_data["comment"]
        )
    except TransitionError as refusal:
        return _application_page(request, withdraw_form=form, error=str(refusal), status=409)
    messages.success(request, _("Der Antrag ist zurückgezogen."))
    return redirect("portal:application")
