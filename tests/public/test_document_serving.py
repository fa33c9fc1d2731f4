"""Stored documents served the way static files are: no query and no template on a repeat request,
the stored length and ETag, a revocation within DOCUMENT_LOOKUP_SECONDS, X-Accel-Redirect."""

import datetime

import pytest
from django.core.files.storage import default_storage
from django.test.signals import template_rendered
from django.urls import reverse

from awards import documents
from digitalesamt.lib import cache as process_memory
from tests.factories import AwardFactory
from tests.helpers import count_queries, stopped_process_clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def award(kommune):
    return AwardFactory(
        municipality=kommune, number="DA-2023-0200", issued_on=datetime.date(2023, 2, 15)
    )


@pytest.fixture
def clock(monkeypatch):
    return stopped_process_clock(monkeypatch)


@pytest.fixture
def templates():
    used = []

    def record(sender, template, **kwargs):
        used.append(template.name)

    template_rendered.connect(record)
    yield used
    template_rendered.disconnect(record)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def stored_name(award, document) -> str:
    return documents.storage_name(documents.award_facts(award), document)


PATHS = [
    ("plaque", "", documents.PLAQUES["a4"]),
    ("signet_png", "?breite=640", documents.SIGNET_PNGS[640]),
    ("signet_svg", "", documents.SIGNET_SVG),
    ("signet_pdf", "", documents.SIGNET_PDF),
]


@pytest.mark.parametrize(("view", "query", "document"), PATHS)
def test_a_repeat_request_costs_no_query_and_no_template(
    client, award, templates, view, query, document
):
    documents.store(documents.award_facts(award), document)  # as the worker does on approval
    url = reverse(f"awards:{view}", args=[award.number]) + query
    first = body(client.get(url))  # looked up once
    templates.clear()

    with count_queries() as queries:
        again = client.get(url)
        data = body(again)

    assert again.status_code == 200
    assert data == first == default_storage.open(stored_name(award, document)).read()
    assert queries.own == [] and queries.cache == []
    assert templates == []


def test_a_repeat_request_answers_with_the_stored_length_etag_and_time(client, award):
    url = reverse("awards:plaque", args=[award.number])
    client.get(url)
    name = stored_name(award, documents.PLAQUES["a4"])

    response = client.get(url)

    assert response["Content-Length"] == str(default_storage.size(name))
    assert response["ETag"] == f'"{documents.award_facts(award).version()}-schild-a4.pdf"'
    modified = default_storage.get_modified_time(name)
    assert response["Last-Modified"] == modified.strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'inline; filename="digitales-amt-DA-2023-0200-schild-a4.pdf"'
    )
    assert response["Cache-Control"] == "public, max-age=3600"


def test_a_revalidation_answers_304_without_a_query(client, award):
    documents.store(documents.award_facts(award), documents.SIGNET_PNGS[320])
    url = reverse("awards:signet_png", args=[award.number])
    etag = client.get(url)["ETag"]

    with count_queries() as queries:
        response = client.get(url, headers={"if-none-match": etag})

    assert response.status_code == 304
    assert response["ETag"] == etag
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert queries.own == [] and queries.cache == []


def test_a_revocation_answers_410_once_the_lookup_period_has_passed(
    client, award, reviewer, clock, settings
):
    from awards.services import revoke_award

    settings.DOCUMENT_LOOKUP_SECONDS = 30
    url = reverse("awards:plaque", args=[award.number])
    client.get(url)
    revoke_award(award=award, by=reviewer, reason="Schwelle dauerhaft unterschritten")

    clock[0] += 29
    within = client.get(url)
    clock[0] += 1
    after = client.get(url)

    # Within the period this process still serves what it looked up, as any cache may for
    # DOCUMENT_MAX_AGE; after it the revocation answers.
    assert within.status_code == 200
    assert after.status_code == 410
    assert "widerrufen" in after.content.decode()


def test_the_lookup_period_is_well_inside_what_caches_may_keep(settings):
    from digitalesamt.public.views.documents import DOCUMENT_MAX_AGE

    assert 0 < settings.DOCUMENT_LOOKUP_SECONDS <= DOCUMENT_MAX_AGE / 10


def test_a_rename_reaches_the_documents_once_the_lookup_period_has_passed(client, award, clock):
    url = reverse("awards:signet_svg", args=[award.number])
    before = client.get(url)["ETag"]
    award.municipality.name = "Hösbach am Main"
    award.municipality.save()

    clock[0] += 60
    after = client.get(url)

    assert after["ETag"] != before
    assert b"H\xc3\xb6sbach am Main" in body(after)


def test_a_file_replaced_since_its_lookup_is_looked_up_again(client, award):
    url = reverse("awards:plaque", args=[award.number])
    first = body(client.get(url))
    default_storage.delete(stored_name(award, documents.PLAQUES["a4"]))  # as a worker would

    response = client.get(url)

    assert response.status_code == 200
    assert body(response) == first


