"""The public list of holders and the public page of every Kommune.

The list is the site's busiest page. Its results region (everything inside <main>) depends only
on the awards, the register, the language and the query string, so it is rendered once per data
version and kept in Django's cache; the version is part of every key, so a new or revoked award
shows at once. The page around it differs per visitor only by the user menu, pending messages and
the CSRF token of a form in the layout, if it has one:
- a visitor without a session cookie (nobody logged in, no message waiting) gets the whole page
  from the cache: one query for the version and a cache read. Should the layout hold a CSRF form,
  the cached page holds a placeholder and each response gets the visitor's own token;
- anyone else gets the cached results region inside a freshly rendered page.
Neither cache ever holds a CSRF token, a user's name or a message. A page with nothing of the
visitor's own is `Cache-Control: public` (a CDN may keep it), any other one `private`.
"""

import hashlib
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date, quote_etag
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from municipalities.models import GEMEINDE_KINDS, Kind, Municipality

from . import documents
from .models import Award
from .public_forms import SORT_NEWEST, SORT_ORDERS, HolderFilterForm

PAGE_SIZE = 25
# Parameters of the list's query string; anything else is ignored (and does not split the cache).
LIST_PARAMETERS = ("q", "regierungsbezirk", "landkreis", "art", "sortierung", "seite")
# The data version is part of every cache key, so a new or revoked award is visible at once;
# the timeout only bounds how long a renamed Kommune (a register import) keeps its old name.
LIST_CACHE_TIMEOUT = 300
LIST_MAX_AGE = 60
# Stands in for the CSRF token in the cached page; each response gets the visitor's own token.
CSRF_PLACEHOLDER = "csrf-token-of-this-visitor-7c1e5b"
# How many member Gemeinden a result names before "and N more".
MEMBERS_SHOWN = 3
# How many Kommunen without the title a search lists below the results.
OTHERS_SHOWN = 10


# Words people put before a name ("Markt Hösbach", "Landkreis Regensburg") and the kinds they mean.
TITLE_WORDS = {
    "gemeinde": GEMEINDE_KINDS,
    "markt": (Kind.MARKT,),
    "stadt": (Kind.STADT, Kind.GROSSE_KREISSTADT, Kind.KREISFREIE_STADT),
    "große kreisstadt": (Kind.GROSSE_KREISSTADT,),
    "kreisfreie stadt": (Kind.KREISFREIE_STADT,),
    "landeshauptstadt": (Kind.KREISFREIE_STADT,),
    "verwaltungsgemeinschaft": (Kind.VG,),
    "vg": (Kind.VG,),
    "landkreis": (Kind.LANDKREIS,),
    "landratsamt": (Kind.LANDKREIS,),
    "lkr.": (Kind.LANDKREIS,),
    "regierungsbezirk": (Kind.BEZIRK,),
    "bezirk": (Kind.BEZIRK,),
}


def matching(term: str) -> Q:
    """Return the condition for Kommunen a search term names: name, ARS prefix or postal code."""
    compact = term.replace(" ", "")
    if compact.isdigit():
        return Q(ars__startswith=compact) | Q(postal_code=compact)
    condition = Q(name__icontains=term)
    lowered = term.lower()
    if len(lowered) != len(term):  # lowering changed the length: no safe way to cut a word off
        return condition
    for word, kinds in sorted(TITLE_WORDS.items(), key=lambda item: -len(item[0])):
        rest = term[len(word) :].strip()
        if lowered.startswith(f"{word} ") and rest:
            return condition | Q(kind__in=kinds, name__icontains=rest)
    return condition


@dataclass
class Result:
    """One row of the list: an award, and the member Gemeinden a search found it through."""

    award: Award
    members: list[Municipality] = field(default_factory=list)
    more_members: int = 0


def _normalized_parameters(request: HttpRequest) -> str:
    pairs = []
    for name in LIST_PARAMETERS:
        value = " ".join(request.GET.get(name, "").split())
        if value:
            pairs.append((name, value))
    return urlencode(pairs)


def _page_number(raw: str) -> int:
    try:
        number = int(raw)
    except ValueError:
        return 1
    return max(number, 1)


@require_safe
def holder_list(request: HttpRequest) -> HttpResponse:
    """List every current holder with search, filters, sort order and pages."""
    version = Award.objects.version()
    language = translation.get_language()
    parameters = _normalized_parameters(request)
    key = hashlib.sha256(f"{version.token}|{language}|{parameters}".encode()).hexdigest()
    last_modified = int(version.latest.timestamp()) if version.latest else None
    plain = _is_plain_visitor(request)
    page_key = (
        f"awards:holders:page:{key}:" + hashlib.sha256(request.get_full_path().encode()).hexdigest()
    )

    csrf_secret = request.META.get("CSRF_COOKIE", "")
    etag = _etag(request, key, csrf_secret)
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is not None:
        parts = cache.get(page_key) if plain else None
    elif plain:
        parts = _anonymous_page(request, page_key, key)
        response = HttpResponse(
            # Only a page with a CSRF-protected form needs the visitor's own token.
            get_token(request).encode().join(parts) if len(parts) > 1 else parts[0]
        )
    else:
        parts = None
        title, content = _results_region(request, key)
        response = render(request, "awards/public/list.html", {"title": title, "content": content})
    if request.META.get("CSRF_COOKIE", "") != csrf_secret:
        # The page holds a token of a CSRF secret made for this visitor just now.
        etag = _etag(request, key, request.META["CSRF_COOKIE"])
    response.headers["ETag"] = etag
    if last_modified is not None:
        response.headers["Last-Modified"] = http_date(last_modified)
    # A page with nothing of the visitor's own may be kept by shared caches (a CDN); one with
    # a user menu or a CSRF token must stay in the visitor's browser.
    visibility = "public" if parts is not None and len(parts) == 1 else "private"
    patch_cache_control(response, **{visibility: True}, max_age=LIST_MAX_AGE)
    patch_vary_headers(response, ("Cookie", "Accept-Language"))
    return response


