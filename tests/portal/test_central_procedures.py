"""The Freistaat's central procedures as a checklist in the portal: tick, save, they count."""

import itertools

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from municipalities.constants import LAND_ARS, Scope, SourceCoverage
from municipalities.models import ProcedureLink, SourceRecord
from municipalities.validation import count_key
from tests.factories import ProcedureLinkFactory, ServiceFactory
from tests.helpers import assert_csp_clean, main_text

pytestmark = pytest.mark.django_db

URL = reverse("portal:central_procedures")
_numbers = itertools.count(1)


def central_record(**fields) -> SourceRecord:
    """A central procedure of the Freistaat as the sync stores it (no Kommune, LAND_ARS)."""
    n = next(_numbers)
    fields.setdefault("url", f"https://www.freistaat.bayern/verfahren/{n}")
    fields.setdefault("leika_key", f"99{n:012d}")
    fields.setdefault("leika_name", f"Zentrale Leistung {n:03d}")
    return SourceRecord.objects.create(
        municipality=None,
        ars=LAND_ARS,
        url_key=count_key(fields["url"]),
        coverage=fields.pop("coverage", SourceCoverage.LAND),
        online=True,
        fetched_at=timezone.now(),
        **fields,
    )


def post(client: Client, *records: SourceRecord, path: str = URL):
    return client.post(path, {"record": [record.pk for record in records]})


def test_lists_the_central_procedures_with_their_leika_names_and_urls(clerk_client):
    record = central_record(leika_name="Führungszeugnis beantragen")
    central_record(leika_name="Landesweit nicht", coverage=SourceCoverage.KOMMUNE)
    central_record(leika_name="Abgeschaltet", active=False)

    response = clerk_client.get(URL)

    assert response.status_code == 200
    page = main_text(response)
    assert "Führungszeugnis beantragen" in page
    assert record.url in page
    assert "Landesweit nicht" not in page
    assert "Abgeschaltet" not in page
    assert "ein fehlender Haken entfernt es nicht" in page
    assert_csp_clean(response)


def test_the_procedure_list_and_the_dashboard_link_to_the_checklist(clerk_client):
    for name in ("portal:procedures", "portal:dashboard"):
        assert f'href="{URL}"' in clerk_client.get(reverse(name)).content.decode()


def test_ticked_procedures_join_the_list_with_scope_zentral_and_their_service(
    clerk_client, kommune
):
    service = ServiceFactory(leika_key="99123456789012")
    first = central_record(leika_name="Fischereischein", leika_key=service.leika_key)
    second = central_record(leika_name="Unbekannte Leistung", url="HTTPS://Example.org/a/")
    untouched = central_record()

    response = post(clerk_client, first, second)

    assert response.status_code == 302
    links = {link.title: link for link in ProcedureLink.objects.filter(municipality=kommune)}
    assert set(links) == {"Fischereischein", "Unbekannte Leistung"}
    assert links["Fischereischein"].scope == Scope.ZENTRAL
    assert links["Fischereischein"].url == first.url
    assert list(links["Fischereischein"].services.all()) == [service]
    assert links["Unbekannte Leistung"].url == "https://example.org/a/"  # canonical
    assert list(links["Unbekannte Leistung"].services.all()) == []
    assert not ProcedureLink.objects.filter(url=untouched.url).exists()
    assert kommune.progress().count == 2
    page = main_text(clerk_client.get(response.url))
    assert "2 zentrale Verfahren sind jetzt in Ihrer Liste" in page


def test_records_of_one_url_make_one_link_serving_both_services(clerk_client, kommune):
    services = [ServiceFactory(), ServiceFactory()]
    records = [
        central_record(url="https://id.bayern.de/antrag", leika_key=s.leika_key) for s in services
    ]

    post(clerk_client, *records)

    link = ProcedureLink.objects.get(municipality=kommune)
    assert set(link.services.all()) == set(services)


def test_linked_procedures_show_ticked_as_already_linked(clerk_client, kommune):
    record = central_record(url="https://www.freistaat.bayern/jagdschein")
    # Linked before, in another spelling and deactivated: still the same procedure.
    ProcedureLinkFactory(municipality=kommune, url="http://www.freistaat.bayern/jagdschein/")
    ProcedureLink.objects.update(active=False)
    other = central_record()

    page = clerk_client.get(URL).content.decode()

    box = page.split(f'value="{record.pk}"', 1)[1].split(">", 1)[0]
    assert "checked disabled" in box
    assert "bereits verlinkt" in page.split(f'value="{record.pk}"', 1)[1].split("</li>", 1)[0]
    other_box = page.split(f'value="{other.pk}"', 1)[1].split(">", 1)[0]
    assert "checked" not in other_box


