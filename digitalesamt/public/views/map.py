"""The map of holders, drawn on the server as SVG.

Nothing is loaded from a third party: the map is drawn from the coordinates in the register
(every Gemeinde as a faint dot gives Bavaria its shape), so no visitor's address reaches a
tile server. It costs a fixed number of queries however many holders there are, and is drawn
once per data version and language for every process (the shared cache).

Each Regierungsbezirk has a map of its own (`/karte/<slug>/`): the same drawing on a
projection fitted to the coordinates of its Gemeinden, so that points that lie on top of each
other on a phone's map of Bavaria are apart, without JavaScript.

The drawing is a document of its own (`karte.<language>.svg` beside the page), embedded with
<object>: every point stays a link (to the top window), with its name on hover and focus, but
the page is small (about 1 MB of points at full size before, issue 15) and the drawing, the
same for everybody, is built and gzipped once per version and kept by the browser by its ETag.
Only the map pages may embed an object, only from this site; only this site may embed the
drawing; and the drawing may load nothing but its stylesheets and fonts (see `map_svg`).
"""

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import FloatField, Q
from django.db.models.functions import Cast
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.csp import CSP
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe

from awards.models import Award
from digitalesamt.lib import charts
from digitalesamt.lib.cache import versioned_value
from digitalesamt.lib.http import Version, conditional, digest, shared_page, versioned_response
from municipalities.constants import GEMEINDE_KINDS, Kind
from municipalities.models import Municipality

from ..constants import GROUP_OF_KIND, KIND_GROUPS, KindGroup
from ..version import MAX_AGE, public_version

# The data version is part of the key (a rename in the register renews it too), so a new award
# shows at once; the timeout only bounds how long an old version's drawing takes room.
MAP_CACHE_TIMEOUT = 3600
# Room around a Bezirk's outermost Gemeinden, in degrees of latitude (longitude: over cos).
BEZIRK_PADDING = 0.06
# What the drawing (a document of its own) loads: the font and its own stylesheet. An SVG
# served by us takes its styles from the site, never from a <style> of its own (CSP).
MAP_STYLESHEETS = ("vendor/kern/fonts/fira-sans.css", "css/map.css")

# The map pages' policy is the site's with one source more: <object> may show a document of
# this site (the drawing). Nothing else on these pages could add one: they hold no markup
# from anybody but the templates, and scripts stay limited to the nonce.
PAGE_POLICY = {**settings.SECURE_CSP, "object-src": [CSP.SELF]}
# The drawing's own policy allows what it needs and no more: no script, no image, no form,
# no connection; its stylesheets and their fonts from this site; and it may be embedded by
# this site's pages only (frame-ancestors; X-Frame-Options SAMEORIGIN for older browsers),
# so other sites still cannot frame anything of ours. It holds links and nothing to click
# that acts, so framing it by our own pages cannot be turned against a visitor.
DRAWING_POLICY = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
    "frame-ancestors": [CSP.SELF],
}


@dataclass(frozen=True)
class BezirkMap:
    pk: int
    name: str
    slug: str
    url: str


def bezirk_map_url(name: str) -> str:
    """Return the address of a Regierungsbezirk's map: /karte/<its name as a slug>/."""
    return reverse("awards:bezirk_map", args=[slugify(name)])


def _bezirk_map(pk: int, name: str) -> BezirkMap:
    return BezirkMap(pk, name, slugify(name), bezirk_map_url(name))


def bezirk_maps() -> list[BezirkMap]:
    """Return the Regierungsbezirke with the address of their map, in the official order."""
    rows = Municipality.objects.of_kind(Kind.BEZIRK).order_by("ars").values_list("pk", "name")
    return [_bezirk_map(pk, name) for pk, name in rows]


def bezirk_projection(places: list["_Place"]) -> charts.Projection:
    """Fit the map's projection to the places (a Bezirk's Gemeinden), with a margin."""
    if not places:
        return charts.BAVARIA
    cosine = math.cos(math.radians(charts.MAP_REFERENCE_LATITUDE))
    return charts.Projection(
        south=min(place.latitude for place in places) - BEZIRK_PADDING,
        north=max(place.latitude for place in places) + BEZIRK_PADDING,
        west=min(place.longitude for place in places) - BEZIRK_PADDING / cosine,
        east=max(place.longitude for place in places) + BEZIRK_PADDING / cosine,
    )


