"""The federal dashboard as the second witness: on the application page and in the re-check.

Found: the reviewer had only the Kommune's own word for every link, and the re-check of
holders counted nothing but the Kommune's own list.
"""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertInHTML

from awards import services
from awards.models import Award
from municipalities.confirmation import confirmed_links, source_index, with_confirmed_count
from municipalities.constants import LAND_ARS, Kind, Scope, SourceCoverage
from municipalities.history import current_counts
from municipalities.models import Municipality, ProcedureLink, SourceRecord, SourceSync
from municipalities.validation import count_key
from tests.awards.test_evidence_at_scale import kommune_with, submit
from tests.awards.test_review_admin import page_url, set_threshold
from tests.factories import AwardFactory, MunicipalityFactory, ProcedureLinkFactory
from tests.helpers import count_queries

pytestmark = pytest.mark.usefixtures("no_link_check")

SYNCED_AT = datetime.datetime(2026, 12, 1, 9, 30, tzinfo=datetime.UTC)
SYNCED_ON = "1. Dezember 2026"


def record(
    municipality: Municipality | None,
    url: str,
    *,
    online: bool = True,
    active: bool = True,
    name: str = "Leistung",
    leika_key: str = "99000000000001",
) -> SourceRecord:
    """A record as the sync stores it: a Kommune's own, or central (municipality None)."""
    return SourceRecord.objects.create(
        municipality=municipality,
        ars=municipality.ars if municipality else LAND_ARS,
        leika_key=leika_key,
        leika_name=name,
        url=url,
        url_key=count_key(url),
        online=online,
        active=active,
        coverage=SourceCoverage.KOMMUNE if municipality else SourceCoverage.LAND,
        fetched_at=SYNCED_AT,
    )


def synced(municipality: Municipality, at: datetime.datetime = SYNCED_AT) -> None:
    SourceSync.objects.update_or_create(
        municipality=municipality, defaults={"synced_at": at, "attempted_at": at}
    )


def link(municipality, url: str, scope: str = Scope.KOMMUNAL, title: str = "") -> ProcedureLink:
    return ProcedureLinkFactory(
        municipality=municipality, url=url, scope=scope, title=title or url.rsplit("/", 1)[-1]
    )


@pytest.fixture(autouse=True)
def threshold(db):
    for kind in (Kind.GEMEINDE, Kind.MARKT, Kind.STADT):
        set_threshold(kind, 3)


@pytest.fixture
def witnessed(kommune, clerk):
    """Four links of Markt Hösbach: known online, known offline, central, unknown."""
    link(kommune, "https://hoesbach.example/a-online")
    link(kommune, "https://hoesbach.example/b-offline")
    link(kommune, "https://freistaat.example/c-zentral", Scope.ZENTRAL)
    link(kommune, "https://hoesbach.example/d-unbekannt")
    record(kommune, "https://hoesbach.example/a-online/")  # another spelling, same procedure
    record(kommune, "https://hoesbach.example/b-offline", online=False)
    record(None, "https://freistaat.example/c-zentral")
    record(kommune, "https://hoesbach.example/d-unbekannt", active=False)  # not active there
    synced(kommune)
    application = services.create_application(municipality=kommune, by=clerk)
    services.submit_application(application=application, by=clerk)
    return application


def cells(response) -> dict[str, str]:
    """The evidence table's Bundesdaten cell by row title."""
    return {
        row.title: " ".join(
            str(part)
            for part in (
                "none" if row.witness is None else row.witness.kind,
                "" if row.witness is None else row.witness.online,
            )
        ).strip()
        for row, _link in response.context["evidence_rows"]
    }


# Every row --------------------------------------------------------------------------------


def test_each_row_says_whether_the_source_knows_its_url_and_its_online_status(
    reviewer_client, witnessed
):
    response = reviewer_client.get(page_url(witnessed))

    assert cells(response) == {
        "a-online": "own True",
        "b-offline": "own False",
        "c-zentral": "central True",
        "d-unbekannt": "none",
    }
    table = response.content.decode().split('id="nachweise"', 1)[1]
    assert '<th scope="col">Bundesdaten</th>' in table
    assert table.count("laut Quelle nicht online") == 1
    assert "in den Bundesdaten (zentrales Verfahren)" in table
    assert table.count("nicht in den Bundesdaten</span>") == 1


