"""The public list of holders at /: search, filters, sort, pages, caching and HTTP validators."""

import datetime
import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertInHTML

from awards.models import Award
from digitalesamt.lib.cache import memory
from digitalesamt.public.views.holders import PAGE_SIZE
from municipalities.constants import Kind
from tests.factories import AwardFactory, MunicipalityFactory
from tests.helpers import assert_csp_clean, count_queries, main_text

pytestmark = pytest.mark.usefixtures("empty_cache")

HOME = reverse("awards:home")


@pytest.fixture
def bayern(db):
    """A small register: two Regierungsbezirke, two Landkreise, a VG with members, awards."""
    schwaben = MunicipalityFactory(ars="097000000000", name="Schwaben", kind=Kind.BEZIRK)
    unterfranken = MunicipalityFactory(ars="096000000000", name="Unterfranken", kind=Kind.BEZIRK)
    guenzburg = MunicipalityFactory(
        ars="097740000000", name="Günzburg", kind=Kind.LANDKREIS, regierungsbezirk=schwaben
    )
    kitzingen = MunicipalityFactory(
        ars="096750000000", name="Kitzingen", kind=Kind.LANDKREIS, regierungsbezirk=unterfranken
    )
    vg = MunicipalityFactory(
        ars="097745732000",
        name="Thannhausen",
        kind=Kind.VG,
        regierungsbezirk=schwaben,
        landkreis=guenzburg,
        postal_code="86470",
    )
    thannhausen = MunicipalityFactory(
        ars="097745732185",
        name="Thannhausen",
        kind=Kind.STADT,
        regierungsbezirk=schwaben,
        landkreis=guenzburg,
        verwaltungsgemeinschaft=vg,
        postal_code="86470",
    )
    balzhausen = MunicipalityFactory(
        ars="097745732114",
        name="Balzhausen",
        kind=Kind.GEMEINDE,
        regierungsbezirk=schwaben,
        landkreis=guenzburg,
        verwaltungsgemeinschaft=vg,
        postal_code="86483",
    )
    augsburg = MunicipalityFactory(
        ars="097610000000",
        name="Augsburg",
        kind=Kind.KREISFREIE_STADT,
        regierungsbezirk=schwaben,
        postal_code="86150",
    )
    hoesbach = MunicipalityFactory(
        ars="096710130130",
        name="Hösbach",
        kind=Kind.MARKT,
        regierungsbezirk=unterfranken,
        postal_code="63768",
    )
    iphofen = MunicipalityFactory(
        ars="096755616139",
        name="Iphofen",
        kind=Kind.STADT,
        regierungsbezirk=unterfranken,
        landkreis=kitzingen,
        postal_code="97346",
    )
    data = {
        "schwaben": schwaben,
        "unterfranken": unterfranken,
        "guenzburg": guenzburg,
        "kitzingen": kitzingen,
        "vg": vg,
        "thannhausen": thannhausen,
        "balzhausen": balzhausen,
        "augsburg": augsburg,
        "hoesbach": hoesbach,
        "iphofen": iphofen,
    }
    data["augsburg_award"] = AwardFactory(
        municipality=augsburg,
        number="DA-2021-0002",
        issued_on=datetime.date(2021, 7, 28),
        procedure_count=120,
    )
    data["vg_award"] = AwardFactory(
        municipality=vg,
        number="DA-2022-0100",
        issued_on=datetime.date(2022, 7, 14),
        procedure_count=61,
    )
    data["hoesbach_award"] = AwardFactory(
        municipality=hoesbach,
        number="DA-2023-0200",
        issued_on=datetime.date(2023, 2, 9),
        procedure_count=74,
    )
    data["kitzingen_award"] = AwardFactory(
        municipality=kitzingen,
        number="DA-2023-0300",
        issued_on=datetime.date(2023, 6, 1),
        procedure_count=90,
    )
    data["unterfranken_award"] = AwardFactory(
        municipality=unterfranken,
        number="DA-2023-0150",
        issued_on=datetime.date(2023, 4, 20),
        procedure_count=33,
    )
    return data


def page(client, **params) -> str:
    response = client.get(HOME, params)
    assert response.status_code == 200
    return response.content.decode()


