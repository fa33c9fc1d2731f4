"""The public Kommune page leads on: its website, its BayernPortal page and its procedures.

Found (issue 13): the page named the Kommune's count but not one of its online procedures,
gave no way to its BayernPortal page, and a holder's page showed only the count at the award.
"""

import re

import pytest
from django.urls import reverse

from municipalities.constants import Scope
from municipalities.models import Municipality, ProcedureLink
from tests.accounts.test_audit import change_form_data
from tests.awards.test_source_witness import record, synced
from tests.factories import AwardFactory, ProcedureLinkFactory, ServiceFactory
from tests.helpers import count_queries, main_text

pytestmark = pytest.mark.usefixtures("no_link_check")


def page(municipality) -> str:
    return reverse("awards:municipality", args=[municipality.ars])


def procedure(kommune, title: str, *services, scope=Scope.KOMMUNAL, **fields) -> ProcedureLink:
    slug = re.sub(r"\W+", "-", title.casefold())
    link = ProcedureLinkFactory(
        municipality=kommune,
        title=title,
        url=f"https://hoesbach.example/{slug}",
        scope=scope,
        **fields,
    )
    link.services.set(services)
    return link


def topics(response) -> dict[str, list[str]]:
    """The page's topics, each with the titles of its procedures, in the page's order."""
    section = main_text(response).split('id="public-procedures-title"', 1)[1]
    found = {}
    for block in section.split("<details")[1:]:
        name = re.search(r'<span class="kern-title">(.*?) <span', block).group(1)
        found[name] = re.findall(r'<a class="kern-link" href="[^"]+"[^>]*>(.*?)</a>', block)
    return found


@pytest.fixture
def services(db):
    return {
        "hund": ServiceFactory(
            name="Hundesteuer Anmeldung", themenfeld="Steuern & Abgaben", lebenslage="Haustiere"
        ),
        "bau": ServiceFactory(name="Bauantrag", themenfeld="Bauen & Wohnen"),
        "umzug": ServiceFactory(name="Ummeldung", themenfeld="", lebenslage="Umzug"),
        "abfall": ServiceFactory(name="Abfallgebühr", themenfeld="Bauen & Wohnen"),
    }


def test_the_active_procedures_are_listed_with_their_links_by_topic(client, kommune, services):
    procedure(kommune, "Hundesteuer anmelden", services["hund"])
    procedure(kommune, "Bauantrag stellen", services["bau"])
    procedure(kommune, "Wohnsitz ummelden", services["umzug"])  # no Themenfeld: its Lebenslage
    procedure(kommune, "Kontaktformular")  # no service: last, under "Weitere"
    procedure(kommune, "Altes Verfahren", services["bau"], active=False)

    response = client.get(page(kommune))

    assert topics(response) == {
        "Bauen &amp; Wohnen": ["Bauantrag stellen"],
        "Steuern &amp; Abgaben": ["Hundesteuer anmelden"],
        "Umzug": ["Wohnsitz ummelden"],
        "Weitere Online-Verfahren": ["Kontaktformular"],
    }
    text = main_text(response)
    assert (
        '<a class="kern-link" href="https://hoesbach.example/bauantrag-stellen" '
        'rel="noopener noreferrer">Bauantrag stellen</a>'
    ) in text
    assert "(1 Verfahren)" in text
    assert "Altes Verfahren" not in text


def test_a_procedure_of_several_topics_is_listed_once_under_the_first(client, kommune, services):
    procedure(kommune, "Abfall und Hund", services["hund"], services["abfall"])

    listed = topics(client.get(page(kommune)))

    assert listed == {"Bauen &amp; Wohnen": ["Abfall und Hund"]}


def test_each_topic_is_folded_with_its_count(client, kommune, services):
    for n in range(12):
        procedure(kommune, f"Bauverfahren {n:02d}", services["bau"])

    text = main_text(client.get(page(kommune)))

    assert re.search(
        r'<details class="kern-accordion public-procedures__topic"> <summary [^>]*>'
        r'<span class="kern-title">Bauen &amp; Wohnen <span class="public-procedures__count">'
        r"\(12 Verfahren\)</span>",
        text,
    )
    assert "Die Kommune verlinkt 12 Online-Verfahren im BayernPortal" in text


def test_confirmed_procedures_are_marked_once_the_kommune_was_synced(client, kommune):
    procedure(kommune, "Gewerbe anmelden")
    procedure(kommune, "Wohngeld beantragen", scope=Scope.ZENTRAL)
    procedure(kommune, "Unbekannt")
    record(kommune, "https://hoesbach.example/gewerbe-anmelden")
    record(None, "https://hoesbach.example/wohngeld-beantragen")  # central

    before = main_text(client.get(page(kommune)))
    synced(kommune)
    after = main_text(client.get(page(kommune)))

    assert "in den Bundesdaten bestätigt" not in before
    marked = re.findall(
        r">([^<>]+)</a> <span [^>]*public-procedures__confirmed\">in den Bundesdaten bestätigt",
        after,
    )
    assert marked == ["Gewerbe anmelden", "Wohngeld beantragen"]


