"""Submitting and reviewing cost the same at 50 links and at the cap of 2,000."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from awards import services
from awards.models import Application, EvidenceItem
from awards.review import compare_evidence
from municipalities.constants import Kind, Scope
from municipalities.models import ProcedureLink, Threshold
from tests.factories import MunicipalityFactory, ProcedureLinkFactory, ServiceFactory

pytestmark = pytest.mark.usefixtures("no_link_check")

CAP = 2_000


@pytest.fixture(autouse=True)
def threshold(db):
    Threshold.objects.update_or_create(kind=Kind.GEMEINDE, defaults={"minimum": 10})


def kommune_with(links: int):
    """A Kommune with `links` active links, each with two LeiKa keys, and its clerk."""
    kommune = MunicipalityFactory()
    services_ = ServiceFactory.create_batch(3)
    created = ProcedureLink.objects.bulk_create(
        ProcedureLink(
            municipality=kommune,
            title=f"Verfahren {n:04d}",
            url=f"https://amt.example/{kommune.pk}/verfahren/{n}",
            scope=Scope.KOMMUNAL,
        )
        for n in range(links)
    )
    through = ProcedureLink.services.through
    through.objects.bulk_create(
        through(procedurelink_id=link.pk, service_id=service.pk)
        for link in created
        for service in services_[:2]
    )
    return kommune


def submit(kommune, by):
    application = services.create_application(municipality=kommune, by=by)
    with CaptureQueriesContext(connection) as queries:
        services.submit_application(application=application, by=by)
    return application, len(queries)


def test_submitting_costs_the_same_queries_at_50_links_and_at_the_cap(admin_user):
    assert settings.PROCEDURE_LINKS_PER_KOMMUNE == CAP

    few, few_queries = submit(kommune_with(50), admin_user)
    many, many_queries = submit(kommune_with(CAP), admin_user)

    assert many_queries == few_queries
    items = EvidenceItem.objects.filter(submission__application=many)
    assert items.count() == CAP
    assert set(items.values_list("leika_keys", flat=True)) == {
        "|".join(
            sorted(
                ServiceFactory._meta.model.objects.filter(
                    procedure_links__municipality=many.municipality
                )
                .distinct()
                .values_list("leika_key", flat=True)
            )
        )
    }


def change_live_links(application: Application) -> None:
    """One link added, one deactivated, one renamed since the submission."""
    links = application.municipality.procedure_links.order_by("pk")
    first, second = links[:2]
    ProcedureLink.objects.filter(pk=first.pk).update(active=False)
    ProcedureLink.objects.filter(pk=second.pk).update(title="Zzz umbenannt")
    ProcedureLink.objects.create(
        municipality=application.municipality,
        title="Zzz neu",
        url="https://amt.example/neu",
        scope=Scope.KOMMUNAL,
    )


def test_the_application_page_costs_the_same_queries_at_50_links_and_at_the_cap(
    admin_client, admin_user
):
    def page(links: int):
        application, _queries = submit(kommune_with(links), admin_user)
        change_live_links(application)
        url = reverse("admin:awards_application_change", args=[application.pk])
        admin_client.get(url)  # fills the content type cache, as on a running server
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(url)
        assert response.status_code == 200
        return response, len(queries)

    few, few_queries = page(50)
    many, many_queries = page(CAP)

    assert many_queries == few_queries
    assert len(few.context["evidence_rows"]) == 51
    assert len(many.context["evidence_rows"]) == settings.REVIEW_EVIDENCE_PAGE_SIZE == 100
    comparison = many.context["comparison"]
    assert comparison.page.paginator.count == CAP + 1
    assert (comparison.added, comparison.removed, comparison.changed) == (1, 1, 1)
    assert comparison.live_count == CAP
    assert comparison.checks.total == CAP


def test_differences_come_first_across_the_pages(admin_client, admin_user, settings):
    settings.REVIEW_EVIDENCE_PAGE_SIZE = 5
    application, _queries = submit(kommune_with(12), admin_user)
    change_live_links(application)
    url = reverse("admin:awards_application_change", args=[application.pk])

    first = admin_client.get(url)
    second = admin_client.get(url, {"seite": "2"})
    last = admin_client.get(url, {"seite": "99999999999999999999"})
    nonsense = admin_client.get(url, {"seite": "zwei"})

    def changes(response) -> list[str]:
        return [row.change for row, _link in response.context["evidence_rows"]]

    assert changes(first) == ["removed", "changed", "added", "", ""]  # then by title
    assert changes(second) == [""] * 5
    assert [row.title for row, _link in second.context["evidence_rows"]] == [
        f"Verfahren {n:04d}" for n in range(4, 9)
    ]
    assert last.context["comparison"].page.number == 3
    assert len(last.context["evidence_rows"]) == 3
    assert nonsense.context["comparison"].page.number == 1
    html = first.content.decode()
    assert "Seite 1 von 3: Zeilen 1 bis 5 von 13." in html
    assert '<a href="?seite=2#nachweise" rel="next">nächste Seite</a>' in html
    assert "Abweichungen seit der Einreichung: 1 neu, 1 entfernt, 1 geändert." in (
        second.content.decode()
    )


def test_evidence_frozen_in_an_older_spelling_still_meets_its_link(kommune, clerk, no_link_check):
    """A URL re-spelt into the canonical form after submission is not "removed and added"."""
    link = ProcedureLinkFactory(municipality=kommune, url="https://amt.example/antrag")
    application = services.create_application(municipality=kommune, by=clerk)
    ProcedureLinkFactory.create_batch(49, municipality=kommune)
    submission = services.submit_application(application=application, by=clerk)
    # As frozen before the canonical form: another scheme, the default port, a trailing slash.
    EvidenceItem.objects.filter(submission=submission, url=link.url).update(
        url="http://AMT.example:80/antrag/"
    )

    comparison = compare_evidence(submission)

    assert (comparison.added, comparison.removed, comparison.changed) == (0, 0, 0)