def test_central_records_confirm_zentral_links_only(reviewer_client, kommune, clerk):
    link(kommune, "https://freistaat.example/zentral", Scope.ZENTRAL)
    link(kommune, "https://freistaat.example/als-kommunal", Scope.KOMMUNAL)
    link(kommune, "https://hoesbach.example/eigen")
    record(None, "https://freistaat.example/zentral")
    record(None, "https://freistaat.example/als-kommunal")
    synced(kommune)
    application = services.create_application(municipality=kommune, by=clerk)
    services.submit_application(application=application, by=clerk)

    response = reviewer_client.get(page_url(application))

    assert cells(response) == {"zentral": "central True", "als-kommunal": "none", "eigen": "none"}
    assert response.context["comparison"].source.confirmed == 1


def test_records_of_the_landkreis_do_not_confirm_a_gemeindes_link(reviewer_client, clerk, kommune):
    landkreis = MunicipalityFactory(name="Aschaffenburg", kind=Kind.LANDKREIS)
    Municipality.objects.filter(pk=kommune.pk).update(landkreis=landkreis)
    for name in ("kfz", "fuehrerschein", "waffen"):
        link(kommune, f"https://landkreis.example/{name}")
        record(landkreis, f"https://landkreis.example/{name}")
    synced(kommune)
    synced(landkreis)
    application = services.create_application(municipality=kommune, by=clerk)
    services.submit_application(application=application, by=clerk)

    response = reviewer_client.get(page_url(application))

    assert set(cells(response).values()) == {"none"}
    assert response.context["comparison"].source.unlinked_total == 0  # nor listed as its own
    assert Municipality.objects.filter(pk=landkreis.pk).get().pk == landkreis.pk
    counted = with_confirmed_count(Municipality.objects.filter(pk__in=[kommune.pk, landkreis.pk]))
    assert dict(counted.values_list("pk", "confirmed_count")) == {kommune.pk: 0, landkreis.pk: 0}


def test_the_count_in_sql_follows_the_same_rule_as_the_rows(kommune, other_kommune):
    """`with_confirmed_count` (public page, re-check), `source_index` (the rows) and the count
    history (`current_counts`) agree: one rule."""
    landkreis = MunicipalityFactory(kind=Kind.LANDKREIS)
    cases = [  # (scope, whose record, online, active)
        (Scope.KOMMUNAL, kommune, True, True),
        (Scope.KOMMUNAL, kommune, False, True),
        (Scope.KOMMUNAL, kommune, True, False),
        (Scope.KOMMUNAL, None, True, True),
        (Scope.ZENTRAL, None, False, True),
        (Scope.ZENTRAL, kommune, True, True),
        (Scope.ZENTRAL, None, True, False),
        (Scope.KOMMUNAL, other_kommune, True, True),
        (Scope.KOMMUNAL, landkreis, True, True),
    ]
    for n, (scope, owner, online, active) in enumerate(cases):
        link(kommune, f"https://fall.example/{n}/", scope)
        record(owner, f"https://fall.example/{n}", online=online, active=active)
    inactive = link(kommune, "https://fall.example/inaktiv")
    ProcedureLink.objects.filter(pk=inactive.pk).update(active=False)
    record(kommune, "https://fall.example/inaktiv")

    index = source_index(kommune.pk)
    by_rows = sum(
        index.witness(key, scope) is not None
        for key, scope in kommune.procedure_links.filter(active=True).values_list(
            "url_key", "scope"
        )
    )
    counted = with_confirmed_count(Municipality.objects.filter(pk=kommune.pk)).get()

    assert by_rows == counted.confirmed_count == 4
    assert current_counts([kommune.pk]) == {kommune.pk: (len(cases), 4)}
    assert counted.synced_at is None


# The summary --------------------------------------------------------------------------------


def summary_of(response) -> str:
    html = response.content.decode()
    return html.split('id="uebersicht"', 1)[1].split("</section>", 1)[0]


def test_the_summary_says_how_many_the_source_confirms_and_when_it_was_synced(
    reviewer_client, witnessed
):
    summary = summary_of(reviewer_client.get(page_url(witnessed)))

    assertInHTML(
        '<a href="?bundesdaten=bestaetigt#nachweise">3 von 4 in den Bundesdaten bestätigt</a>',
        summary,
    )
    assertInHTML('<a href="?bundesdaten=fehlt#nachweise">nicht in den Bundesdaten: 1</a>', summary)
    assert f"Bundesdaten zuletzt abgeglichen am {SYNCED_ON}" in summary


