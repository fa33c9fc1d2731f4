"""The count history: each day's recount of every Kommune, own and confirmed by the source."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from municipalities.constants import LAND_ARS, Kind, Scope, SourceCoverage
from municipalities.history import (
    HistoryPoint,
    current_counts,
    history_summary,
    monthly_means,
    record_counts,
    record_counts_task,
    thin_out,
)
from municipalities.models import CountSnapshot, Municipality, SourceRecord, SourceSync
from municipalities.validation import count_key
from tests.factories import MunicipalityFactory, ProcedureLinkFactory
from tests.helpers import count_queries

DAY = datetime.date(2026, 12, 1)


def source_record(municipality, url, *, coverage=SourceCoverage.KOMMUNE, leika="99000000000001"):
    return SourceRecord.objects.create(
        municipality=municipality,
        ars=municipality.ars if municipality else LAND_ARS,
        leika_key=leika,
        url=url,
        url_key=count_key(url),
        online=True,
        coverage=coverage,
        fetched_at=timezone.now(),
    )


def synced(municipality):
    return SourceSync.objects.create(municipality=municipality, synced_at=timezone.now())


def snapshot(municipality, day=DAY):
    return CountSnapshot.objects.get(municipality=municipality, day=day)


def test_recount_stores_one_row_per_kommune_and_day_and_a_second_run_overwrites(kommune):
    ProcedureLinkFactory.create_batch(3, municipality=kommune)

    record_counts(DAY)
    ProcedureLinkFactory(municipality=kommune)
    record_counts(DAY)

    assert CountSnapshot.objects.filter(municipality=kommune).count() == 1
    assert snapshot(kommune).own_count == 4
    record_counts(DAY + datetime.timedelta(days=1))
    assert CountSnapshot.objects.filter(municipality=kommune).count() == 2


def test_own_count_is_the_counting_rule_and_a_kommune_without_links_counts_zero(kommune):
    empty = MunicipalityFactory()
    ProcedureLinkFactory.create_batch(4, municipality=kommune)
    ProcedureLinkFactory(municipality=kommune, active=False)

    record_counts(DAY)

    rule = Municipality.objects.with_procedure_count().get(pk=kommune.pk).procedure_count
    assert snapshot(kommune).own_count == rule == 4
    assert snapshot(empty).own_count == 0


def test_never_synced_kommune_has_no_confirmed_count_and_a_synced_one_zero(kommune, other_kommune):
    ProcedureLinkFactory(municipality=kommune)
    ProcedureLinkFactory(municipality=other_kommune)
    synced(other_kommune)
    SourceSync.objects.create(municipality=MunicipalityFactory(), error="Zeitüberschreitung")

    record_counts(DAY)

    assert snapshot(kommune).confirmed_count is None
    assert snapshot(other_kommune).confirmed_count == 0
    failed_only = CountSnapshot.objects.get(day=DAY, municipality__source_sync__error__gt="")
    assert failed_only.confirmed_count is None


def test_confirmed_counts_kommunal_records_and_central_ones_for_zentral_links_only(db):
    landkreis = MunicipalityFactory(kind=Kind.LANDKREIS, ars="096710000000")
    gemeinde = MunicipalityFactory(landkreis=landkreis, ars="096710000111")
    synced(gemeinde)
    ProcedureLinkFactory(municipality=gemeinde, url="https://gemeinde.example/hund")
    source_record(gemeinde, "http://gemeinde.example/hund/")  # another spelling: same key
    zentral = ProcedureLinkFactory(
        municipality=gemeinde, url="https://freistaat.example/a", scope=Scope.ZENTRAL
    )
    source_record(None, zentral.url, coverage=SourceCoverage.LAND)
    # A central record does not confirm a link the Kommune calls its own.
    kommunal_central = ProcedureLinkFactory(
        municipality=gemeinde, url="https://freistaat.example/b", scope=Scope.KOMMUNAL
    )
    source_record(None, kommunal_central.url, coverage=SourceCoverage.LAND)
    # The Landkreis's records are the Landkreis's: they confirm nothing for its Gemeinde.
    kreis_link = ProcedureLinkFactory(municipality=gemeinde, url="https://landkreis.example/c")
    source_record(landkreis, kreis_link.url, coverage=SourceCoverage.KREIS)
    # Another Kommune's record neither.
    other = ProcedureLinkFactory(municipality=gemeinde, url="https://nachbar.example/d")
    source_record(MunicipalityFactory(), other.url)
    # A deactivated link is not counted, confirmed or not.
    inactive = ProcedureLinkFactory(
        municipality=gemeinde, url="https://gemeinde.example/alt", active=False
    )
    source_record(gemeinde, inactive.url)

    record_counts(DAY)

    assert (snapshot(gemeinde).own_count, snapshot(gemeinde).confirmed_count) == (5, 2)
    assert current_counts([gemeinde.pk]) == {gemeinde.pk: (5, 2)}


def test_recount_costs_the_same_queries_for_few_and_many_kommunen(db):
    def recount_queries(kommunen: int) -> int:
        for _ in range(kommunen):
            municipality = MunicipalityFactory()
            synced(municipality)
            for link in ProcedureLinkFactory.create_batch(3, municipality=municipality):
                source_record(municipality, link.url)
        with count_queries() as queries:
            record_counts(DAY)
        assert CountSnapshot.objects.filter(day=DAY).count() == Municipality.objects.count()
        return len(queries.own)

    few = recount_queries(2)
    many = recount_queries(12)

    assert few == many == 3


def test_record_counts_for_some_kommunen_leaves_the_others(kommune, other_kommune):
    ProcedureLinkFactory(municipality=kommune)

    assert record_counts(DAY, municipality_ids=[kommune.pk]) == 1

    assert list(CountSnapshot.objects.values_list("municipality", flat=True)) == [kommune.pk]


def test_record_counts_command_stores_the_day_and_refuses_a_bad_one(kommune):
    out = StringIO()
    call_command("record_counts", "--day", "2026-11-30", stdout=out)

    assert snapshot(kommune, datetime.date(2026, 11, 30)).own_count == 0
    assert "Zählstand von 1 Kommunen gespeichert." in out.getvalue()
    with pytest.raises(CommandError, match="JJJJ-MM-TT"):
        call_command("record_counts", "--day", "30.11.2026")


def test_thin_out_keeps_the_last_90_days_daily_and_one_point_per_month_before():
    start = datetime.date(2025, 1, 1)
    points = [HistoryPoint(start + datetime.timedelta(days=n), n, None) for n in range(700)]

    kept = thin_out(points)

    last = points[-1].day
    daily = [p for p in kept if p.day > last - datetime.timedelta(days=90)]
    older = [p for p in kept if p.day <= last - datetime.timedelta(days=90)]
    assert len(daily) == 90
    assert len({(p.day.year, p.day.month) for p in older}) == len(older)
    assert older[0].day == datetime.date(2025, 1, 31)  # a month's last stored day stands for it
    assert len(kept) < 90 + 24


def test_summary_says_where_the_count_started_and_where_it_stands():
    points = [
        HistoryPoint(datetime.date(2025, 3, 1), 12, None),
        HistoryPoint(datetime.date(2026, 12, 1), 57, 41),
    ]

    assert history_summary(points) == (
        "Von 12 im März 2025 auf 57 im Dezember 2026. "
        "Davon zuletzt in den Bundesdaten bestätigt: 41."
    )
    assert history_summary(points[1:2]) == (
        "57 Online-Verfahren im Dezember 2026. Davon zuletzt in den Bundesdaten bestätigt: 41."
    )


def test_monthly_means_average_over_kommunen_with_links_and_confirmed_over_synced_ones(db):
    first, second = MunicipalityFactory(), MunicipalityFactory()
    CountSnapshot.objects.create(municipality=first, day=DAY, own_count=10, confirmed_count=6)
    CountSnapshot.objects.create(municipality=second, day=DAY, own_count=30)
    # A Kommune without a single link would only dilute the mean.
    CountSnapshot.objects.create(municipality=MunicipalityFactory(), day=DAY, own_count=0)
    CountSnapshot.objects.create(
        municipality=first, day=DAY.replace(month=11), own_count=4, confirmed_count=2
    )

    with count_queries() as queries:
        rows = monthly_means()

    assert len(queries.own) == 1
    assert [
        (r["label"], r["own"], r["kommunen"], r["synced"], r["own_synced"], r["confirmed"])
        for r in rows
    ] == [
        ("November 2026", 4, 1, 1, 4, 2),
        ("Dezember 2026", 20, 2, 1, 10, 6),
    ]


def test_the_nightly_task_records_todays_counts(kommune):
    ProcedureLinkFactory.create_batch(2, municipality=kommune)

    result = record_counts_task.enqueue()

    assert result.return_value == 1
    assert snapshot(kommune, timezone.localdate()).own_count == 2