def rows(content: str) -> list[str]:
    """Return the names of the result rows, in order."""
    body = content.split('<tbody class="kern-table__body">', 1)
    if len(body) == 1:
        return []
    names = re.findall(
        r'<th class="kern-table__header public-table__name" scope="row">\s*<a [^>]*>([^<]+)</a>',
        body[1].split("</tbody>", 1)[0],
    )
    return [unescape(name) for name in names]


def heading(content: str) -> str:
    found = re.search(r'<h2 [^>]*id="public-results-title">(.*?)</h2>', content, re.S)
    return " ".join(found.group(1).split())


# What the list shows --------------------------------------------------------------------------


def test_list_shows_every_current_holder_and_no_revoked_one(client, bayern):
    bayern["hoesbach_award"].revoked_at = timezone.now()
    bayern["hoesbach_award"].revocation_reason = "Zu wenige Verfahren"
    bayern["hoesbach_award"].save()

    content = page(client)

    assert sorted(rows(content)) == [
        "Bezirk Unterfranken",
        "Landratsamt Kitzingen",
        "Stadt Augsburg",
        "Verwaltungsgemeinschaft Thannhausen",
    ]
    assert heading(content) == "4 Digitale Ämter gefunden"


def test_a_row_shows_name_kind_area_date_procedures_and_number_and_links_the_kommune(
    client, bayern
):
    content = page(client, q="Hösbach")

    row = content.split('<tbody class="kern-table__body">', 1)[1].split("</tr>", 1)[0]
    assert f'href="{reverse("awards:municipality", args=["096710130130"])}"' in row
    assert ">Markt Hösbach</a>" in row
    assert ">Markt</td>" in row
    assert "Unterfranken" in row
    assertInHTML('<time datetime="2023-02-09">9. Februar 2023</time>', row)
    assert ">74</td>" in row
    assert ">DA-2023-0200</td>" in row


def test_a_gemeinde_in_a_landkreis_shows_the_landkreis_and_the_regierungsbezirk(client, bayern):
    AwardFactory(municipality=bayern["iphofen"], number="DA-2024-0001")

    content = page(client, q="Iphofen")

    assert "Landkreis Kitzingen" in content
    assert rows(content) == ["Stadt Iphofen"]


def test_the_heading_and_the_english_page_keep_their_texts(client, bayern):
    german = page(client)
    english = client.get(HOME, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assertInHTML('<h1 class="kern-heading-large">Digitale Ämter in Bayern</h1>', german)
    assert "Digitales Amt holders in Bavaria" in english
    assert '<html lang="en">' in english


def test_the_count_is_singular_for_one_holder(client, bayern):
    assert heading(page(client, q="Augsburg")) == "1 Digitales Amt gefunden"


def test_the_page_has_no_script_and_a_clean_csp(client, bayern):
    response = client.get(HOME, {"q": "Thann"})

    assert "<script" not in response.content.decode()
    assert_csp_clean(response)


def test_the_table_has_a_caption_and_column_headers(client, bayern):
    content = page(client)

    assertInHTML('<caption class="kern-sr-only">Digitale Ämter in Bayern</caption>', content)
    assert content.count('scope="col"') == 6
    assert content.count('scope="row"') == 5
    # Narrow screens label each value from its column; the labels must be there.
    assert 'data-label="verliehen am"' in content


# Search ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("augsburg", ["Stadt Augsburg"]),
        ("AUGS", ["Stadt Augsburg"]),
        ("  Augsburg  ", ["Stadt Augsburg"]),
        ("Markt Hösbach", ["Markt Hösbach"]),
        ("Landratsamt Kitzingen", ["Landratsamt Kitzingen"]),
        ("Landkreis Kitzingen", ["Landratsamt Kitzingen"]),
        ("Stadt Augsburg", ["Stadt Augsburg"]),
        ("Bezirk Unterfranken", ["Bezirk Unterfranken"]),
        ("097610000000", ["Stadt Augsburg"]),
        ("09761", ["Stadt Augsburg"]),
        ("09 761", ["Stadt Augsburg"]),
        ("86150", ["Stadt Augsburg"]),
        ("63768", ["Markt Hösbach"]),
        ("Nirgendwo", []),
    ],
)
def test_search_finds_by_name_title_ars_prefix_and_postal_code(client, bayern, term, expected):
    assert rows(page(client, q=term)) == expected