def test_a_version_replaced_since_its_lookup_is_served_with_its_own_etag(client, award):
    url = reverse("awards:plaque", args=[award.number])
    before = client.get(url)["ETag"]
    award.municipality.name = "Hösbach am Main"
    award.municipality.save()
    facts = documents.award_facts(award)
    documents.store(facts, documents.PLAQUES["a4"])  # the worker: the old version's files go

    response = client.get(url)

    assert response.status_code == 200
    assert response["ETag"] == f'"{facts.version()}-schild-a4.pdf"' != before
    name = documents.storage_name(facts, documents.PLAQUES["a4"])
    assert body(response) == default_storage.open(name).read()


def test_nothing_is_kept_for_an_unknown_number_or_a_document_not_stored_yet(
    client, award, monkeypatch
):
    from digitalesamt.public.views import documents as views

    monkeypatch.setattr(views, "render_document", type("Queue", (), {"enqueue": dict}))
    name = stored_name(award, documents.PLAQUES["a3"])
    if default_storage.exists(name):
        default_storage.delete(name)
    plaque = reverse("awards:plaque", args=[award.number])
    assert client.get(reverse("awards:plaque", args=["DA-2099-0001"])).status_code == 404
    assert client.get(plaque + "?format=a3").status_code == 503

    assert [key for key in process_memory.memory.entries if "document" in key] == []


def test_with_a_proxy_the_answer_names_the_stored_file_for_nginx(client, award, settings):
    settings.DOCUMENTS_ACCEL_REDIRECT = "/_stored/"
    url = reverse("awards:signet_png", args=[award.number])
    client.get(url)
    name = stored_name(award, documents.SIGNET_PNGS[320])

    response = client.get(url)
    revalidated = client.get(url, headers={"if-none-match": response["ETag"]})

    assert response.status_code == 200
    assert response.content == b""
    assert response["X-Accel-Redirect"] == f"/_stored/{name}"
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == (
        'inline; filename="digitales-amt-DA-2023-0200-signet-320.png"'
    )
    assert response["ETag"] == f'"{documents.award_facts(award).version()}-signet-320.png"'
    assert response["Last-Modified"]
    assert response["Cache-Control"] == "public, max-age=3600"
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert revalidated.status_code == 304
    assert not revalidated.has_header("X-Accel-Redirect")


def test_with_a_proxy_a_file_gone_since_its_lookup_is_not_sent_to_nginx(client, award, settings):
    settings.DOCUMENTS_ACCEL_REDIRECT = "/_stored/"
    url = reverse("awards:plaque", args=[award.number])
    client.get(url)
    default_storage.delete(stored_name(award, documents.PLAQUES["a4"]))

    response = client.get(url)

    assert response.status_code == 200
    assert not response.has_header("X-Accel-Redirect")
    assert body(response).startswith(b"%PDF")


def test_a_kept_document_is_answered_before_the_session_and_the_language(client, award):
    documents.store(documents.award_facts(award), documents.SIGNET_PNGS[320])
    url = reverse("awards:signet_png", args=[award.number])
    by_the_view = client.get(url)
    data = body(by_the_view)
    kept = client.get(url)

    assert "Cookie" in by_the_view["Vary"] and by_the_view["Content-Language"] == "de"
    assert "Cookie" not in kept.get("Vary", "") and not kept.has_header("Content-Language")
    for name in (
        "ETag",
        "Last-Modified",
        "Cache-Control",
        "Content-Type",
        "Content-Length",
        "Content-Disposition",
        "Cross-Origin-Resource-Policy",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Content-Security-Policy",
    ):
        assert kept[name] == by_the_view[name], name
    assert body(kept) == data


def test_a_query_string_no_server_would_pass_on_gets_400_also_for_a_kept_document(client, award):
    document = documents.SIGNET_PNGS[documents.SIGNET_DEFAULT_WIDTH]
    documents.store(documents.award_facts(award), document)
    url = reverse("awards:signet_png", args=[award.number])
    assert client.get(url).status_code == 200  # looked up: the next is answered before the guard

    # A raw lone surrogate, as a WSGI server hands on whatever it got (tests/test_fuzz.py).
    response = client.get(url, QUERY_STRING="breite=\ud83d")

    assert response.status_code == 400


def test_a_host_not_allowed_gets_400_also_for_a_kept_document(client, award):
    document = documents.SIGNET_PNGS[documents.SIGNET_DEFAULT_WIDTH]
    documents.store(documents.award_facts(award), document)
    url = reverse("awards:signet_png", args=[award.number])
    assert client.get(url).status_code == 200  # looked up: the next is answered early

    response = client.get(url, headers={"Host": "boese.example"})

    assert response.status_code == 400
