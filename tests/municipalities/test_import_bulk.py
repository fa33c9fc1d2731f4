"""The procedure import at size: memory per row, the bulk paths of both databases, fast URLs."""

import datetime
import tracemalloc

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from municipalities import validation
from municipalities.importing.procedures import apply_plan, plan_import
from municipalities.models import ProcedureLink
from tests.factories import MunicipalityFactory, ServiceFactory

pytestmark = pytest.mark.django_db

HEADER = "ars;titel;url;zustaendigkeit;leika_schluessel;ozg_id;aktiv"
ROWS = 20_000


@pytest.fixture
def kommunen():
    return MunicipalityFactory.create_batch(4)


@pytest.fixture
def keys():
    return [service.leika_key for service in ServiceFactory.create_batch(4)]


def procedure_file(kommunen, keys, rows: int, *, title: str = "Online-Antrag") -> bytes:
    """Rows as the ministry's file has them: every URL its own, spread over the Kommunen."""
    lines = [HEADER]
    for row in range(rows):
        kommune = kommunen[row % len(kommunen)]
        services = keys[row % len(keys)] if row % 3 else f"{keys[0]}|{keys[row % 2 + 1]}"
        lines.append(
            f"{kommune.ars};{title} {row};https://k{kommune.ars}.example/verfahren/{row};"
            f"{'zentral' if row % 4 == 0 else 'kommunal'};{services};;ja"
        )
    return ("\n".join(lines) + "\n").encode()


def test_planning_a_large_file_holds_a_few_hundred_bytes_a_row(kommunen, keys, settings):
    # 20,000 rows: before, 1.1-1.6 KB a row at the peak (the file's text, a URL cache of every
    # row, a list, dict and strings per procedure) and 840 bytes a row kept in the plan.
    settings.PROCEDURE_LINKS_PER_KOMMUNE = ROWS
    data = procedure_file(kommunen, keys, ROWS)
    tracemalloc.start()
    try:
        plan = plan_import(data, filename="verfahren.csv", limit_rows=False)
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not plan.errors
    assert len(plan.new) == ROWS
    assert kept / ROWS < 500, f"{kept / ROWS:.0f} bytes a row kept"
    assert peak / ROWS < 800, f"{peak / ROWS:.0f} bytes a row at the peak"


def test_a_planned_procedure_shares_what_rows_have_in_common(kommunen, keys, settings):
    data = procedure_file(kommunen, keys, 8)
    plan = plan_import(data, filename="verfahren.csv", limit_rows=False)
    first, second = plan.new[0], plan.new[4]
    assert first.ars is second.ars
    assert first.scope is second.scope
    assert first.leika_keys[0] is second.leika_keys[0]
    assert (first.lines, first.label, first.line) == ([2], "Zeile 2", 2)


def test_repeated_rows_are_merged_with_the_line_numbers_and_keys(kommunen, keys):
    kommune = kommunen[0]
    url = f"https://k{kommune.ars}.example/a"
    text = "\n".join(
        [
            HEADER,
            f"{kommune.ars};A;{url};kommunal;{keys[0]};;ja",
            f"{kommunen[1].ars};A;{url};kommunal;{keys[0]};;ja",
            f"{kommune.ars};A;{url.replace('https', 'http')}/;kommunal;{keys[1]}|{keys[0]};;ja",
        ]
    )
    plan = plan_import(text.encode(), filename="v.csv", limit_rows=False)
    assert [(p.ars, p.lines, p.leika_keys) for p in plan.new] == [
        (kommune.ars, [2, 4], [keys[0], keys[1]]),
        (kommunen[1].ars, [3], [keys[0]]),
    ]


def stored(kommunen) -> dict[str, tuple]:
    links = ProcedureLink.objects.filter(municipality__in=kommunen).prefetch_related("services")
    return {
        link.url: (
            link.title,
            link.scope,
            link.active,
            link.ozg_id,
            sorted(service.leika_key for service in link.services.all()),
            link.updated_at,
        )
        for link in links
    }


