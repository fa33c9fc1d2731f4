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

from django.core.paginator import Page, Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from awards.models import Award
from digitalesamt.lib.cache import versioned_bytes
from digitalesamt.lib.http import Version, conditional, digest, is_plain_visitor
from municipalities.constants import GEMEINDE_KINDS, Kind
from municipalities.models import Municipality

from ..forms import SORT_NEWEST, SORT_ORDERS, HolderFilterForm
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


def list_version(request: HttpRequest) -> Version:
    """Return the version of one list page: the awards' and the normalized query string."""
    return public_version(request).combine(_normalized_parameters(request))


@require_safe
@conditional(list_version, max_age=LIST_MAX_AGE)
def holder_list(request: HttpRequest) -> HttpResponse:
    """List every current holder with search, filters, sort order and pages."""
    key = digest(f"{request.version.token}|{translation.get_language()}", 64)
    if not is_plain_visitor(request):
        title, content = _results_region(request, key)
        return render(request, "public/list.html", {"title": title, "content": content})

    def build_page() -> bytes:
        title, content = _results_region(request, key)
        context = {"title": title, "content": content}
        return render_to_string("public/list.html", context, request=request).encode()

    # The whole page, keyed by the full path too: the language form returns to it.
    page_key = f"public:holders:page:{key}:{digest(request.get_full_path(), 64)}"
    return HttpResponse(versioned_bytes(page_key, build_page, timeout=LIST_CACHE_TIMEOUT))


def _results_region(request: HttpRequest, key: str) -> tuple[str, str]:
    """Return the title and the HTML inside <main>, from the cache or freshly rendered."""

    def build() -> bytes:
        # Rendered from the normalized parameters, so the region is what its key says.
        return json.dumps(_render_results(QueryDict(_normalized_parameters(request)))).encode()

    region = versioned_bytes(f"public:holders:region:{key}", build, timeout=LIST_CACHE_TIMEOUT)
    title, content = json.loads(region)
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
        inside = Municipality.objects.in_regierungsbezirk(bezirk.pk)
        awards = awards.filter(municipality__in=inside.values("pk"))
    if landkreis := form.areas_by_ars.get(values["landkreis"]):
        inside = Municipality.objects.in_landkreis(landkreis.pk)
        awards = awards.filter(municipality__in=inside.values("pk"))
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
    content = render_to_string("public/_list_content.html", context)
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
