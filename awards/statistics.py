"""The map of holders and the statistics, drawn on the server as SVG.

Nothing is loaded from a third party: the map is drawn from the coordinates in the register
(every Gemeinde as a faint dot gives Bavaria its shape), so no visitor's address reaches a
tile server. Both pages cost a fixed number of queries however many holders there are, and
send ETag, Last-Modified and Cache-Control from the version of the data they show.
"""

import datetime
import hashlib
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import wraps

from django.db.models import Case, Count, Exists, F, FloatField, Max, Min, OuterRef, Q, When
from django.db.models.functions import Cast, TruncMonth
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.formats import date_format, number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import condition, require_safe

from municipalities.models import GEMEINDE_KINDS, Kind, Municipality

from . import charts
from .models import Award

# Public caches and browsers may keep a page this long before they ask again.
MAX_AGE = 300

# "Close to the threshold": at least this share of it (4/5 = 80 %), but below it.
NEAR_NUMERATOR, NEAR_DENOMINATOR = 4, 5


@dataclass(frozen=True)
class KindGroup:
    """Kinds of Kommune shown together on the map and in the statistics, with one marker shape."""

    key: str
    label: Promise
    kinds: tuple[str, ...]
    shape: str


KIND_GROUPS = (
    KindGroup("gemeinde", gettext_lazy("Gemeinden, Märkte und Städte"), GEMEINDE_KINDS, "circle"),
    KindGroup("vg", gettext_lazy("Verwaltungsgemeinschaften"), (Kind.VG,), "diamond"),
    KindGroup("landkreis", gettext_lazy("Landkreise"), (Kind.LANDKREIS,), "square"),
    KindGroup("bezirk", gettext_lazy("Bezirke"), (Kind.BEZIRK,), "triangle"),
)
GROUP_OF_KIND = {kind: group for group in KIND_GROUPS for kind in group.kinds}


# Caching: the pages change when the data they show changes, and per language and user (the
# header shows the language switch and who is signed in).


@dataclass(frozen=True)
class DataVersion:
    last_modified: datetime.datetime | None
    token: str


def awards_version() -> DataVersion:
    """Return the version of the awards (one query)."""
    version = Award.objects.version()
    return DataVersion(version.latest, version.token)


def statistics_version() -> DataVersion:
    """Return the version of the statistics: the awards and the current five minutes.

    The number of Kommunen close to the threshold follows their procedures and the
    thresholds, which change all the time. Rather than scan every procedure link to version
    them, the statistics take a new version every MAX_AGE seconds, the time a cache may keep
    them anyway.
    """
    awards = awards_version()
    now = timezone.now()
    bucket = int(now.timestamp()) // MAX_AGE
    started = datetime.datetime.fromtimestamp(bucket * MAX_AGE, tz=datetime.UTC)
    last = max(filter(None, [awards.last_modified, started]))
    return DataVersion(last, f"{awards.token}|{bucket}")


def cached_by_version(version: Callable[[], DataVersion]):
    """Serve a page with ETag, Last-Modified and Cache-Control; answer 304 while it is unchanged.

    The version is computed once per request. The ETag also covers the language and the user,
    since the header shows both; a signed-in user's page is cached privately only.
    """

    def page_version(request: HttpRequest) -> DataVersion:
        if not hasattr(request, "_data_version"):
            request._data_version = version()
        return request._data_version

    def etag(request: HttpRequest, *args, **kwargs) -> str:
        user = request.user.pk if request.user.is_authenticated else "-"
        token = f"{page_version(request).token}|{translation.get_language()}|{user}"
        return hashlib.sha256(token.encode()).hexdigest()[:32]

    def last_modified(request: HttpRequest, *args, **kwargs) -> datetime.datetime | None:
        return page_version(request).last_modified

    def decorator(view):
        conditional = condition(etag_func=etag, last_modified_func=last_modified)(view)

        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            response = conditional(request, *args, **kwargs)
            if request.user.is_authenticated:
                patch_cache_control(response, private=True, max_age=MAX_AGE)
            else:
                patch_cache_control(response, public=True, max_age=MAX_AGE)
            patch_vary_headers(response, ("Cookie", "Accept-Language"))
            return response

        return wrapper

    return decorator


# The map.


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
@cached_by_version(awards_version)
def holder_map(request: HttpRequest) -> HttpResponse:
    """Show every holder as a point on a map of Bavaria that links to its Kommune page."""
    return render(request, "awards/public/map.html", _map_context())


