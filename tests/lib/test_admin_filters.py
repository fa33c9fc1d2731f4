"""The admin filters of digitalesamt.lib.admin refuse values the database cannot take.

The admin answers a refused filter with the plain list and "?e=1", never with a 500.
"""

import pytest
from django.contrib.admin import site
from django.contrib.admin.options import IncorrectLookupParameters
from django.test import RequestFactory
from django.urls import reverse

from awards.models import Application, Award
from municipalities.constants import Kind
from municipalities.models import Municipality, ProcedureLink
from tests.factories import AwardFactory, MunicipalityFactory, ProcedureLinkFactory, ServiceFactory

THIRTY_DIGITS = "1" * 30

AWARDS = reverse("admin:awards_award_changelist")
APPLICATIONS = reverse("admin:awards_application_changelist")
MUNICIPALITIES = reverse("admin:municipalities_municipality_changelist")
LINKS = reverse("admin:municipalities_procedurelink_changelist")


@pytest.fixture(autouse=True)
def register(db):
    """Something for every filter to offer: a filter without choices is never applied."""
    bezirk = MunicipalityFactory(kind=Kind.BEZIRK, ars="091000000000", name="Oberbayern")
    landkreis = MunicipalityFactory(kind=Kind.LANDKREIS, ars="091710000000", name="Altötting")
    kommune = MunicipalityFactory(regierungsbezirk=bezirk, landkreis=landkreis)
    link = ProcedureLinkFactory(municipality=kommune)
    link.services.add(ServiceFactory())
    AwardFactory(municipality=kommune)


def assert_refused(response) -> None:
    assert response.status_code == 302
    assert response.url.endswith("?e=1")


@pytest.mark.parametrize("year", ["99999999999999999999", "10000", "0", "2O21", "²⁰²¹"])
def test_the_year_filter_refuses_a_year_no_date_has(admin_client, year):
    assert_refused(admin_client.get(AWARDS, {"year": year}))


def test_the_year_filter_takes_a_year(admin_client):
    assert admin_client.get(AWARDS, {"year": "2021"}).status_code == 200


@pytest.mark.parametrize(
    ("changelist", "parameter"),
    [
        (APPLICATIONS, "regierungsbezirk"),
        (MUNICIPALITIES, "regierungsbezirk"),
        (MUNICIPALITIES, "landkreis"),
        (LINKS, "municipality"),
        (LINKS, "service"),
    ],
)
@pytest.mark.parametrize("value", [THIRTY_DIGITS, str(2**63), "²", "-1", "1 2"])
def test_primary_key_filters_refuse_what_is_no_primary_key(
    admin_client, changelist, parameter, value
):
    assert_refused(admin_client.get(changelist, {parameter: value}))


@pytest.mark.parametrize(
    ("changelist", "parameter"),
    [(APPLICATIONS, "regierungsbezirk"), (LINKS, "municipality")],
)
def test_primary_key_filters_take_the_largest_primary_key(admin_client, changelist, parameter):
    assert admin_client.get(changelist, {parameter: str(2**63 - 1)}).status_code == 200


def test_primary_key_filters_still_filter(admin_client):
    kommune = MunicipalityFactory(name="Hösbach")

    response = admin_client.get(LINKS, {"municipality": str(kommune.pk)})

    assert response.status_code == 200
    assert response.context["cl"].filter_specs[3].lookup_choices == [
        (str(kommune.pk), f"{kommune.name} ({kommune.ars})")
    ]


@pytest.mark.parametrize("value", ["Markt", "markt ", "x" * 101])
def test_the_kind_filter_of_the_queue_refuses_what_is_no_kind(admin_client, value):
    assert_refused(admin_client.get(APPLICATIONS, {"municipality__kind__exact": value}))


def test_the_kind_filter_of_the_queue_takes_a_kind(admin_client):
    assert admin_client.get(
        APPLICATIONS, {"municipality__kind__exact": Kind.MARKT}
    ).status_code == (200)


@pytest.mark.parametrize("value", ["2", "ja", ""])
def test_yes_no_filters_refuse_anything_but_yes_and_no(admin_client, value):
    assert_refused(admin_client.get(AWARDS, {"revoked": value}))
    assert_refused(admin_client.get(MUNICIPALITIES, {"threshold_reached": value}))


# A NUL never reaches a filter through the site (the request guard answers 400 first); the
# filters refuse it on their own all the same, as PostgreSQL would fail on it.


def changelist(admin_user, model, params: dict):
    request = RequestFactory().get("/", params)
    request.user = admin_user
    return site.get_model_admin(model).get_changelist_instance(request)


@pytest.mark.parametrize(
    ("model", "parameter"),
    [
        (Application, "regierungsbezirk"),
        (Application, "municipality__kind__exact"),
        (Application, "status"),
        (Award, "year"),
        (Award, "revoked"),
        (Municipality, "landkreis"),
        (Municipality, "threshold_reached"),
        (ProcedureLink, "municipality"),
    ],
)
@pytest.mark.parametrize("value", ["\x00", "1\x00", "markt\x00"])
def test_filters_refuse_a_nul_of_their_own(admin_user, model, parameter, value):
    with pytest.raises(IncorrectLookupParameters):
        changelist(admin_user, model, {parameter: value})
