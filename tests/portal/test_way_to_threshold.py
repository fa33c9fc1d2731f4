"""The way to the threshold on the portal's dashboard: what is missing and what to add first."""

import pytest
from django.urls import reverse

from digitalesamt.lib.cache import memory
from municipalities.constants import Kind, Scope
from municipalities.models import ProcedureLink, Threshold
from tests.factories import MunicipalityFactory, ProcedureLinkFactory, ServiceFactory
from tests.helpers import count_queries, main_text
from tests.portal.test_central_procedures import central_record

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("portal:dashboard")


def offer(municipality, *services, scope=Scope.KOMMUNAL, active=True) -> ProcedureLink:
    link = ProcedureLinkFactory(municipality=municipality, scope=scope, active=active)
    link.services.set(services)
    return link


@pytest.fixture
def services():
    names = ("Hundesteuer", "Sperrmüll", "Kita-Platz", "Friedhof", "Gewerbe")
    return {name: ServiceFactory(name=name) for name in names}


@pytest.fixture
def markets(kommune, services):
    """Four more Märkte besides Markt Hösbach, and a Gemeinde, each offering some services."""
    others = [MunicipalityFactory(kind=Kind.MARKT) for _n in range(4)]
    for market in others:
        offer(market, services["Hundesteuer"])
    offer(others[0], services["Sperrmüll"])
    offer(others[1], services["Sperrmüll"])
    offer(others[2], services["Kita-Platz"])
    # Neither a central link, nor a deactivated one, nor another kind's counts.
    offer(others[0], services["Gewerbe"], scope=Scope.ZENTRAL)
    offer(others[1], services["Gewerbe"], active=False)
    offer(MunicipalityFactory(kind=Kind.GEMEINDE), services["Friedhof"])
    # Hösbach offers the Kita already.
    offer(kommune, services["Kita-Platz"])
    return others


def test_below_the_threshold_the_dashboard_says_how_many_are_missing(clerk_client, kommune):
    ProcedureLinkFactory.create_batch(43, municipality=kommune)

    page = main_text(clerk_client.get(DASHBOARD))

    assert "Weg zum Digitalen Amt" in page
    assert "Es fehlen noch 7 Online-Verfahren." in page


def test_one_missing_is_said_in_the_singular(clerk_client, kommune):
    ProcedureLinkFactory.create_batch(49, municipality=kommune)

    assert "Es fehlt noch 1 Online-Verfahren." in main_text(clerk_client.get(DASHBOARD))


def test_at_the_threshold_the_way_is_not_shown(clerk_client, kommune):
    Threshold.objects.update_or_create(kind=Kind.MARKT, defaults={"minimum": 3})
    ProcedureLinkFactory.create_batch(3, municipality=kommune)
    central_record()

    page = main_text(clerk_client.get(DASHBOARD))

    assert "Weg zum Digitalen Amt" not in page
    assert "Es fehlen noch" not in page


def test_central_procedures_not_yet_linked_come_first_and_link_to_the_checklist(
    clerk_client, kommune
):
    linked = central_record(leika_name="A Jagdschein")
    central_record(leika_name="B Fischereischein")
    central_record(leika_name="C Führungszeugnis")
    ProcedureLinkFactory(municipality=kommune, url=linked.url)

    response = clerk_client.get(DASHBOARD)

    way = main_text(response).split("Weg zum Digitalen Amt", 1)[1]
    assert "A Jagdschein" not in way
    assert way.index("B Fischereischein") < way.index("C Führungszeugnis")
    assert f'href="{reverse("portal:central_procedures")}"' in response.content.decode()


def test_services_are_ranked_by_the_share_of_kommunen_of_the_same_kind(
    clerk_client, kommune, markets
):
    page = main_text(clerk_client.get(DASHBOARD))

    # 5 Märkte: 4 offer the Hundesteuer, 2 the Sperrmüll; Hösbach has the Kita already.
    way = page.split("Weg zum Digitalen Amt", 1)[1]
    assert "<bdi>Hundesteuer</bdi> – bieten 80 % der Märkte in Bayern an" in way
    assert "<bdi>Sperrmüll</bdi> – bieten 40 % der Märkte in Bayern an" in way
    assert way.index("Hundesteuer") < way.index("Sperrmüll")
    assert "Kita-Platz" not in way
    assert "Friedhof" not in way  # a Gemeinde's, not a Markt's
    assert "Gewerbe" not in way  # central or deactivated only


def test_the_wording_names_the_kind_of_kommune(other_kommune_clerk_client, other_kommune):
    service = ServiceFactory(name="Bauantrag")
    for _n in range(3):
        offer(MunicipalityFactory(kind=Kind.STADT), service)

    page = main_text(other_kommune_clerk_client.get(DASHBOARD))

    assert "<bdi>Bauantrag</bdi> – bieten 75 % der Städte in Bayern an" in page


def test_the_figures_are_counted_once_for_everybody(clerk_client, kommune, markets, services):
    clerk_client.get(DASHBOARD)
    memory.clear()  # another process: it reads the shared cache, it does not count again
    offer(markets[3], services["Sperrmüll"])

    page = main_text(clerk_client.get(DASHBOARD))

    assert "<bdi>Sperrmüll</bdi> – bieten 40 % der Märkte in Bayern an" in page


def test_the_dashboard_costs_the_same_at_two_sizes(clerk_client, kommune, services):
    def queries() -> tuple[int, int]:
        memory.clear()
        with count_queries() as counted:
            assert clerk_client.get(DASHBOARD).status_code == 200
        return len(counted.own), len(counted.cache)

    for market in [MunicipalityFactory(kind=Kind.MARKT) for _n in range(2)]:
        offer(market, services["Hundesteuer"])
    central_record()
    ProcedureLinkFactory.create_batch(2, municipality=kommune)
    clerk_client.get(DASHBOARD)  # the figures are counted and cached
    small = queries()

    for market in [MunicipalityFactory(kind=Kind.MARKT) for _n in range(30)]:
        offer(market, *services.values())
    for _n in range(30):
        central_record()
    ProcedureLinkFactory.create_batch(30, municipality=kommune)
    large = queries()

    assert large == small
    assert small[1] == 1  # one read of the shared cache


def test_a_suggested_service_starts_a_new_procedure_with_its_key(clerk_client, kommune, markets):
    hundesteuer = reverse("portal:procedure_create") + "?leistung="
    page = clerk_client.get(DASHBOARD).content.decode()
    key = page.split(hundesteuer, 1)[1].split('"', 1)[0]

    form = clerk_client.get(hundesteuer + key).context["form"]

    assert form["leika_keys"].value() == key
    assert form["title"].value() == "Hundesteuer"
    assert form["scope"].value() == Scope.KOMMUNAL


@pytest.mark.parametrize("key", ["", "abc", "99999999999999", "1" * 15])
def test_an_unknown_suggested_key_starts_an_empty_form(clerk_client, key):
    form = clerk_client.get(reverse("portal:procedure_create"), {"leistung": key}).context["form"]

    assert not form["leika_keys"].value()
    assert not form["title"].value()
