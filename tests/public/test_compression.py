"""Compression of the answers that carry no secret, and what it leaves intact: ETags and 304s."""

import gzip
from unittest import mock

import pytest
from django.test import Client

from municipalities.constants import Kind
from tests.factories import AwardFactory, MunicipalityFactory

pytestmark = pytest.mark.usefixtures("empty_cache")

GZIP = {"accept-encoding": "gzip, deflate, br"}
FEED_PATH = "/feeds/auszeichnungen.atom"


@pytest.fixture
def awards(db):
    bezirk = MunicipalityFactory(ars="096000000000", name="Unterfranken", kind=Kind.BEZIRK)
    landkreis = MunicipalityFactory(
        ars="096710000000", name="Aschaffenburg", kind=Kind.LANDKREIS, regierungsbezirk=bezirk
    )
    return [
        AwardFactory(
            municipality=MunicipalityFactory(
                name=f"Hösbach {n}", kind=Kind.MARKT, regierungsbezirk=bezirk, landkreis=landkreis
            ),
            number=f"DA-2023-{n + 1:04d}",
        )
        for n in range(12)
    ]


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/", "text/html"),
        ("/kommunen/{ars}/", "text/html"),
        ("/pruefen/{number}/", "text/html"),
        ("/karte/", "text/html"),
        ("/karte/karte.de.svg", "image/svg+xml"),  # the map's drawing, which the page embeds
        ("/api/v1/auszeichnungen.json", "application/json"),
        ("/api/v1/auszeichnungen.csv", "text/csv"),
        ("/feeds/auszeichnungen.atom", "application/atom+xml"),
        ("/auszeichnungen/{number}/signet.svg", "image/svg+xml"),
    ],
)
def test_text_answers_are_gzipped_for_a_client_that_accepts_it(client, awards, path, media_type):
    award = awards[0]
    path = path.format(ars=award.municipality.ars, number=award.number)
    client.get(path)  # a document is stored after its first request
    plain = client.get(path)
    plain_body = body_of(plain)

    response = client.get(path, headers=GZIP)

    assert response.status_code == 200
    assert response["Content-Type"].startswith(media_type)
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert gzip.decompress(body_of(response)) == plain_body
    # Without the header the same answer comes as it is, and says that it varies.
    assert not plain.has_header("Content-Encoding")
    assert "Accept-Encoding" in plain["Vary"]


def test_a_pdf_is_sent_as_it_is(client, awards):
    path = f"/auszeichnungen/{awards[0].number}/schild.pdf"
    client.get(path)

    response = client.get(path, headers=GZIP)

    assert response["Content-Type"] == "application/pdf"
    assert not response.has_header("Content-Encoding")


def test_a_page_with_a_csrf_token_is_not_compressed(db):
    client = Client(enforce_csrf_checks=True)

    response = client.get("/konto/anmelden/", headers=GZIP)

    assert response.status_code == 200
    assert "csrfmiddlewaretoken" in response.content.decode()
    assert not response.has_header("Content-Encoding")


def test_a_signed_in_visitor_s_pages_are_not_compressed(clerk_client, awards):
    for path in ("/portal/", "/", "/api/v1/auszeichnungen.json"):
        response = clerk_client.get(path, headers=GZIP, follow=True)

        assert response.status_code == 200, path
        assert not response.has_header("Content-Encoding"), path


def test_an_answer_that_sets_a_cookie_is_not_compressed(client, awards):
    # The language switch sets its cookie on a redirect; the page it lands on sets none.
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, headers=GZIP)

    assert response.cookies
    assert not response.has_header("Content-Encoding")


@pytest.mark.parametrize(
    "path", ["/", "/api/v1/auszeichnungen.json", "/kommunen/{ars}/", "/pruefen/{number}/"]
)
def test_the_weak_etag_of_a_gzipped_answer_gets_a_304(client, awards, path):
    award = awards[0]
    path = path.format(ars=award.municipality.ars, number=award.number)
    first = client.get(path, headers=GZIP)
    assert first["Content-Encoding"] == "gzip"
    assert first["ETag"].startswith('W/"')  # GZipMiddleware weakens a strong one

    again = client.get(path, headers={**GZIP, "if-none-match": first["ETag"]})

    assert again.status_code == 304
    assert again.content == b""


def test_the_open_data_etag_is_the_same_version_gzipped_or_not(client, awards):
    plain = client.get("/api/v1/auszeichnungen.json")["ETag"]
    gzipped = client.get("/api/v1/auszeichnungen.json", headers=GZIP)["ETag"]

    assert gzipped == f"W/{plain}"
    # A cache holding the plain copy revalidates it with the strong tag: still 304.
    assert (
        client.get(
            "/api/v1/auszeichnungen.json", headers={**GZIP, "if-none-match": plain}
        ).status_code
        == 304
    )


@pytest.mark.parametrize("path", ["/", "/?q=Hösbach", "/api/v1/auszeichnungen.json", FEED_PATH])
def test_a_cached_body_is_compressed_once_per_version(client, awards, path):
    first = client.get(path, headers=GZIP)

    with (
        mock.patch("gzip.compress", wraps=gzip.compress) as compress,
        mock.patch("django.utils.text.gzip_compress", wraps=gzip.compress) as middleware,
    ):
        again = client.get(path, headers=GZIP)
        plain = client.get(path)

    # The gzip copy is kept beside the plain body: neither the view nor the middleware compress.
    assert compress.call_count == middleware.call_count == 0
    assert again["Content-Encoding"] == "gzip"
    assert again.content == first.content
    assert gzip.decompress(again.content) == plain.content
    assert "Accept-Encoding" in again["Vary"]
    assert again["ETag"].startswith('W/"')
