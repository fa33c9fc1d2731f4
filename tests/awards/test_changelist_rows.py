"""The ministry's changelists at full size: live counts for the page's rows only, one count.

At 2,445 awards SQLite computed every row's live count before it sorted and cut the page
(430 ms of the award list); PageRowsChangeList reads the page's keys without them and then
the page's rows with them. No changelist counts every row again beside the filtered count.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from awards.models import Application, Award
from municipalities.models import Municipality
from tests.awards.queue_data import waiting_applications
from tests.factories import AwardFactory, MunicipalityFactory, ProcedureLinkFactory

AWARDS = reverse("admin:awards_award_changelist")
APPLICATIONS = reverse("admin:awards_application_changelist")
KOMMUNEN = reverse("admin:municipalities_municipality_changelist")
LINKS = reverse("admin:municipalities_procedurelink_changelist")


def page_queries(client, url: str, params: dict | None = None) -> list[str]:
    client.get(url, params or {})  # fills the content type cache, as on a running server
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def holders(count: int) -> list[Award]:
    awards = []
    for _ in range(count):
        award = AwardFactory()
        ProcedureLinkFactory.create_batch(2, municipality=award.municipality)
        awards.append(award)
    return awards


def mentioning(queries: list[str], table: str) -> list[str]:
    return [sql for sql in queries if f'"{table}"' in sql]


@pytest.mark.django_db
def test_the_award_list_counts_the_links_of_the_pages_holders_only(admin_client):
    awards = holders(60)

    queries = page_queries(admin_client, AWARDS)

    # One query counts links, for the page's 50 awards by their keys; the page's keys come
    # from a query that counts nothing.
    (counting,) = mentioning(queries, "municipalities_procedurelink")
    assert '"awards_award"."id" IN (' in counting
    assert len(admin_client.get(AWARDS).context["cl"].result_list) == 50
    assert Award.objects.count() == len(awards)


@pytest.mark.django_db
def test_the_award_list_shows_each_rows_own_live_count_in_its_order(admin_client):
    first, second = holders(2)
    ProcedureLinkFactory(municipality=second.municipality)

    rows = admin_client.get(AWARDS, {"o": "-5"}).context["cl"].result_list

    assert [(award.pk, award.live_count) for award in rows] == [(second.pk, 3), (first.pk, 2)]


@pytest.mark.django_db
def test_the_award_list_costs_the_same_queries_for_few_or_many_and_counts_once(admin_client):
    holders(3)
    few = page_queries(admin_client, AWARDS, {"revoked": "0"})
    holders(60)
    many = page_queries(admin_client, AWARDS, {"revoked": "0"})

    assert len(many) == len(few)
    counts = [
        sql for sql in many if sql.startswith('SELECT COUNT(*) AS "__count" FROM "awards_award"')
    ]
    assert len(counts) == 1  # the filtered count; not every award again


@pytest.mark.django_db
def test_the_at_risk_filter_counts_every_holders_links_once(admin_client):
    at_risk = holders(3)
    fine = holders(2)
    ProcedureLinkFactory.create_batch(60, municipality=fine[0].municipality)
    ProcedureLinkFactory.create_batch(60, municipality=fine[1].municipality)

    queries = page_queries(admin_client, AWARDS, {"at_risk": "1"})

    # The counting rule over every holder's links is the costly part (430 ms at full size on
    # SQLite): read once, not again for the page's keys and their count. (The page's rows
    # then count the links of those rows alone, by their keys.)
    rows_only = re.compile(r'"awards_award"\."id" IN \(\d')
    linked = mentioning(queries, "municipalities_procedurelink")
    rule = [sql for sql in linked if not rows_only.search(sql)]
    assert len(rule) == 1
    listed = admin_client.get(AWARDS, {"at_risk": "1"}).context["cl"].result_list
    assert {award.pk for award in listed} == {award.pk for award in at_risk}
    others = admin_client.get(AWARDS, {"at_risk": "0"}).context["cl"].result_list
    assert {award.pk for award in others} == {award.pk for award in fine}


@pytest.mark.django_db
def test_the_application_list_counts_the_evidence_of_the_pages_rows_only(admin_client, roles):
    waiting_applications(60)

    queries = page_queries(admin_client, APPLICATIONS, {"status": "alle"})

    counting = mentioning(queries, "awards_evidenceitem")
    assert counting and all('"awards_application"."id" IN (' in sql for sql in counting)


@pytest.mark.django_db
def test_the_application_list_costs_the_same_queries_for_few_or_many(admin_client, roles):
    waiting_applications(3)
    few = page_queries(admin_client, APPLICATIONS, {"status": "alle"})
    waiting_applications(60)
    many = page_queries(admin_client, APPLICATIONS, {"status": "alle"})

    assert Application.objects.count() == 63
    assert len(many) == len(few)
    counts = [
        sql
        for sql in many
        if sql.startswith('SELECT COUNT(*) AS "__count" FROM "awards_application"')
    ]
    assert len(counts) == 1


@pytest.mark.django_db
def test_the_kommune_list_counts_the_links_of_the_pages_kommunen_only(admin_client):
    for kommune in MunicipalityFactory.create_batch(60):
        ProcedureLinkFactory(municipality=kommune)

    queries = page_queries(admin_client, KOMMUNEN)

    (counting,) = mentioning(queries, "municipalities_procedurelink")
    assert '"municipalities_municipality"."id" IN (' in counting
    rows = admin_client.get(KOMMUNEN).context["cl"].result_list
    assert len(rows) == 50 and all(row.procedure_count == 1 for row in rows)


@pytest.mark.django_db
def test_the_kommune_list_costs_the_same_queries_for_few_or_many_and_counts_once(admin_client):
    MunicipalityFactory.create_batch(3, name="Muster")
    few = page_queries(admin_client, KOMMUNEN, {"q": "Muster"})
    MunicipalityFactory.create_batch(60, name="Muster")
    many = page_queries(admin_client, KOMMUNEN, {"q": "Muster"})

    assert Municipality.objects.count() == 63
    assert len(many) == len(few)
    count = 'SELECT COUNT(*) AS "__count" FROM "municipalities_municipality"'
    assert len([sql for sql in many if sql.startswith(count)]) == 1


@pytest.mark.django_db
def test_the_link_list_reads_its_kommunen_apart_in_one_query(admin_client):
    for kommune in MunicipalityFactory.create_batch(30):
        ProcedureLinkFactory.create_batch(2, municipality=kommune)

    queries = page_queries(admin_client, LINKS)

    links = [sql for sql in mentioning(queries, "municipalities_procedurelink") if "LIMIT" in sql]
    assert links and all(" JOIN " not in sql for sql in links)
    assert len(mentioning(queries, "municipalities_municipality")) == 1
