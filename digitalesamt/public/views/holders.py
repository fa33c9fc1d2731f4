"""The public list of holders: search, filters, sort order and pages, all in the query string.

The list is the site's busiest page. Its results region (everything inside <main>) depends only
on the awards, the register, the language and the query string, so it is rendered once per data
version and kept in the shared cache (digitalesamt.lib.cache); the version is part of every
key, so a new or revoked award shows at once. The page around it differs per visitor only by
the user menu and pending messages: a visitor without a session or messages cookie gets the
whole page from the cache (one query for the version and one cache read, none if the process
holds the page in memory), anyone else the cached results region inside a page rendered for
them. Neither cache ever holds a CSRF token, a user's name or a message.
"""

import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from awards.models import Award
from digitalesamt.lib.cache import versioned_bytes
from digitalesamt.lib.http import Version, conditional, digest, shared_page
from municipalities.constants import Kind
from municipalities.models import Municipality

from ..forms import SORT_NEWEST, SORT_ORDERS, HolderFilterForm
from ..kommune_search import Entry, Found, find_cached
from ..version import public_version

PAGE_SIZE = 25
# Parameters of the list's query string; anything else is ignored (and does not split the cache).
LIST_PARAMETERS = ("q", "regierungsbezirk", "landkreis", "art", "sortierung", "seite")
# The data version is part of every cache key, so a new or revoked award is visible at once;
# the timeout only bounds how long an entry of an old version takes room.
LIST_CACHE_TIMEOUT = 300
LIST_MAX_AGE = 60
# How many member Gemeinden a result names before "and N more".
MEMBERS_SHOWN = 3
# How many Kommunen without the title a search lists below the results.
OTHERS_SHOWN = 10


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


def list_version(request: HttpRequest) -> Version:
    """Return the version of one list page: the awards' and the normalized query string."""
    return public_version(request).combine(_normalized_parameters(request))


@require_safe
@conditional(list_version, max_age=LIST_MAX_AGE)
@shared_page("public:holders", timeout=LIST_CACHE_TIMEOUT, parameters=_normalized_parameters)
def holder_list(request: HttpRequest) -> HttpResponse:
    """List every current holder with search, filters, sort order and pages.

    The caches are keyed by the data version, the language and the normalized parameters
    alone (LIST_PARAMETERS in a fixed order), so a reordered query string or one with a
    tracking parameter (`fbclid`, `utm_source`) is the same page, and so are its canonical
    link and the address the language switch returns to. A visitor without a session gets
    the whole page kept (`shared_page`), anyone else the kept results region in their page.
    """
    key = digest(f"{request.version.token}|{translation.get_language()}", 64)
    return render(request, "public/list.html", _page_context(request, key))


def _page_context(request: HttpRequest, key: str) -> dict[str, object]:
    title, content, canonical = _results_region(request, key)
    path = "/" + (f"?{canonical}" if canonical else "")
    return {
        "title": title,
        "content": content,
        "canonical_url": settings.SITE_URL + path,
        "language_next": path,
    }


def _results_region(request: HttpRequest, key: str) -> tuple[str, str, str]:
    """Return the title, the HTML inside <main> and the canonical query string, cached."""

    def build() -> bytes:
        # Rendered from the normalized parameters, so the region is what its key says.
        parameters = _normalized_parameters(request)
        # The data version without the query string (list_version appends it).
        data_token = request.version.token.removesuffix(f"|{parameters}")
        return json.dumps(_render_results(QueryDict(parameters), data_token)).encode()

    region = versioned_bytes(f"public:holders:results:{key}", build, timeout=LIST_CACHE_TIMEOUT)
    title, content, canonical = json.loads(region)
    return title, mark_safe(content), canonical  # noqa: S308 - rendered by our own template