@dataclass(frozen=True)
class MapPoint:
    url: str
    name: str  # "Hösbach", shown next to the point on hover and focus (the shape tells the kind)
    label: str  # the accessible name: name and date of the award
    x: float
    y: float
    group: KindGroup
    label_anchor: str  # "start" (label right of the point) or "end" (left of it)


@dataclass(frozen=True)
class _Place:
    name: str
    latitude: float
    longitude: float
    population: int
    kind: str
    vg: int | None
    landkreis: int | None
    regierungsbezirk: int | None


def _squeeze(name: str) -> str:
    return "".join(name.split()).casefold()


def _position(municipality: Municipality, members: dict[str, dict[int, list[_Place]]]):
    """Return (latitude, longitude) of a Kommune, or None if it cannot be placed.

    The register gives every Gemeinde coordinates, and the importer puts a VG, Landkreis or
    Bezirk at its seat; should one lack them, place it at the Gemeinde named as its seat
    among its own Gemeinden or else at the mean of those.
    """
    if municipality.latitude is not None and municipality.longitude is not None:
        return float(municipality.latitude), float(municipality.longitude)
    relation = {Kind.VG: "vg", Kind.LANDKREIS: "landkreis", Kind.BEZIRK: "regierungsbezirk"}
    if municipality.kind not in relation:
        return None
    own = members[relation[municipality.kind]].get(municipality.pk, [])
    seat = [place for place in own if _squeeze(place.name) == _squeeze(municipality.seat)]
    if seat:
        return seat[0].latitude, seat[0].longitude
    return charts.mean_position([(place.latitude, place.longitude) for place in own])


