"""Verification of an award: the page a plaque's QR code and a website's signet lead to.

`/pruefen/<number>/` says whether an award is valid: a page for people, for
`Accept: application/json` an assertion modelled on Open Badges 2.0; 410 once revoked, 404 for
an unknown number. Both carry the award's version as ETag and Last-Modified: a plaque scanned
twice is answered 304 with the one query for the award, and a revocation or a renamed Kommune
(which renews the award's record) is a new version.

For a visitor without a session the answer is kept per version, language and path
(`shared_page`): the page, the JSON (the version says which) and the 410 of a revoked award
with its status, since a plaque stays on a wall after a revocation and is scanned on. An
unknown number has no version and is answered anew: its 404 names what was typed and the
numbers near it, and keeping every mistyped number would let anyone fill the cache.
"""

from collections.abc import Callable
from datetime import datetime, time
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from awards.documents.facts import ISSUER, TAGLINE, verification_url
from awards.documents.links import document_list
from awards.models import Award, normalize_award_number
from digitalesamt.lib.http import Version, conditional, newest, shared_page, time_bucket
from municipalities.constants import Kind
from municipalities.models import Threshold

from ..version import award_record

VERIFY_MAX_AGE = 60
# How long a kept answer (page or JSON, valid or revoked) may take room; its key changes with
# the award's record and with every THRESHOLD_PERIOD anyway.
VERIFY_CACHE_TIMEOUT = 300
# A changed threshold (named in the JSON) reaches every revalidation within this many seconds.
THRESHOLD_PERIOD = 3600
# What the number field takes (its maxlength): an award number is 12 characters.
NUMBER_MAX_LENGTH = 40


def find_award(number: str) -> Award | None:
    """Return the award of a number as typed ("da 2023 17"), or None."""
    normalized = normalize_award_number(number)
    if normalized is None:
        return None
    return Award.objects.select_related("municipality").filter(number=normalized).first()


def _unknown(request: HttpRequest, number: str) -> HttpResponse:
    """Say that no award has this number, and offer the numbers one typing slip away."""
    context = {"number": number, "suggestions": Award.objects.near(number)}
    return render(request, "public/verify_unknown.html", context, status=404)


def _wants_json(request: HttpRequest) -> bool:
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


@require_safe
def verify_form(request: HttpRequest) -> HttpResponse:
    """Take a number typed from a plaque and open its verification page."""
    number = request.GET.get("nummer", "").strip()
    if not number:
        return render(request, "public/verify_form.html")
    normalized = normalize_award_number(number) or number.upper()
    if "/" in normalized or len(normalized) > NUMBER_MAX_LENGTH:
        # No award number has a slash or is this long, and a slash would leave the page's path.
        return _unknown(request, number[:NUMBER_MAX_LENGTH])
    return redirect("awards:verify", number=normalized)


def _varies_on_accept(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Say that the answer depends on Accept (page or JSON); outermost, so a 304 says it too."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        patch_vary_headers(response, ["Accept"])
        return response

    return wrapper


def _canonical_number(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Send a number typed another way ("da 2023 17") to its one address, where it is kept once.

    Every spelling would otherwise be a page of its own in every cache.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, number: str) -> HttpResponse:
        normalized = normalize_award_number(number)
        if normalized is not None and normalized != number:
            return redirect("awards:verify", number=normalized, permanent=True)
        return view(request, number)

    return wrapper


def _award_record(request: HttpRequest, number: str) -> tuple[int, datetime] | None:
    """Return the key and last change of the award of the number in the path, or None.

    Read once per request, without building the award: a kept answer needs no more.
    """
    if not hasattr(request, "award_record"):
        normalized = normalize_award_number(number)
        request.award_record = award_record(normalized) if normalized else None
    return request.award_record


def verification_version(request: HttpRequest, number: str) -> Version | None:
    """Return the version of a verification answer from the award's own record (no query more).

    A revocation sets `updated_at`, and so does a renamed Kommune or member Gemeinde (the
    register's signal renews the records that show it: digitalesamt.public.version). The
    threshold the JSON names is read anew every THRESHOLD_PERIOD. An unknown number has no
    version: its 404 offers the numbers near it.
    """
    found = _award_record(request, number)
    if found is None:
        return None
    pk, updated_at = found
    kind = "json" if _wants_json(request) else "html"
    record = Version(f"{pk}|{updated_at.isoformat()}|{kind}", updated_at)
    return newest(record, time_bucket(THRESHOLD_PERIOD, now=timezone.now()))


@require_safe
@_canonical_number
@_varies_on_accept
@conditional(verification_version, max_age=VERIFY_MAX_AGE)
@shared_page("public:verify", timeout=VERIFY_CACHE_TIMEOUT, statuses=(200, 410))
def verify(request: HttpRequest, number: str) -> HttpResponse:
    """Say whether an award is valid: a page for people, an Open Badges assertion for machines."""
    found = _award_record(request, number)
    award = (
        Award.objects.select_related("municipality").filter(pk=found[0]).first() if found else None
    )
    as_json = _wants_json(request)
    if award is None:
        if as_json:
            message = _("Keine Auszeichnung mit dieser Nummer.")
            response = JsonResponse({"error": message, "nummer": number.strip()}, status=404)
        else:
            response = _unknown(request, number.strip())
    else:
        status = 410 if award.is_revoked else 200
        if as_json:
            response = JsonResponse(
                badge_assertion(award),
                status=status,
                json_dumps_params={"ensure_ascii": False, "indent": 2},
            )
        else:
            response = render(request, "public/verify.html", _verify_context(award), status=status)
    return response


def _verify_context(award: Award) -> dict[str, Any]:
    municipality = award.municipality
    context: dict[str, Any] = {
        "award": award,
        "municipality": municipality,
        "verification_url": verification_url(award.number),
    }
    if municipality.kind == Kind.VG:
        context["members"] = list(municipality.members.order_by("name"))
    return context


def badge_assertion(award: Award) -> dict[str, Any]:
    """Describe the award as a hosted assertion modelled on Open Badges 2.0."""
    municipality = award.municipality
    site = settings.SITE_URL
    url = verification_url(award.number)
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
                "description": TAGLINE,
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
                    "name": ISSUER,
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
            # Plaques and signets to download; none once revoked (they answer 410 then).
            "documents": [] if award.is_revoked else document_list(award.number),
        }
    if award.is_revoked:
        assertion["revocationReason"] = award.revocation_reason
    return assertion
