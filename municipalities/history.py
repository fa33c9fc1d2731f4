"""Count history: every Kommune's count of each day, its own list and what the source confirms.

`record_counts` stores one `CountSnapshot` per Kommune and day (a second run on the same day
overwrites it): the count by the counting rule and how many of those links the federal
source confirms. Each sync and the nightly recount call it; the public Kommune page, the
portal and the statistics draw what it stored.

"Confirmed" is the one rule of `confirmation.CONFIRMED`. A Kommune the source was never
synced for has no confirmed count (None), which is not 0.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.tasks import task
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from digitalesamt.lib import charts

from .confirmation import CONFIRMED
from .models import CountSnapshot, Municipality, ProcedureLink, SourceSync

# A Kommune's chart shows every day of the last DAILY_DAYS days of its history and one point
# per month before that: at most DAILY_DAYS + 12 points a year, so the SVG stays small.
DAILY_DAYS = 90
BATCH_SIZE = 1000  # rows per upsert statement: within SQLite's limit on parameters


def current_counts(municipality_ids: Iterable[int] | None = None) -> dict[int, tuple[int, int]]:
    """Return (own, confirmed) by Kommune for every Kommune with active links (one query).

    One aggregate over the active links of all Kommunen, not a query per Kommune. The own
    count is the counting rule (`with_procedure_count`: distinct counting keys among active
    links); a key is stored once per Kommune (a unique constraint), so that is the number of
    active links, which the index on (Kommune, active) answers.
    """
    links = ProcedureLink.objects.active().order_by()
    if municipality_ids is not None:
        links = links.filter(municipality__in=list(municipality_ids))
    rows = links.values("municipality").annotate(
        own=Count("pk"), confirmed=Count("pk", filter=CONFIRMED)
    )
    return {row["municipality"]: (row["own"], row["confirmed"]) for row in rows}


def record_counts(
    day: datetime.date | None = None, *, municipality_ids: Iterable[int] | None = None
) -> int:
    """Store every Kommune's count of `day` (today by default); return how many were stored.

    A fixed number of queries however many Kommunen there are: the Kommunen with whether they
    were ever synced, the counts of all of them, and an upsert per BATCH_SIZE rows (on the
    unique (Kommune, day): a second run of the day overwrites, on SQLite and PostgreSQL).
    `municipality_ids` limits it to some Kommunen (the ones a sync just fetched).
    """
    day = day or timezone.localdate()
    ids = None if municipality_ids is None else list(municipality_ids)
    kommunen = Municipality.objects.order_by()
    if ids is not None:
        kommunen = kommunen.filter(pk__in=ids)
    synced = SourceSync.objects.filter(municipality=OuterRef("pk"), synced_at__isnull=False)
    rows = kommunen.annotate(synced=Exists(synced)).values_list("pk", "synced")
    counts = current_counts(ids)
    snapshots = []
    for pk, was_synced in rows:
        own, confirmed = counts.get(pk, (0, 0))
        snapshots.append(
            CountSnapshot(
                municipality_id=pk,
                day=day,
                own_count=own,
                confirmed_count=confirmed if was_synced else None,
            )
        )
    with transaction.atomic():
        CountSnapshot.objects.bulk_create(
            snapshots,
            batch_size=BATCH_SIZE,
            update_conflicts=True,
            unique_fields=["municipality", "day"],
            update_fields=["own_count", "confirmed_count"],
        )
    return len(snapshots)


@task
def record_counts_task() -> int:
    """Store today's count of every Kommune: the nightly recount (`manage.py record_counts`)."""
    return record_counts()


@dataclass(frozen=True)
class HistoryPoint:
    day: datetime.date
    own: int
    confirmed: int | None


def thin_out(points: Sequence[HistoryPoint], daily_days: int = DAILY_DAYS) -> list[HistoryPoint]:
    """Keep every day of the last `daily_days` and the last point of each month before."""
    if not points:
        return []
    recent = points[-1].day - datetime.timedelta(days=daily_days)
    kept: list[HistoryPoint] = []
    for point in points:
        older = point.day <= recent
        if (
            older
            and kept
            and (kept[-1].day.year, kept[-1].day.month)
            == (
                point.day.year,
                point.day.month,
            )
        ):
            kept[-1] = point  # the month's later point stands for it
        else:
            kept.append(point)
    return kept


def history_points(municipality: Municipality) -> list[HistoryPoint]:
    """Return the Kommune's stored counts, thinned out for a chart (one query)."""
    rows = (
        CountSnapshot.objects.filter(municipality=municipality)
        .order_by("day")
        .values_list("day", "own_count", "confirmed_count")
    )
    return thin_out([HistoryPoint(*row) for row in rows])