def test_search_for_a_member_gemeinde_finds_its_vg_with_a_note(client, bayern):
    content = page(client, q="Balzhausen")

    assert rows(content) == ["Verwaltungsgemeinschaft Thannhausen"]
    note = content.split('public-table__via public-prose">', 1)[1].split("</p>", 1)[0]
    assert " ".join(note.split()).startswith("Gefunden über die Mitgliedsgemeinde <a")
    assert f'href="{reverse("awards:municipality", args=["097745732114"])}"' in note
    assert "Gemeinde Balzhausen" in note
    assert "Sie ist über die Verwaltungsgemeinschaft ausgezeichnet." in note


def test_search_by_a_members_postal_code_finds_the_vg(client, bayern):
    content = page(client, q="86483")

    assert rows(content) == ["Verwaltungsgemeinschaft Thannhausen"]
    assert "Gemeinde Balzhausen" in content


def test_search_naming_the_vg_and_a_member_lists_the_vg_once(client, bayern):
    content = page(client, q="Thannhausen")

    assert rows(content) == ["Verwaltungsgemeinschaft Thannhausen"]
    assert "Gefunden über die Mitgliedsgemeinde" in content
    assert "Stadt Thannhausen" in content


def test_a_vg_found_through_many_members_names_three_and_counts_the_rest(client, bayern):
    for n in range(4):
        MunicipalityFactory(
            name=f"Musterdorf {n}", verwaltungsgemeinschaft=bayern["vg"], landkreis=None
        )

    content = page(client, q="Musterdorf")

    note = " ".join(
        content.split('public-table__via public-prose">', 1)[1].split("</p>", 1)[0].split()
    )
    assert note.startswith("Gefunden über die Mitgliedsgemeinden")
    assert note.count("<a ") == 3
    assert "und 1 weitere:" in note
    assert "Sie sind über die Verwaltungsgemeinschaft ausgezeichnet." in note


def test_a_gemeinde_in_a_holding_landkreis_is_not_shown_as_covered(client, bayern):
    content = page(client, q="Iphofen")

    assert rows(content) == []
    assert "Landratsamt Kitzingen" not in content
    assert "Kommunen ohne Prädikat" in content
    assert f'href="{reverse("awards:municipality", args=["096755616139"])}"' in content


def test_kommunen_without_the_title_that_match_are_listed_with_links(client, bayern):
    content = page(client, q="thannhausen")

    others = content.split('id="public-others-title"', 1)
    # The member Stadt is covered by its VG: not "without the title".
    assert len(others) == 1
    assert rows(content) == ["Verwaltungsgemeinschaft Thannhausen"]

    MunicipalityFactory(ars="097745555555", name="Neu-Thannhausen", kind=Kind.GEMEINDE)
    cache.clear()  # the timeout of the shared cache and of each process's memory has passed
    memory.clear()
    content = page(client, q="thannhausen")
    others = content.split('id="public-others-title"', 1)[1]
    assert "Gemeinde Neu-Thannhausen" in others
    assert reverse("awards:municipality", args=["097745555555"]) in others


def test_the_list_of_kommunen_without_the_title_is_capped(client, db):
    for n in range(12):
        MunicipalityFactory(name=f"Leerdorf {n:02d}")

    content = page(client, q="Leerdorf")

    others = content.split('id="public-others-title"', 1)[1]
    assert others.count('<a class="kern-link" href="/kommunen/') == 10
    assert "Weitere Kommunen passen zu Ihrer Suche." in others


def test_the_search_term_is_escaped(client, bayern):
    content = page(client, q='<script>alert("x")</script>')

    assert "<script" not in content
    assert "&lt;script&gt;" in content


# Filters -----------------------------------------------------------------------------------------


