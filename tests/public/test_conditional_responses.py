"""ETag, Last-Modified and Cache-Control of the Kommune page, the verification page and the feed.

A browser or cache that asks again with the ETag it has gets 304 for one query while the data
are unchanged; a new link, a renamed Kommune or a revocation is a new version.
"""

import pytest
from django.utils import timezone

from awards.services import revoke_award
from municipalities.constants import Kind
from municipalities.models import Municipality
from municipalities.signals import register_changed
from tests.factories import AwardFactory, MunicipalityFactory, ProcedureLinkFactory

pytestmark = pytest.mark.usefixtures("empty_cache")

JSON = {"accept": "application/json"}


@pytest.fixture
def award(db):
    kommune = MunicipalityFactory(ars="096710130000", name="Hösbach", kind=Kind.MARKT)
    return AwardFactory(municipality=kommune, number="DA-2023-0017")


def kommune_url(award) -> str:
    return f"/kommunen/{award.municipality.ars}/"


def verify_url(award) -> str:
    return f"/pruefen/{award.number}/"


FEED = "/feeds/auszeichnungen.atom"


def rename(award) -> None:
    """Rename the Kommune as a register import or the admin does."""
    Municipality.objects.filter(pk=award.municipality_id).update(name="Hösbach am Main")
    register_changed.send(sender=Municipality, municipality_ids=[award.municipality_id])


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        (verify_url, {}),
        (verify_url, JSON),
        (kommune_url, {}),
        (lambda award: FEED, {}),
    ],
)
def test_an_unchanged_answer_is_304_for_one_query(
    client, award, path, headers, django_assert_num_queries
):
    first = client.get(path(award), headers=headers)
    assert first.status_code == 200
    assert first.has_header("ETag")
    assert first.has_header("Last-Modified")
    assert "max-age=" in first["Cache-Control"]

    with django_assert_num_queries(1):  # the data version
        again = client.get(path(award), headers={**headers, "if-none-match": first["ETag"]})
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]

    since = client.get(
        path(award), headers={**headers, "if-modified-since": first["Last-Modified"]}
    )
    assert since.status_code == 304


def test_the_verification_page_and_its_json_have_their_own_etags(client, award):
    page = client.get(verify_url(award))
    assertion = client.get(verify_url(award), headers=JSON)

    assert page["ETag"] != assertion["ETag"]
    assert "Accept" in page["Vary"]
    assert page["Cache-Control"] == "public, max-age=60"
    # A 304 says it varies on Accept too: a cache must not answer JSON with the page.
    again = client.get(verify_url(award), headers={**JSON, "if-none-match": assertion["ETag"]})
    assert again.status_code == 304
    assert "Accept" in again["Vary"]
    # The page's ETag does not answer for the JSON.
    other = client.get(verify_url(award), headers={**JSON, "if-none-match": page["ETag"]})
    assert other.status_code == 200
    assert other["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("path", [verify_url, kommune_url, lambda award: FEED])
def test_a_revocation_is_a_new_version(client, award, reviewer, path):
    before = client.get(path(award))["ETag"]

    revoke_award(award=award, by=reviewer, reason="Weniger als 50 Verfahren seit März.")

    response = client.get(path(award), headers={"if-none-match": before})
    assert response.status_code != 304
    assert response.get("ETag") != before


@pytest.mark.parametrize("path", [verify_url, kommune_url, lambda award: FEED])
def test_a_renamed_kommune_is_a_new_version(client, award, path):
    before = client.get(path(award))["ETag"]

    rename(award)

    response = client.get(path(award), headers={"if-none-match": before})
    assert response.status_code == 200
    assert response["ETag"] != before
    assert "Hösbach am Main" in response.content.decode()


def test_a_new_link_is_a_new_version_of_the_kommune_page(client, award):
    before = client.get(kommune_url(award))["ETag"]

    ProcedureLinkFactory(municipality=award.municipality, title="Hundesteuer anmelden")

    response = client.get(kommune_url(award), headers={"if-none-match": before})
    assert response.status_code == 200
    assert response["ETag"] != before


def test_a_changed_link_is_a_new_version_of_the_kommune_page(client, award):
    link = ProcedureLinkFactory(municipality=award.municipality, title="Hundesteuer anmelden")
    before = client.get(kommune_url(award))["ETag"]

    link.title = "Hundesteuer online anmelden"
    link.updated_at = timezone.now()
    link.save()

    assert client.get(kommune_url(award), headers={"if-none-match": before}).status_code == 200


def test_an_unknown_number_has_no_validators(client, award):
    response = client.get("/pruefen/DA-2023-9999/")

    assert response.status_code == 404
    assert not response.has_header("ETag")
    assert not response.has_header("Last-Modified")


def test_a_revoked_award_answers_410_without_validators(client, award, reviewer):
    revoke_award(award=award, by=reviewer, reason="Weniger als 50 Verfahren seit März.")

    response = client.get(verify_url(award), headers=JSON)

    assert response.status_code == 410
    assert not response.has_header("ETag")