def _etag(request: HttpRequest, key: str, csrf_secret: str) -> str:
    """Return the validator of the browser's copy.

    Besides the results, that copy holds the header and the CSRF token; it stays valid only
    with the same session, pending messages and CSRF secret.
    """
    cookies = "|".join(
        (
            request.COOKIES.get(settings.SESSION_COOKIE_NAME, ""),
            request.COOKIES.get(CookieStorage.cookie_name, ""),
            csrf_secret,
        )
    )
    return "W/" + quote_etag(hashlib.sha256(f"{key}|{cookies}".encode()).hexdigest()[:32])


def _is_plain_visitor(request: HttpRequest) -> bool:
    """Tell whether the page around the results is the same for this visitor as for any other.

    Without a session cookie nobody is logged in and no message waits; the only thing of the
    visitor's own on the page is then the CSRF token of the language form.
    """
    return not any(
        request.COOKIES.get(name)
        for name in (settings.SESSION_COOKIE_NAME, CookieStorage.cookie_name)
    )


def _anonymous_page(request: HttpRequest, page_key: str, key: str) -> list[bytes]:
    """Return the whole page from the cache, split where the visitor's CSRF token goes."""
    parts = cache.get(page_key)
    if parts is None:
        title, content = _results_region(request, key)
        page = render_to_string(
            "awards/public/list.html",
            {"title": title, "content": content, "csrf_token": CSRF_PLACEHOLDER},
            request=request,
        )
        # Kept encoded and split at the placeholder, a hit only joins bytes.
        parts = page.encode().split(CSRF_PLACEHOLDER.encode())
        cache.set(page_key, parts, LIST_CACHE_TIMEOUT)
    return parts


def _results_region(request: HttpRequest, key: str) -> tuple[str, str]:
    """Return the title and the HTML inside <main>, from the cache or freshly rendered."""
    region_key = f"awards:holders:region:{key}"
    cached = cache.get(region_key)
    if cached is None:
        # Rendered from the normalized parameters, so the region is what its key says.
        cached = _render_results(QueryDict(_normalized_parameters(request)))
        cache.set(region_key, cached, LIST_CACHE_TIMEOUT)
    title, content = cached
    return title, mark_safe(content)  # noqa: S308 - rendered by our own template


def _render_results(query: QueryDict) -> tuple[str, str]:
    """Render the results region for a query string; nothing in it depends on the visitor."""
    areas = Municipality.objects.of_kind(Kind.BEZIRK, Kind.LANDKREIS).order_by("ars")
    form = HolderFilterForm(query, areas=areas)
    values = form.valid_values()
    ignored = form.ignored_labels()
    term = values["q"]
    sort = values["sortierung"] or SORT_NEWEST

    awards = Award.objects.valid()
    if term:
        found = Municipality.objects.filter(matching(term))
        members = found.filter(verwaltungsgemeinschaft__isnull=False)
        awards = awards.filter(
            Q(municipality__in=found.values("pk"))
            | Q(municipality__in=members.values("verwaltungsgemeinschaft"))
        )
    if bezirk := form.areas_by_ars.get(values["regierungsbezirk"]):
        awards = awards.filter(Q(municipality__regierungsbezirk=bezirk) | Q(municipality=bezirk))
    if landkreis := form.areas_by_ars.get(values["landkreis"]):
        awards = awards.filter(Q(municipality__landkreis=landkreis) | Q(municipality=landkreis))
    if values["art"]:
        awards = awards.filter(municipality__kind=values["art"])
    awards = awards.select_related(
        "municipality", "municipality__landkreis", "municipality__regierungsbezirk"
    ).order_by(*SORT_ORDERS[sort])

    paginator = Paginator(awards, PAGE_SIZE)
    requested = _page_number(query.get("seite", ""))
    page = paginator.get_page(requested)
    if requested > paginator.num_pages and paginator.count:
        ignored.append(_("Seite"))
    results = _results(page, term)
    others = _others(term) if term else []

    link_parameters = QueryDict(mutable=True)
    for name, value in values.items():
        if value and not (name == "sortierung" and value == SORT_NEWEST):
            link_parameters[name] = value
    filtered = any(values[name] for name in ("q", "regierungsbezirk", "landkreis", "art"))

    context = {
        "form": HolderFilterForm(values, areas=form.areas_by_ars.values()),
        "page": page,
        "results": results,
        "elided_pages": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "parameters": link_parameters,
        "filtered": filtered,
        "ignored": ignored,
        "term": term,
        "others": others[:OTHERS_SHOWN],
        "more_others": len(others) > OTHERS_SHOWN,
        "holder_total": Award.objects.valid().count(),
    }
    content = render_to_string("awards/public/_list_content.html", context)
    return _list_title(term, page), content