def test_filter_by_regierungsbezirk_keeps_its_kommunen_and_the_bezirk_itself(client, bayern):
    content = page(client, regierungsbezirk="096000000000")

    assert sorted(rows(content)) == [
        "Bezirk Unterfranken",
        "Landratsamt Kitzingen",
        "Markt Hösbach",
    ]
    assertInHTML('<option value="096000000000" selected>Unterfranken</option>', content)


def test_filter_by_landkreis_keeps_its_gemeinden_and_the_landratsamt(client, bayern):
    AwardFactory(municipality=bayern["iphofen"], number="DA-2024-0001")

    content = page(client, landkreis="096750000000")

    assert sorted(rows(content)) == ["Landratsamt Kitzingen", "Stadt Iphofen"]


def test_the_landkreis_filter_says_kreisfreie_staedte_have_none_and_groups_by_bezirk(
    client, bayern
):
    content = page(client)

    assert "Kreisfreie Städte gehören zu keinem Landkreis." in content
    assert '<optgroup label="Schwaben">' in content
    assert re.search(r'<optgroup label="Unterfranken">\s*<option value="096750000000"', content)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (Kind.VG, ["Verwaltungsgemeinschaft Thannhausen"]),
        (Kind.KREISFREIE_STADT, ["Stadt Augsburg"]),
        (Kind.LANDKREIS, ["Landratsamt Kitzingen"]),
        (Kind.BEZIRK, ["Bezirk Unterfranken"]),
        (Kind.GEMEINDE, []),
    ],
)
def test_filter_by_kind(client, bayern, kind, expected):
    assert rows(page(client, art=kind)) == expected


def test_filters_and_search_combine(client, bayern):
    assert rows(page(client, q="Thannhausen", regierungsbezirk="096000000000")) == []
    assert rows(page(client, q="Thannhausen", art=Kind.VG, landkreis="097740000000")) == [
        "Verwaltungsgemeinschaft Thannhausen"
    ]


def test_the_form_shows_the_state_of_the_query_string(client, bayern):
    content = page(client, q="Thann", art=Kind.VG, sortierung="name")

    assert 'name="q" value="Thann"' in content
    assertInHTML('<option value="vg" selected>Verwaltungsgemeinschaft</option>', content)
    assertInHTML('<option value="name" selected>Name (A–Z)</option>', content)
    assert 'method="get"' in content
    assert 'href="/"><span class="kern-label">Filter zurücksetzen</span>' in content


# Sort order --------------------------------------------------------------------------------------


def test_the_default_order_is_newest_first(client, bayern):
    assert rows(page(client)) == [
        "Landratsamt Kitzingen",
        "Bezirk Unterfranken",
        "Markt Hösbach",
        "Verwaltungsgemeinschaft Thannhausen",
        "Stadt Augsburg",
    ]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (
            "aelteste",
            [
                "Stadt Augsburg",
                "Verwaltungsgemeinschaft Thannhausen",
                "Markt Hösbach",
                "Bezirk Unterfranken",
                "Landratsamt Kitzingen",
            ],
        ),
        (
            "name",
            [
                "Stadt Augsburg",
                "Markt Hösbach",
                "Landratsamt Kitzingen",
                "Verwaltungsgemeinschaft Thannhausen",
                "Bezirk Unterfranken",
            ],
        ),
        (
            "verfahren",
            [
                "Stadt Augsburg",
                "Landratsamt Kitzingen",
                "Markt Hösbach",
                "Verwaltungsgemeinschaft Thannhausen",
                "Bezirk Unterfranken",
            ],
        ),
    ],
)
def test_sort_orders(client, bayern, sort, expected):
    assert rows(page(client, sortierung=sort)) == expected


def test_an_unknown_sort_order_falls_back_to_newest_first_with_a_notice(client, bayern):
    content = page(client, sortierung="DROP TABLE")

    assert rows(content)[0] == "Landratsamt Kitzingen"
    assert "Einige Angaben in der Adresse waren ungültig" in content
    assertInHTML('<p class="kern-body">Sortierung</p>', content)


# Pages -------------------------------------------------------------------------------------------