# The statistics.


def _percent_label(value: float, decimals: int = 1) -> str:
    """Return "15,8 %" in German, "15.8%" in English; rounded half up (number_format cuts)."""
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return _("%(percent)s %%") % {"percent": number_format(rounded, decimals)}


def _count_label(value: int) -> str:
    return number_format(value, force_grouping=True)


def _near_range(low_threshold: int, high_threshold: int) -> str:
    """Return the counts that are close to the thresholds of a group: "40–49" for 50."""
    low = math.ceil(low_threshold * NEAR_NUMERATOR / NEAR_DENOMINATOR)
    return f"{low}–{high_threshold - 1}"


def _holders_by_bezirk_and_kind() -> list[dict]:
    """Count the valid awards by kind and Regierungsbezirk (a Bezirk counts in its own area)."""
    return list(
        Award.objects.valid()
        .order_by()
        .values(
            kind=F("municipality__kind"),
            bezirk=Case(
                When(municipality__kind=Kind.BEZIRK, then=F("municipality")),
                default=F("municipality__regierungsbezirk"),
            ),
        )
        .annotate(holders=Count("pk"))
    )


def _municipalities_by_kind() -> dict[str, dict]:
    """Count per kind: Kommunen, holders, Gemeinden covered by their VG, and those close to
    the threshold or past it without the award (one query, the counting rule of
    `with_progress`)."""
    holds = Award.objects.valid().filter(municipality=OuterRef("pk"))
    covered = Award.objects.valid().filter(municipality=OuterRef("verwaltungsgemeinschaft"))
    without_award = Q(holds_award=False, vg_holds_award=False)
    rows = (
        Municipality.objects.with_progress()
        .annotate(
            holds_award=Exists(holds),
            vg_holds_award=Exists(covered),
            scaled_count=F("procedure_count") * NEAR_DENOMINATOR,
            scaled_threshold=F("threshold") * NEAR_NUMERATOR,
        )
        .order_by()
        .values("kind")
        .annotate(
            total=Count("pk"),
            holders=Count("pk", filter=Q(holds_award=True)),
            covered=Count("pk", filter=Q(holds_award=False, vg_holds_award=True)),
            near=Count(
                "pk",
                filter=without_award
                & Q(scaled_count__gte=F("scaled_threshold"), procedure_count__lt=F("threshold")),
            ),
            ready=Count("pk", filter=without_award & Q(procedure_count__gte=F("threshold"))),
            threshold_min=Min("threshold"),
            threshold_max=Max("threshold"),
        )
    )
    return {row["kind"]: row for row in rows}