def _render_results(query: QueryDict, token: str) -> tuple[str, str, str]:
    """Render the results region for a query string; nothing in it depends on the visitor.

    Also return the page's canonical query string: the valid values, without the default
    order and the first page.
    """
    areas = Municipality.objects.of_kind(Kind.BEZIRK, Kind.LANDKREIS).order_by("ars")
    form = HolderFilterForm(query, areas=areas)
    values = form.valid_values()
    ignored = form.ignored_labels()
    term = values["q"]
    sort = values["sortierung"] or SORT_NEWEST

    awards = Award.objects.valid()
    # Without a term nothing is searched; the hint on postal codes then needs no caveat.
    found = find_cached(term, token) if term else Found(postcodes=True)
    if term:
        awards = awards.filter(found.holders())
    if bezirk := form.areas_by_ars.get(values["regierungsbezirk"]):
        inside = Municipality.objects.in_regierungsbezirk(bezirk.pk)
        awards = awards.filter(municipality__in=inside.values("pk"))
    if landkreis := form.areas_by_ars.get(values["landkreis"]):
        inside = Municipality.objects.in_landkreis(landkreis.pk)
        awards = awards.filter(municipality__in=inside.values("pk"))
    if values["art"]:
        awards = awards.filter(municipality__kind=values["art"])
    # With a term, the best matches first ("Coburg": the Stadt, then the Landkreis), each rank
    # in the chosen order.
    order = (found.holder_order(), *SORT_ORDERS[sort]) if term else SORT_ORDERS[sort]
    awards = awards.select_related(
        "municipality", "municipality__landkreis", "municipality__regierungsbezirk"
    ).order_by(*order)

    paginator = Paginator(awards, PAGE_SIZE)
    requested = _page_number(query.get("seite", ""))
    page = paginator.get_page(requested)
    if requested > paginator.num_pages and paginator.count:
        ignored.append(_("Seite"))
    results = _results(page, found)
    others = _others(found) if term else []

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
        "suggestions": _suggestions(found.areas) if term else [],
        "postcodes": found.postcodes,
    }
    content = render_to_string("public/_list_content.html", context)
    canonical = link_parameters.copy()
    if page.number > 1:
        canonical["seite"] = str(page.number)
    return _list_title(term, page), content, canonical.urlencode()


def _results(page: Page, found: Found) -> list[Result]:
    """Wrap the page's awards; with a search, name the member Gemeinden it matched (one query)."""
    results = [Result(award=award) for award in page.object_list]
    vg_ids = [r.award.municipality_id for r in results if r.award.municipality.kind == Kind.VG]
    if not (found.ranks and vg_ids):
        return results
    members = Municipality.objects.filter(
        pk__in=list(found.ranks), verwaltungsgemeinschaft_id__in=vg_ids
    ).order_by(found.order(), "name", "ars")
    by_vg: dict[int, list[Municipality]] = {}
    for member in members:
        by_vg.setdefault(member.verwaltungsgemeinschaft_id, []).append(member)
    for result in results:
        found = by_vg.get(result.award.municipality_id, [])
        result.members = found[:MEMBERS_SHOWN]
        result.more_members = max(len(found) - MEMBERS_SHOWN, 0)
    return results


def _others(found: Found) -> list[Municipality]:
    """Kommunen a search names that hold no award, neither themselves nor through their VG."""
    if not found.ranks:
        return []
    holders = Award.objects.valid().values("municipality")
    return list(
        Municipality.objects.filter(pk__in=list(found.ranks))
        .exclude(pk__in=holders)
        .exclude(verwaltungsgemeinschaft__in=holders)
        .select_related("landkreis")
        .order_by(found.order(), "name", "ars")[: OTHERS_SHOWN + 1]
    )


@dataclass
class Suggestion:
    """The list filtered by an area a search names: "6 Digitale Ämter im Landkreis Coburg"."""

    text: str
    parameter: str
    ars: str


def _suggestions(areas: list[Entry]) -> list[Suggestion]:
    """Offer the filter of each Landkreis and Regierungsbezirk a term names (one query)."""
    if not areas:
        return []
    counts = Award.objects.valid().aggregate(
        **{
            f"area_{area.pk}": Count(
                "pk",
                filter=Q(municipality_id=area.pk)
                | Q(
                    **{
                        "municipality__landkreis_id"
                        if area.kind == Kind.LANDKREIS
                        else "municipality__regierungsbezirk_id": area.pk
                    }
                ),
            )
            for area in areas
        }
    )
    suggestions = []
    for area in areas:
        count = counts[f"area_{area.pk}"]
        if not count:
            continue
        values = {"count": count, "name": area.name}
        if area.kind == Kind.LANDKREIS:
            text = ngettext(
                "%(count)s Digitales Amt im Landkreis %(name)s",
                "%(count)s Digitale Ämter im Landkreis %(name)s",
                count,
            )
            parameter = "landkreis"
        else:
            text = ngettext(
                "%(count)s Digitales Amt in %(name)s", "%(count)s Digitale Ämter in %(name)s", count
            )
            parameter = "regierungsbezirk"
        suggestions.append(Suggestion(text % values, parameter, area.ars))
    return suggestions


def _list_title(term: str, page: Page) -> str:
    parts = []
    if term:
        parts.append(_("Suche „%(term)s“") % {"term": term})
    if page.number > 1:
        parts.append(_("Seite %(number)s") % {"number": page.number})
    parts.append(_("Digitale Ämter in Bayern"))
    parts.append(_("Digitales Amt"))
    return " – ".join(parts)
