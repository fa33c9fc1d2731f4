"""The statistics: holders per Regierungsbezirk and kind, the share awarded, awards over time and
the Kommunen close to the threshold, drawn on the server as SVG, each chart with its data table.

The page costs a fixed number of queries however many holders there are, and its figures are
computed once per version and language for every process (the shared cache), and the whole page
is kept so for every visitor without a session (`shared_page`). How many Kommunen
are close to the threshold follows every procedure link, so the page takes `live_version`.
"""

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from awards.models import Award
from digitalesamt.lib import charts
from digitalesamt.lib.cache import versioned_value
from digitalesamt.lib.http import conditional, shared_page
from municipalities.constants import Kind
from municipalities.history import monthly_means
from municipalities.models import Municipality, ProcedureLink

from ..constants import KIND_GROUPS
from ..version import LIVE_MAX_AGE, MAX_AGE, live_version
from .map import bezirk_map_url

# "Close to the threshold": at least this share of it (4/5 = 80 %), but below it.
NEAR_NUMERATOR, NEAR_DENOMINATOR = 4, 5


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


@dataclass(frozen=True)
class _Kommune:
    ars: str
    name: str
    kind: str
    vg: int | None
    bezirk: int | None  # a Bezirk counts in its own area
    threshold: int


def _kommunen() -> dict[int, _Kommune]:
    """Return every Kommune of the register with its threshold (one query)."""
    rows = (
        Municipality.objects.with_threshold()
        .order_by()
        .values_list(
            "pk", "ars", "name", "kind", "verwaltungsgemeinschaft", "regierungsbezirk", "threshold"
        )
    )
    return {
        pk: _Kommune(ars, name, kind, vg, pk if kind == Kind.BEZIRK else bezirk, threshold)
        for pk, ars, name, kind, vg, bezirk, threshold in rows
    }


def live_counts() -> dict[int, int]:
    """Return the count of every Kommune with online procedures, by the counting rule, in one
    scan of the index on (Kommune, active).

    The rule (`with_procedure_count`) counts distinct URLs (by their counting key). A URL is
    stored once per Kommune (a unique constraint), so that is the number of active links,
    which the index on (Kommune, active) answers without reading a link: 0.1 s on PostgreSQL
    at 500,000 links, against 1.4 s for the distinct URLs, or 2.5 s for the rule as a
    subquery per Kommune and per figure.
    """
    return dict(
        ProcedureLink.objects.active()
        .order_by()
        .values("municipality")
        .annotate(count=Count("*"))
        .values_list("municipality", "count")
    )


def _municipalities_by_kind(
    kommunen: dict[int, _Kommune], holders: set[int], counts: dict[int, int]
) -> dict[str, dict]:
    """Count per kind: Kommunen, holders, Gemeinden covered by their VG, and those close to
    the threshold or past it without the award."""
    by_kind: dict[str, dict] = {}
    for pk, kommune in kommunen.items():
        row = by_kind.setdefault(
            kommune.kind,
            {
                "total": 0,
                "holders": 0,
                "covered": 0,
                "near": 0,
                "ready": 0,
                "threshold_min": kommune.threshold,
                "threshold_max": kommune.threshold,
            },
        )
        row["total"] += 1
        row["threshold_min"] = min(row["threshold_min"], kommune.threshold)
        row["threshold_max"] = max(row["threshold_max"], kommune.threshold)
        if pk in holders:
            row["holders"] += 1
        elif kommune.vg in holders:
            row["covered"] += 1
        else:
            count = counts.get(pk, 0)
            if count >= kommune.threshold:
                row["ready"] += 1
            elif count * NEAR_DENOMINATOR >= kommune.threshold * NEAR_NUMERATOR:
                row["near"] += 1
    return by_kind


def _months(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months = []
    month = first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def _awards_over_time(issued: list[datetime.date]) -> list[dict]:
    """Return every month from the first award to this one with its awards and the running total."""
    per_month: dict[datetime.date, int] = defaultdict(int)
    for day in issued:
        per_month[day.replace(day=1)] += 1
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
    kommunen = _kommunen()
    awards = list(Award.objects.valid().order_by().values_list("municipality", "issued_on"))
    counts = live_counts()
    holders = {municipality for municipality, _issued_on in awards}
    by_kind = _municipalities_by_kind(kommunen, holders, counts)
    over_time = _awards_over_time([issued_on for _municipality, issued_on in awards])

    holders_total = len(awards)

    # Holders per Regierungsbezirk, in the official order; holders without one last.
    per_bezirk: dict[int | None, int] = defaultdict(int)
    for municipality, _issued_on in awards:
        per_bezirk[kommunen[municipality].bezirk] += 1
    bezirke = sorted(
        (
            (kommune.ars, pk, kommune.name)
            for pk, kommune in kommunen.items()
            if kommune.kind == Kind.BEZIRK
        )
    )
    bezirk_rows = [(name, per_bezirk.get(pk, 0)) for _ars, pk, name in bezirke]
    # The table links each Bezirk's own map.
    bezirk_table = [(name, count, bezirk_map_url(name)) for name, count in bezirk_rows]
    known = {pk for _ars, pk, _name in bezirke}
    unassigned = sum(count for pk, count in per_bezirk.items() if pk not in known)
    if unassigned:
        bezirk_rows.append((_("ohne Regierungsbezirk"), unassigned))
        bezirk_table.append((_("ohne Regierungsbezirk"), unassigned, ""))

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
    count_means = _count_means()
    return {
        "holders_total": holders_total,
        "municipalities_total": all_row["total"],
        "holders_share": all_row["holders_share"],
        "covered_total": all_row["covered"],
        "near_total": near_total,
        "ready_total": all_row["ready"],
        "bezirk_rows": bezirk_rows,
        "bezirk_table": bezirk_table,
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
        **count_means,
    }


def _count_means() -> dict:
    """Return the mean count per Kommune per month, own and confirmed, with its chart (1 query)."""
    rows = monthly_means()
    for row in rows:
        row["own_label"] = number_format(row["own"], 1)
        for key in ("confirmed", "own_synced"):
            row[f"{key}_label"] = "–" if row[key] is None else number_format(row[key], 1)
    last = len(rows) - 1
    chart = charts.lines_over_time(
        [index / last if last else 0.0 for index in range(len(rows))],
        [[row["own"] for row in rows], [row["confirmed"] for row in rows]],
        marks=[
            (index / last if last else 0.0, str(row["month"].year))
            for index, row in enumerate(rows)
            if index == 0 or row["month"].month == 1
        ],
        plot_height=180,
    )
    return {
        "count_means": rows,
        "count_means_chart": chart,
        "count_means_first": rows[0]["label"] if rows else "",
        "count_means_last": rows[-1]["label"] if rows else "",
        "count_means_confirmed": any(row["confirmed"] is not None for row in rows),
    }


@require_safe
@conditional(live_version, max_age=MAX_AGE)
@shared_page("public:statistics", timeout=LIVE_MAX_AGE)
def statistics(request: HttpRequest) -> HttpResponse:
    """Show holders per Regierungsbezirk and kind, the share awarded, awards over time and
    how many Kommunen are close to the threshold, each chart with its data as a table."""
    # Figures are the same for every visitor of a version and language: computed once for all
    # processes, however many ask at once afterwards.
    key = f"public:statistics:{request.version.token}:{translation.get_language()}"
    context = versioned_value(key, _statistics_context, timeout=LIVE_MAX_AGE)
    context["data_as_of"] = request.version.last_modified
    return render(request, "public/statistics.html", context)
