"""The database side at full size: the counting rule's SQL, the indexes the lists need, JIT off.

Plans are checked where a small test database can show them: SQLite's EXPLAIN QUERY PLAN,
PostgreSQL's EXPLAIN with sequential scans priced out (on a few rows it would always scan).
"""

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from digitalesamt.lib.admin import EstimatedCountPaginator
from municipalities.admin import ProcedureLinkAdmin
from municipalities.confirmation import confirmed_count, with_confirmed_count
from municipalities.constants import Scope
from municipalities.models import Municipality, ProcedureLink
from tests.factories import MunicipalityFactory, ProcedureLinkFactory

TABLE = ProcedureLink._meta.db_table


def index_columns() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    return {
        name: details["columns"]
        for name, details in constraints.items()
        if details["index"] or details["unique"]
    }


def sql_of(queryset) -> str:
    with CaptureQueriesContext(connection) as captured:
        list(queryset)
    (query,) = captured.captured_queries
    return query["sql"]


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            # On a few rows any index and a sort would do; priced out, only an index that
            # gives the order serves.
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.django_db
def test_the_counting_rule_counts_links_not_distinct_urls():
    # A counting key is unique per Kommune, so COUNT(DISTINCT url_key), which reads and sorts
    # every link, says no more than the number of active links the index on (Kommune, active)
    # holds.
    kommune = MunicipalityFactory()
    ProcedureLinkFactory(municipality=kommune, url="https://amt.example/a")
    ProcedureLinkFactory(municipality=kommune, url="https://amt.example/b", active=False)
    ProcedureLinkFactory(municipality=kommune, url="https://amt.example/c")

    sql = sql_of(Municipality.objects.with_progress().values_list("pk", "procedure_count"))

    # COUNT(*): PostgreSQL answers it from the index alone, COUNT(id) reads every row.
    assert "DISTINCT" not in sql.upper() and "COUNT(*)" in sql
    assert kommune.progress().count == 2


@pytest.mark.django_db
def test_the_confirmed_count_counts_links_not_distinct_urls():
    kommune = MunicipalityFactory()

    sql = sql_of(with_confirmed_count(Municipality.objects.filter(pk=kommune.pk)))

    assert "DISTINCT" not in sql.upper()
    assert confirmed_count(kommune) == 0


def test_a_url_key_is_unique_per_kommune_which_the_counts_rely_on():
    unique = [
        constraint.fields
        for constraint in ProcedureLink._meta.constraints
        if getattr(constraint, "fields", None) and constraint.condition is None
    ]
    assert ("municipality", "url_key") in unique


@pytest.mark.django_db
def test_no_plain_index_on_the_kommune_of_a_link():
    # The unique key and (Kommune, active) start with it: a third copy cost every import.
    columns = index_columns()

    assert ["municipality_id"] not in columns.values()
    assert ["municipality_id", "active"] in columns.values()
    assert ProcedureLink._meta.get_field("municipality").db_index is False


@pytest.mark.django_db
def test_the_admin_list_of_every_link_is_read_in_order_from_an_index():
    assert ["title", "id"] in index_columns().values()
    assert ProcedureLinkAdmin.ordering == ("title", "pk")
    found = plan(ProcedureLink.objects.order_by("title", "pk")[:100])

    assert "procedure_link_title" in found
    assert "TEMP B-TREE" not in found and "Sort" not in found


@pytest.mark.django_db
def test_a_kommunes_list_in_the_portal_is_read_in_order_from_an_index():
    assert ["municipality_id", "title", "id"] in index_columns().values()
    kommune = MunicipalityFactory()
    ProcedureLinkFactory(municipality=kommune)
    found = plan(ProcedureLink.objects.filter(municipality=kommune).order_by("title", "pk")[:50])

    # An index gives the order (on a few rows PostgreSQL may as well take (title, id) and
    # filter; at full size it takes this one, see /work/notes/explain15).
    assert "TEMP B-TREE" not in found and "Sort" not in found
    if connection.vendor == "sqlite":
        assert "procedure_link_own_title" in found


@pytest.mark.django_db
def test_the_admin_search_looks_the_kommune_up_apart_not_in_a_join(admin_client):
    hoesbach = MunicipalityFactory(name="Hösbach", ars="096710130130")
    link = ProcedureLinkFactory(municipality=hoesbach, title="Hundesteuer", scope=Scope.ZENTRAL)
    ProcedureLinkFactory(title="Parkausweis")

    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get("/admin/municipalities/procedurelink/", {"q": "Hösbach"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [link]
    listing = [
        query["sql"]
        for query in captured.captured_queries
        if f'FROM "{TABLE}"' in query["sql"] and "LIKE" in query["sql"]
    ]
    assert listing
    assert all("municipalities_municipality" not in sql for sql in listing)


@pytest.mark.django_db
def test_the_admin_search_of_links_costs_the_same_queries_for_few_and_many(admin_client):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get("/admin/municipalities/procedurelink/", {"q": "Antrag"})
        assert response.status_code == 200
        return len(captured)

    ProcedureLinkFactory.create_batch(3)
    few = queries()
    for kommune in MunicipalityFactory.create_batch(20):
        ProcedureLinkFactory.create_batch(4, municipality=kommune)
    many = queries()

    assert ProcedureLink.objects.filter(Q(title__icontains="Antrag")).count() == 83
    assert many == few


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_applications_connections_run_without_jit():
    # JIT compiled the statistics query anew on every request: 770 of its 786 ms.
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_admin_search_is_served_by_trigram_indexes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [TABLE])
        indexes = dict(cursor.fetchall())
    # On the expression Django's icontains compares: UPPER("title"::text) LIKE UPPER(%s).
    # (At full size the search's plan ORs both in a BitmapOr: bench/queries.py --explain.)
    for name, column in (
        ("procedure_link_title_trgm", "title"),
        ("procedure_link_url_trgm", "url"),
    ):
        assert f"gin (upper(({column})::text) gin_trgm_ops)" in indexes[name]


LINK_COUNT = 'SELECT COUNT(*) AS "__count" FROM "municipalities_procedurelink"'


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_unfiltered_link_list_numbers_its_pages_from_the_estimate(admin_client, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "ESTIMATE_FROM", 1)
    ProcedureLinkFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {TABLE}")

    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get("/admin/municipalities/procedurelink/")

    assert response.status_code == 200
    assert response.context["cl"].result_count == 3
    assert not [q for q in captured.captured_queries if q["sql"].startswith(LINK_COUNT)]


@pytest.mark.django_db
def test_a_filtered_link_list_counts_exactly(admin_client, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "ESTIMATE_FROM", 1)
    ProcedureLinkFactory.create_batch(3)
    ProcedureLinkFactory(active=False)

    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get("/admin/municipalities/procedurelink/", {"active__exact": "1"})

    assert response.context["cl"].result_count == 3
    assert [q for q in captured.captured_queries if q["sql"].startswith(LINK_COUNT)]
