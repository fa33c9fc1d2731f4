"""The verification page /pruefen/<number>/: for people (HTML) and for machines (JSON)."""

import datetime

import pytest
from django.urls import reverse

from awards.services import revoke_award
from municipalities.constants import Kind
from tests.factories import AwardFactory, MunicipalityFactory
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db

JSON = {"accept": "application/json"}


@pytest.fixture
def award():
    nuernberg = MunicipalityFactory(
        name="Nürnberg",
        kind=Kind.KREISFREIE_STADT,
        ars="095640000000",
        website="https://www.nuernberg.de/",
    )
    return AwardFactory(
        municipality=nuernberg,
        number="DA-2021-0001",
        issued_on=datetime.date(2021, 7, 28),
        procedure_count=290,
    )


@pytest.fixture
def revoked(award, reviewer):
    return revoke_award(award=award, by=reviewer, reason="Weniger als 50 Verfahren seit März.")


def test_valid_award_page_says_valid_at_a_glance(client, award):
    response = client.get("/pruefen/DA-2021-0001/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "Gültig: Stadt Nürnberg trägt das Prädikat „Digitales Amt“." in content
    assert "Kreisfreie Stadt" in content
    assert "28. Juli 2021" in content
    assert ">290<" in content
    assert f'href="{reverse("awards:municipality", args=[award.municipality.ars])}"' in content
    assert 'src="/auszeichnungen/DA-2021-0001/signet.png?breite=320"' in content
    assert response["Cache-Control"] == "public, max-age=60"
    assert "Accept" in response["Vary"]


def test_number_is_matched_regardless_of_case_and_spaces(client, award):
    for typed in ("da-2021-0001", "%20DA-2021-0001%20", "DA 2021 0001", "da20210001"):
        response = client.get(f"/pruefen/{typed}/", follow=True)
        assert response.redirect_chain == [("/pruefen/DA-2021-0001/", 301)], typed
        assert "Gültig" in response.content.decode()


def test_unknown_number_is_404_with_a_way_to_try_again(client, award):
    response = client.get("/pruefen/DA-2021-9999/")

    content = response.content.decode()
    assert response.status_code == 404
    assert "Zur Nummer „DA-2021-9999“ gibt es keine Auszeichnung" in content
    assert 'name="nummer"' in content


def test_unknown_number_is_escaped_on_the_page(client, db):
    response = client.get("/pruefen/<script>alert(1)<%2Fscript>/")

    assert response.status_code == 404
    assert "<script>alert" not in response.content.decode()


def test_revoked_award_page_is_410_with_the_reason(client, revoked):
    response = client.get("/pruefen/DA-2021-0001/")

    content = response.content.decode()
    assert response.status_code == 410
    assert "Nicht mehr gültig" in content
    assert "Weniger als 50 Verfahren seit März." in content
    assert "Gültig:" not in content
    assert "signet.png" not in content


def test_json_is_an_open_badges_assertion(client, award):
    response = client.get("/pruefen/DA-2021-0001/", headers=JSON)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    url = "https://digitales-amt.test/pruefen/DA-2021-0001/"
    assert data["@context"] == "https://w3id.org/openbadges/v2"
    assert data["type"] == "Assertion"
    assert data["id"] == url
    assert data["recipient"] == {
        "type": "url",
        "hashed": False,
        "identity": "https://www.nuernberg.de/",
        "ars": "095640000000",
        "name": "Stadt Nürnberg",
        "url": "https://digitales-amt.test/kommunen/095640000000/",
    }
    badge = data["badge"]
    assert badge["type"] == "BadgeClass"
    assert badge["name"] == "Digitales Amt"
    assert "Mindestens 50 Online-Verfahren" in badge["criteria"]["narrative"]
    assert badge["issuer"]["name"] == "Bayerisches Staatsministerium für Digitales"
    assert badge["issuer"]["type"] == "Profile"
    assert data["issuedOn"].startswith("2021-07-28T")
    assert data["verification"] == {"type": "hosted"}
    assert data["revoked"] is False
    assert "revocationReason" not in data
    assert "290" in data["evidence"]["narrative"]


def test_json_criteria_follow_the_threshold_of_a_bezirk(client):
    bezirk = MunicipalityFactory(name="Unterfranken", kind=Kind.BEZIRK, ars="096000000000")
    award = AwardFactory(municipality=bezirk)

    data = client.get(f"/pruefen/{award.number}/", headers=JSON).json()

    assert "Mindestens 30 Online-Verfahren" in data["badge"]["criteria"]["narrative"]


def test_json_of_a_revoked_award_is_410_with_the_reason(client, revoked):
    response = client.get("/pruefen/DA-2021-0001/", headers=JSON)

    assert response.status_code == 410
    data = response.json()
    assert data["revoked"] is True
    assert data["revocationReason"] == "Weniger als 50 Verfahren seit März."


def test_json_of_an_unknown_number_is_404(client, db):
    response = client.get("/pruefen/DA-2030-0001/", headers=JSON)

    assert response.status_code == 404
    assert response.json()["nummer"] == "DA-2030-0001"


def test_a_browser_gets_html_even_though_it_accepts_anything(client, award):
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get("/pruefen/DA-2021-0001/", headers={"accept": accept})

    assert response["Content-Type"].startswith("text/html")


def test_json_is_german_whatever_the_language(client, award):
    data = client.get("/pruefen/DA-2021-0001/", headers={**JSON, "accept-language": "en"}).json()

    assert data["recipient"]["name"] == "Stadt Nürnberg"


def test_vg_page_lists_its_member_gemeinden(client):
    vg = MunicipalityFactory(name="Thannhausen", kind=Kind.VG)
    member = MunicipalityFactory(name="Ziemetshausen", verwaltungsgemeinschaft=vg)
    award = AwardFactory(municipality=vg)

    content = client.get(f"/pruefen/{award.number}/").content.decode()

    assert "Mitgliedsgemeinden" in content
    assert f'href="/kommunen/{member.ars}/">Ziemetshausen</a>' in content


def test_the_form_opens_the_page_of_a_typed_number(client, award):
    response = client.get(reverse("awards:verify_form"), {"nummer": " da-2021-0001 "})

    assert response.status_code == 302
    assert response["Location"] == "/pruefen/DA-2021-0001/"
    assert client.get(reverse("awards:verify_form")).status_code == 200


def test_the_page_costs_a_fixed_number_of_queries(client, award):
    with count_queries() as counted:
        client.get("/pruefen/DA-2021-0001/", headers=JSON)

    # the award's key and last change (the version), the award with its Kommune, the threshold
    assert len(counted.own) == 3
    assert len(counted.cache) == 4  # the answer kept: a read that misses, the write
