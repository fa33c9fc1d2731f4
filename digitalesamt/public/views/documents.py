"""The plaque and the signet of an award, at the paths printed on plaques and embedded on websites.

A document is rendered once per version of what it shows and stored (awards.documents); here
it is served with its version as the ETag. One that is not stored yet is rendered by the worker
(at once with the immediate backend) while the browser gets a short "wird erstellt" page.

A stored document is served the way a static file is: what its answer needs (ETag, time,
stored name, size, type, file name) is kept in this process's memory for
DOCUMENT_LOOKUP_SECONDS (digitalesamt.lib.cache.process_value), so that a repeat request costs
no query and no template: a 304 for its ETag, or the file (a FileResponse, or with
DOCUMENTS_ACCEL_REDIRECT an empty answer whose X-Accel-Redirect lets nginx send it). A rename
or a revocation reaches a process within that period, well inside DOCUMENT_MAX_AGE, for which
every cache may keep a document anyway.
"""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import content_disposition_header, http_date, quote_etag
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from awards import documents
from awards.models import Award, normalize_award_number
from awards.tasks import render_document, render_lock_key
from digitalesamt.accounts.backends import client_ip
from digitalesamt.lib.cache import forget_process_value, kept_process_value, process_value
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


@dataclass(frozen=True)
class StoredDocument:
    """What the answer of a stored document needs, without the award."""

    version: str  # the ETag
    last_modified: datetime.datetime  # when it was stored
    name: str  # in the storage
    size: int
    content_type: str
    filename: str  # offered for saving


def _award(request: HttpRequest, number: str) -> Award | None:
    if not hasattr(request, "award"):
        request.award = find_award(number)
    return request.award


def _facts(request: HttpRequest, award: Award) -> documents.AwardFacts:
    if not hasattr(request, "facts"):
        request.facts = documents.award_facts(award)
    return request.facts


def _lookup_key(number: str, document: documents.Document) -> str | None:
    normalized = normalize_award_number(number)
    return None if normalized is None else f"public:document:{normalized}:{document.name}"


def _stored(
    request: HttpRequest, number: str, document: documents.Document
) -> StoredDocument | None:
    """Return the stored document asked for, kept in this process for DOCUMENT_LOOKUP_SECONDS;
    None for an unknown number, a revoked award or a document not stored yet (never kept)."""
    if not hasattr(request, "stored"):
        key = _lookup_key(number, document)
        request.stored = (
            None
            if key is None
            else process_value(
                key,
                lambda: _look_up(request, number, document),
                timeout=settings.DOCUMENT_LOOKUP_SECONDS,
            )
        )
    return request.stored


def _look_up(
    request: HttpRequest, number: str, document: documents.Document
) -> StoredDocument | None:
    award = _award(request, number)
    if award is None or award.is_revoked:
        return None
    facts = _facts(request, award)
    name = documents.storage_name(facts, document)
    try:
        size = default_storage.size(name)
        modified = default_storage.get_modified_time(name)
    except FileNotFoundError:
        return None
    return StoredDocument(
        version=_version_token(facts, document),
        last_modified=modified,
        name=name,
        size=size,
        content_type=document.content_type,
        filename=f"digitales-amt-{award.number}-{document.name}",
    )


def _version_token(facts: documents.AwardFacts, document: documents.Document) -> str:
    return f"{facts.version()}-{document.name}"


