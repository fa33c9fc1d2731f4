"""The list's first screen: the search box first, the filters folded until one is set."""

import re

import pytest

from municipalities.constants import Kind
from tests.factories import AwardFactory, MunicipalityFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]


@pytest.fixture
def holders():
    schwaben = MunicipalityFactory(ars="097000000000", name="Schwaben", kind=Kind.BEZIRK)
    guenzburg = MunicipalityFactory(
        ars="097740000000", name="Günzburg", kind=Kind.LANDKREIS, regierungsbezirk=schwaben
    )
    town = MunicipalityFactory(
        ars="097740133133",
        name="Krumbach (Schwaben)",
        kind=Kind.STADT,
        regierungsbezirk=schwaben,
        landkreis=guenzburg,
    )
    AwardFactory(municipality=town)
    return {"schwaben": schwaben, "guenzburg": guenzburg}


def main(client, **query) -> str:
    content = client.get("/", query).content.decode()
    return content.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def details(content: str) -> str:
    return re.search(r"<details [^>]*>", content)[0]


def summary(content: str) -> str:
    found = re.search(r"<summary [^>]*>(.*?)</summary>", content, re.S)[1]
    return " ".join(re.sub(r"<[^>]+>", " ", found).split())


def test_the_search_box_and_its_button_come_before_the_folded_filters(client, holders):
    content = main(client)

    search = content.index('name="q"')
    button = content.index('<span class="kern-label">Suchen</span>')
    folded = content.index("<details ")
    assert search < button < folded < content.index('name="regierungsbezirk"')
    assert (
        content.index("<details ")
        < content.index('name="sortierung"')
        < content.index("</details>")
    )
    assert content.index("</details>") < content.index('id="public-results-title"')


def test_without_a_filter_the_filters_are_folded(client, holders):
    content = main(client)

    assert " open" not in details(content)
    assert summary(content) == "Filter und Sortierung"


def test_a_search_term_alone_leaves_the_filters_folded(client, holders):
    content = main(client, q="Krumbach")

    assert " open" not in details(content)
    assert summary(content) == "Filter und Sortierung"


def test_a_filter_opens_them_and_the_summary_counts_it(client, holders):
    content = main(client, regierungsbezirk=holders["schwaben"].ars)

    assert details(content).endswith(" open>")
    assert summary(content) == "Filter und Sortierung (1 Filter aktiv)"


def test_the_summary_counts_every_filter_set(client, holders):
    content = main(
        client,
        regierungsbezirk=holders["schwaben"].ars,
        landkreis=holders["guenzburg"].ars,
        art=Kind.STADT,
    )

    assert summary(content) == "Filter und Sortierung (3 Filter aktiv)"


def test_a_wrong_filter_value_is_not_counted(client, holders):
    content = main(client, art="keine-art")

    assert " open" not in details(content)
    assert summary(content) == "Filter und Sortierung"


def test_another_order_opens_the_filters_but_counts_no_filter(client, holders):
    content = main(client, sortierung="name")

    assert details(content).endswith(" open>")
    assert summary(content) == "Filter und Sortierung"


def test_the_first_page_names_no_page_above_the_results(client, holders):
    # "Seite 1 von N" took a line of the first screen; the table's caption still says it.
    AwardFactory.create_batch(25)
    content = main(client)

    assert "Seite 1 von 2</caption>" in content
    heading_to_table = content.split('id="public-results-title"', 1)[1].split("<table", 1)[0]
    assert "Seite" not in heading_to_table
