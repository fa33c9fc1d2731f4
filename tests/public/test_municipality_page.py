"""The public page of every Kommune at /kommunen/<ars>/."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertInHTML

from awards.documents import SIGNET_DEFAULT_WIDTH as SIGNET_WIDTH
from awards.documents import signet_height
from municipalities.constants import Kind
from municipalities.models import Threshold
from tests.factories import AwardFactory, MunicipalityFactory, ProcedureLinkFactory
from tests.helpers import assert_csp_clean, count_queries, main_text

# A first visitor's page is kept for all (lib/http.shared_page): with the test settings'
# database cache a read that misses, then the write (COUNT for culling, look-up, INSERT).
PAGE_KEPT = 4


def url(municipality) -> str:
    return reverse("awards:municipality", args=[municipality.ars])


@pytest.fixture
def region(db):
    schwaben = MunicipalityFactory(ars="097000000000", name="Schwaben", kind=Kind.BEZIRK)
    guenzburg = MunicipalityFactory(
        ars="097740000000",
        name="Günzburg",
        kind=Kind.LANDKREIS,
        regierungsbezirk=schwaben,
        population=126_811,
    )
    vg = MunicipalityFactory(
        ars="097745732000",
        name="Thannhausen",
        kind=Kind.VG,
        regierungsbezirk=schwaben,
        landkreis=guenzburg,
        seat="Thannhausen",
        postal_code="86470",
        population=12_345,
    )
    thannhausen = MunicipalityFactory(
        ars="097745732185",
        name="Thannhausen",
        kind=Kind.STADT,
        regierungsbezirk=schwaben,
        landkreis=guenzburg,
        verwaltungsgemeinschaft=vg,
        postal_code="86470",
        population=6_543,
        area_ha=2_345,
    )
    balzhausen = MunicipalityFactory(
        ars="097745732114",
        name="Balzhausen",
        kind=Kind.GEMEINDE,
        regierungsbezirk=schwaben,
        landkreis=guenzburg,
        verwaltungsgemeinschaft=vg,
    )
    krumbach = MunicipalityFactory(
        ars="097745444444",
        name="Krumbach (Schwaben)",
        kind=Kind.STADT,
        regierungsbezirk=schwaben,
        landkreis=guenzburg,
        website="https://www.krumbach.de",
    )
    augsburg = MunicipalityFactory(
        ars="097610000000",
        name="Augsburg",
        kind=Kind.KREISFREIE_STADT,
        regierungsbezirk=schwaben,
        population=301_033,
    )
    return {
        "schwaben": schwaben,
        "guenzburg": guenzburg,
        "vg": vg,
        "thannhausen": thannhausen,
        "balzhausen": balzhausen,
        "krumbach": krumbach,
        "augsburg": augsburg,
    }


# A holder ----------------------------------------------------------------------------------------


def test_a_holder_shows_its_award_signet_and_verification_link(client, region):
    award = AwardFactory(
        municipality=region["augsburg"],
        number="DA-2021-0002",
        issued_on=datetime.date(2021, 7, 28),
        procedure_count=120,
    )

    response = client.get(url(region["augsburg"]))

    content = response.content.decode()
    assert response.status_code == 200
    assertInHTML('<h1 class="kern-heading-large">Stadt Augsburg</h1>', content)
    assert "<title>Stadt Augsburg – Digitales Amt</title>" in content
    page = main_text(response)
    assert "Trägt das Prädikat „Digitales Amt“" in page
    assert "DA-2021-0002" in page
    assertInHTML('<time datetime="2021-07-28">28. Juli 2021</time>', page)
    assert "Online-Verfahren bei Verleihung</dt> <dd" in page
    assert ">120</dd>" in page
    signet = reverse("awards:signet_png", args=[award.number])
    img = re.search(r"<img [^>]*public-award__signet[^>]*>", content).group(0)
    assert f'src="{signet}?breite={SIGNET_WIDTH}"' in img
    assert f'srcset="{signet}?breite={SIGNET_WIDTH * 2} 2x"' in img
    assert f'width="{SIGNET_WIDTH}" height="{signet_height(SIGNET_WIDTH)}"' in img
    assert 'alt="Online-Signet „Digitales Amt“, Nummer DA-2021-0002"' in img
    assert f'href="{reverse("awards:verify", args=[award.number])}"' in content
    assert "Auszeichnung DA-2021-0002 prüfen" in page
    assert "noch nicht ausgezeichnet" not in page.lower()
    assert_csp_clean(response)
    assert "<script" not in content


def test_the_signet_is_drawn_320_pixels_wide_at_five_to_four(region):
    assert (SIGNET_WIDTH, signet_height(SIGNET_WIDTH)) == (320, 400)


def test_a_holding_landkreis_says_its_award_is_not_its_gemeinden(client, region):
    AwardFactory(municipality=region["guenzburg"], number="DA-2023-0001")

    page = main_text(client.get(url(region["guenzburg"])))

    assert "Die Auszeichnung gilt für das Landratsamt, nicht für die Gemeinden" in page


def test_a_gemeinde_in_a_holding_landkreis_is_not_called_awarded(client, region):
    AwardFactory(municipality=region["guenzburg"], number="DA-2023-0001")

    page = main_text(client.get(url(region["krumbach"])))

    assert "Noch nicht ausgezeichnet" in page
    assert "DA-2023-0001" not in page


# Not (yet) a holder -----------------------------------------------------------------------------


def test_a_kommune_without_the_award_shows_its_count_against_its_threshold(client, region):
    krumbach = region["krumbach"]
    for n in range(12):
        ProcedureLinkFactory(municipality=krumbach, url=f"https://krumbach.example/antrag/{n}")
    ProcedureLinkFactory(municipality=krumbach, active=False)

    response = client.get(url(krumbach))

    page = main_text(response)
    assert response.status_code == 200
    assert "Noch nicht ausgezeichnet" in page
    assert (
        "Die Kommune verlinkt derzeit 12 Online-Verfahren im BayernPortal; "
        "für das Prädikat braucht sie mindestens 50." in page
    )
    assert "Es fehlen noch 38 Online-Verfahren." in page
    assert "public-award__signet" not in page


def test_the_threshold_is_the_ministrys_for_the_kind(client, region):
    Threshold.objects.update_or_create(kind=Kind.BEZIRK, defaults={"minimum": 30})
    for _n in range(29):
        ProcedureLinkFactory(municipality=region["schwaben"])

    page = main_text(client.get(url(region["schwaben"])))

    assert "verlinkt derzeit 29 Online-Verfahren" in page
    assert "mindestens 30." in page
    assert "Es fehlt noch 1 Online-Verfahren." in page


def test_a_kommune_at_its_threshold_is_told_the_award_needs_an_application(client, region):
    Threshold.objects.update_or_create(kind=Kind.STADT, defaults={"minimum": 3})
    for _n in range(3):
        ProcedureLinkFactory(municipality=region["krumbach"])

    page = main_text(client.get(url(region["krumbach"])))

    assert "Die Mindestzahl ist erreicht." in page
    assert "auf Antrag der Kommune" in page


def test_a_revoked_award_shows_it_is_not_awarded_now_without_the_reason(client, region):
    AwardFactory(
        municipality=region["augsburg"],
        number="DA-2021-0002",
        revoked_at=timezone.make_aware(datetime.datetime(2024, 3, 5, 10)),
        revocation_reason="Vertraulicher Grund",
    )

    page = main_text(client.get(url(region["augsburg"])))

    assert "Derzeit nicht ausgezeichnet" in page
    assert "Die Auszeichnung DA-2021-0002 wurde am 5. März 2024 widerrufen." in page
    assert reverse("awards:verify", args=["DA-2021-0002"]) in page
    assert "Vertraulicher Grund" not in page
    assert "public-award__signet" not in page


def test_a_new_award_after_a_revocation_is_the_one_shown(client, region):
    AwardFactory(
        municipality=region["augsburg"],
        number="DA-2021-0002",
        revoked_at=timezone.now(),
        revocation_reason="Grund",
    )
    AwardFactory(municipality=region["augsburg"], number="DA-2024-0010")

    page = main_text(client.get(url(region["augsburg"])))

    assert "Trägt das Prädikat" in page
    assert "DA-2024-0010" in page
    assert "widerrufen" not in page


# Verwaltungsgemeinschaften ----------------------------------------------------------------------


def test_a_member_of_a_holding_vg_is_covered_through_it(client, region):
    AwardFactory(
        municipality=region["vg"], number="DA-2022-0100", issued_on=datetime.date(2022, 7, 14)
    )

    response = client.get(url(region["balzhausen"]))

    page = main_text(response)
    assert "Über die Verwaltungsgemeinschaft ausgezeichnet" in page
    assert (
        f'Die Gemeinde gehört zur <a class="kern-link" href="{url(region["vg"])}">'
        "Verwaltungsgemeinschaft Thannhausen</a>." in page
    )
    assert "DA-2022-0100" in page
    assert "14. Juli 2022" in page
    assert reverse("awards:verify", args=["DA-2022-0100"]) in page
    assert "Noch nicht ausgezeichnet" not in page


def test_a_member_of_a_vg_without_the_award_is_not_covered(client, region):
    page = main_text(client.get(url(region["balzhausen"])))

    assert "Noch nicht ausgezeichnet" in page
    assert "Über die Verwaltungsgemeinschaft ausgezeichnet" not in page
    assert f'href="{url(region["vg"])}">Verwaltungsgemeinschaft Thannhausen</a>' in page


def test_a_vg_lists_its_members_with_links_and_their_own_awards(client, region):
    AwardFactory(municipality=region["vg"], number="DA-2022-0100")
    AwardFactory(municipality=region["thannhausen"], number="DA-2023-0005")

    page = main_text(client.get(url(region["vg"])))

    members = page.split('id="public-members-title"', 1)[1]
    assert re.findall(r'href="/kommunen/(\d+)/">([^<]+)</a>', members) == [
        ("097745732114", "Gemeinde Balzhausen"),
        ("097745732185", "Stadt Thannhausen"),
    ]
    assert members.count("eigenes Prädikat") == 1
    assert "gilt für die Verwaltungsgemeinschaft und damit für alle ihre Mitgliedsgemeinden" in (
        page
    )


# Where a Kommune belongs ------------------------------------------------------------------------


def test_a_gemeinde_links_its_vg_landkreis_and_regierungsbezirk(client, region):
    page = main_text(client.get(url(region["thannhausen"])))

    assert f'href="{url(region["vg"])}">Verwaltungsgemeinschaft Thannhausen</a>' in page
    assert f'href="{url(region["guenzburg"])}">Günzburg</a>' in page
    assert f'href="{url(region["schwaben"])}">Schwaben</a>' in page
    assert "Stadt · Landkreis Günzburg · Schwaben" in page
    assert 'Einwohner</dt> <dd class="kern-description-list-item__value">6.543</dd>' in page
    assert "23,45 km²" in page
    assert "86470" in page
    assert "097745732185" in page


def test_a_kreisfreie_stadt_has_no_landkreis(client, region):
    page = main_text(client.get(url(region["augsburg"])))

    assert "keiner (kreisfreie Stadt)" in page
    assert "301.033" in page


def test_the_website_is_linked(client, region):
    page = main_text(client.get(url(region["krumbach"])))

    assertInHTML(
        '<a class="kern-link" href="https://www.krumbach.de" rel="noopener noreferrer">'
        "https://www.krumbach.de</a>",
        page,
    )


def test_a_landkreis_counts_its_kommunen_and_links_the_filtered_list(client, region):
    AwardFactory(municipality=region["vg"], number="DA-2022-0100")
    AwardFactory(municipality=region["guenzburg"], number="DA-2023-0001")

    page = main_text(client.get(url(region["guenzburg"])))

    area = page.split('id="public-area-title"', 1)[1]
    assert "Kreisangehörige Gemeinden, Märkte und Städte</dt> <dd " in area
    assert re.search(r"Märkte und Städte</dt> <dd [^>]*>3</dd>", area)
    assert re.search(r"Verwaltungsgemeinschaften</dt> <dd [^>]*>1</dd>", area)
    assert re.search(r"Digitale Ämter</dt> <dd [^>]*>2</dd>", area)
    assert 'href="/?landkreis=097740000000"' in area


def test_a_regierungsbezirk_counts_its_landkreise_and_staedte(client, region):
    page = main_text(client.get(url(region["schwaben"])))

    area = page.split('id="public-area-title"', 1)[1]
    assert re.search(r"Landkreise</dt> <dd [^>]*>1</dd>", area)
    assert re.search(r"Kreisfreie Städte</dt> <dd [^>]*>1</dd>", area)
    assert 'href="/?regierungsbezirk=097000000000"' in area


# Unknown Kommunen and queries -------------------------------------------------------------------


@pytest.mark.parametrize("ars", ["099999999999", "000000000000"])
def test_an_unknown_ars_is_404(client, region, ars):
    assert client.get(f"/kommunen/{ars}/").status_code == 404


@pytest.mark.parametrize("path", ["/kommunen/09761/", "/kommunen/abc/", "/kommunen/0976100000001/"])
def test_a_malformed_ars_is_404(client, region, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("members", [2, 25])
def test_a_vg_page_costs_a_fixed_number_of_queries(client, region, members):
    AwardFactory(municipality=region["vg"], number="DA-2022-0100")
    for n in range(members):
        member = MunicipalityFactory(verwaltungsgemeinschaft=region["vg"])
        ProcedureLinkFactory(municipality=member)
        AwardFactory(municipality=member, number=f"DA-2024-{n + 1:04d}")

    # the data version (ETag), Kommune with its count and threshold, awards, members, the
    # count history
    with count_queries() as counted:
        response = client.get(url(region["vg"]))

    assert response.status_code == 200
    assert len(counted.own) == 5
    assert len(counted.cache) == PAGE_KEPT


@pytest.mark.parametrize("kommunen", [2, 25])
def test_a_landkreis_page_costs_a_fixed_number_of_queries(client, region, kommunen):
    for n in range(kommunen):
        member = MunicipalityFactory(landkreis=region["guenzburg"])
        AwardFactory(municipality=member, number=f"DA-2024-{n + 1:04d}")

    # the data version (ETag), Kommune with its count and threshold, awards, area counts, the
    # count history
    with count_queries() as counted:
        response = client.get(url(region["guenzburg"]))

    assert response.status_code == 200
    assert len(counted.own) == 5
    assert len(counted.cache) == PAGE_KEPT


@pytest.mark.parametrize("name", ["thannhausen", "balzhausen", "augsburg", "krumbach"])
def test_a_gemeinde_or_stadt_page_costs_five_queries(client, region, name):
    AwardFactory(municipality=region["vg"], number="DA-2022-0100")
    AwardFactory(municipality=region["augsburg"], number="DA-2021-0002")
    for _n in range(5):
        ProcedureLinkFactory(municipality=region[name])

    # the data version (ETag), Kommune with its count and threshold, awards, the count
    # history, the active links with their services' topics (never synced: no source index)
    with count_queries() as counted:
        response = client.get(url(region[name]))

    assert response.status_code == 200
    assert len(counted.own) == 5
    assert len(counted.cache) == PAGE_KEPT


def test_the_page_is_english_on_request(client, region):
    response = client.get(url(region["augsburg"]), HTTP_ACCEPT_LANGUAGE="en")

    assert '<html lang="en">' in response.content.decode()


def test_the_page_sends_validators_and_answers_304_with_one_query(
    client, region, django_assert_num_queries
):
    AwardFactory(municipality=region["augsburg"], number="DA-2021-0002")
    first = client.get(url(region["augsburg"]))

    with django_assert_num_queries(1):  # the data version only
        again = client.get(url(region["augsburg"]), headers={"if-none-match": first["ETag"]})

    assert first["Cache-Control"] == "public, max-age=300"
    assert again.status_code == 304


def test_an_unknown_kommune_has_no_validators(client, db):
    response = client.get("/kommunen/099999999999/")

    assert response.status_code == 404
    assert not response.has_header("ETag")
