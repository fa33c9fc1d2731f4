"""The map of holders (/karte/): points from the register's coordinates, no third party."""

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date

from digitalesamt.lib import charts
from digitalesamt.lib.cache import memory
from digitalesamt.public.views.map import _map_context
from municipalities.constants import Kind
from tests.factories import AwardFactory, MunicipalityFactory
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db

MAP_URL = "/karte/"


def place(**fields):
    """Create a Kommune with coordinates unless told otherwise."""
    fields.setdefault("latitude", Decimal("49.5"))
    fields.setdefault("longitude", Decimal("10.5"))
    return MunicipalityFactory(**fields)


@pytest.fixture
def unterfranken():
    return place(
        ars="096000000000",
        name="Unterfranken",
        kind=Kind.BEZIRK,
        seat="Würzburg",
        latitude=Decimal("49.79393"),
        longitude=Decimal("9.93725"),
    )


@pytest.fixture
def hoesbach(unterfranken):
    return place(
        ars="096710130130",
        name="Hösbach",
        kind=Kind.MARKT,
        regierungsbezirk=unterfranken,
        latitude=Decimal("50.00612"),
        longitude=Decimal("9.20586"),
    )


def point_links(svg: str) -> list[str]:
    return re.findall(r'<a class="map-point[^>]*>', svg)


def drawing(client, html: str):
    """Fetch the drawing the page embeds: a document of its own (issue 15)."""
    (url,) = re.findall(r'<object class="map__object" type="image/svg\+xml" data="([^"]+)"', html)
    return client.get(url)


def drawn(client, html: str) -> str:
    return drawing(client, html).content.decode()


def test_map_links_every_holder_to_its_kommune_page_with_an_accessible_name(client, hoesbach):
    AwardFactory(municipality=hoesbach, issued_on=datetime.date(2023, 2, 15))

    response = client.get(MAP_URL)

    assert response.status_code == 200
    svg = drawn(client, response.content.decode())
    (link,) = point_links(svg)
    assert 'href="/kommunen/096710130130/"' in link
    # The drawing is embedded: a link opens the Kommune page in the window, not in the frame.
    assert 'target="_top"' in link
    assert 'aria-label="Markt Hösbach, ausgezeichnet am 15. Februar 2023"' in link
    assert "Hösbach</text>" in svg  # the name shown next to the point on focus and hover
    assert 'class="map-point map-point--gemeinde"' in link


def test_map_leaves_out_revoked_awards_and_kommunen_without_an_award(client, hoesbach):
    AwardFactory(
        municipality=hoesbach, revoked_at=timezone.now(), revocation_reason="Zu wenige Verfahren"
    )
    place(name="Nie ausgezeichnet")

    html = client.get(MAP_URL).content.decode()
    svg = drawn(client, html)

    assert point_links(svg) == []
    assert "/kommunen/096710130130/" not in html + svg
    assert "0 Kommunen mit dem Prädikat" in html


def test_each_kind_group_has_its_own_marker_shape_and_legend_entry(client, unterfranken):
    landkreis = place(ars="096710000000", name="Aschaffenburg", kind=Kind.LANDKREIS)
    vg = place(ars="096755555000", name="Iphofen", kind=Kind.VG)
    stadt = place(ars="096630000000", name="Würzburg", kind=Kind.KREISFREIE_STADT)
    for kommune in (unterfranken, landkreis, vg, stadt):
        AwardFactory(municipality=kommune)

    html = client.get(MAP_URL).content.decode()
    svg = drawn(client, html)

    links = point_links(svg)
    assert len(links) == 4
    kinds = [re.search(r"map-point--(\w+)", link).group(1) for link in links]
    # Larger markers are drawn first, so that a town at its Landkreis's seat stays on top.
    assert kinds == ["bezirk", "landkreis", "vg", "gemeinde"]
    for key in ("gemeinde", "vg", "landkreis", "bezirk"):
        assert f'<use class="map-point__mark" href="#map-marker-{key}"/>' in svg
        assert f'<path id="map-marker-{key}" d=' in svg
    assert re.search(r"Verwaltungsgemeinschaften: <strong>1</strong>", html)
    assert re.search(r"Gemeinden, Märkte und Städte: <strong>1</strong>", html)
    assert 'aria-label="Landratsamt Aschaffenburg, ausgezeichnet am 28. Juli 2021"' in svg