def _map_context(bezirk: BezirkMap | None = None) -> dict:
    """Return what the map shows: every Gemeinde as a dot and every holder as a link (2 queries).

    With `bezirk`, only its Gemeinden and holders (the Bezirk itself among them), on a
    projection fitted to them.
    """
    gemeinden = Municipality.objects.of_kind(*GEMEINDE_KINDS)
    awards = Award.objects.valid()
    if bezirk is not None:
        gemeinden = gemeinden.filter(regierungsbezirk=bezirk.pk)
        awards = awards.filter(
            Q(municipality__regierungsbezirk=bezirk.pk) | Q(municipality=bezirk.pk)
        )
    rows = (
        gemeinden.filter(latitude__isnull=False, longitude__isnull=False)
        .order_by("ars")
        .values_list(
            "name",
            # Floats straight from the database: 2,000 Decimals cost more than the query.
            Cast("latitude", FloatField()),
            Cast("longitude", FloatField()),
            "population",
            "kind",
            "verwaltungsgemeinschaft",
            "landkreis",
            "regierungsbezirk",
            "regierungsbezirk__name",
        )
    )
    places = []
    # The Bezirke in the order of their Gemeinden's ARS, which is the official one.
    bezirk_names: dict[int, str] = {}
    for name, latitude, longitude, population, kind, vg, landkreis, bezirk_pk, bezirk_name in rows:
        places.append(
            _Place(
                name=name,
                latitude=latitude,
                longitude=longitude,
                population=population or 0,
                kind=kind,
                vg=vg,
                landkreis=landkreis,
                regierungsbezirk=bezirk_pk,
            )
        )
        if bezirk_pk is not None:
            bezirk_names.setdefault(bezirk_pk, bezirk_name)
    members: dict[str, dict[int, list[_Place]]] = {
        "vg": defaultdict(list),
        "landkreis": defaultdict(list),
        "regierungsbezirk": defaultdict(list),
    }
    for place in places:
        for relation in members:
            if (key := getattr(place, relation)) is not None:
                members[relation][key].append(place)

    projection = charts.BAVARIA if bezirk is None else bezirk_projection(places)
    awards = (
        awards.select_related("municipality")
        .only(
            "number",
            "issued_on",
            "municipality__ars",
            "municipality__name",
            "municipality__register_name",
            "municipality__kind",
            "municipality__seat",
            "municipality__latitude",
            "municipality__longitude",
        )
        .order_by("municipality__name", "municipality__ars")
    )
    # One reverse() for all points: the ARS is the only part that changes.
    placeholder = "0" * 12
    url_pattern = reverse("awards:municipality", args=[placeholder])
    points: list[MapPoint] = []
    unplaced = 0
    dates: dict[datetime.date, str] = {}  # many awards share a day; formatting is not free
    for award in awards:
        municipality = award.municipality
        position = _position(municipality, members)
        if position is None:
            unplaced += 1
            continue
        x, y = projection(*position)
        if (issued_on := dates.get(award.issued_on)) is None:
            issued_on = dates[award.issued_on] = date_format(award.issued_on, "DATE_FORMAT")
        title = municipality.title
        points.append(
            MapPoint(
                url=url_pattern.replace(placeholder, municipality.ars),
                name=municipality.name,
                label=_("%(name)s, ausgezeichnet am %(date)s") % {"name": title, "date": issued_on},
                x=x,
                y=y,
                group=GROUP_OF_KIND[municipality.kind],
                label_anchor="end" if x > projection.width * 0.68 else "start",
            )
        )
    # By name for the list beside a Bezirk's map (the awards come in that order).
    sorted_points = list(points)
    # Larger markers first, so that a Kommune at its Landkreis's seat stays visible on top.
    drawing_order = {group.key: index for index, group in enumerate(reversed(KIND_GROUPS))}
    points.sort(key=lambda point: drawing_order[point.group.key])

    cities = sorted(
        (place for place in places if place.kind == Kind.KREISFREIE_STADT),
        key=lambda place: (-place.population, place.name),
    )
    city_labels = charts.spread_labels(
        [(place.name, *projection(place.latitude, place.longitude)) for place in cities],
        distance=projection.width * 0.14,
        limit=9,
    )
    legend = [
        {
            "group": group,
            "path": charts.marker_path(group.shape),
            "count": sum(1 for point in points if point.group is group),
        }
        for group in KIND_GROUPS
    ]
    return {
        "map_width": projection.width,
        "map_height": projection.height,
        "dots": charts.dots_path(projection(p.latitude, p.longitude) for p in places),
        "points": points,
        "sorted_points": sorted_points if bezirk else [],
        "marker_paths": {group.key: charts.marker_path(group.shape) for group in KIND_GROUPS},
        "legend": legend,
        "cities": [
            {
                "name": name,
                "x": x,
                "y": y,
                "anchor": "end" if x > projection.width * 0.8 else "start",
            }
            for name, x, y in city_labels
        ],
        "placed_count": len(points),
        "unplaced_count": unplaced,
        "bezirke": [_bezirk_map(pk, name) for pk, name in bezirk_names.items()],
        # A tall Bezirk (Schwaben) is drawn narrower on a wide screen, so that it fits.
        "portrait": projection.height > projection.width * 1.3,
    }


def _drawn(request: HttpRequest, bezirk: BezirkMap | None) -> dict:
    """The map's context, the same for every visitor of a version and language: drawn once.

    Keyed by the data version alone, so that the page and its drawing share it.
    """
    part = bezirk.slug if bezirk else "bayern"
    token = getattr(request, "data_version", request.version).token
    key = f"public:map:{part}:{token}:{translation.get_language()}"
    return versioned_value(key, lambda: _map_context(bezirk), timeout=MAP_CACHE_TIMEOUT)


def _page(request: HttpRequest, bezirk: BezirkMap | None) -> dict:
    """What the page shows beside the drawing: counts, legend, the list (built once too)."""
    part = bezirk.slug if bezirk else "bayern"
    key = f"public:map:page:{part}:{request.version.token}:{translation.get_language()}"

    def build() -> dict:
        drawn = _drawn(request, bezirk)
        return {
            name: drawn[name]
            for name in (
                "map_width",
                "map_height",
                "legend",
                "placed_count",
                "unplaced_count",
                "bezirke",
                "portrait",
            )
        } | {
            # A Bezirk's points as links (Oberbayern: 586), escaped once per version.
            "listed": format_html_join(
                "\n",
                '<li><a class="kern-link" href="{}">{}</a></li>',
                ((point.url, point.label) for point in drawn["sorted_points"]),
            )
        }

    return versioned_value(key, build, timeout=MAP_CACHE_TIMEOUT)


