"""The plaque and the signet of an award, at the paths printed on plaques and embedded on websites.

A document is rendered once per version of what it shows and stored (awards.documents); here
it is served with its version as the ETag. One that is not stored yet is rendered by the worker
(at once with the immediate backend) while the browser gets a short "wird erstellt" page.
"""

import re
from collections.abc import Callable

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from awards import documents
from awards.models import Award
from awards.tasks import render_document, render_lock_key
from digitalesamt.accounts.backends import client_ip
from digitalesamt.lib.http import Version, conditional
from digitalesamt.lib.middleware import cross_origin
from digitalesamt.lib.ratelimit import Limit, RateLimited, address_key

from .verification import find_award

DOCUMENT_MAX_AGE = 3600  # an hour: a rename or a revocation reaches every cache within it
RENDER_LOCK_SECONDS = 120
# Digits as people type them: "²" or "٣" are digits to str.isdigit() but no width.
WIDTH = re.compile(r"[0-9]{1,5}")
PRINT_FLAGS = {"": False, "0": False, "1": True}  # ?druck=1: the sign maker's file

# A document not stored yet is rendered on request: a limit per address and one for everybody.
RENDERS_PER_ADDRESS = Limit(
    "render-address",
    "RATE_LIMIT_RENDER_PER_ADDRESS",
    gettext_lazy(
        "Von Ihrem Internetanschluss wurden zu viele Dokumente angefordert, die erst erstellt "
        "werden müssen: höchstens %(count)s je %(period)s."
    ),
)
RENDERS = Limit(
    "render",
    "RATE_LIMIT_RENDER",
    gettext_lazy(
        "Gerade werden so viele Dokumente erstellt, wie der Server schafft: höchstens "
        "%(count)s je %(period)s."
    ),
)

Choice = Callable[[HttpRequest], documents.Document | None]


def _award(request: HttpRequest, number: str) -> Award | None:
    if not hasattr(request, "award"):
        request.award = find_award(number)
    return request.award


def versioned(choose: Choice):
    """Serve a document view with its stored version as the ETag, the same for everybody."""

    def version(request: HttpRequest, number: str) -> Version | None:
        award, document = _award(request, number), choose(request)
        if award is None or award.is_revoked or document is None:
            return None
        request.facts = documents.award_facts(award)
        return Version(f"{request.facts.version()}-{document.name}")

    return conditional(version, max_age=DOCUMENT_MAX_AGE, per_visitor=False)


def _plaque(request: HttpRequest) -> documents.Document | None:
    """Return the plaque asked for: ?format=a4|a3, and ?druck=1 for the sign maker's file."""
    paper = request.GET.get("format", "a4").strip().lower()
    for_print = PRINT_FLAGS.get(request.GET.get("druck", "").strip().lower())
    if for_print is None:
        return None
    return (documents.PRINT_PLAQUES if for_print else documents.PLAQUES).get(paper)


def _signet_png(request: HttpRequest) -> documents.Document | None:
    width = request.GET.get("breite", str(documents.SIGNET_DEFAULT_WIDTH)).strip()
    return documents.SIGNET_PNGS.get(int(width)) if WIDTH.fullmatch(width) else None


def _signet_svg(request: HttpRequest) -> documents.Document:
    return documents.SIGNET_SVG


def _signet_pdf(request: HttpRequest) -> documents.Document:
    return documents.SIGNET_PDF


@require_safe
@versioned(_plaque)
def plaque(request: HttpRequest, number: str) -> HttpResponse:
    """Serve the plaque: A4 landscape, or A3 with ?format=a3; with ?druck=1 the sign maker's
    file (bleed and crop marks), rendered on its first request."""
    document = _plaque(request)
    if document is None:
        if request.GET.get("format", "a4").strip().lower() not in documents.PLAQUE_PAPERS:
            return _bad_parameter(request, _("Das Format ist A4 (Standard) oder A3 (?format=a3)."))
        return _bad_parameter(
            request,
            _(
                "Die Druckvorlage mit Beschnitt und Schnittmarken erhalten Sie mit ?druck=1, "
                "das Schild zum Ausdrucken ohne „druck“ oder mit ?druck=0."
            ),
        )
    return _document_response(request, number, document)


@cross_origin
@require_safe
@versioned(_signet_png)
def signet_png(request: HttpRequest, number: str) -> HttpResponse:
    """Serve the signet as PNG, 320 pixels wide or as ?breite=160|320|640 asks."""
    document = _signet_png(request)
    if document is None:
        return _bad_parameter(request, _("Die Breite ist 160, 320 (Standard) oder 640 Pixel."))
    return _document_response(request, number, document)


@cross_origin
@require_safe
@versioned(_signet_svg)
def signet_svg(request: HttpRequest, number: str) -> HttpResponse:
    """Serve the signet as SVG, the scalable original."""
    return _document_response(request, number, documents.SIGNET_SVG)


@cross_origin
@require_safe
@versioned(_signet_pdf)
def signet_pdf(request: HttpRequest, number: str) -> HttpResponse:
    """Serve the signet as PDF at its print size (40 × 50 mm), for letterheads and print."""
    return _document_response(request, number, documents.SIGNET_PDF)


def _bad_parameter(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "public/document_error.html", {"message": message}, status=400)


def _document_response(
    request: HttpRequest, number: str, document: documents.Document
) -> HttpResponse:
    award = _award(request, number)
    if award is None:
        raise Http404(_("Keine Auszeichnung mit dieser Nummer."))
    if award.is_revoked:
        message = _("Diese Auszeichnung wurde widerrufen; ihre Dokumente gelten nicht mehr.")
        context = {"message": message, "award": award}
        return render(request, "public/document_error.html", context, status=410)
    name = documents.storage_name(request.facts, document)
    if not default_storage.exists(name):
        render_document_soon(award, document, name, client=address_key(client_ip(request)))
        if not default_storage.exists(name):
            response = render(request, "public/document_pending.html", {"award": award}, status=503)
            response["Retry-After"] = "5"
            return response
    filename = f"digitales-amt-{award.number}-{document.name}"
    return FileResponse(
        default_storage.open(name, "rb"), content_type=document.content_type, filename=filename
    )


def render_document_soon(
    award: Award, document: documents.Document, name: str, *, client: str | None = None
) -> None:
    """Queue the rendering once per document across every process (the lock is in the shared
    cache; inline with the immediate backend).

    The request that takes the lock counts against the limits of renders, those that find it
    taken wait for the same render and count for nothing; a refusal lifts the lock again.
    """
    lock = render_lock_key(name)
    if not cache.add(lock, True, timeout=RENDER_LOCK_SECONDS):
        return
    try:
        if client is not None:
            RENDERS_PER_ADDRESS.hit(client)
        RENDERS.hit()
    except RateLimited:
        cache.delete(lock)
        raise
    render_document.enqueue(award_id=award.pk, document=document.name)