def test_a_double_post_adds_each_procedure_once(clerk_client, kommune):
    record = central_record()

    post(clerk_client, record)
    response = post(clerk_client, record)

    assert ProcedureLink.objects.filter(municipality=kommune).count() == 1
    assert "bereits in Ihrer Liste gespeichert" in main_text(clerk_client.get(response.url))


def test_nothing_ticked_is_answered_with_the_error_summary(clerk_client):
    central_record()

    response = clerk_client.post(URL, {})

    assert response.status_code == 200
    page = main_text(response)
    assert "Wählen Sie mindestens ein zentrales Verfahren aus" in page
    assert 'href="#id_record_0"' in response.content.decode()


@override_settings(PROCEDURE_LINKS_PER_KOMMUNE=3)
def test_the_cap_refuses_the_whole_selection_and_names_the_limit(clerk_client, kommune):
    ProcedureLinkFactory.create_batch(2, municipality=kommune)
    records = [central_record(), central_record()]

    response = post(clerk_client, *records)

    assert response.status_code == 200
    assert "mehr als die Höchstzahl von 3 je Kommune" in main_text(response)
    assert ProcedureLink.objects.filter(municipality=kommune).count() == 2
    # The ticks survive the refusal, so the clerk can untick one and save again.
    for record in records:
        box = response.content.decode().split(f'value="{record.pk}"', 1)[1].split(">", 1)[0]
        assert "checked" in box


@override_settings(PROCEDURE_LINKS_PER_KOMMUNE=3)
def test_already_linked_records_do_not_count_against_the_cap(clerk_client, kommune):
    linked = central_record()
    ProcedureLinkFactory(municipality=kommune, url=linked.url)
    ProcedureLinkFactory(municipality=kommune)

    post(clerk_client, linked, central_record())

    assert ProcedureLink.objects.filter(municipality=kommune).count() == 3


def test_a_record_with_an_invalid_address_is_skipped_with_a_message(clerk_client, kommune):
    broken = central_record(url="https://exa mple.org/x", leika_name="Kaputte Adresse")
    fine = central_record()

    response = post(clerk_client, broken, fine)

    assert list(ProcedureLink.objects.values_list("url", flat=True)) == [fine.url]
    page = main_text(clerk_client.get(response.url))
    assert "Kaputte Adresse" in page
    assert "keine gültige Internetadresse" in page


def test_search_filters_by_name_key_or_url_and_pages_hold_fifty(clerk_client):
    for _n in range(55):
        central_record()
    central_record(leika_name="Waffenschein", leika_key="99111222333444")

    assert "56 Treffer – Seite 1 von 2" in main_text(clerk_client.get(URL))
    assert "1 Treffer" in main_text(clerk_client.get(URL, {"q": "waffen"}))
    assert "Waffenschein" in main_text(clerk_client.get(URL, {"q": "99111222"}))
    assert "Kein zentrales Verfahren passt" in main_text(clerk_client.get(URL, {"q": "Atlantis"}))
    assert len(main_text(clerk_client.get(URL, {"seite": 2})).split('name="record"')) - 1 <= 6


def test_saving_from_a_later_page_returns_to_that_page(clerk_client):
    records = [central_record() for _n in range(55)]

    response = post(clerk_client, records[-1], path=f"{URL}?seite=2")

    assert response.url == f"{URL}?seite=2"


def test_another_kommunes_clerk_sees_and_changes_only_their_own(
    clerk_client, other_kommune_clerk_client, kommune, other_kommune
):
    record = central_record()
    post(clerk_client, record)

    page = other_kommune_clerk_client.get(URL).content.decode()
    assert "checked disabled" not in page
    post(other_kommune_clerk_client, record)

    assert ProcedureLink.objects.filter(municipality=kommune).count() == 1
    assert ProcedureLink.objects.filter(municipality=other_kommune).count() == 1


def test_anonymous_users_are_sent_to_the_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/konto/anmelden/" in response.url


def test_a_post_without_the_csrf_token_is_refused(clerk):
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    record = central_record()

    response = post(client, record)

    assert response.status_code == 403
    assert not ProcedureLink.objects.exists()