@pytest.fixture
def many_holders(db):
    bezirk = MunicipalityFactory(ars="091000000000", name="Oberbayern", kind=Kind.BEZIRK)
    for n in range(PAGE_SIZE * 2 + 3):
        AwardFactory(
            municipality=MunicipalityFactory(name=f"Ort {n:03d}", regierungsbezirk=bezirk),
            number=f"DA-2022-{n + 1:04d}",
            issued_on=datetime.date(2022, 1, 1) + datetime.timedelta(days=n),
        )


def test_pages_hold_25_holders_and_say_which_page_it_is(client, many_holders):
    first = page(client, sortierung="name")
    second = page(client, sortierung="name", seite="2")
    third = page(client, sortierung="name", seite="3")

    assert rows(first) == [f"Gemeinde Ort {n:03d}" for n in range(25)]
    assert rows(second) == [f"Gemeinde Ort {n:03d}" for n in range(25, 50)]
    assert rows(third) == [f"Gemeinde Ort {n:03d}" for n in range(50, 53)]
    assert heading(first) == "53 Digitale Ämter gefunden"
    assert "Seite 2 von 3" in second


def test_page_links_keep_search_filters_and_sort(client, many_holders):
    content = page(client, q="Ort", sortierung="name", seite="2")

    nav = content.split('<nav class="public-pagination"', 1)[1].split("</nav>", 1)[0]
    assert 'href="/?q=Ort&amp;sortierung=name&amp;seite=3" rel="next"' in nav
    assert 'href="/?q=Ort&amp;sortierung=name" rel="prev"' in nav
    assert 'aria-current="page"><span class="kern-sr-only">Seite </span>2</span>' in nav


def test_the_default_sort_order_stays_out_of_links(client, many_holders):
    content = page(client, sortierung="neueste")

    assert 'href="/?seite=2" rel="next"' in content


@pytest.mark.parametrize("number", ["0", "-3", "abc", "2.5", "", "1e9"])
def test_a_bad_page_number_shows_the_first_page(client, many_holders, number):
    content = page(client, seite=number, sortierung="name")

    assert rows(content)[0] == "Gemeinde Ort 000"


def test_a_page_past_the_end_shows_the_last_page_with_a_notice(client, many_holders):
    content = page(client, seite="99", sortierung="name")

    assert rows(content)[-1] == "Gemeinde Ort 052"
    assert "Seite 3 von 3" in content
    assert "Einige Angaben in der Adresse waren ungültig" in content


# Bad input never breaks the page ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "ignored"),
    [
        ({"regierungsbezirk": "oberbayern"}, "Regierungsbezirk"),
        ({"regierungsbezirk": "097740000000"}, "Regierungsbezirk"),  # a Landkreis
        ({"landkreis": "999999999999"}, "Landkreis"),
        ({"landkreis": "'; --"}, "Landkreis"),
        ({"art": "hauptstadt"}, "Art"),
        ({"q": "x" * 500}, "Name, Postleitzahl oder Regionalschlüssel"),
        ({"seite": "9" * 40}, "Seite"),
        ({"art": "vg", "landkreis": "x", "sortierung": "y"}, "Landkreis, Sortierung"),
    ],
)
def test_garbage_parameters_fall_back_with_a_notice(client, bayern, params, ignored):
    response = client.get(HOME, params)

    content = response.content.decode()
    assert response.status_code == 200
    assert "Einige Angaben in der Adresse waren ungültig" in content
    assertInHTML(f'<p class="kern-body">{ignored}</p>', content)
    assert rows(content)


def test_a_nul_in_the_search_is_refused_with_a_german_page(client, bayern):
    # No person types a NUL; PostgreSQL refuses one in text. One answer for every parameter
    # (digitalesamt.lib.middleware), instead of each form's fallback.
    response = client.get(HOME, {"q": "Augs\x00burg"})

    assert response.status_code == 400
    assert "Ein Feld oder ein Parameter enthält ein Steuerzeichen oder ein ungültiges Zeichen." in (
        main_text(response)
    )


def test_wildcards_in_the_search_are_taken_literally(client, bayern):
    assert rows(page(client, q="%")) == []
    assert rows(page(client, q="_")) == []


def test_unknown_parameters_are_ignored(client, bayern):
    content = page(client, utm_source="newsletter", sort="name")

    assert len(rows(content)) == 5
    assert "ungültig" not in content