def test_a_kommune_never_synced_is_not_called_unconfirmed(reviewer_client, kommune, clerk):
    link(kommune, "https://freistaat.example/zentral", Scope.ZENTRAL)
    link(kommune, "https://hoesbach.example/eigen")
    link(kommune, "https://hoesbach.example/noch-eins")
    record(None, "https://freistaat.example/zentral")  # central records come with any run
    application = services.create_application(municipality=kommune, by=clerk)
    services.submit_application(application=application, by=clerk)

    response = reviewer_client.get(page_url(application))

    assert "Noch nicht mit den Bundesdaten abgeglichen." in summary_of(response)
    assert "in den Bundesdaten bestätigt" not in summary_of(response)
    assert set(cells(response).values()) == {"none"}
    assert response.content.decode().count("<td>nicht abgeglichen</td>") == 3
    assert "nicht verlinkt" not in response.content.decode().split('id="nachweise"', 1)[1]
    for value in ("bestaetigt", "fehlt"):  # neither confirmed nor missing: unknown
        assert cells(reviewer_client.get(page_url(application), {"bundesdaten": value})) == {}


def test_the_source_filter_shows_the_confirmed_or_the_missing_evidence(reviewer_client, witnessed):
    url = page_url(witnessed)
    link(witnessed.municipality, "https://hoesbach.example/e-neu")  # added since: no evidence
    record(witnessed.municipality, "https://hoesbach.example/e-neu")

    confirmed = reviewer_client.get(url, {"bundesdaten": "bestaetigt"})
    missing = reviewer_client.get(url, {"bundesdaten": "fehlt"})
    unknown = reviewer_client.get(url, {"bundesdaten": "vielleicht"})

    assert sorted(cells(confirmed)) == ["a-online", "b-offline", "c-zentral"]
    assert sorted(cells(missing)) == ["d-unbekannt"]
    assert len(cells(unknown)) == 5  # an unknown value filters nothing and says so
    assert "Den Wert „vielleicht“ gibt es für den Filter „Bundesdaten“ nicht" in (
        unknown.content.decode()
    )


# In the source, not linked ------------------------------------------------------------------


def test_records_the_kommune_does_not_link_are_listed(reviewer_client, witnessed):
    kommune = witnessed.municipality
    record(kommune, "https://hoesbach.example/hund", name="Hundesteuer", online=False)
    record(
        kommune,
        "https://hoesbach.example/hund",
        name="Hund anmelden",
        leika_key="99000000000002",
        online=False,
    )
    record(kommune, "https://hoesbach.example/baum", name="Baumfällung")
    record(kommune, "https://hoesbach.example/alt", name="Alt", active=False)

    response = reviewer_client.get(page_url(witnessed))

    source = response.context["comparison"].source
    assert [(item.title, item.url, item.online, item.more) for item in source.unlinked] == [
        ("Baumfällung", "https://hoesbach.example/baum", True, 0),
        ("Hund anmelden", "https://hoesbach.example/hund", False, 1),
    ]
    html = response.content.decode().split('id="bundesdaten-nicht-verlinkt"', 1)[1]
    assert "2 Online-Verfahren der Kommune stehen in den Bundesdaten, sind aber nicht" in html
    assert "https://hoesbach.example/baum" in html
    assert "(und 1 weitere Leistung)" in html
    assertInHTML(
        '<a href="#bundesdaten-nicht-verlinkt">in den Bundesdaten, aber nicht verlinkt: 2</a>',
        summary_of(response),
    )


def test_the_unlinked_list_shows_the_first_fifty_with_the_total(reviewer_client, witnessed):
    for n in range(55):
        record(witnessed.municipality, f"https://hoesbach.example/offen/{n}", name=f"L {n:02d}")

    response = reviewer_client.get(page_url(witnessed))

    source = response.context["comparison"].source
    assert (len(source.unlinked), source.unlinked_total) == (50, 55)
    assert source.unlinked[0].title == "L 00"
    assert "Die ersten 50 von 55, nach Leistungsname." in response.content.decode()


# What it costs ------------------------------------------------------------------------------


