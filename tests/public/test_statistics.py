"""The statistics page (/statistik/): figures, charts with tables, caching, fixed queries."""

import datetime
import re

import pytest
from django.conf import settings
from django.utils import timezone

from digitalesamt.lib.cache import memory
from digitalesamt.public import version as public_version
from digitalesamt.public.views import statistics
from municipalities.constants import Kind
from municipalities.models import Municipality, ProcedureLink, Threshold
from tests.factories import AwardFactory, MunicipalityFactory
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db

STATISTICS_URL = "/statistik/"


def link_procedures(kommune, count: int) -> None:
    ProcedureLink.objects.bulk_create(
        ProcedureLink(
            municipality=kommune,
            title=f"Antrag {index}",
            url=f"https://{kommune.ars}.example/antrag/{index}",
            scope="kommunal",
        )
        for index in range(count)
    )


@pytest.fixture
def fixed_clock(monkeypatch):
    """Hold the clock, so that the statistics' five-minute version cannot roll over mid-test."""
    now = [timezone.now().replace(minute=1, second=0)]
    monkeypatch.setattr(public_version.timezone, "now", lambda: now[0])
    return now


@pytest.fixture
def programme():
    """A small Bavaria: two Regierungsbezirke, holders of most kinds, some near the threshold."""
    Threshold.objects.update_or_create(kind=Kind.BEZIRK, defaults={"minimum": 30})
    oberbayern = MunicipalityFactory(ars="091000000000", name="Oberbayern", kind=Kind.BEZIRK)
    unterfranken = MunicipalityFactory(ars="096000000000", name="Unterfranken", kind=Kind.BEZIRK)
    muenchen = MunicipalityFactory(
        name="München", kind=Kind.KREISFREIE_STADT, regierungsbezirk=oberbayern
    )
    hoesbach = MunicipalityFactory(name="Hösbach", kind=Kind.MARKT, regierungsbezirk=unterfranken)
    vg = MunicipalityFactory(name="Iphofen", kind=Kind.VG, regierungsbezirk=unterfranken)
    MunicipalityFactory(name="Iphofen", verwaltungsgemeinschaft=vg, regierungsbezirk=unterfranken)
    own = MunicipalityFactory(
        name="Willanzheim", verwaltungsgemeinschaft=vg, regierungsbezirk=unterfranken
    )
    covered_near = MunicipalityFactory(
        name="Abgedeckt-Nahe", verwaltungsgemeinschaft=vg, regierungsbezirk=unterfranken
    )
    revoked = MunicipalityFactory(name="Widerrufen", regierungsbezirk=unterfranken)
    MunicipalityFactory(name="Kitzingen", kind=Kind.LANDKREIS, regierungsbezirk=unterfranken)

    AwardFactory(municipality=muenchen, issued_on=datetime.date(2021, 7, 28))
    AwardFactory(municipality=vg, issued_on=datetime.date(2021, 9, 10))
    AwardFactory(municipality=own, issued_on=datetime.date(2021, 9, 20))
    AwardFactory(municipality=hoesbach, issued_on=datetime.date(2023, 2, 15))
    AwardFactory(municipality=unterfranken, issued_on=datetime.date(2023, 4, 1))
    AwardFactory(
        municipality=revoked,
        issued_on=datetime.date(2022, 1, 5),
        revoked_at=timezone.now(),
        revocation_reason="Zu wenige Verfahren",
    )

    link_procedures(MunicipalityFactory(name="Geheim-Nahe", regierungsbezirk=oberbayern), 40)
    link_procedures(MunicipalityFactory(name="Geheim-Darunter", regierungsbezirk=oberbayern), 39)
    link_procedures(MunicipalityFactory(name="Geheim-Erreicht", regierungsbezirk=oberbayern), 50)
    link_procedures(covered_near, 45)
    link_procedures(oberbayern, 24)
    link_procedures(hoesbach, 45)  # a holder below the threshold is not "close to" it


def rows_of(html: str, caption: str) -> list[list[str]]:
    """Return the cells of the table with this caption, row by row, as text."""
    table = re.search(rf"<caption[^>]*>{re.escape(caption)}</caption>(.*?)</table>", html, re.S)
    assert table, caption
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S)
    ]


def test_holders_are_counted_per_regierungsbezirk_with_a_bezirk_in_its_own_area(client, programme):
    html = client.get(STATISTICS_URL).content.decode()

    assert rows_of(html, "Digitale Ämter je Regierungsbezirk") == [
        ["Regierungsbezirk", "Digitale Ämter"],
        ["Oberbayern", "1"],
        ["Unterfranken", "4"],
        ["Zusammen", "5"],
    ]