def test_a_post_is_refused(client, bayern):
    assert client.post(HOME).status_code == 405


# Empty states ------------------------------------------------------------------------------------


def test_no_match_gives_help_a_reset_link_and_points_to_kommune_pages(client, bayern):
    content = page(client, q="Nirgendwo", art=Kind.VG)

    assert heading(content) == "0 Digitale Ämter gefunden"
    assert "Keine bayerische Kommune passt zu „Nirgendwo“." in content
    assert "Prüfen Sie die Schreibweise" in content
    assert "Suchen Sie nach der Postleitzahl" in content
    assertInHTML(
        '<a class="kern-link" href="/">'
        "Alle Filter zurücksetzen und alle Digitalen Ämter zeigen</a>",
        content,
    )
    assert "steht auf ihrer eigenen Seite" in content


def test_no_holder_at_all_says_so(client, db):
    content = page(client)

    assert "Noch ist keine Kommune ausgezeichnet." in content
    assert "Filter zurücksetzen" not in content


# Queries, caching and HTTP validators ------------------------------------------------------------


def make_holders(count: int) -> None:
    bezirk = MunicipalityFactory(kind=Kind.BEZIRK)
    landkreis = MunicipalityFactory(kind=Kind.LANDKREIS, regierungsbezirk=bezirk)
    for n in range(count):
        vg = MunicipalityFactory(
            name=f"Verband {n}", kind=Kind.VG, regierungsbezirk=bezirk, landkreis=landkreis
        )
        MunicipalityFactory(
            name=f"Mitglied {n}",
            verwaltungsgemeinschaft=vg,
            regierungsbezirk=bezirk,
            landkreis=landkreis,
        )
        AwardFactory(municipality=vg, number=f"DA-2023-{n + 1:04d}")


@pytest.mark.parametrize("holders", [3, 60])
@pytest.mark.parametrize(
    "params", [{}, {"q": "Mitglied"}, {"q": "Verband", "sortierung": "name", "seite": "2"}]
)
def test_a_fresh_render_costs_a_fixed_number_of_queries(client, db, holders, params):
    make_holders(holders)

    with count_queries() as counted:
        response = client.get(HOME, params)

    assert response.status_code == 200
    # version, areas, count, page, members found, Kommunen without the title, holders in all;
    # a search also reads the names of all Kommunen once (the search index, kept per version)
    assert len(counted.own) <= (8 if params.get("q") else 7)
    # page and region: a read that misses and a write each
    assert len(counted.cache) <= 8


@pytest.mark.parametrize("holders", [3, 60])
def test_a_cached_page_costs_one_query_and_one_cache_read(client, db, holders):
    make_holders(holders)
    client.get(HOME, {"q": "Mitglied"})

    with count_queries() as counted:
        response = client.get(HOME, {"q": "Mitglied"})
    assert len(counted.own) == 1  # the version
    assert len(counted.cache) == 0  # the whole page, from this process's memory

    memory.clear()  # another process, which has not served this page yet
    with count_queries() as counted:
        response = client.get(HOME, {"q": "Mitglied"})
    assert len(counted.own) == 1  # the version
    assert len(counted.cache) == 1  # the whole page, from the shared cache
    assert "Verwaltungsgemeinschaft Verband" in response.content.decode()


def test_a_logged_in_visitor_gets_the_cached_results_in_their_own_page(client, bayern):
    user = get_user_model().objects.create_user("leserin", first_name="Lea", last_name="Leser")
    page(client)  # fills the cache as an anonymous visitor
    client.force_login(user)

    content = page(client)

    assert "Lea Leser" in content
    assert "Abmelden" in content
    assert len(rows(content)) == 5
    # And the next anonymous visitor never sees her.
    assert "Lea Leser" not in page(Client())


def test_anonymous_visitors_get_a_cached_page_with_nothing_of_anybody_s_own(bayern):
    first, second = Client(), Client()

    first_response = first.get(HOME)
    second_response = second.get(HOME)  # served from the cache

    assert second_response.content == first_response.content
    assert "csrfmiddlewaretoken" not in second_response.content.decode()
    assert "csrftoken" not in first_response.cookies
    assert "csrftoken" not in second_response.cookies