def test_the_page_with_the_source_costs_the_same_at_50_and_at_2000_items(admin_client, admin_user):
    def page(links: int) -> int:
        kommune = kommune_with(links)
        synced(kommune)
        urls = list(kommune.procedure_links.values_list("url", flat=True))
        SourceRecord.objects.bulk_create(
            SourceRecord(
                municipality=kommune if n % 2 else None,
                ars=kommune.ars if n % 2 else LAND_ARS,
                leika_key="99000000000001",
                url=url,
                url_key=count_key(url),
                online=n % 3 > 0,
                fetched_at=SYNCED_AT,
            )
            for n, url in enumerate(urls)
        )
        SourceRecord.objects.bulk_create(
            SourceRecord(
                municipality=kommune,
                ars=kommune.ars,
                leika_key="99000000000001",
                url=f"https://quelle.example/{kommune.pk}/{n}",
                url_key=f"quelle.example/{kommune.pk}/{n}",
                fetched_at=SYNCED_AT,
            )
            for n in range(links // 10 + 60)
        )
        application, _queries = submit(kommune, admin_user)
        url = page_url(application)
        admin_client.get(url)  # fills the content type cache, as on a running server
        with count_queries() as queries:
            response = admin_client.get(url, {"bundesdaten": "fehlt"})
        source = response.context["comparison"].source
        assert (source.confirmed, source.evidence) == (links // 2, links)
        assert len(source.unlinked) == 50
        return len(queries.own)

    assert page(50) == page(2_000)


# The re-check of holders --------------------------------------------------------------------


def revalidate() -> list[str]:
    out = StringIO()
    call_command("revalidate_awards", stdout=out)
    return out.getvalue().splitlines()


def holder(name: str, number: str, links: int, confirmed: int, *, synced_at=SYNCED_AT) -> Award:
    kommune = MunicipalityFactory(name=name, kind=Kind.STADT)
    for n in range(links):
        url = f"https://{kommune.ars}.example/{n}"
        link(kommune, url)
        if n < confirmed:
            record(kommune, url)
    if synced_at is not None:
        synced(kommune, synced_at)
    return AwardFactory(municipality=kommune, number=number)


def test_revalidate_lists_holders_whose_confirmed_count_fell_below_the_threshold():
    holder("Straubing", "DA-2021-0003", links=4, confirmed=3)
    holder("Amberg", "DA-2021-0004", links=4, confirmed=2)
    holder("Bamberg", "DA-2021-0006", links=2, confirmed=0, synced_at=None)
    holder("Coburg", "DA-2021-0007", links=3, confirmed=1)

    assert revalidate() == [
        "4 Träger geprüft, 1 unter dem Schwellenwert:",
        "  Stadt Bamberg (DA-2021-0006): 2 von 3 Online-Verfahren",
        "Laut Bundesdaten: 3 abgeglichen, 2 unter dem Schwellenwert, 1 nicht abgeglichen:",
        "  Stadt Amberg (DA-2021-0004): 2 von 3 in den Bundesdaten bestätigt (4 in der eigenen "
        f"Liste), abgeglichen am {SYNCED_ON}",
        "  Stadt Coburg (DA-2021-0007): 1 von 3 in den Bundesdaten bestätigt (3 in der eigenen "
        f"Liste), abgeglichen am {SYNCED_ON}",
    ]
    assert not Award.objects.filter(revoked_at__isnull=False).exists()


def test_revalidate_counts_the_source_by_the_counting_rule_in_one_query():
    award = holder("Amberg", "DA-2021-0004", links=4, confirmed=4)
    kommune = award.municipality
    first = kommune.procedure_links.order_by("pk").first()
    first.active = False  # an inactive link counts for nothing, confirmed or not
    first.save()
    # Two records of one URL (two LeiKa services) confirm it once.
    second = kommune.procedure_links.order_by("pk")[1]
    record(kommune, second.url, leika_key="99000000000002")
    for index in range(5):
        holder(f"Stadt {index}", f"DA-2022-{index + 1:04d}", links=3, confirmed=index)

    with CaptureQueriesContext(connection) as queries:
        lines = revalidate()

    assert len(queries) == 1
    assert lines[-4:] == [
        "Laut Bundesdaten: 6 abgeglichen, 3 unter dem Schwellenwert, 0 nicht abgeglichen:",
        *(
            f"  Stadt {index} (DA-2022-{index + 1:04d}): {index} von 3 in den Bundesdaten "
            f"bestätigt (3 in der eigenen Liste), abgeglichen am {SYNCED_ON}"
            for index in range(3)
        ),
    ]
    assert confirmed_links(kommune).values("url_key").distinct().count() == 3


def test_the_award_list_filters_holders_below_the_threshold_by_the_source(admin_client):
    safe = holder("Straubing", "DA-2021-0003", links=3, confirmed=3)
    below = holder("Amberg", "DA-2021-0004", links=4, confirmed=2)
    unsynced = holder("Bamberg", "DA-2021-0006", links=3, confirmed=0, synced_at=None)
    changelist = reverse("admin:awards_award_changelist")

    risky = admin_client.get(changelist, {"at_risk_source": "1"})
    fine = admin_client.get(changelist, {"at_risk_source": "0"})

    assert list(risky.context["cl"].result_list) == [below]
    assert list(fine.context["cl"].result_list) == [safe]
    html = admin_client.get(changelist).content.decode()
    assertInHTML('<td class="field-confirmed">2 von 3</td>', html)
    assertInHTML('<td class="field-confirmed">nicht abgeglichen</td>', html)
    assert unsynced.municipality.title in html