def test_holders_are_counted_per_kind_against_the_kommunen_of_that_kind(client, programme):
    html = client.get(STATISTICS_URL).content.decode()

    rows = {row[0]: row[1:] for row in rows_of(html, "Digitale Ämter je Art der Kommune")}
    assert rows["Markt"] == ["1", "1", "100,0 %"]
    assert rows["Gemeinde"] == ["1", "7", "14,3 %"]
    assert rows["Verwaltungsgemeinschaft"] == ["1", "1", "100,0 %"]
    assert rows["Landkreis"] == ["0", "1", "0,0 %"]
    assert rows["Bezirk"] == ["1", "2", "50,0 %"]
    assert rows["Große Kreisstadt"] == ["0", "0", "0,0 %"]


def test_share_counts_own_awards_and_gemeinden_covered_by_their_vg_apart(client, programme):
    response = client.get(STATISTICS_URL)

    groups = {str(row["label"]): row for row in response.context["group_rows"]}
    gemeinden = groups["Gemeinden, Märkte und Städte"]
    # München, Hösbach, Willanzheim hold it; of the VG's other two members none does.
    assert (gemeinden["total"], gemeinden["holders"], gemeinden["covered"]) == (9, 3, 2)
    assert gemeinden["holders_share"] == "33,3 %"
    assert gemeinden["covered_share"] == "22,2 %"
    assert (groups["Bezirke"]["total"], groups["Bezirke"]["holders"]) == (2, 1)
    all_row = response.context["all_row"]
    assert (all_row["total"], all_row["holders"], all_row["covered"]) == (13, 5, 2)
    html = response.content.decode()
    assert "zusätzlich 22,2 % über ihre VG" in html
    assert "Gezählt werden alle 13 Kommunen des Gemeindeverzeichnisses" in html
    assert rows_of(html, "Anteil der ausgezeichneten Kommunen je Gruppe")[-1] == [
        "Alle Kommunen",
        "13",
        "5",
        "38,5 %",
        "2",
        "15,4 %",
    ]


def test_kommunen_close_to_the_threshold_are_counted_but_not_named(client, programme):
    response = client.get(STATISTICS_URL)

    groups = {str(row["label"]): row for row in response.context["group_rows"]}
    # 40 of 50 is close; 39 is not; a Gemeinde covered by its VG and a holder do not count.
    assert groups["Gemeinden, Märkte und Städte"]["near"] == 1
    assert groups["Gemeinden, Märkte und Städte"]["ready"] == 1
    assert groups["Bezirke"]["near"] == 1  # 24 of the Bezirke's 30
    assert groups["Bezirke"]["near_range"] == "24–29"
    assert groups["Gemeinden, Märkte und Städte"]["near_range"] == "40–49"
    assert response.context["near_total"] == 2
    html = response.content.decode()
    assert "Geheim-" not in html
    assert "Weitere" not in html and "Eine weitere Kommune erreicht die Mindestzahl" in html
    near = {row[0]: row[1:] for row in rows_of(html, "Kommunen nahe der Mindestzahl, ohne Namen")}
    assert near["Bezirke"] == ["30", "24–29", "1", "0"]
    assert near["Alle Kommunen"][-2:] == ["2", "1"]


def test_the_thresholds_are_data_for_closeness_too(client, programme):
    Threshold.objects.filter(kind=Kind.GEMEINDE).update(minimum=40)

    response = client.get(STATISTICS_URL)

    groups = {str(row["label"]): row for row in response.context["group_rows"]}
    # 39 of 40 is now close, 40 and 50 reach it; Märkte and Städte keep 50.
    assert groups["Gemeinden, Märkte und Städte"]["near"] == 1
    assert groups["Gemeinden, Märkte und Städte"]["ready"] == 2
    assert groups["Gemeinden, Märkte und Städte"]["near_range"] == "32–49"


def test_awards_per_month_fill_the_months_without_awards_and_add_up(client, programme):
    response = client.get(STATISTICS_URL)

    rows = rows_of(
        response.content.decode(),
        "Verleihungen pro Monat und Digitale Ämter insgesamt am Monatsende",
    )
    assert rows[0] == ["Monat", "Verleihungen", "insgesamt"]
    assert rows[1:4] == [
        ["Juli 2021", "1", "1"],
        ["August 2021", "0", "1"],
        ["September 2021", "2", "3"],
    ]
    assert ["Januar 2022", "0", "3"] in rows  # the revoked award is not counted
    assert ["April 2023", "1", "5"] in rows
    this_month = response.context["over_time"][-1]
    assert this_month["month"] == timezone.localdate().replace(day=1)
    assert rows[-1][2] == "5"
    assert "Von Juli 2021 bis" in response.content.decode()


def test_month_names_follow_the_language(client, programme):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = client.get(STATISTICS_URL).content.decode()

    assert "July 2021" in html
    assert "Juli 2021" not in html


