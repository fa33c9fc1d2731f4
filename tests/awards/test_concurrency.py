"""Two reviewers at the same moment: exactly one award, and distinct numbers."""

import threading

import pytest
from django.db import connections

from awards import services
from awards.models import Award
from awards.services import TransitionError
from tests.factories import MunicipalityFactory, ProcedureLinkFactory

# Row locks need PostgreSQL: SQLite locks the whole database instead.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.usefixtures("no_link_check"),
]


def application_in_review(user):
    kommune = MunicipalityFactory()
    ProcedureLinkFactory.create_batch(50, municipality=kommune)
    application = services.create_application(municipality=kommune, by=user)
    services.submit_application(application=application, by=user)
    return services.start_review(application=application, reviewer=user)


def run_at_once(*calls) -> list:
    """Run the calls in threads released together; return each result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int, call) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - the test inspects what each got
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_reviewers_approving_at_once_issue_exactly_one_award(reviewer):
    application = application_in_review(reviewer)

    results = run_at_once(
        *[
            lambda: services.approve_application(
                application=application, reviewer=reviewer, justification="geprüft"
            )
            for _ in range(4)
        ]
    )

    awards = [result for result in results if isinstance(result, Award)]
    refusals = [result for result in results if isinstance(result, TransitionError)]
    assert (len(awards), len(refusals)) == (1, 3), results
    assert Award.objects.count() == 1


def test_approvals_of_different_applications_at_once_get_distinct_numbers(reviewer):
    applications = [application_in_review(reviewer) for _ in range(5)]

    results = run_at_once(
        *[
            (
                lambda a=a: services.approve_application(
                    application=a, reviewer=reviewer, justification="geprüft"
                )
            )
            for a in applications
        ]
    )

    assert all(isinstance(result, Award) for result in results), results
    numbers = sorted(award.number for award in results)
    assert [number[-4:] for number in numbers] == ["0001", "0002", "0003", "0004", "0005"]
