"""The map's drawing as a document of its own, so that the map page stays small (issue 15).

Found: at full size (all 2,445 Kommunen holding the award) `/karte/` sent 998 KB of HTML
(88 KB gzipped): every point an <a> with a circle, a <use> and a hover <text>, inline. Now the
page embeds `karte.<language>.svg` with <object>; the drawing has its own strong ETag, is
built and gzipped once per version and is the same for everybody.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.templatetags.static import static

from awards.models import Award
from digitalesamt.lib.cache import memory
from digitalesamt.public.views import map as map_view
from municipalities.constants import Kind
from municipalities.models import Municipality
from tests.factories import AwardFactory, MunicipalityFactory
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db

MAP_URL = "/karte/"
DRAWING_URL = "/karte/karte.de.svg"
FULL_SIZE = 2445  # every Kommune of Bavaria holding the award
KINDS = [Kind.GEMEINDE, Kind.MARKT, Kind.STADT, Kind.VG, Kind.LANDKREIS]


def make_holders(count: int, bezirk: Municipality | None = None) -> None:
    """Create `count` Kommunen across Bavaria with an award each, in two bulk inserts."""
    kommunen = Municipality.objects.bulk_create(
        MunicipalityFactory.build(
            ars=f"09{index:010d}",
            name=f"Musterhausen a.d.Ilm {index}",
            kind=KINDS[index % len(KINDS)],
            regierungsbezirk=bezirk,
            latitude=Decimal("47.4") + Decimal(index % 50) / 15,
            longitude=Decimal("9.1") + Decimal(index // 50) / 10,
        )
        for index in range(count)
    )
    Award.objects.bulk_create(
        AwardFactory.build(
            municipality=kommune,
            number=f"DA-2023-{index + 1:04d}",
            issued_on=datetime.date(2021, 7, 28) + datetime.timedelta(days=index % 900),
        )
        for index, kommune in enumerate(kommunen)
    )


def drawing_url(html: str) -> str:
    (url,) = re.findall(r'<object class="map__object" type="image/svg\+xml" data="([^"]+)"', html)
    return url


def point_links(svg: str) -> list[str]:
    return re.findall(r'<a class="map-point[^>]*>', svg)


def test_the_map_page_stays_under_100_kb_with_every_kommune_a_holder(client):
    make_holders(FULL_SIZE)

    page = client.get(MAP_URL)

    # Before: about 1 MB of HTML at this size; now about 20 KB, the same at any size.
    assert len(page.content) < 100_000
    assert f"{FULL_SIZE} Kommunen mit dem Prädikat" in page.content.decode()
    svg = client.get(drawing_url(page.content.decode())).content.decode()
    assert len(point_links(svg)) == FULL_SIZE  # every point still a link, in the drawing
    assert svg.count('target="_top"') == FULL_SIZE


def test_a_bezirk_map_page_keeps_its_list_and_stays_under_100_kb(client):
    schwaben = MunicipalityFactory(ars="097000000000", name="Schwaben", kind=Kind.BEZIRK)
    make_holders(600, bezirk=schwaben)  # more than any Bezirk has (Oberbayern: about 550)

    page = client.get("/karte/schwaben/")

    html = page.content.decode()
    assert len(page.content) < 100_000
    listed = html.split('class="map-list__items"', 1)[1].split("</ul>", 1)[0]
    assert listed.count('<li><a class="kern-link" href="/kommunen/') == 600
    assert drawing_url(html) == "/karte/schwaben/karte.de.svg"


@pytest.mark.parametrize("holders", [2, 300])
def test_the_page_and_the_drawing_cost_three_queries_however_many_holders(client, holders):
    make_holders(holders)

    with count_queries() as page:
        html = client.get(MAP_URL).content.decode()
    memory.clear()  # another process, with nothing drawn yet in the shared cache either
    with count_queries() as cold:
        client.get(drawing_url(html), headers={"accept-encoding": "gzip"})
    with count_queries() as warm:
        drawing = client.get(drawing_url(html))

    assert len(page.own) == 3  # version, Gemeinden, holders
    assert len(cold.own) == 1  # the version: the points came with the page's drawing
    assert len(warm.own) == 1
    assert len(warm.cache) == 0  # this process keeps the drawing in memory
    assert len(point_links(drawing.content.decode())) == holders


@pytest.mark.parametrize("holders", [2, 300])
def test_the_drawing_alone_costs_three_queries_however_many_holders(client, holders):
    make_holders(holders)

    with count_queries() as counted:
        drawing = client.get(DRAWING_URL)

    assert drawing.status_code == 200
    assert len(counted.own) == 3  # version, Gemeinden, holders
    assert len(point_links(drawing.content.decode())) == holders


def test_the_drawing_is_an_svg_document_with_its_own_strong_etag(client):
    make_holders(3)

    drawing = client.get(DRAWING_URL)
    with count_queries() as counted:
        again = client.get(DRAWING_URL, headers={"if-none-match": drawing["ETag"]})

    assert drawing["Content-Type"] == "image/svg+xml"
    assert drawing.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    # The same for everybody: a strong ETag, and any cache may keep it.
    assert re.fullmatch(r'"[^"]+"', drawing["ETag"])
    assert drawing["Cache-Control"] == "public, max-age=300"
    assert again.status_code == 304
    assert len(counted.own) == 1


def test_the_drawing_is_sent_gzipped_when_the_browser_accepts_it(client):
    make_holders(30)

    plain = client.get(DRAWING_URL)
    zipped = client.get(DRAWING_URL, headers={"accept-encoding": "gzip, deflate, br"})

    assert "Content-Encoding" not in plain
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"]
    assert len(zipped.content) < len(plain.content) / 3


def test_a_signed_in_visitor_gets_the_same_drawing(client, clerk_client):
    make_holders(3)
    anonymous = client.get(DRAWING_URL)

    signed_in = clerk_client.get(DRAWING_URL, headers={"if-none-match": anonymous["ETag"]})

    assert signed_in.status_code == 304
    assert signed_in["Cache-Control"] == "public, max-age=300"


def test_a_new_award_changes_the_drawing_and_its_etag(client):
    make_holders(2)
    first = client.get(DRAWING_URL)

    AwardFactory(municipality=MunicipalityFactory(name="Neuort", latitude=48, longitude=11))
    second = client.get(DRAWING_URL, headers={"if-none-match": first["ETag"]})

    assert second.status_code == 200
    assert second["ETag"] != first["ETag"]
    assert "Gemeinde Neuort, ausgezeichnet am" in second.content.decode()


def test_a_new_deployment_with_other_stylesheets_changes_the_etag(client, monkeypatch):
    make_holders(2)
    first = client.get(DRAWING_URL)

    monkeypatch.setattr(map_view, "MAP_STYLESHEETS", ("css/map.css", "css/charts.css"))
    second = client.get(DRAWING_URL, headers={"if-none-match": first["ETag"]})

    assert second.status_code == 200
    assert "css/charts.css" in second.content.decode()


def test_the_drawing_takes_its_styles_and_font_from_the_site(client):
    make_holders(2)

    svg = client.get(DRAWING_URL).content.decode()

    sheets = re.findall(r'<\?xml-stylesheet type="text/css" href="([^"]+)"\?>', svg)
    assert sheets == [static("vendor/kern/fonts/fira-sans.css"), static("css/map.css")]
    assert "<style" not in svg
    assert "style=" not in svg
    assert "<script" not in svg


def test_the_drawing_may_be_embedded_by_this_site_only_and_loads_nothing_else(client):
    make_holders(2)

    policy = client.get(DRAWING_URL)["Content-Security-Policy"]
    frame_options = client.get(DRAWING_URL)["X-Frame-Options"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["frame-ancestors"] == "'self'"
    assert frame_options == "SAMEORIGIN"
    assert directives["default-src"] == "'none'"  # no script, image, form or connection
    assert directives["style-src"] == "'self'"
    assert directives["font-src"] == "'self'"
    assert "script-src" not in directives
    assert "unsafe" not in policy


def test_only_the_map_pages_may_embed_an_object_and_only_from_this_site(client):
    MunicipalityFactory(ars="097000000000", name="Schwaben", kind=Kind.BEZIRK)
    make_holders(2)

    for path in (MAP_URL, "/karte/schwaben/"):
        response = client.get(path)
        directives = dict(
            part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
        )
        assert directives["object-src"] == "'self'", path
        assert directives["frame-ancestors"] == "'none'", path
        assert directives["script-src"] == "'self'", path  # and the nonce, if a page uses it
        assert response["X-Frame-Options"] == "DENY", path
    assert "object-src 'none'" in client.get("/")["Content-Security-Policy"]


def test_the_page_says_where_to_find_the_holders_if_the_drawing_cannot_be_shown(client):
    make_holders(2)

    html = client.get(MAP_URL).content.decode()

    fallback = html.split('<object class="map__object"', 1)[1].split("</object>", 1)[0]
    assert "Ihr Browser zeigt die Karte nicht an." in fallback
    assert 'href="/">Liste aller Digitalen Ämter</a>' in fallback


def test_an_unknown_language_or_bezirk_has_no_drawing(client):
    MunicipalityFactory(ars="097000000000", name="Schwaben", kind=Kind.BEZIRK)

    assert client.get("/karte/karte.fr.svg").status_code == 404
    assert client.get("/karte/oberbayern/karte.de.svg").status_code == 404
    assert client.get("/karte/schwaben/karte.en.svg").status_code == 200
    assert client.post(DRAWING_URL).status_code == 405