def test_holders_without_coordinates_are_placed_at_their_seat_or_among_their_gemeinden(
    unterfranken,
):
    vg = place(ars="096755555000", name="Iphofen", kind=Kind.VG, seat="Iphofen", latitude=None)
    place(
        name="Iphofen",
        verwaltungsgemeinschaft=vg,
        regierungsbezirk=unterfranken,
        latitude=Decimal("49.70"),
        longitude=Decimal("10.26"),
    )
    place(
        name="Markt Einersheim",
        kind=Kind.MARKT,
        verwaltungsgemeinschaft=vg,
        regierungsbezirk=unterfranken,
        latitude=Decimal("49.68"),
        longitude=Decimal("10.29"),
    )
    landkreis = place(
        ars="096750000000", name="Kitzingen", kind=Kind.LANDKREIS, seat="Kitzingen", latitude=None
    )
    place(
        name="Dettelbach", landkreis=landkreis, latitude=Decimal("49.8"), longitude=Decimal("10.1")
    )
    place(name="Volkach", landkreis=landkreis, latitude=Decimal("49.9"), longitude=Decimal("10.3"))
    bezirk_seat = place(
        name="Würzburg",
        kind=Kind.KREISFREIE_STADT,
        regierungsbezirk=unterfranken,
        latitude=Decimal("49.79"),
        longitude=Decimal("9.93"),
    )
    unterfranken.latitude = unterfranken.longitude = None
    unterfranken.save()
    for kommune in (vg, landkreis, unterfranken):
        AwardFactory(municipality=kommune)

    context = _map_context()

    position = {point.name: (point.x, point.y) for point in context["points"]}
    assert position["Iphofen"] == charts.BAVARIA(49.70, 10.26)  # the seat among its members
    assert position["Kitzingen"] == charts.BAVARIA(49.85, 10.2)  # no seat: the mean
    assert position["Unterfranken"] == charts.BAVARIA(
        float(bezirk_seat.latitude), float(bezirk_seat.longitude)
    )
    assert context["unplaced_count"] == 0


def test_a_gemeinde_without_coordinates_is_left_off_the_map_and_counted(client, hoesbach):
    AwardFactory(municipality=hoesbach)
    AwardFactory(municipality=place(name="Ohne Lage", latitude=None, longitude=None))

    html = client.get(MAP_URL).content.decode()

    assert len(point_links(drawn(client, html))) == 1
    assert "1 Kommune mit dem Prädikat „Digitales Amt“ auf der Karte" in html
    assert "1 weitere Kommune mit dem Prädikat hat im Gemeindeverzeichnis keine Koordinaten" in html


def test_every_gemeinde_with_coordinates_is_a_faint_dot(client, hoesbach):
    place(name="Zweite")
    place(name="Ohne Lage", latitude=None)
    place(name="Ein Landkreis", kind=Kind.LANDKREIS)  # not a Gemeinde: no dot

    svg = drawn(client, client.get(MAP_URL).content.decode())

    dots = re.search(r'<path class="map__dots" d="([^"]*)"', svg).group(1)
    assert dots.count("h0") == 2
    assert 'aria-hidden="true"' in re.search(r'<path class="map__dots"[^>]*>', svg).group(0)


def test_map_names_the_list_as_its_alternative_and_lets_keyboards_skip_the_points(client, hoesbach):
    AwardFactory(municipality=hoesbach)

    html = client.get(MAP_URL).content.decode()

    assert f'href="{reverse("awards:home")}">Liste aller Digitalen Ämter</a>' in html
    assert "barrierefreie Alternative" in html
    skip = re.search(r'<a class="map__skip" href="#([\w-]+)">\s*([^<]+)</a>', html)
    assert skip.group(2).strip() == "Den Punkt der Karte überspringen"
    assert f'id="{skip.group(1)}"' in html
    # The points are in the embedded drawing: the skip link comes before it, its target after.
    assert html.index('class="map__skip"') < html.index("<object ")
    assert html.index(f'id="{skip.group(1)}"') > html.index("</object>")
    assert 'role="group" aria-label="Karte von Bayern mit den Digitalen Ämtern"' in drawn(
        client, html
    )
    assert 'aria-label="Karte von Bayern mit den Digitalen Ämtern">' in html  # the <object>


def test_map_says_that_no_external_map_service_is_used_and_loads_nothing_from_elsewhere(
    client, hoesbach
):
    AwardFactory(municipality=hoesbach)

    response = client.get(MAP_URL)

    html = response.content.decode()
    svg = drawn(client, html)
    assert "kein externer Kartendienst" in html
    for document in (html, svg):
        external = re.findall(r'(?:src|href|action|data)="((?:https?:)?//[^"]+)"', document)
        assert external == []
        assert "style=" not in document
        assert "<script" not in document
    assert "<style" not in svg  # its styles come from the site's stylesheet (CSP)


def make_holders(count: int) -> None:
    kinds = [Kind.GEMEINDE, Kind.MARKT, Kind.VG, Kind.LANDKREIS, Kind.STADT]
    for index in range(count):
        AwardFactory(
            municipality=place(
                kind=kinds[index % len(kinds)],
                latitude=Decimal("48") + Decimal(index) / 100,
                longitude=Decimal("10") + Decimal(index) / 100,
            )
        )