def test_a_kommune_without_procedures_says_so(client, kommune):
    text = main_text(client.get(page(kommune)))

    assert "Die Kommune verlinkt derzeit kein Online-Verfahren im BayernPortal." in text


def test_the_page_leads_to_the_website_and_the_bayernportal_page(client, kommune):
    Municipality.objects.filter(pk=kommune.pk).update(
        website="https://www.hoesbach.de/",
        bayernportal_url="https://www.bayernportal.de/dokumente/behoerde/12345",
    )

    text = main_text(client.get(page(kommune)))

    leads = text.split('<ul class="public-leads"', 1)[1].split("</ul>", 1)[0]
    assert 'href="https://www.bayernportal.de/dokumente/behoerde/12345"' in leads
    assert "Seite der Kommune im BayernPortal" in leads
    assert 'href="https://www.hoesbach.de/"' in leads
    assert "Website der Kommune" in leads


def test_without_either_address_the_page_offers_no_empty_links(client, kommune):
    assert "public-leads" not in main_text(client.get(page(kommune)))


def test_the_ministry_sets_the_bayernportal_page_in_the_admin(administrator_client, kommune):
    url = reverse("admin:municipalities_municipality_change", args=[kommune.pk])
    address = "https://www.bayernportal.de/dokumente/behoerde/12345"
    data = change_form_data(administrator_client, url, bayernportal_url=address)

    response = administrator_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    kommune.refresh_from_db()
    assert kommune.bayernportal_url == address


def test_a_holder_shows_todays_count_beside_the_count_at_the_award(client, kommune):
    AwardFactory(municipality=kommune, procedure_count=55)
    for n in range(63):
        ProcedureLinkFactory(municipality=kommune, url=f"https://hoesbach.example/v/{n}")

    text = main_text(client.get(page(kommune)))

    assert "Heute 63 Online-Verfahren, bei der Verleihung 55." in text


def test_a_change_of_the_kommunes_links_renews_the_page(client, kommune, services):
    link = procedure(kommune, "Bauantrag stellen", services["bau"])
    first = client.get(page(kommune))

    link.title = "Bauantrag online stellen"
    link.save()
    renamed = client.get(page(kommune), headers={"if-none-match": first["ETag"]})
    link.delete()
    deleted = client.get(page(kommune), headers={"if-none-match": renamed["ETag"]})
    other = ProcedureLinkFactory()  # another Kommune's link leaves this page as it was
    unchanged = client.get(page(kommune), headers={"if-none-match": deleted["ETag"]})

    assert renamed.status_code == 200
    assert "Bauantrag online stellen" in main_text(renamed)
    assert deleted.status_code == 200
    assert "Bauantrag" not in main_text(deleted)
    assert other.municipality != kommune
    assert unchanged.status_code == 304


@pytest.mark.parametrize("size", [2, 300])
def test_the_page_costs_six_queries_however_many_procedures(client, kommune, services, size):
    AwardFactory(municipality=kommune)
    synced(kommune)
    topics_of = [services["hund"], services["bau"], services["umzug"], services["abfall"]]
    links = ProcedureLink.objects.bulk_create(
        ProcedureLink(
            municipality=kommune,
            title=f"Verfahren {n}",
            url=f"https://hoesbach.example/verfahren/{n}",
            scope=Scope.KOMMUNAL,
        )
        for n in range(size)
    )
    ProcedureLink.services.through.objects.bulk_create(
        ProcedureLink.services.through(procedurelink=link, service=service)
        for n, link in enumerate(links)
        for service in topics_of[: n % 3 + 1]
    )
    for n in range(0, size, 2):
        record(kommune, f"https://hoesbach.example/verfahren/{n}")

    # 1 the data version (awards, syncs and the Kommune's links), 2 the Kommune with its
    # count, threshold, confirmed count and last sync, 3 its awards, 4 the count history,
    # 5 the active links with their services' topics, 6 the source's records; the page is
    # then kept for everybody without a session: a cache read that misses, and the write
    with count_queries() as counted:
        response = client.get(page(kommune))

    assert response.status_code == 200
    assert len(counted.own) == 6
    assert len(counted.cache) == 4
    shown = sum(len(titles) for titles in topics(response).values())
    assert shown == size
    assert main_text(response).count("in den Bundesdaten bestätigt") == (size + 1) // 2
