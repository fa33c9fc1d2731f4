"""Open data: the JSON, the CSV, the Atom feed, the OpenAPI description and the overview page."""

import csv
import datetime
import io
import json
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils.http import http_date

from awards.models import Award
from awards.services import revoke_award
from digitalesamt.lib.cache import memory
from digitalesamt.lib.spreadsheet import FORMULA_PREFIXES
from digitalesamt.public.opendata import (
    ATTRIBUTION,
    FIELD_NAMES,
    LICENCE_NAME,
    LICENCE_URL,
    NUMERIC_FIELDS,
)
from digitalesamt.public.views.opendata import _csv_cell
from municipalities.constants import Kind
from municipalities.models import Municipality
from municipalities.signals import register_changed
from tests.factories import AwardFactory, MunicipalityFactory
from tests.helpers import count_queries

SITE_URL = "https://digitales-amt.test"  # tests/settings.py
ATOM = "{http://www.w3.org/2005/Atom}"
JSON_URL = reverse("awards:opendata_json")
CSV_URL = reverse("awards:opendata_csv")
FEED_URL = reverse("awards:feed")
OPENAPI_URL = reverse("awards:openapi")
OVERVIEW_URL = reverse("awards:opendata")
DATA_URLS = [JSON_URL, CSV_URL, FEED_URL]


@pytest.fixture
def unterfranken(db):
    return MunicipalityFactory(
        ars="096000000000",
        name="Unterfranken",
        kind=Kind.BEZIRK,
        latitude=Decimal("49.79393"),
        longitude=Decimal("9.93725"),
    )


@pytest.fixture
def landkreis(unterfranken):
    return MunicipalityFactory(
        ars="096710000000", name="Aschaffenburg", kind=Kind.LANDKREIS, regierungsbezirk=unterfranken
    )


@pytest.fixture
def awards(unterfranken, landkreis) -> dict[str, Award]:
    """A Markt in a Landkreis, a kreisfreie Stadt, a Bezirk and a revoked award."""
    hoesbach = MunicipalityFactory(
        ars="096710124124",
        name="Hösbach",
        register_name="Hösbach, M",
        kind=Kind.MARKT,
        regierungsbezirk=unterfranken,
        landkreis=landkreis,
        latitude=Decimal("50.01783"),
        longitude=Decimal("9.20922"),
    )
    wuerzburg = MunicipalityFactory(
        ars="096630000000",
        name="Würzburg",
        kind=Kind.KREISFREIE_STADT,
        regierungsbezirk=unterfranken,
        latitude=Decimal("49.79391"),
        longitude=Decimal("9.95121"),
    )
    revoked = MunicipalityFactory(
        name="Widerrufen", kind=Kind.GEMEINDE, regierungsbezirk=unterfranken, landkreis=landkreis
    )
    return {
        "hoesbach": AwardFactory(
            municipality=hoesbach,
            number="DA-2023-0200",
            issued_on=datetime.date(2023, 2, 1),
            procedure_count=62,
        ),
        "wuerzburg": AwardFactory(
            municipality=wuerzburg,
            number="DA-2021-0005",
            issued_on=datetime.date(2021, 7, 28),
            procedure_count=120,
        ),
        "bezirk": AwardFactory(
            municipality=unterfranken,
            number="DA-2023-0150",
            issued_on=datetime.date(2023, 4, 20),
            procedure_count=31,
        ),
        "revoked": AwardFactory(
            municipality=revoked,
            number="DA-2022-0001",
            issued_on=datetime.date(2022, 3, 1),
            revoked_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
            revocation_reason="Unter die Mindestzahl gefallen.",
        ),
    }


def populate(count: int, unterfranken, landkreis) -> None:
    AwardFactory.create_batch(
        count,
        municipality__regierungsbezirk=unterfranken,
        municipality__landkreis=landkreis,
        municipality__latitude=Decimal("49.5"),
        municipality__longitude=Decimal("10.5"),
    )


def get_json(client, **headers: str) -> dict[str, Any]:
    response = client.get(JSON_URL, headers=headers)
    assert response.status_code == 200
    return json.loads(response.content.decode("utf-8"))


def csv_rows(response) -> list[list[str]]:
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content[3:].decode("utf-8"), newline="")))