@pytest.mark.parametrize("holders", [0, 2, 40])
def test_map_costs_three_queries_however_many_holders(client, holders):
    make_holders(holders)
    place(name="Ohne Auszeichnung")

    with count_queries() as counted:
        response = client.get(MAP_URL)

    assert len(counted.own) == 3  # version, Gemeinden, holders
    # The whole page (shared_page), its figures and the drawn context: a read that misses and
    # a write (4 queries with the database cache) each.
    assert len(counted.cache) == 12
    assert len(point_links(drawn(client, response.content.decode()))) == holders
    with count_queries() as again:
        assert client.get(MAP_URL).content == response.content
    assert (len(again.own), len(again.cache)) == (1, 0)  # the version; the page from memory


@pytest.mark.parametrize("holders", [2, 40])
def test_the_drawn_map_is_shared_by_every_process(client, holders):
    make_holders(holders)
    first = client.get(MAP_URL)
    memory.clear()  # another process

    with count_queries() as counted:
        again = client.get(MAP_URL)

    assert len(counted.own) == 1  # the version; the drawing comes from the shared cache
    assert len(counted.cache) == 1
    assert again.content == first.content


def test_the_drawn_map_is_kept_per_language(client, hoesbach):
    AwardFactory(municipality=hoesbach, issued_on=datetime.date(2021, 7, 28))
    german = client.get(MAP_URL).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(MAP_URL).content.decode()

    # Each language's page embeds its own drawing, the same for everybody at its address.
    assert 'data="/karte/karte.de.svg"' in german
    assert 'data="/karte/karte.en.svg"' in english
    assert "ausgezeichnet am 28. Juli 2021" in drawn(client, german)
    assert "ausgezeichnet am" not in drawn(client, english)


def test_map_sends_etag_last_modified_and_public_cache_control(client, hoesbach):
    award = AwardFactory(municipality=hoesbach)

    response = client.get(MAP_URL)

    assert response["Cache-Control"] == "public, max-age=300"
    # Weak: a signed-in visitor's copy carries a CSRF token of its own in the header.
    assert response["ETag"].startswith('W/"')
    award.refresh_from_db()
    assert response["Last-Modified"] == http_date(award.updated_at.timestamp())
    assert "Cookie" in response["Vary"] and "Accept-Language" in response["Vary"]


def test_an_unchanged_map_answers_not_modified(client, hoesbach, django_assert_num_queries):
    AwardFactory(municipality=hoesbach)
    first = client.get(MAP_URL)

    with django_assert_num_queries(1):
        again = client.get(MAP_URL, headers={"if-none-match": first["ETag"]})
    since = client.get(MAP_URL, headers={"if-modified-since": first["Last-Modified"]})

    assert again.status_code == 304
    assert again.content == b""
    assert again["Cache-Control"] == "public, max-age=300"
    assert since.status_code == 304


def test_a_new_or_revoked_award_changes_the_etag(client, hoesbach):
    award = AwardFactory(municipality=hoesbach)
    first = client.get(MAP_URL)["ETag"]

    AwardFactory(municipality=place(name="Neu"))
    second = client.get(MAP_URL)["ETag"]
    award.revoked_at = timezone.now()
    award.revocation_reason = "Test"
    award.save()
    third = client.get(MAP_URL, headers={"if-none-match": second})

    assert len({first, second, third["ETag"]}) == 3
    assert third.status_code == 200


def test_the_english_map_has_its_own_etag_and_english_dates(client, hoesbach):
    AwardFactory(municipality=hoesbach, issued_on=datetime.date(2023, 2, 15))
    german = client.get(MAP_URL)

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(MAP_URL, headers={"if-none-match": german["ETag"]})

    assert english.status_code == 200
    assert english["ETag"] != german["ETag"]
    assert "Feb. 15, 2023" in drawn(client, english.content.decode())


def test_a_signed_in_users_map_is_cached_privately(client, hoesbach, django_user_model):
    AwardFactory(municipality=hoesbach)
    anonymous = client.get(MAP_URL)
    client.force_login(django_user_model.objects.create_user("clerk", password="x"))

    response = client.get(MAP_URL, headers={"if-none-match": anonymous["ETag"]})

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=300"


def test_map_refuses_post(client):
    assert client.post(MAP_URL).status_code == 405


def test_head_request_gets_the_same_headers_without_a_body(client, hoesbach):
    AwardFactory(municipality=hoesbach)

    response = client.head(MAP_URL)

    assert response.status_code == 200
    assert response["ETag"]
    assert response.content == b""
