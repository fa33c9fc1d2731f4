"""The service search finds LeiKa services by what a clerk types, the same on every database."""

import pytest
from django.urls import reverse

from municipalities.importing.catalogue import DEFAULT_CATALOGUE, apply_catalogue, read_catalogue
from municipalities.service_search import (
    build_index,
    forget_index,
    search_index,
    search_services,
    synonyms,
)
from tests.factories import ServiceFactory
from tests.helpers import count_queries


@pytest.fixture(autouse=True)
def fresh_index():
    forget_index()
    yield
    forget_index()


@pytest.fixture(scope="module")
def full_index():
    """The index of the shipped catalogue, built without a database: ranking is pure Python."""
    services, _skipped = read_catalogue(DEFAULT_CATALOGUE)
    rows = [
        (s["leika_key"], s["name"], s["ozg_name"], s["lebenslage"], s["themenfeld"])
        for s in services
    ]
    return build_index(sorted(rows))


# query -> the first hit in the shipped catalogue (LeiKa key, name)
QUALITY = [
    ("Hund", "99110009000000", "Hundehaltung"),
    ("Hundesteuer", "99102013000000", "Hundesteuer"),
    ("Anmeldung Wohnsitz", "99115005104000", "Wohnsitz Anmeldung"),
    ("Wohnsitz anmelden", "99115005104000", "Wohnsitz Anmeldung"),
    ("Bauantrag", "99012008000000", "Baugenehmigung"),
    ("Kfz", "99036008000000", "Kraftfahrzeug"),
    ("Kfz Zulassung", "99036008007000", "Kraftfahrzeug Zulassung"),
    ("Meldebescheinigung", "99115003000000", "amtliche Meldebestätigung"),
    ("Personalausweis", "99008001000000", "Personalausweis"),
    ("Fuehrerschein", "99023001000000", "Führerschein"),
    ("Gewerbe anmelden", "99050012104000", "Gewerbe Anmeldung"),
    ("Kita", "99041004000000", "Kindertagesstätte"),
    ("Sperrmüll", "99001009000000", "Sperrmüll"),
    ("Heirat", "99059001000000", "Eheschließung"),
    ("Baum fällen", "99093003000000", "Baumfällgenehmigung"),
    ("Wohngeld", "99107023000000", "Wohngeld"),
    ("Elterngeld beantragen", "99041006000000", "Elterngeld"),
    ("99115005", "99115005000000", "Wohnsitz"),
]


@pytest.mark.parametrize(("query", "key", "name"), QUALITY, ids=[row[0] for row in QUALITY])
def test_the_first_hit_is_the_service_people_mean(full_index, query, key, name):
    first = search_index(full_index, query, 20)[0]

    assert (first.key, first.name) == (key, name)


def test_hund_never_lists_vom_hundert_before_the_dog_services(full_index):
    names = [entry.name for entry in search_index(full_index, "Hund", 20)]

    hundert = [n for n in names if "Hundert" in n]
    assert names[:4] == [
        "Hundehaltung",
        "Hundesteuer",
        "Hundehaltung Abmeldung",
        "Hundehaltung Anmeldung",
    ]
    assert all(names.index(n) > names.index("Hundesteuer Befreiung") for n in hundert)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Kfz", "Kraftfahrzeug Zulassung"),
        ("Bauantrag", "Baugenehmigung Erteilung"),
        ("Meldebescheinigung", "amtliche Meldebestätigung Ausstellung"),
        ("Anmeldung Wohnsitz", "Wohnsitz Anmeldung als Hauptwohnsitz"),
    ],
)
def test_the_queries_that_found_nothing_find_their_services(full_index, query, expected):
    assert expected in [entry.name for entry in search_index(full_index, query, 20)]


def test_synonyms_are_data_and_each_names_a_word_of_the_catalogue(full_index):
    found = synonyms()

    assert {"kraftfahrzeug", "fahrzeug"} <= set(found["kfz"])
    assert "baugenehmigung" in found["bauantrag"]
    assert "meldewesen" in found["wohnsitz"]
    vocabulary = set(full_index.postings)
    for term, alternatives in found.items():
        assert any(word in vocabulary for word in alternatives), term


def test_stems_and_folded_spelling_find_the_same_service(full_index):
    def first(query):
        return search_index(full_index, query, 1)[0].name

    assert first("Anmeldungen Gewerbe") == first("Gewerbe Anmeldung") == "Gewerbe Anmeldung"
    assert first("fuhrerschein") == first("Führerschein") == "Führerschein"


def test_a_word_inside_a_compound_is_found_but_ranks_after_whole_words(full_index):
    names = [entry.name for entry in search_index(full_index, "Anmeldung", 200)]

    assert names[0].startswith("Anmeldung")
    assert "Gewerbe Anmeldung" in names


@pytest.mark.django_db
def test_the_search_reads_the_catalogue_from_the_database_and_sees_changes():
    ServiceFactory(leika_key="99102013000000", name="Hundesteuer Anmeldung")
    ServiceFactory(
        leika_key="99111001017002",
        name="Abfindung für Unfallversicherte Bewilligung bei Minderung unter 40 vom Hundert",
    )

    assert [e.name for e in search_services("Hund")][0] == "Hundesteuer Anmeldung"

    ServiceFactory(leika_key="99110009104000", name="Hund anmelden")
    assert [e.name for e in search_services("Hund")][0] == "Hund anmelden"


@pytest.mark.django_db
def test_the_full_catalogue_through_the_database_ranks_as_the_index_does():
    services, _skipped = read_catalogue(DEFAULT_CATALOGUE)
    apply_catalogue(services)

    for query, key, _name in QUALITY:
        assert search_services(query, limit=1)[0].key == key, query


@pytest.mark.django_db
def test_the_search_endpoint_costs_the_same_at_two_catalogue_sizes(clerk_client):
    def queries(count: int) -> tuple[int, int]:
        ServiceFactory.create_batch(count, name="Hundehaltung Anmeldung")
        forget_index()
        costs = []
        for _round in range(2):  # building the index, then using it
            with count_queries() as counted:
                response = clerk_client.get(reverse("portal:service_search"), {"q": "Hund"})
            assert response.status_code == 200
            assert response.json()["results"]
            costs.append(len(counted.own))
        return tuple(costs)

    few = queries(10)
    many = queries(1000)

    assert few == many
    assert few[1] == few[0] - 1  # the index is built once: one query fewer afterwards


@pytest.mark.django_db
def test_the_endpoint_ranks_the_dog_tax_first_and_finds_kfz(clerk_client):
    ServiceFactory(
        leika_key="99111001017002",
        name="Abfindung für Unfallversicherte Bewilligung bei Minderung unter 40 vom Hundert",
    )
    ServiceFactory(
        leika_key="99102013000000", name="Hundesteuer Anmeldung", ozg_name="Hundehaltung"
    )
    ServiceFactory(leika_key="99036008007000", name="Kraftfahrzeug Zulassung")

    def first(query: str) -> str:
        results = clerk_client.get(reverse("portal:service_search"), {"q": query}).json()
        return results["results"][0]["name"] if results["results"] else ""

    assert first("Hund") == "Hundesteuer Anmeldung"
    assert first("Kfz") == "Kraftfahrzeug Zulassung"