def _months(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months = []
    month = first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def _awards_over_time() -> list[dict]:
    """Return every month from the first award to this one with its awards and the running total."""
    per_month = {
        row["month"]: row["awards"]
        for row in Award.objects.valid()
        .annotate(month=TruncMonth("issued_on"))
        .order_by()
        .values("month")
        .annotate(awards=Count("pk"))
    }
    if not per_month:
        return []
    first, last = min(per_month), max(per_month)
    rows, running = [], 0
    for month in _months(first, max(last, timezone.localdate())):
        running += per_month.get(month, 0)
        rows.append(
            {
                "month": month,
                "label": date_format(month, "YEAR_MONTH_FORMAT"),
                "awards": per_month.get(month, 0),
                "total": running,
            }
        )
    return rows


def _statistics_context() -> dict:
    """Return the figures and charts of the statistics page (4 queries)."""
    bezirke = list(
        Municipality.objects.of_kind(Kind.BEZIRK).order_by("ars").values_list("pk", "name")
    )
    by_bezirk_and_kind = _holders_by_bezirk_and_kind()
    by_kind = _municipalities_by_kind()
    over_time = _awards_over_time()

    holders_total = sum(row["holders"] for row in by_bezirk_and_kind)

    # Holders per Regierungsbezirk, in the official order; holders without one last.
    per_bezirk: dict[int | None, int] = defaultdict(int)
    for row in by_bezirk_and_kind:
        per_bezirk[row["bezirk"]] += row["holders"]
    known = {pk for pk, _name in bezirke}
    bezirk_rows = [(name, per_bezirk.get(pk, 0)) for pk, name in bezirke]
    unassigned = sum(count for pk, count in per_bezirk.items() if pk not in known)
    if unassigned:
        bezirk_rows.append((_("ohne Regierungsbezirk"), unassigned))

    # Holders per kind, with every kind's number of Kommunen.
    kind_rows = []
    for kind, label in Kind.choices:
        row = by_kind.get(kind, {})
        total, holders = row.get("total", 0), row.get("holders", 0)
        kind_rows.append(
            {
                "label": label,
                "holders": holders,
                "total": total,
                "share": _percent_label(charts.percent(holders, total)),
            }
        )

    # Share of Kommunen awarded, per kind group and in all.
    group_rows = []
    for group in KIND_GROUPS:
        rows = [by_kind[kind] for kind in group.kinds if kind in by_kind]
        thresholds = [row["threshold_min"] for row in rows] + [row["threshold_max"] for row in rows]
        group_rows.append(
            {
                "group": group,
                "label": group.label,
                "total": sum(row["total"] for row in rows),
                "holders": sum(row["holders"] for row in rows),
                "covered": sum(row["covered"] for row in rows),
                "near": sum(row["near"] for row in rows),
                "ready": sum(row["ready"] for row in rows),
                "threshold": min(thresholds) if thresholds else None,
                "near_range": _near_range(min(thresholds), max(thresholds)) if thresholds else "",
            }
        )
    all_row = {
        "label": _("Alle Kommunen"),
        **{
            key: sum(row[key] for row in group_rows)
            for key in ("total", "holders", "covered", "near", "ready")
        },
    }
    for row in [*group_rows, all_row]:
        row["holders_share"] = _percent_label(charts.percent(row["holders"], row["total"]))
        row["covered_share"] = _percent_label(charts.percent(row["covered"], row["total"]))
    share_items = [
        charts.ShareItem(
            label=str(row["label"]),
            total=row["total"],
            parts=(row["holders"], row["covered"]),
            value_label=row["holders_share"],
            note=_("zusätzlich %(share)s über ihre VG") % {"share": row["covered_share"]}
            if row["covered"]
            else "",
        )
        for row in [*group_rows, all_row]
        if row["total"]
    ]

    # Awards over time: columns per month, and the running total as a line.
    marks = [
        (index, str(row["month"].year))
        for index, row in enumerate(over_time)
        if index == 0 or row["month"].month == 1
    ]
    monthly_chart = charts.column_chart(
        [(row["label"], row["awards"]) for row in over_time], marks=marks
    )
    total_chart = charts.line_chart([row["total"] for row in over_time], marks=marks)

    near_total = sum(row["near"] for row in group_rows)
    return {
        "holders_total": holders_total,
        "municipalities_total": all_row["total"],
        "holders_share": all_row["holders_share"],
        "covered_total": all_row["covered"],
        "near_total": near_total,
        "ready_total": all_row["ready"],
        "bezirk_rows": bezirk_rows,
        "bezirk_chart": charts.horizontal_bars(
            bezirk_rows, value_labels=[_count_label(count) for _name, count in bezirk_rows]
        ),
        "kind_rows": kind_rows,
        "kind_chart": charts.horizontal_bars(
            [(str(row["label"]), row["holders"]) for row in kind_rows],
            value_labels=[_count_label(row["holders"]) for row in kind_rows],
        ),
        "group_rows": group_rows,
        "all_row": all_row,
        "share_chart": charts.share_bars(share_items),
        "over_time": over_time,
        "monthly_chart": monthly_chart,
        "total_chart": total_chart,
        "first_month": over_time[0]["label"] if over_time else "",
        "last_month": over_time[-1]["label"] if over_time else "",
        "near_chart": charts.horizontal_bars(
            [(str(row["label"]), row["near"]) for row in group_rows],
            value_labels=[_count_label(row["near"]) for row in group_rows],
        ),
        "near_percent": _percent_label(NEAR_NUMERATOR * 100 / NEAR_DENOMINATOR, decimals=0),
    }


@require_safe
@cached_by_version(statistics_version)
def statistics(request: HttpRequest) -> HttpResponse:
    """Show holders per Regierungsbezirk and kind, the share awarded, awards over time and
    how many Kommunen are close to the threshold, each chart with its data as a table."""
    context = _statistics_context()
    context["data_as_of"] = request._data_version.last_modified
    return render(request, "awards/public/statistics.html", context)
