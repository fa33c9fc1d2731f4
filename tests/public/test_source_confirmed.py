"""The public Kommune page says when its count was last held against the federal dashboard.

Found: the page showed the Kommune's own count only; and its data version knew nothing of a
sync, so a cache would have kept the old figures after one.
"""

import datetime

import pytest
from django.urls import reverse

from municipalities.constants import Kind, Scope
from municipalities.models import CountSnapshot, SourceRecord, SourceSync
from tests.awards.test_source_witness import SYNCED_AT, SYNCED_ON, link, record, synced
from tests.factories import AwardFactory, MunicipalityFactory
from tests.helpers import count_queries, main_text


def page(municipality) -> str:
    return reverse("awards:municipality", args=[municipality.ars])


@pytest.fixture
def kommune(db):
    """Three links: two the source confirms (one central), one it does not know."""
    kommune = MunicipalityFactory(name="Hösbach", kind=Kind.MARKT, ars="096710000001")
    link(kommune, "https://hoesbach.example/eins")
    link(kommune, "https://freistaat.example/zentral", Scope.ZENTRAL)
    link(kommune, "https://hoesbach.example/drei")
    record(kommune, "https://hoesbach.example/eins")
    record(None, "https://freistaat.example/zentral")
    return kommune


def test_the_page_says_when_the_count_was_last_confirmed(client, kommune):
    synced(kommune)

    text = main_text(client.get(page(kommune)))

    assert (
        f"Zuletzt mit den Bundesdaten abgeglichen: {SYNCED_ON} – 2 der 3 Online-Verfahren "
        "bestätigt."
    ) in text


def test_a_holder_shows_it_too(client, kommune):
    AwardFactory(municipality=kommune)
    synced(kommune)

    assert "2 der 3 Online-Verfahren bestätigt" in main_text(client.get(page(kommune)))


def test_a_kommune_never_synced_says_nothing_of_the_source(client, kommune):
    SourceSync.objects.create(municipality=kommune, error="Zeitüberschreitung")  # failed once

    assert "Bundesdaten" not in main_text(client.get(page(kommune)))


def test_the_page_is_english_on_request(client, kommune):
    synced(kommune)

    response = client.get(page(kommune), HTTP_ACCEPT_LANGUAGE="en")

    assert "1. December 2026" in main_text(response)  # the sentence's English is in the JSON


def test_a_sync_changes_the_pages_version(client, kommune, django_assert_num_queries):
    first = client.get(page(kommune))
    synced(kommune)
    second = client.get(page(kommune), headers={"if-none-match": first["ETag"]})
    # A later run that changes the records stamps the sync again.
    SourceRecord.objects.filter(municipality=kommune).delete()
    synced(kommune, SYNCED_AT + datetime.timedelta(days=1))
    third = client.get(page(kommune), headers={"if-none-match": second["ETag"]})

    assert second.status_code == third.status_code == 200
    assert len({first["ETag"], second["ETag"], third["ETag"]}) == 3
    assert "1 der 3 Online-Verfahren bestätigt" in main_text(third)
    with django_assert_num_queries(1):  # unchanged since: the data version only
        again = client.get(page(kommune), headers={"if-none-match": third["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("size", [2, 300])
def test_the_page_costs_six_queries_however_many_records_and_days(client, kommune, size):
    synced(kommune)
    for n in range(size):
        record(kommune, f"https://hoesbach.example/quelle/{n}")
    start = datetime.date(2026, 1, 1)
    CountSnapshot.objects.bulk_create(
        CountSnapshot(
            municipality=kommune,
            day=start + datetime.timedelta(days=n),
            own_count=n,
            confirmed_count=1,
        )
        for n in range(size)
    )

    # the data version, the Kommune with its count, threshold and confirmed count, awards,
    # the count history, the active links with their topics, the source's records (synced)
    with count_queries() as counted:
        response = client.get(page(kommune))

    assert response.status_code == 200
    assert len(counted.own) == 6
    assert len(counted.cache) == 4  # the page kept: a read that misses, the write
    assert "Online-Verfahren bestätigt" in main_text(response)
    assert response.context["count_history"]["points"]