def parse_feed(response) -> ET.Element:
    return ET.fromstring(response.content)  # noqa: S314 - our own feed


# JSON


def test_json_lists_every_valid_award_by_number_with_the_fields_in_order(client, awards):
    data = get_json(client)

    records = data["auszeichnungen"]
    assert [record["nummer"] for record in records] == [
        "DA-2021-0005",
        "DA-2023-0150",
        "DA-2023-0200",
    ]
    assert all(list(record) == FIELD_NAMES for record in records)
    assert records[2] == {
        "nummer": "DA-2023-0200",
        "ars": "096710124124",
        "name": "Markt Hösbach",
        "art": "markt",
        "regierungsbezirk": "Unterfranken",
        "landkreis": "Aschaffenburg",
        "verliehen_am": "2023-02-01",
        "verfahren_bei_verleihung": 62,
        "pruefen_url": f"{SITE_URL}/pruefen/DA-2023-0200/",
        "breitengrad": 50.01783,
        "laengengrad": 9.20922,
    }


def test_json_field_types_are_numbers_strings_and_nulls(client, awards):
    records = get_json(client)["auszeichnungen"]

    for record in records:
        assert isinstance(record["verfahren_bei_verleihung"], int)
        assert isinstance(record["breitengrad"], float)
        assert isinstance(record["laengengrad"], float)
        assert isinstance(record["ars"], str) and len(record["ars"]) == 12
        assert datetime.date.fromisoformat(record["verliehen_am"])


def test_json_leaves_out_revoked_awards(client, awards):
    data = get_json(client)

    numbers = [record["nummer"] for record in data["auszeichnungen"]]
    assert "DA-2022-0001" not in numbers
    assert data["anzahl"] == 3


def test_json_kreisfreie_stadt_has_no_landkreis(client, awards):
    records = {record["nummer"]: record for record in get_json(client)["auszeichnungen"]}

    assert records["DA-2021-0005"]["name"] == "Stadt Würzburg"
    assert records["DA-2021-0005"]["art"] == "kreisfreie_stadt"
    assert records["DA-2021-0005"]["landkreis"] is None
    assert records["DA-2021-0005"]["regierungsbezirk"] == "Unterfranken"


def test_json_bezirk_lies_in_its_own_regierungsbezirk(client, awards):
    records = {record["nummer"]: record for record in get_json(client)["auszeichnungen"]}

    assert records["DA-2023-0150"]["name"] == "Bezirk Unterfranken"
    assert records["DA-2023-0150"]["regierungsbezirk"] == "Unterfranken"
    assert records["DA-2023-0150"]["landkreis"] is None


def test_json_coordinates_are_null_when_the_register_has_none(client, db):
    AwardFactory(municipality__kind=Kind.VG, number="DA-2024-0001")

    (record,) = get_json(client)["auszeichnungen"]

    assert record["breitengrad"] is None
    assert record["laengengrad"] is None
    assert record["regierungsbezirk"] is None


def test_json_carries_the_licence_attribution_and_version(client, awards):
    data = get_json(client)

    assert data["lizenz"] == {"name": LICENCE_NAME, "url": LICENCE_URL}
    assert data["namensnennung"] == ATTRIBUTION
    assert "Destatis" in data["namensnennung"]
    assert data["titel"]
    assert data["beschreibung"]
    latest = max(award.updated_at for award in Award.objects.all())
    assert datetime.datetime.fromisoformat(data["stand"]) == latest.replace(microsecond=0)
    assert list(data)[-1] == "auszeichnungen"


def test_json_stand_is_null_without_awards(client, db):
    data = get_json(client)

    assert data["stand"] is None
    assert data["anzahl"] == 0
    assert data["auszeichnungen"] == []


def test_json_is_utf8_with_readable_umlauts(client, awards):
    response = client.get(JSON_URL)

    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "Markt Hösbach".encode() in response.content
    assert b"\\u00f6" not in response.content


def test_json_stays_german_when_the_visitor_reads_english(client, awards):
    data = get_json(client, accept_language="en")

    names = [record["name"] for record in data["auszeichnungen"]]
    assert "Markt Hösbach" in names
    assert not any(name.startswith("Market") for name in names)
    assert data["titel"].startswith("Digitales Amt")


# CSV