def versioned(choose: Choice):
    """Serve a document view with its stored version as the ETag, the same for everybody."""

    def version(request: HttpRequest, number: str) -> Version | None:
        document = choose(request)
        if document is None:
            return None
        stored = _stored(request, number, document)
        if stored is not None:
            return Version(stored.version, stored.last_modified)
        award = _award(request, number)
        if award is None or award.is_revoked:
            return None
        return Version(_version_token(_facts(request, award), document))

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
    stored = _stored(request, number, document)
    if stored is not None:
        response = _stored_response(stored)
        if response is not None:
            return response
        # Gone since it was looked up (a new version replaced it): look again, and answer with
        # the version found now rather than the one the conditional headers were made from.
        forget_process_value(_lookup_key(number, document))
        del request.stored
        stored = _stored(request, number, document)
        if stored is not None and (response := _stored_response(stored)) is not None:
            return _with_version(response, stored.version, stored.last_modified)
    award = _award(request, number)
    if award is None:
        raise Http404(_("Keine Auszeichnung mit dieser Nummer."))
    if award.is_revoked:
        message = _("Diese Auszeichnung wurde widerrufen; ihre Dokumente gelten nicht mehr.")
        context = {"message": message, "award": award}
        return render(request, "public/document_error.html", context, status=410)
    name = documents.storage_name(_facts(request, award), document)
    if not default_storage.exists(name):
        render_document_soon(award, document, name, client=address_key(client_ip(request)))
        if not default_storage.exists(name):
            response = render(request, "public/document_pending.html", {"award": award}, status=503)
            response["Retry-After"] = "5"
            return response
    filename = f"digitales-amt-{award.number}-{document.name}"
    response = FileResponse(
        default_storage.open(name, "rb"), content_type=document.content_type, filename=filename
    )
    modified = default_storage.get_modified_time(name)
    return _with_version(response, _version_token(_facts(request, award), document), modified)


def _with_version(
    response: HttpResponse, token: str, last_modified: datetime.datetime
) -> HttpResponse:
    """Give the answer the ETag and Last-Modified of the file it sends (`conditional` adds the
    ones it computed before the view only where the answer has none)."""
    response["ETag"] = quote_etag(token)
    response["Last-Modified"] = http_date(last_modified.timestamp())
    return response


def _stored_response(stored: StoredDocument) -> HttpResponse | None:
    """Answer with the stored file, or None if it is gone.

    With DOCUMENTS_ACCEL_REDIRECT (the prefix of nginx's internal location for MEDIA_ROOT) the
    answer is empty and nginx sends the file; it keeps Content-Type, Content-Disposition and
    Cache-Control of this answer and takes ETag, Last-Modified and the security headers from
    it by `add_header` (deploy/nginx/digitalesamt.conf).
    """
    prefix = settings.DOCUMENTS_ACCEL_REDIRECT
    if prefix:
        if not default_storage.exists(stored.name):
            return None
        response = HttpResponse(content_type=stored.content_type)
        response["X-Accel-Redirect"] = prefix + quote(stored.name)
        response["Content-Disposition"] = content_disposition_header(False, stored.filename)
        return response
    try:
        file = default_storage.open(stored.name, "rb")
    except FileNotFoundError:
        return None
    response = FileResponse(file, content_type=stored.content_type, filename=stored.filename)
    response["Content-Length"] = str(stored.size)
    return response


# The files at /auszeichnungen/<number>/…, each with the parameters that choose the document.
CHOICES: dict[str, Choice] = {}
CROSS_ORIGIN = ("signet.png", "signet.svg", "signet.pdf")


def kept_response(request: HttpRequest, number: str, file: str) -> HttpResponse | None:
    """Answer for a document this process has looked up already (StoredDocumentMiddleware),
    with the headers the view gives it; None if the view must answer."""
    document = CHOICES[file](request)
    key = None if document is None else _lookup_key(number, document)
    stored = None if key is None else kept_process_value(key)
    if not isinstance(stored, StoredDocument):
        return None
    etag = quote_etag(stored.version)
    modified = stored.last_modified.timestamp()
    response = get_conditional_response(request, etag=etag, last_modified=int(modified))
    if response is None:
        response = _stored_response(stored)
        if response is None:
            return None
    response["ETag"] = etag
    response["Last-Modified"] = http_date(modified)
    patch_cache_control(response, public=True, max_age=DOCUMENT_MAX_AGE)
    if file in CROSS_ORIGIN:
        response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["X-Frame-Options"] = "DENY"
    return response


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


CHOICES.update(
    {
        "schild.pdf": _plaque,
        "signet.png": _signet_png,
        "signet.svg": _signet_svg,
        "signet.pdf": _signet_pdf,
    }
)