def test_every_chart_is_an_image_with_a_name_and_a_data_table(client, programme):
    html = client.get(STATISTICS_URL).content.decode()

    charts = re.findall(r'<svg class="chart[^"]*"[^>]*role="img" aria-labelledby="([\w-]+)"', html)
    assert len(charts) == 6
    for title_id in charts:
        assert re.search(rf'<title id="{title_id}">[^<]+Tabelle darunter\.</title>', html)
    assert html.count("Daten als Tabelle") == 5
    assert html.count("<caption") == 5
    assert 'scope="col"' in html and 'scope="row"' in html
    for region in re.findall(r'<div class="kern-table-responsive[^"]*"[^>]*>', html):
        assert 'role="region"' in region and 'tabindex="0"' in region
        label = re.search(r'aria-labelledby="([\w-]+)"', region).group(1)
        assert f'<caption id="{label}">' in html
    assert "style=" not in html
    assert "<script" not in html


def test_statistics_without_any_award(client):
    MunicipalityFactory()

    response = client.get(STATISTICS_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Noch ist keine Kommune ausgezeichnet." in html
    assert 'id="chart-monthly-title"' not in html
    assert response.context["holders_share"] == "0,0 %"


def make_holders(count: int) -> None:
    bezirk = MunicipalityFactory(kind=Kind.BEZIRK)
    kinds = [Kind.GEMEINDE, Kind.MARKT, Kind.VG, Kind.LANDKREIS, Kind.STADT]
    for index in range(count):
        kommune = MunicipalityFactory(kind=kinds[index % len(kinds)], regierungsbezirk=bezirk)
        AwardFactory(
            municipality=kommune,
            issued_on=datetime.date(2021, 7, 1) + datetime.timedelta(days=20 * index),
        )
        link_procedures(MunicipalityFactory(regierungsbezirk=bezirk), index % 50)


@pytest.mark.parametrize("holders", [0, 3, 60])
def test_statistics_cost_four_queries_however_many_holders(client, holders):
    make_holders(holders)

    with count_queries() as counted:
        response = client.get(STATISTICS_URL)

    # version, Kommunen with their thresholds, valid awards, active links per Kommune, the
    # monthly means of the count history
    assert len(counted.own) == 5
    # the figures and the whole page, each kept: a read that misses, a write (COUNT for
    # culling, look-up, INSERT)
    assert len(counted.cache) == 8
    assert response.context["holders_total"] == holders


@pytest.mark.parametrize("holders", [3, 60])
def test_computed_statistics_are_shared_by_every_process(client, holders):
    make_holders(holders)
    first = client.get(STATISTICS_URL)
    memory.clear()  # another process

    with count_queries() as counted:
        again = client.get(STATISTICS_URL)

    assert len(counted.own) == 1  # the version; the figures come from the shared cache
    assert len(counted.cache) == 1
    assert again.content == first.content


def test_statistics_are_cached_per_language(client, programme):
    german = client.get(STATISTICS_URL).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(STATISTICS_URL).content.decode()

    assert "Juli 2021" in german
    assert "July 2021" in english and "Juli 2021" not in english


def test_the_live_counts_follow_the_counting_rule(programme):
    kommune = MunicipalityFactory(name="Mit Inaktiven")
    link_procedures(kommune, 3)
    ProcedureLink.objects.filter(municipality=kommune).order_by("pk").first().delete()
    ProcedureLink.objects.create(
        municipality=kommune,
        title="Alt",
        url="https://alt.example/",
        scope="kommunal",
        active=False,
    )

    expected = {
        pk: count
        for pk, count in Municipality.objects.with_procedure_count().values_list(
            "pk", "procedure_count"
        )
        if count
    }
    assert statistics.live_counts() == expected
    assert expected[kommune.pk] == 2


def test_statistics_send_etag_last_modified_and_public_cache_control(
    client, programme, fixed_clock, django_assert_num_queries
):
    first = client.get(STATISTICS_URL)

    with django_assert_num_queries(1):
        again = client.get(STATISTICS_URL, headers={"if-none-match": first["ETag"]})

    assert first["Cache-Control"] == "public, max-age=300"
    assert first["Last-Modified"]
    assert again.status_code == 304
    assert again["Cache-Control"] == "public, max-age=300"


def test_statistics_change_their_etag_with_a_new_award_and_after_five_minutes(
    client, programme, fixed_clock
):
    first = client.get(STATISTICS_URL)["ETag"]
    AwardFactory(municipality=MunicipalityFactory())
    second = client.get(STATISTICS_URL)["ETag"]
    fixed_clock[0] += datetime.timedelta(seconds=public_version.LIVE_MAX_AGE)
    third = client.get(STATISTICS_URL, headers={"if-none-match": second})

    assert first != second
    assert third.status_code == 200
    assert third["ETag"] != second


def test_statistics_refuse_post(client):
    assert client.post(STATISTICS_URL).status_code == 405