def test_new_and_changed_links_are_saved_alike_on_both_databases(kommunen, keys, settings):
    """Runs on SQLite (executemany) and, with a PostgreSQL DATABASE_URL, on COPY."""
    settings.PROCEDURE_LINKS_PER_KOMMUNE = 1000
    plan = plan_import(procedure_file(kommunen, keys, 600), filename="v.csv", limit_rows=False)
    apply_plan(plan)
    before = stored(kommunen)
    assert len(before) == 600
    ids = dict(ProcedureLink.objects.values_list("url", "id"))
    assert {p.url: p.link_id for p in plan.new} == ids
    row = before[f"https://k{kommunen[1].ars}.example/verfahren/1"]
    assert row[:5] == ("Online-Antrag 1", "kommunal", True, "", [keys[1]])
    row = before[f"https://k{kommunen[0].ars}.example/verfahren/0"]
    assert row[:5] == ("Online-Antrag 0", "zentral", True, "", sorted([keys[0], keys[1]]))

    # Rows 0-99 renamed, rows 100-199 with other services, rows 200-599 as they were.
    lines = procedure_file(kommunen, keys, 600).decode().splitlines()
    for number in range(100):
        lines[1 + number] = lines[1 + number].replace("Online-Antrag", "Neuer Antrag")
    for number in range(100, 200):
        cells = lines[1 + number].split(";")
        cells[4] = f"{keys[3]}|{keys[2]}"  # a pair that no row had
        lines[1 + number] = ";".join(cells)
    later = timezone.now() + datetime.timedelta(seconds=1)
    plan = plan_import("\n".join(lines).encode(), filename="v.csv", limit_rows=False)
    assert (len(plan.new), len(plan.changed), len(plan.unchanged)) == (0, 200, 400)
    apply_plan(plan)
    after = stored(kommunen)
    for number, kommune in ((0, kommunen[0]), (150, kommunen[2]), (450, kommunen[2])):
        url = f"https://k{kommune.ars}.example/verfahren/{number}"
        title, _scope, _active, _ozg, services, updated = after[url]
        old_title, *_rest, old_services, old_updated = before[url]
        if number < 100:
            assert (title, services) == (f"Neuer Antrag {number}", old_services)
        elif number < 200:
            assert (title, services) == (old_title, sorted([keys[2], keys[3]]))
        else:
            assert (title, services, updated) == (old_title, old_services, old_updated)
        if number < 200:
            assert updated > old_updated
            assert updated <= later + datetime.timedelta(minutes=1)


@pytest.mark.postgres
def test_postgresql_writes_by_copy_not_a_statement_per_row(kommunen, keys, settings):
    settings.PROCEDURE_LINKS_PER_KOMMUNE = 1000
    plan = plan_import(procedure_file(kommunen, keys, 300), filename="v.csv", limit_rows=False)
    with CaptureQueriesContext(connection) as queries:
        apply_plan(plan)
    assert ProcedureLink.objects.count() == 300
    assert not [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("INSERT")]


def test_saving_takes_the_same_queries_for_300_and_3000_rows(kommunen, keys, settings):
    settings.PROCEDURE_LINKS_PER_KOMMUNE = 5000
    counts = []
    for rows in (300, 3000):
        ProcedureLink.objects.all().delete()
        data = procedure_file(kommunen, keys, rows)
        with CaptureQueriesContext(connection) as queries:
            apply_plan(plan_import(data, filename="v.csv", limit_rows=False))
        counts.append(len(queries))
    assert counts[0] == counts[1]


URLS = [
    "https://amt.example",
    "https://amt.example/",
    "http://amt.example/a/b/",
    "https://amt.example//a//b",
    "https://amt.example/a/./b/../c",
    "https://amt.example/..",
    "https://amt.example/a?",
    "https://amt.example/a?x=1&y=2",
    "https://amt.example?x=1",
    "https://amt.example/a/?x=1",
    "https://amt.example./a",
    "https://amt..example/a",
    "https://-amt.example/a",
    "https://amt-.example/a",
    "https://amt.e/a",
    "https://amt.example1/a",
    "https://localhost/a",
    "https://1.2.3.4/a",
    "https://999.2.3.4/a",
    "https://xn--strae-oqa.example/a",
    "https://xn--.example/a",
    "https://" + "a" * 64 + ".example/a",
    "https://" + ".".join(["abcdefghij"] * 24) + ".example/",
    "https://amt.example/" + "a" * 990,
    "https://amt.example/" + "a" * 2100,
    "https://amt.example/A_B~c-d.e",
    "  https://amt.example/a  ",
    "https://Amt.Example/a",
    "HTTPS://amt.example/a",
    "https://amt.example:443/a",
    "https://amt.example/%61",
    "https://user@amt.example/a",
    "https://amt.example/a#teil",
    "amt.example/a",
]


def canonical(url: str) -> str:
    try:
        return validation.clean_procedure_url(url)
    except ValidationError as error:
        return f"error: {error.messages}"


@pytest.mark.parametrize("url", URLS, ids=range(len(URLS)))
def test_a_url_of_the_common_shape_gets_the_form_of_the_general_path(url, monkeypatch):
    fast = canonical(url)
    monkeypatch.setattr(validation, "_simple_url", lambda url: None)
    assert fast == canonical(url)


def test_the_common_shape_skips_the_general_path(monkeypatch):
    def general(url):
        raise AssertionError(url)

    monkeypatch.setattr(validation, "normalize_url", general)
    assert validation.clean_procedure_url("https://amt.example/a/../b/") == (
        "https://amt.example/b/"
    )
