"""The verification form forgives how people type a number, and offers the one they meant."""

import pytest
from django.urls import reverse

from awards.models import normalize_award_number
from municipalities.constants import Kind
from tests.factories import AwardFactory, MunicipalityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def awards():
    hoesbach = MunicipalityFactory(name="Hösbach", kind=Kind.MARKT, ars="096710130130")
    AwardFactory(municipality=hoesbach, number="DA-2023-0017")
    AwardFactory(number="DA-2023-0019")
    AwardFactory(number="DA-2022-0017")
    AwardFactory(number="DA-2023-0171")


@pytest.mark.parametrize(
    "typed",
    [
        "DA-2023-0017",
        "DA-2023-17",
        "da 2023 17",
        "2023-0017",
        "DA-2023-0017 ",
        " da-2023-017",
        "DA20230017",
        "DA 2023/17",
        "DA–2023–0017",
        "DA-2023-OO17",
    ],
)
def test_the_form_finds_a_number_however_it_is_typed(client, awards, typed):
    response = client.get(reverse("awards:verify_form"), {"nummer": typed})

    assert response.status_code == 302
    assert response["Location"] == "/pruefen/DA-2023-0017/"


@pytest.mark.parametrize("typed", ["DA-2023-17", "da 2023 17", "2023-0017", "2023%2017"])
def test_the_page_finds_a_number_however_it_is_typed(client, awards, typed):
    response = client.get(f"/pruefen/{typed}/", follow=True)

    # one address per award, so that each spelling is not a page of its own in every cache
    assert response.redirect_chain == [("/pruefen/DA-2023-0017/", 301)]
    assert "Gültig: Markt Hösbach trägt das Prädikat" in response.content.decode()


def test_a_number_typed_in_the_address_keeps_asking_for_json(client, awards):
    response = client.get(
        "/pruefen/da-2023-17/", headers={"Accept": "application/json"}, follow=True
    )

    assert response.redirect_chain == [("/pruefen/DA-2023-0017/", 301)]
    assert response.json()["type"] == "Assertion"


@pytest.mark.parametrize(
    "typed",
    ["", "DA", "17", "DA-23-17", "DA-2023-00017", "DA2023017", "DA-2023-0017-1", "٢٠٢٣-٠٠١٧"],
)
def test_what_is_not_a_number_reads_as_none(typed):
    assert normalize_award_number(typed) is None


def test_a_number_one_slip_away_is_offered_as_a_link(client, awards):
    response = client.get("/pruefen/DA-2023-9017/")

    content = response.content.decode()
    assert response.status_code == 404
    assert (
        'Meinten Sie <a class="kern-link" href="/pruefen/DA-2023-0017/">DA-2023-0017</a>'
        " (Markt Hösbach)?"
    ) in content


def test_a_number_typed_from_the_form_one_slip_away_is_offered(client, awards):
    # The running number with a digit too many: no exact reading, two awards one slip away.
    response = client.get(reverse("awards:verify_form"), {"nummer": "DA 2023 00171"})
    assert response.status_code == 302
    response = client.get(response["Location"])

    content = response.content.decode()
    assert response.status_code == 404
    assert "Meinten Sie eine dieser Nummern?" in content
    offered = content.split("Meinten Sie eine dieser Nummern?", 1)[1].split("</ul>", 1)[0]
    assert offered.count("<li>") == 2
    assert offered.index("DA-2023-0017") < offered.index("DA-2023-0171")


def test_swapped_digits_are_offered_before_a_wrong_digit(client, awards):
    # DA-2032-0017: the year's digits swapped (DA-2023-0017) or one wrong (DA-2022-0017).
    content = client.get("/pruefen/DA-2032-0017/").content.decode()

    offered = content.split("Meinten Sie eine dieser Nummern?", 1)[1].split("</ul>", 1)[0]
    assert offered.index("DA-2023-0017") < offered.index("DA-2022-0017")
    assert "DA-2023-0019" not in offered


def test_a_number_far_from_every_award_offers_nothing(client, awards):
    content = client.get("/pruefen/DA-2030-5555/").content.decode()

    assert "Meinten Sie" not in content
    assert "Zur Nummer „DA-2030-5555“ gibt es keine Auszeichnung" in content


def test_an_unknown_number_costs_a_fixed_number_of_queries(
    client, awards, django_assert_num_queries
):
    AwardFactory.create_batch(5)
    with django_assert_num_queries(3):  # the number, the numbers, the offered awards
        client.get("/pruefen/DA-2023-9017/")


def public_pages(ars: str) -> list[str]:
    return [
        "/",
        "/?q=Hösbach",
        f"/kommunen/{ars}/",
        "/karte/",
        "/statistik/",
        "/pruefen/",
        "/pruefen/DA-2023-0017/",
        "/pruefen/DA-2030-5555/",
        "/offene-daten/",
        "/impressum/",
        "/datenschutz/",
        "/barrierefreiheit/",
        "/leichte-sprache/",
        "/konto/anmelden/",
    ]


def test_every_public_page_links_to_the_verification_in_its_footer(client, awards):
    missing = []
    for path in public_pages("096710130130"):
        response = client.get(path)
        assert response.status_code in (200, 404), path
        footer = response.content.decode().split('<footer class="site-footer">', 1)[1]
        if '<a class="kern-link" href="/pruefen/"' not in footer:
            missing.append(path)

    assert missing == []


def test_the_verification_form_marks_its_footer_link_as_the_current_page(client, db):
    footer = client.get("/pruefen/").content.decode().split('<footer class="site-footer">', 1)[1]

    assert '<a class="kern-link" href="/pruefen/" aria-current="page">' in footer