def test_the_language_form_keeps_the_query_string_of_the_page(client, bayern):
    page(client, q="Augsburg")

    content = page(client, q="Augsburg")

    assertInHTML('<input type="hidden" name="next" value="/?q=Augsburg">', content)


def test_the_cache_is_kept_apart_by_language(client, bayern):
    page(client)

    english = client.get(HOME, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Digitales Amt holders in Bavaria" in english
    assert "Digitale Ämter in Bayern" not in english


def test_a_new_award_shows_at_once(client, bayern):
    page(client, q="Iphofen")

    AwardFactory(municipality=bayern["iphofen"], number="DA-2024-0001")

    assert rows(page(client, q="Iphofen")) == ["Stadt Iphofen"]


def test_a_revoked_award_leaves_the_list_at_once(client, bayern):
    assert "Markt Hösbach" in rows(page(client))
    award = bayern["hoesbach_award"]
    award.revoked_at = timezone.now()
    award.revocation_reason = "Zu wenige Verfahren"
    award.save(update_fields=["revoked_at", "revocation_reason", "updated_at"])

    assert "Markt Hösbach" not in rows(page(client))


def test_the_list_sends_validators_and_cache_control(client, bayern):
    response = client.get(HOME)

    latest = Award.objects.order_by("-updated_at").first().updated_at
    assert response.headers["ETag"].startswith('W/"')
    assert response.headers["Last-Modified"] == latest.strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert "Cookie" in response.headers["Vary"]
    assert "Accept-Language" in response.headers["Vary"]


def test_a_page_with_nothing_of_the_visitors_own_may_be_shared(client, bayern):
    response = client.get(HOME)

    assert "csrfmiddlewaretoken" not in response.content.decode()
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert "csrftoken" not in response.cookies


def test_a_logged_in_visitors_page_stays_private(client, bayern):
    client.force_login(get_user_model().objects.create_user("leser"))

    response = client.get(HOME)
    revalidated = client.get(HOME, HTTP_IF_NONE_MATCH=response.headers["ETag"])

    assert response.headers["Cache-Control"] == "private, max-age=60"
    assert revalidated.status_code == 304
    assert revalidated.headers["Cache-Control"] == "private, max-age=60"


def test_a_matching_etag_gets_304_without_rendering(client, bayern, django_assert_num_queries):
    etag = client.get(HOME, {"q": "Augsburg"}).headers["ETag"]

    with django_assert_num_queries(1):
        response = client.get(HOME, {"q": "Augsburg"}, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response.templates == []
    assert response.headers["ETag"] == etag
    assert response.headers["Cache-Control"] == "public, max-age=60"


def test_if_modified_since_gets_304(client, bayern):
    last_modified = client.get(HOME).headers["Last-Modified"]

    response = client.get(HOME, HTTP_IF_MODIFIED_SINCE=last_modified)

    assert response.status_code == 304


def test_the_etag_changes_with_the_query_the_language_and_the_data(client, bayern):
    client.get(HOME)  # takes the CSRF cookie, which is part of the validator
    etag = client.get(HOME).headers["ETag"]

    assert client.get(HOME).headers["ETag"] == etag

    assert client.get(HOME, {"q": "Augsburg"}).headers["ETag"] != etag
    assert client.get(HOME, HTTP_ACCEPT_LANGUAGE="en").headers["ETag"] != etag
    AwardFactory(municipality=bayern["iphofen"], number="DA-2024-0001")
    changed = client.get(HOME, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_a_stale_etag_after_login_renders_the_page_again(client, bayern):
    etag = client.get(HOME).headers["ETag"]
    user = get_user_model().objects.create_user("leser", first_name="Leo", last_name="Leser")
    client.force_login(user)

    response = client.get(HOME, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert "Leo Leser" in response.content.decode()


def test_spaces_around_a_value_do_not_change_the_page(client, bayern):
    padded = page(client, art=" vg ")
    plain = page(client, art="vg")

    assert rows(padded) == rows(plain) == ["Verwaltungsgemeinschaft Thannhausen"]
    assert "ungültig" not in padded + plain
