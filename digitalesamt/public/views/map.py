"""The map of holders, drawn on the server as SVG.

Nothing is loaded from a third party: the map is drawn from the coordinates in the register
(every Gemeinde as a faint dot gives Bavaria its shape), so no visitor's address reaches a
tile server. It costs a fixed number of queries however many holders there are, and is drawn
once per data version and language for every process (the shared cache).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import FloatField
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from awards.models import Award
from digitalesamt.lib import charts
from digitalesamt.lib.cache import versioned_value
from digitalesamt.lib.http import conditional
from municipalities.constants import GEMEINDE_KINDS, Kind
from municipalities.models import Municipality

from ..constants import GROUP_OF_KIND, KIND_GROUPS, KindGroup
from ..version import MAX_AGE, public_version

# The data version is part of the key (a rename in the register renews it too), so a new award
# shows at once; the timeout only bounds how long an old version's drawing takes room.
MAP_CACHE_TIMEOUT = 3600


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


def _map_context() -> dict:
    """Return what the map shows: every Gemeinde as a dot and every holder as a link (2 queries)."""
    places = [
        _Place(
            name=name,
            latitude=latitude,
            longitude=longitude,
            population=population or 0,
            kind=kind,
            vg=vg,
            landkreis=landkreis,
            regierungsbezirk=regierungsbezirk,
        )
        for name, latitude, longitude, population, kind, vg, landkreis, regierungsbezirk in (
            Municipality.objects.of_kind(*GEMEINDE_KINDS)
            .filter(latitude__isnull=False, longitude__isnull=False)
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
            )
        )
    ]
    members: dict[str, dict[int, list[_Place]]] = {
        "vg": defaultdict(list),
        "landkreis": defaultdict(list),
        "regierungsbezirk": defaultdict(list),
    }
    for place in places:
        for relation in members:
            if (key := getattr(place, relation)) is not None:
                members[relation][key].append(place)

    projection = charts.BAVARIA
    awards = (
        Award.objects.valid()
        .select_related("municipality")
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
    }


@require_safe
@conditional(public_version, max_age=MAX_AGE)
def holder_map(request: HttpRequest) -> HttpResponse:
    """Show every holder as a point on a map of Bavaria that links to its Kommune page."""
    # The same for every visitor of a version and language: drawn once for all processes.
    key = f"public:map:{request.version.token}:{translation.get_language()}"
    context = versioned_value(key, _map_context, timeout=MAP_CACHE_TIMEOUT)
    return render(request, "public/map.html", context)