def _bezirk(request: HttpRequest, slug: str) -> tuple[BezirkMap, list[BezirkMap]]:
    """Return the Bezirk of `slug` and all seven (kept with the drawings), or answer 404."""
    key = f"public:map:bezirke:{request.version.token}"
    bezirke = versioned_value(key, bezirk_maps, timeout=MAP_CACHE_TIMEOUT)
    bezirk = next((bezirk for bezirk in bezirke if bezirk.slug == slug), None)
    if bezirk is None:
        raise Http404
    return bezirk, bezirke


def _drawing_url(bezirk: BezirkMap | None) -> str:
    language = translation.get_language()
    if bezirk is None:
        return reverse("awards:map_svg", args=[language])
    return reverse("awards:bezirk_map_svg", args=[bezirk.slug, language])


def _render_page(request: HttpRequest, bezirk: BezirkMap | None, **context) -> HttpResponse:
    page = _page(request, bezirk)
    context |= {"bezirk": bezirk, "drawing_url": _drawing_url(bezirk)}
    return render(request, "public/map.html", {**page, **context})


@require_safe
@csp_override(PAGE_POLICY)
@conditional(public_version, max_age=MAX_AGE)
@shared_page("public:map:page", timeout=MAP_CACHE_TIMEOUT)
def holder_map(request: HttpRequest) -> HttpResponse:
    """Show every holder as a point on a map of Bavaria that links to its Kommune page."""
    return _render_page(request, None)


@require_safe
@csp_override(PAGE_POLICY)
@conditional(public_version, max_age=MAX_AGE)
@shared_page("public:map:page", timeout=MAP_CACHE_TIMEOUT)
def bezirk_map(request: HttpRequest, slug: str) -> HttpResponse:
    """Show the holders of one Regierungsbezirk on a map of it alone."""
    bezirk, bezirke = _bezirk(request, slug)
    return _render_page(request, bezirk, bezirke=bezirke)


def _stylesheets() -> list[str]:
    return [static(path) for path in MAP_STYLESHEETS]


def drawing_version(request: HttpRequest, *args: object, **kwargs: object) -> Version:
    """The data version, and the stylesheets' addresses, which change with a new deployment.

    The data version alone stays on the request (`data_version`) for the drawn context.
    """
    request.data_version = public_version(request)
    return request.data_version.combine(digest("|".join(_stylesheets()), 16))


def _drawing(request: HttpRequest, bezirk: BezirkMap | None, language: str) -> HttpResponse:
    """Answer with the drawing, in the language its address names, built once per version."""
    if language not in dict(settings.LANGUAGES):
        raise Http404
    part = bezirk.slug if bezirk else "bayern"
    key = f"public:map:svg:{part}:{request.version.token}:{language}"

    def build() -> bytes:
        with translation.override(language):
            context = {
                **_drawn(request, bezirk),
                "bezirk": bezirk,
                "stylesheets": _stylesheets(),
                "language": language,
            }
            return render_to_string("public/map.svg", context).encode()

    return versioned_response(
        request, key, build, timeout=MAP_CACHE_TIMEOUT, content_type="image/svg+xml"
    )


def map_svg(view):
    """The drawing's headers: its own narrow policy, framed by our pages only, one ETag."""
    conditioned = conditional(drawing_version, max_age=MAX_AGE, per_visitor=False)(view)
    return require_safe(csp_override(DRAWING_POLICY)(xframe_options_sameorigin(conditioned)))


@map_svg
def holder_map_svg(request: HttpRequest, language: str) -> HttpResponse:
    """The map of Bavaria as a document of its own: every holder a link to its Kommune page."""
    return _drawing(request, None, language)


@map_svg
def bezirk_map_svg(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    """The map of one Regierungsbezirk as a document of its own."""
    bezirk, _bezirke = _bezirk(request, slug)
    return _drawing(request, bezirk, language)
