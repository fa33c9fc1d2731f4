"""Applications for the desk and queue tests, written in bulk: 500 take a second, not a minute.

The services would freeze evidence from live links one application at a time; these tests
only read, so the rows are written directly, as the services leave them.
"""

import datetime

from django.utils import timezone

from awards.constants import Status
from awards.models import Application, EvidenceItem, Submission
from municipalities.constants import Kind, LinkCheckResult
from tests.factories import MunicipalityFactory


def waiting_applications(
    count: int,
    *,
    status: str = Status.SUBMITTED,
    days_ago: int = 3,
    reviewer=None,
    results: tuple[str, ...] = (LinkCheckResult.OK, LinkCheckResult.OK, LinkCheckResult.BROKEN),
    regierungsbezirk=None,
    kind: str = Kind.GEMEINDE,
    moved_minutes_ago: int = 1,
    error: str = "",
) -> list[Application]:
    """`count` applications with one submission of len(results) links checked as given.

    An empty result means a link not checked yet.
    """
    now = timezone.now()
    submitted_at = now - datetime.timedelta(days=days_ago, hours=1)
    kommunen = MunicipalityFactory.create_batch(count, kind=kind, regierungsbezirk=regierungsbezirk)
    applications = Application.objects.bulk_create(
        Application(
            municipality=kommune, status=status, submitted_at=submitted_at, reviewer=reviewer
        )
        for kommune in kommunen
    )
    submissions = Submission.objects.bulk_create(
        Submission(
            application=application,
            number=1,
            procedure_count=len(results),
            threshold=50,
            link_check_moved_at=now - datetime.timedelta(minutes=moved_minutes_ago),
            link_check_error=error,
        )
        for application in applications
    )
    # auto_now_add fills submitted_at with now; the application's own date is what counts.
    Submission.objects.filter(pk__in=[s.pk for s in submissions]).update(submitted_at=submitted_at)
    EvidenceItem.objects.bulk_create(
        EvidenceItem(
            submission=submission,
            title=f"Verfahren {index}",
            url=f"https://amt.example/{submission.pk}/{index}",
            scope="kommunal",
            check_result=result,
            checked_at=now if result else None,
        )
        for submission in submissions
        for index, result in enumerate(results)
    )
    return applications
