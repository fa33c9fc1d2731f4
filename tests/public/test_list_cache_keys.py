"""The list's caches are keyed by what the list reads: the known parameters, normalized."""

from unittest import mock

import pytest

from digitalesamt.lib.cache import memory
from digitalesamt.public import kommune_search
from municipalities.constants import Kind
from tests.factories import AwardFactory, MunicipalityFactory
from tests.helpers import count_queries

pytestmark = pytest.mark.usefixtures("empty_cache")


@pytest.fixture
def holders(db):
    bezirk = MunicipalityFactory(ars="091000000000", name="Oberbayern", kind=Kind.BEZIRK)
    for n, name in enumerate(["München", "Hösbach", "Markt Indersdorf", "Aschau"]):
        kommune = MunicipalityFactory(
            name=name, kind=Kind.MARKT if n % 2 else Kind.STADT, regierungsbezirk=bezirk
        )
        AwardFactory(municipality=kommune, number=f"DA-2023-{n + 1:04d}")


def cached(client, path: str):
    """Request `path` and return the response and the queries it cost."""
    with count_queries() as counted:
        response = client.get(path)
    assert response.status_code == 200
    return response, counted


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("/", "/?fbclid=IwAR0abc123"),
        ("/", "/?utm_source=newsletter&utm_medium=mail"),
        ("/?sortierung=name&art=markt", "/?art=markt&sortierung=name"),
        ("/?q=Hösbach&seite=1", "/?seite=1&gclid=x&q=Hösbach"),
        ("/?q=Hösbach", "/?q=++H%C3%B6sbach++"),
    ],
)
def test_unknown_and_reordered_parameters_are_the_same_cache_entry(client, holders, first, second):
    page, _ = cached(client, first)

    again, counted = cached(client, second)

    assert len(counted.own) == 1  # the version
    assert len(counted.cache) == 0  # the whole page, from this process's memory
    assert again.content == page.content

    memory.clear()  # another process
    again, counted = cached(client, second)
    assert len(counted.own) == 1
    assert len(counted.cache) == 1  # the whole page, one read of the shared cache
    assert again.content == page.content


def test_the_canonical_link_names_the_known_parameters_only(client, holders):
    content = client.get("/?fbclid=IwAR0abc&art=markt&utm_source=x&q=Hösbach").content.decode()

    assert (
        '<link rel="canonical" href="https://digitales-amt.test/?q=H%C3%B6sbach&amp;art=markt">'
        in content
    )
    assert "fbclid" not in content
    assert "utm_source" not in content


def test_the_canonical_link_of_the_plain_list_is_the_home_page(client, holders):
    content = client.get("/?fbclid=IwAR0abc&sortierung=neueste&seite=1").content.decode()

    assert '<link rel="canonical" href="https://digitales-amt.test/">' in content


def test_the_language_switch_returns_to_the_page_without_unknown_parameters(client, holders):
    content = client.get("/?utm_campaign=x&sortierung=name").content.decode()

    assert '<input type="hidden" name="next" value="/?sortierung=name">' in content


def test_spellings_of_one_name_are_searched_once(client, holders):
    with mock.patch.object(kommune_search, "find", wraps=kommune_search.find) as find:
        first = client.get("/?q=MÜNCHEN").content.decode()
        with count_queries() as counted:
            second = client.get("/?q=muenchen").content.decode()
        third = client.get("/?q=  München ").content.decode()

    assert find.call_count == 1
    # The index of all Kommunen is not read again; the results are rendered for the spelling.
    assert not any("search_name" in sql for sql in counted.own)
    for content, typed in ((first, "MÜNCHEN"), (second, "muenchen"), (third, "München")):
        assert f"Suche „{typed}“" in content
        assert "Stadt München" in content or "München" in content.split("<main", 1)[1]


def test_a_number_and_a_name_are_different_searches(client, holders):
    with mock.patch.object(kommune_search, "find", wraps=kommune_search.find) as find:
        client.get("/?q=86470")
        client.get("/?q=86470!")

    assert find.call_count == 2