def test_csv_has_a_bom_a_header_row_and_one_row_per_valid_award(client, awards):
    response = client.get(CSV_URL)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv; charset=utf-8")
    assert response["Content-Disposition"] == 'attachment; filename="auszeichnungen.csv"'
    assert b"\r\n" in response.content
    rows = csv_rows(response)
    assert rows[0] == FIELD_NAMES
    assert [row[0] for row in rows[1:]] == ["DA-2021-0005", "DA-2023-0150", "DA-2023-0200"]
    assert rows[3] == [
        "DA-2023-0200",
        "096710124124",
        "Markt Hösbach",
        "markt",
        "Unterfranken",
        "Aschaffenburg",
        "2023-02-01",
        "62",
        f"{SITE_URL}/pruefen/DA-2023-0200/",
        "50.01783",
        "9.20922",
    ]


def test_csv_leaves_cells_empty_for_missing_values(client, awards):
    rows = {
        row[0]: dict(zip(FIELD_NAMES, row, strict=True))
        for row in csv_rows(client.get(CSV_URL))[1:]
    }

    assert rows["DA-2021-0005"]["landkreis"] == ""
    assert "DA-2022-0001" not in rows


def test_csv_quotes_cells_with_commas_and_quotes(client, db):
    AwardFactory(municipality__name='Weiden, "Oberpfalz"', number="DA-2024-0001")

    response = client.get(CSV_URL)

    assert b'"Gemeinde Weiden, ""Oberpfalz"""' in response.content
    assert csv_rows(response)[1][2] == 'Gemeinde Weiden, "Oberpfalz"'


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_neutralises_cells_that_a_spreadsheet_would_run_as_a_formula(client, db, start):
    formula = f'{start}HYPERLINK("https://evil.example";"Klick")'
    AwardFactory(
        municipality__regierungsbezirk=MunicipalityFactory(name=formula, kind=Kind.BEZIRK),
        municipality__landkreis=MunicipalityFactory(name=formula, kind=Kind.LANDKREIS),
        municipality__longitude=Decimal("-1.50000"),
        number="DA-2024-0001",
    )

    rows = csv_rows(client.get(CSV_URL))

    record = dict(zip(FIELD_NAMES, rows[1], strict=True))
    assert record["regierungsbezirk"] == f"'{formula}"
    assert record["landkreis"] == f"'{formula}"
    text_fields = [name for name in FIELD_NAMES if name not in NUMERIC_FIELDS]
    assert not any(record[name].startswith(FORMULA_PREFIXES) for name in text_fields)
    # Numbers are written by the site itself and stay numbers.
    assert record["laengengrad"] == "-1.5"


def test_csv_cell_neutralises_every_text_field_but_not_numbers():
    assert _csv_cell("name", "=1+1") == "'=1+1"
    assert _csv_cell("name", "@SUMME(A1)") == "'@SUMME(A1)"
    assert _csv_cell("name", "Markt Hösbach") == "Markt Hösbach"
    assert _csv_cell("landkreis", None) == ""
    assert _csv_cell("laengengrad", -1.5) == -1.5


# Atom