def _positions(days: Sequence[datetime.date]) -> list[float]:
    span = max((days[-1] - days[0]).days, 1)
    return [(day - days[0]).days / span for day in days]


def _marks(days: Sequence[datetime.date], positions: Sequence[float]) -> list[tuple[float, str]]:
    """Label the first point with its month and year, and each new year where it starts."""
    marks = [(0.0, date_format(days[0], "M Y"))]
    span = max((days[-1] - days[0]).days, 1)
    for year in range(days[0].year + 1, days[-1].year + 1):
        marks.append(((datetime.date(year, 1, 1) - days[0]).days / span, str(year)))
    if days[-1].year == days[0].year and len(days) > 1:
        marks.append((1.0, date_format(days[-1], "M Y")))
    return marks


def history_chart(points: Sequence[HistoryPoint], threshold: int) -> charts.LinesChart:
    days = [point.day for point in points]
    if not points:
        return charts.lines_over_time([], [[], []], reference=threshold)
    positions = _positions(days)
    return charts.lines_over_time(
        positions,
        [[point.own for point in points], [point.confirmed for point in points]],
        reference=threshold,
        marks=_marks(days, positions),
    )


def history_summary(points: Sequence[HistoryPoint]) -> str:
    """Say in a sentence what the chart shows: "Von 12 im März 2025 auf 57 im Dezember 2026."""
    first, last = points[0], points[-1]
    month = "YEAR_MONTH_FORMAT"
    if (first.day.year, first.day.month) == (last.day.year, last.day.month):
        text = _("%(count)s Online-Verfahren im %(month)s.") % {
            "count": number_format(last.own, force_grouping=True),
            "month": date_format(last.day, month),
        }
    else:
        text = _("Von %(first)s im %(first_month)s auf %(last)s im %(last_month)s.") % {
            "first": number_format(first.own, force_grouping=True),
            "first_month": date_format(first.day, month),
            "last": number_format(last.own, force_grouping=True),
            "last_month": date_format(last.day, month),
        }
    if last.confirmed is not None:
        text += " " + _("Davon zuletzt in den Bundesdaten bestätigt: %(confirmed)s.") % {
            "confirmed": number_format(last.confirmed, force_grouping=True)
        }
    return text


def history_context(municipality: Municipality, *, threshold: int) -> dict:
    """Return what the count history include draws for a Kommune (one query)."""
    points = history_points(municipality)
    return {
        "points": points,
        "chart": history_chart(points, threshold),
        "summary": history_summary(points) if points else "",
        "threshold": threshold,
        "has_confirmed": any(point.confirmed is not None for point in points),
    }


def monthly_means() -> list[dict]:
    """Return per month the mean count per Kommune, own and confirmed (one query).

    The mean over every stored day in the month of every Kommune that linked at least one
    online procedure that day (a Kommune that never used the portal would only dilute it);
    the confirmed mean over those the source was synced for, beside their own mean
    (`own_synced`), so that the two compare like with like. `kommunen` and `synced` count
    them on the month's last stored day.

    The database sums per day, on the plain column; the months are added up here. Grouping
    by a truncated month instead runs a Python function per row on SQLite: 10 s for a year
    of all 2,445 Kommunen, against under a second this way.
    """
    synced = Q(confirmed_count__isnull=False)
    days = (
        CountSnapshot.objects.filter(own_count__gt=0)
        .order_by()
        .values("day")
        .annotate(
            rows=Count("pk"),
            own=Sum("own_count"),
            synced=Count("pk", filter=synced),
            own_synced=Sum("own_count", filter=synced),
            confirmed=Sum("confirmed_count"),
        )
        .order_by("day")
    )
    months: dict[datetime.date, dict] = {}
    for day in days:
        month = months.setdefault(
            day["day"].replace(day=1),
            {"rows": 0, "own": 0, "synced_rows": 0, "own_synced": 0, "confirmed": 0},
        )
        month["rows"] += day["rows"]
        month["own"] += day["own"]
        month["synced_rows"] += day["synced"]
        month["own_synced"] += day["own_synced"] or 0
        month["confirmed"] += day["confirmed"] or 0
        month["kommunen"], month["synced"] = day["rows"], day["synced"]  # the last day's
    return [
        {
            "month": month,
            "label": date_format(month, "YEAR_MONTH_FORMAT"),
            "own": sums["own"] / sums["rows"],
            "confirmed": sums["confirmed"] / sums["synced_rows"] if sums["synced_rows"] else None,
            "own_synced": sums["own_synced"] / sums["synced_rows"] if sums["synced_rows"] else None,
            "kommunen": sums["kommunen"],
            "synced": sums["synced"],
        }
        for month, sums in months.items()
    ]
