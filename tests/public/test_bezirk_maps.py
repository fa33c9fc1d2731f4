"""One map per Regierungsbezirk (/karte/<slug>/), linked from the map's legend and the statistics.

Found (issue 13): on a phone the map of Bavaria is about 330 px wide, so its points lie on
top of each other (1,113 pairs of tap areas overlapped) and there was no way to zoom in
without JavaScript.
"""

import re
from decimal import Decimal

import pytest

from digitalesamt.lib import charts
from digitalesamt.public.views.map import _map_context, bezirk_maps
from municipalities.constants import Kind
from tests.factories import AwardFactory, MunicipalityFactory
from tests.helpers import assert_csp_clean, count_queries

pytestmark = pytest.mark.django_db


def place(**fields):
    return MunicipalityFactory(**fields)


@pytest.fixture
def bavaria():
    """Two Bezirke, each with three holders close together, and a Gemeinde without award."""
    unterfranken = place(ars="096000000000", name="Unterfranken", kind=Kind.BEZIRK)
    schwaben = place(ars="097000000000", name="Schwaben", kind=Kind.BEZIRK)
    for n in range(3):
        AwardFactory(
            municipality=place(
                name=f"Mainort {n}",
                regierungsbezirk=unterfranken,
                latitude=Decimal("49.80") + Decimal(n) / 50,
                longitude=Decimal("9.90") + Decimal(n) / 50,
            )
        )
        AwardFactory(
            municipality=place(
                name=f"Lechort {n}",
                regierungsbezirk=schwaben,
                latitude=Decimal("48.30") + Decimal(n) / 50,
                longitude=Decimal("10.80") + Decimal(n) / 50,
            )
        )
    place(
        name="Ohne Prädikat",
        regierungsbezirk=unterfranken,
        latitude=Decimal("50.30"),
        longitude=Decimal("10.40"),
    )
    AwardFactory(municipality=unterfranken)  # placed at the mean of its Gemeinden
    return {"unterfranken": unterfranken, "schwaben": schwaben}


def point_names(svg: str) -> list[str]:
    return re.findall(r'<a class="map-point[^>]*aria-label="([^",]+),', svg)


def drawn(client, html: str) -> str:
    """The drawing the page embeds, a document of its own (issue 15)."""
    (url,) = re.findall(r'<object class="map__object" type="image/svg\+xml" data="([^"]+)"', html)
    return client.get(url).content.decode()


def test_a_bezirk_has_a_map_of_its_own_holders(client, bavaria):
    response = client.get("/karte/unterfranken/")

    html = response.content.decode()
    svg = drawn(client, html)
    assert response.status_code == 200
    assert "Karte der Digitalen Ämter im Regierungsbezirk Unterfranken" in html
    assert 'data="/karte/unterfranken/karte.de.svg"' in html
    assert sorted(point_names(svg)) == [
        "Bezirk Unterfranken",
        "Gemeinde Mainort 0",
        "Gemeinde Mainort 1",
        "Gemeinde Mainort 2",
    ]
    assert "Lechort" not in html + svg
    assert_csp_clean(response)
    assert "<script" not in html + svg


def test_a_bezirk_map_is_drawn_on_a_projection_fitted_to_its_gemeinden(bavaria):
    bezirk = next(item for item in bezirk_maps() if item.slug == "unterfranken")

    whole = _map_context()
    alone = _map_context(bezirk)

    def spread(context):
        xs = [point.x for point in context["points"] if "Mainort" in point.name]
        return max(xs) - min(xs)

    # The same holders lie several times further apart than on the map of Bavaria.
    assert spread(alone) > 3 * spread(whole)
    for point in alone["points"]:
        assert 0 <= point.x <= alone["map_width"]
        assert 0 <= point.y <= alone["map_height"]
    assert alone["map_width"] == charts.BAVARIA.width  # the same hit-area rules apply


def test_the_bezirk_map_lists_its_points_as_links_too(client, bavaria):
    html = client.get("/karte/unterfranken/").content.decode()

    listed = html.split('class="map-list__items"', 1)[1].split("</ul>", 1)[0]
    assert re.findall(r">([^<]+), ausgezeichnet am", listed) == [
        "Gemeinde Mainort 0",
        "Gemeinde Mainort 1",
        "Gemeinde Mainort 2",
        "Bezirk Unterfranken",
    ]


def test_an_unknown_bezirk_is_404(client, bavaria):
    assert client.get("/karte/oberbayern/").status_code == 404
    assert client.get("/karte/hoesbach/").status_code == 404


def test_the_map_of_bavaria_links_every_bezirk_map_in_its_legend(client, bavaria):
    html = client.get("/karte/").content.decode()

    legend = html.split('id="map-bezirke"', 1)[1].split("</ul>", 1)[0]
    assert re.findall(r'<a class="kern-link" href="([^"]+)">([^<]+)</a>', legend) == [
        ("/karte/unterfranken/", "Unterfranken"),
        ("/karte/schwaben/", "Schwaben"),
    ]
    assert 'href="#map-bezirke"' in html  # the intro points to them


def test_a_bezirk_map_marks_itself_and_leads_back_to_bavaria(client, bavaria):
    html = client.get("/karte/schwaben/").content.decode()

    legend = html.split('id="map-bezirke"', 1)[1].split("</ul>", 1)[0]
    assert '<a class="kern-link" href="/karte/">ganz Bayern</a>' in legend
    assert 'href="/karte/schwaben/" aria-current="page"' in legend
    assert "Karte von ganz Bayern" in html


def test_the_statistics_link_each_bezirk_map(client, bavaria):
    html = client.get("/statistik/").content.decode()

    table = re.search(r"Digitale Ämter je Regierungsbezirk</caption>(.*?)</table>", html, re.S)
    assert re.findall(r'<a class="kern-link" href="([^"]+)">([^<]+)</a>', table.group(1)) == [
        ("/karte/unterfranken/", "Unterfranken"),
        ("/karte/schwaben/", "Schwaben"),
    ]


@pytest.mark.parametrize("holders", [2, 40])
def test_a_bezirk_map_costs_four_queries_however_many_holders(client, bavaria, holders):
    for n in range(holders):
        AwardFactory(
            municipality=place(
                regierungsbezirk=bavaria["schwaben"],
                latitude=Decimal("47.5") + Decimal(n) / 40,
                longitude=Decimal("10.0") + Decimal(n) / 80,
            )
        )

    with count_queries() as counted:
        response = client.get("/karte/schwaben/")
    with count_queries() as again:
        client.get("/karte/schwaben/")

    # the version, the Bezirke (kept with the drawing), its Gemeinden, its holders
    assert len(counted.own) == 4
    assert len(again.own) == 1  # the version; the rest comes from the cache
    assert len(point_names(drawn(client, response.content.decode()))) == holders + 3


def test_a_bezirk_map_renews_with_a_new_award(client, bavaria):
    first = client.get("/karte/schwaben/")
    AwardFactory(
        municipality=place(
            name="Neuort",
            regierungsbezirk=bavaria["schwaben"],
            latitude=Decimal("48.0"),
            longitude=Decimal("10.5"),
        )
    )

    second = client.get("/karte/schwaben/", headers={"if-none-match": first["ETag"]})

    assert second.status_code == 200
    html = second.content.decode()
    assert "Gemeinde Neuort" in point_names(drawn(client, html))
    assert "Gemeinde Neuort, ausgezeichnet am" in html  # in the list of its points