def _results(page: Page, term: str) -> list[Result]:
    """Wrap the page's awards; with a search, name the member Gemeinden it matched (one query)."""
    results = [Result(award=award) for award in page.object_list]
    vg_ids = [r.award.municipality_id for r in results if r.award.municipality.kind == Kind.VG]
    if not (term and vg_ids):
        return results
    members = Municipality.objects.filter(
        matching(term), verwaltungsgemeinschaft_id__in=vg_ids
    ).order_by("name", "ars")
    by_vg: dict[int, list[Municipality]] = {}
    for member in members:
        by_vg.setdefault(member.verwaltungsgemeinschaft_id, []).append(member)
    for result in results:
        found = by_vg.get(result.award.municipality_id, [])
        result.members = found[:MEMBERS_SHOWN]
        result.more_members = max(len(found) - MEMBERS_SHOWN, 0)
    return results


def _others(term: str) -> list[Municipality]:
    """Kommunen a search names that hold no award, neither themselves nor through their VG."""
    holders = Award.objects.valid().values("municipality")
    return list(
        Municipality.objects.filter(matching(term))
        .exclude(pk__in=holders)
        .exclude(verwaltungsgemeinschaft__in=holders)
        .select_related("landkreis")
        .order_by("name", "ars")[: OTHERS_SHOWN + 1]
    )


def _list_title(term: str, page: Page) -> str:
    parts = []
    if term:
        parts.append(_("Suche „%(term)s“") % {"term": term})
    if page.number > 1:
        parts.append(_("Seite %(number)s") % {"number": page.number})
    parts.append(_("Digitale Ämter in Bayern"))
    parts.append(_("Digitales Amt"))
    return " – ".join(parts)


def municipality_detail(request: HttpRequest, ars: str) -> HttpResponse:
    """Show a Kommune of the register: where it belongs and whether it holds the title."""
    municipality = get_object_or_404(
        Municipality.objects.select_related(
            "regierungsbezirk", "landkreis", "verwaltungsgemeinschaft"
        ).with_progress(),
        ars=ars,
    )
    owners = [municipality.pk]
    if municipality.verwaltungsgemeinschaft_id:
        owners.append(municipality.verwaltungsgemeinschaft_id)
    awards = list(
        Award.objects.filter(municipality_id__in=owners).order_by("-issued_on", "-number")
    )
    own = [award for award in awards if award.municipality_id == municipality.pk]
    award = next((award for award in own if not award.is_revoked), None)
    vg_award = next(
        (
            award
            for award in awards
            if award.municipality_id == municipality.verwaltungsgemeinschaft_id
            and not award.is_revoked
        ),
        None,
    )
    revoked = None if award or vg_award else next(iter(own), None)

    members = []
    area = None
    if municipality.kind == Kind.VG:
        members = list(
            municipality.members.annotate(
                holds=Exists(Award.objects.valid().filter(municipality=OuterRef("pk")))
            ).order_by("name", "ars")
        )
    elif municipality.kind in (Kind.LANDKREIS, Kind.BEZIRK):
        area = _area_counts(municipality)

    missing = max(municipality.threshold - municipality.procedure_count, 0)
    return render(
        request,
        "awards/public/municipality.html",
        {
            "municipality": municipality,
            "award": award,
            "vg_award": vg_award,
            "revoked_award": revoked,
            "members": members,
            "area": area,
            "missing": missing,
            "area_km2": municipality.area_ha / 100 if municipality.area_ha else None,
            "signet_width": documents.SIGNET_DEFAULT_WIDTH,
            "signet_height": documents.signet_height(documents.SIGNET_DEFAULT_WIDTH),
        },
    )


def _area_counts(area: Municipality) -> dict[str, int]:
    """Count the Kommunen in a Landkreis or Regierungsbezirk and their holders (one query)."""
    inside = Q(landkreis=area) if area.kind == Kind.LANDKREIS else Q(regierungsbezirk=area)
    holders = Award.objects.valid().values("municipality")
    return Municipality.objects.filter(inside | Q(pk=area.pk)).aggregate(
        gemeinden=Count("pk", filter=inside & Q(kind__in=GEMEINDE_KINDS)),
        kreisfreie_staedte=Count("pk", filter=inside & Q(kind=Kind.KREISFREIE_STADT)),
        landkreise=Count("pk", filter=inside & Q(kind=Kind.LANDKREIS)),
        vgs=Count("pk", filter=inside & Q(kind=Kind.VG)),
        holders=Count("pk", filter=Q(pk__in=holders)),
    )