def test_feed_is_atom_with_id_title_updated_and_entries(client, awards):
    response = client.get(FEED_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = parse_feed(response)
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id") == f"{SITE_URL}{FEED_URL}"
    assert feed.findtext(f"{ATOM}title") == "Digitales Amt – neue Auszeichnungen"
    assert datetime.datetime.fromisoformat(feed.findtext(f"{ATOM}updated"))
    assert feed.find(f"{ATOM}author/{ATOM}name").text
    assert LICENCE_URL in feed.findtext(f"{ATOM}rights")
    self_link = feed.find(f"{ATOM}link[@rel='self']")
    assert self_link.get("href") == f"{SITE_URL}{FEED_URL}"


def test_feed_lists_valid_awards_newest_first_with_links_and_summary(client, awards):
    feed = parse_feed(client.get(FEED_URL))

    entries = feed.findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == [
        "Bezirk Unterfranken ist „Digitales Amt“",
        "Markt Hösbach ist „Digitales Amt“",
        "Stadt Würzburg ist „Digitales Amt“",
    ]
    hoesbach = entries[1]
    verify_url = f"{SITE_URL}/pruefen/DA-2023-0200/"
    assert hoesbach.findtext(f"{ATOM}id") == verify_url
    assert hoesbach.find(f"{ATOM}link[@rel='alternate']").get("href") == verify_url
    related = hoesbach.find(f"{ATOM}link[@rel='related']").get("href")
    assert related == f"{SITE_URL}/kommunen/096710124124/"
    published = datetime.datetime.fromisoformat(hoesbach.findtext(f"{ATOM}published"))
    assert published.date() == datetime.date(2023, 2, 1)
    updated = datetime.datetime.fromisoformat(hoesbach.findtext(f"{ATOM}updated"))
    assert updated >= published
    summary = hoesbach.find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    assert "DA-2023-0200" in summary.text
    assert "1. Februar 2023" in summary.text
    assert "Landkreis Aschaffenburg" in summary.text
    assert "Markt Hösbach" in summary.text
    assert "DA-2022-0001" not in ET.tostring(feed, encoding="unicode")


def test_feed_escapes_names_in_its_html_summary(client, db):
    AwardFactory(municipality__name="<script>alert(1)</script>", number="DA-2024-0001")

    feed = parse_feed(client.get(FEED_URL))

    summary = feed.find(f"{ATOM}entry/{ATOM}summary").text
    assert "<script>" not in summary
    assert "&lt;script&gt;" in summary


def test_feed_holds_the_fifty_newest_awards(client, unterfranken, landkreis):
    populate(55, unterfranken, landkreis)
    newest = Award.objects.order_by("-issued_on", "-number").values_list("number", flat=True)

    feed = parse_feed(client.get(FEED_URL))

    ids = [entry.findtext(f"{ATOM}id") for entry in feed.findall(f"{ATOM}entry")]
    assert ids == [f"{SITE_URL}/pruefen/{number}/" for number in newest[:50]]


def test_feed_without_awards_is_still_valid_atom(client, db):
    feed = parse_feed(client.get(FEED_URL))

    assert feed.findall(f"{ATOM}entry") == []
    assert feed.findtext(f"{ATOM}updated")


# OpenAPI


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        path = node["$ref"].removeprefix("#/").split("/")
        node = document
        for part in path:
            node = node[part]
    return node


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [ref for value in node.values() for ref in refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in refs(value)]
    return []


JSON_TYPES = {
    "string": lambda value: isinstance(value, str),
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "number": lambda value: isinstance(value, int | float) and not isinstance(value, bool),
    "null": lambda value: value is None,
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
}


def conforms(document: dict[str, Any], value: Any, schema: dict[str, Any]) -> bool:
    """Check a value against the subset of JSON Schema the document uses."""
    schema = resolve(document, schema)
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if types and not any(JSON_TYPES[name](value) for name in types):
        return False
    if value is None:
        return True
    if "enum" in schema and value not in schema["enum"]:
        return False
    if "const" in schema and value != schema["const"]:
        return False
    if "pattern" in schema and not re.search(schema["pattern"], value):
        return False
    if "minimum" in schema and value < schema["minimum"]:
        return False
    if "maximum" in schema and value > schema["maximum"]:
        return False
    if isinstance(value, dict):
        if not set(schema.get("required", [])) <= set(value):
            return False
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is False and set(value) - set(properties):
            return False
        return all(
            conforms(document, item, properties[key])
            for key, item in value.items()
            if key in properties
        )
    if isinstance(value, list) and "items" in schema:
        return all(conforms(document, item, schema["items"]) for item in value)
    return True


@pytest.fixture
def openapi_document(client, db) -> dict[str, Any]:
    response = client.get(OPENAPI_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def test_openapi_is_version_3_1_with_info_licence_and_servers(openapi_document):
    assert openapi_document["openapi"] == "3.1.0"
    info = openapi_document["info"]
    assert info["title"] and info["version"]
    assert info["license"] == {"name": LICENCE_NAME, "url": LICENCE_URL}
    assert openapi_document["servers"] == [{"url": SITE_URL}]


def test_openapi_describes_every_field_of_the_json_with_type_and_description(openapi_document):
    operation = openapi_document["paths"][JSON_URL]["get"]
    content = operation["responses"]["200"]["content"]["application/json"]
    dataset = resolve(openapi_document, content["schema"])
    record = resolve(openapi_document, dataset["properties"]["auszeichnungen"]["items"])

    assert list(record["properties"]) == FIELD_NAMES
    assert record["required"] == FIELD_NAMES
    for name, schema in record["properties"].items():
        assert schema["type"], name
        assert schema["description"], name


def test_openapi_names_the_csv_and_the_feed(openapi_document):
    paths = openapi_document["paths"]

    assert "text/csv" in paths[CSV_URL]["get"]["responses"]["200"]["content"]
    assert "application/atom+xml" in paths[FEED_URL]["get"]["responses"]["200"]["content"]
    assert "304" in paths[JSON_URL]["get"]["responses"]


def test_openapi_references_all_resolve(openapi_document):
    found = refs(openapi_document)

    assert found
    for ref in found:
        assert resolve(openapi_document, {"$ref": ref})


def test_the_json_conforms_to_its_openapi_schema(client, awards, openapi_document):
    data = get_json(client)
    schema = openapi_document["paths"][JSON_URL]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]

    assert conforms(openapi_document, data, schema)
    broken = {**data, "auszeichnungen": [{**data["auszeichnungen"][0], "ars": 9671}]}
    assert not conforms(openapi_document, broken, schema)


# Headers, caching and conditional requests


@pytest.mark.parametrize("url", [*DATA_URLS, OPENAPI_URL])
def test_open_data_is_public_cacheable_and_licensed(client, awards, url):
    response = client.get(url)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "public, max-age=300"
    assert f'<{LICENCE_URL}>; rel="license"' in response["Link"]
    assert response["ETag"].startswith('"')


@pytest.mark.parametrize("url", DATA_URLS)
def test_open_data_sends_last_modified_of_the_latest_change(client, awards, url):
    response = client.get(url)

    latest = max(award.updated_at for award in Award.objects.all())
    assert response["Last-Modified"] == http_date(latest.timestamp())


@pytest.mark.parametrize("url", [*DATA_URLS, OPENAPI_URL])
def test_open_data_answers_304_to_a_matching_etag(client, awards, url):
    etag = client.get(url)["ETag"]

    response = client.get(url, headers={"if-none-match": etag})

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("url", DATA_URLS)
def test_open_data_answers_304_when_not_modified_since(client, awards, url):
    last_modified = client.get(url)["Last-Modified"]

    response = client.get(url, headers={"if-modified-since": last_modified})

    assert response.status_code == 304


def test_etag_changes_when_an_award_is_revoked(client, awards, reviewer):
    before = client.get(JSON_URL)["ETag"]

    revoke_award(award=awards["hoesbach"], by=reviewer, reason="Test")

    response = client.get(JSON_URL, headers={"if-none-match": before})
    assert response.status_code == 200
    assert response["ETag"] != before
    numbers = [record["nummer"] for record in json.loads(response.content)["auszeichnungen"]]
    assert "DA-2023-0200" not in numbers


def test_etag_changes_when_an_award_is_issued(client, awards):
    before = client.get(CSV_URL)["ETag"]

    AwardFactory(number="DA-2024-0001")

    response = client.get(CSV_URL, headers={"if-none-match": before})
    assert response.status_code == 200
    assert "DA-2024-0001" in response.content.decode("utf-8-sig")


@pytest.mark.parametrize("url", [*DATA_URLS, OPENAPI_URL])
def test_head_answers_with_the_headers_and_no_body(client, awards, url):
    get = client.get(url)

    response = client.head(url)

    assert response.status_code == 200
    assert response.content == b""
    assert response["ETag"] == get["ETag"]
    assert response["Content-Type"] == get["Content-Type"]


@pytest.mark.parametrize("url", [*DATA_URLS, OPENAPI_URL])
def test_open_data_refuses_writes(client, db, url):
    assert client.post(url).status_code == 405


# Queries


@pytest.mark.parametrize("count", [3, 60])
@pytest.mark.parametrize("url", DATA_URLS)
def test_open_data_costs_two_queries_however_many_awards(
    client, unterfranken, landkreis, count, url
):
    populate(count, unterfranken, landkreis)

    with count_queries() as counted:
        response = client.get(url)

    assert response.status_code == 200
    assert len(counted.own) == 2  # the version, the awards
    assert len(counted.cache) <= 4  # a read that misses, a write


@pytest.mark.parametrize("count", [3, 60])
def test_json_lists_all_awards_of_a_larger_data_set(client, unterfranken, landkreis, count):
    populate(count, unterfranken, landkreis)

    assert len(get_json(client)["auszeichnungen"]) == count


@pytest.mark.parametrize("url", DATA_URLS)
def test_a_304_costs_one_query(client, unterfranken, landkreis, django_assert_num_queries, url):
    populate(60, unterfranken, landkreis)
    etag = client.get(url)["ETag"]

    with django_assert_num_queries(1):
        response = client.get(url, headers={"if-none-match": etag})

    assert response.status_code == 304


def test_openapi_needs_no_query(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get(OPENAPI_URL).status_code == 200


@pytest.mark.parametrize("count", [3, 60])
def test_overview_costs_two_queries_however_many_awards(
    client, unterfranken, landkreis, django_assert_num_queries, count
):
    populate(count, unterfranken, landkreis)

    with django_assert_num_queries(2):
        assert client.get(OVERVIEW_URL).status_code == 200


# Overview page


def test_overview_links_every_format_and_the_openapi_document(client, awards):
    response = client.get(OVERVIEW_URL)

    assert response.status_code == 200
    html = response.content.decode()
    for url in [JSON_URL, CSV_URL, FEED_URL, OPENAPI_URL]:
        assert f'href="{url}"' in html
    assert 'rel="alternate" type="application/atom+xml"' in html


def test_overview_explains_every_field_in_a_captioned_table(client, awards):
    html = client.get(OVERVIEW_URL).content.decode()

    table = html[html.index('<table class="kern-table opendata-fields"') : html.index("</table>")]
    assert "<caption>" in table
    assert table.count('scope="col"') == 2
    assert table.count('scope="row"') == len(FIELD_NAMES)
    codes = [f'<code lang="de">{name.replace("_", "_<wbr>")}</code>' for name in FIELD_NAMES]
    positions = [table.index(code) for code in codes]
    assert positions == sorted(positions)


def test_overview_names_the_licence_and_attribution_and_the_count(client, awards):
    html = client.get(OVERVIEW_URL).content.decode()

    assert f'href="{LICENCE_URL}"' in html
    assert LICENCE_NAME in html
    assert ATTRIBUTION.replace("&", "&amp;") in html
    assert "3 gültige Auszeichnungen" in html
    assert "live" in html


def test_overview_shows_a_real_record_as_example(client, awards):
    html = client.get(OVERVIEW_URL).content.decode()

    sample = html[html.index('<pre class="opendata-sample"') : html.index("</pre>")]
    assert "DA-2021-0005" in sample
    assert "Stadt Würzburg" in sample
    assert "&quot;landkreis&quot;: null" in sample


def test_overview_without_awards_says_so(client, db):
    html = client.get(OVERVIEW_URL).content.decode()

    assert "noch keine Auszeichnung" in html
    assert '<pre class="opendata-sample"' not in html


def test_a_register_import_that_renames_a_holder_changes_the_etag(client, db):
    award = AwardFactory()
    before = client.get("/api/v1/auszeichnungen.json")["ETag"]

    Municipality.objects.filter(pk=award.municipality_id).update(name="Neuer Name")
    register_changed.send(sender=Municipality, municipality_ids=[award.municipality_id])

    response = client.get("/api/v1/auszeichnungen.json")
    assert response["ETag"] != before
    assert "Neuer Name" in response.content.decode()


@pytest.mark.parametrize("path", ["/api/v1/auszeichnungen.json", "/api/v1/auszeichnungen.csv"])
def test_a_built_answer_is_reused_until_the_data_change(client, db, path, reviewer):
    from awards.services import revoke_award

    award = AwardFactory()
    first = client.get(path).content
    with count_queries() as counted:
        assert client.get(path).content == first
    assert len(counted.own) == 1  # the version only
    assert len(counted.cache) == 0  # the body is in this process's memory
    memory.clear()  # another process
    with count_queries() as counted:
        assert client.get(path).content == first
    assert (len(counted.own), len(counted.cache)) == (1, 1)  # and one read of the shared cache

    revoke_award(award=award, by=reviewer, reason="Test")

    assert award.number not in client.get(path).content.decode()
