"""The admin's start page is the reviewer's desk: the queue, one's own, what hangs, the month."""

import datetime
import re

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from awards.constants import Status
from awards.models import Application, Submission
from digitalesamt.accounts.roles import REVIEWER_GROUP
from municipalities.constants import Kind, LinkCheckResult
from municipalities.models import Threshold
from tests.factories import AwardFactory, MunicipalityFactory, ProcedureLinkFactory
from tests.helpers import PASSWORD, assert_csp_clean, count_queries

from .queue_data import waiting_applications

INDEX = reverse("admin:index")


def section(response, name: str) -> str:
    """The text of one block of the desk, whitespace collapsed."""
    html = response.content.decode()
    found = re.search(rf'<section class="module desk-block desk-{name}".*?</section>', html, re.S)
    assert found, f"no block {name}"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(0)).split())


def colleague(username: str, first_name: str):
    user = get_user_model().objects.create_user(
        username, f"{username}@stmd.example", PASSWORD, is_staff=True, first_name=first_name
    )
    user.groups.add(Group.objects.get(name=REVIEWER_GROUP))
    return user


def test_the_queue_lists_waiting_applications_oldest_first_with_age_and_who_has_it(
    reviewer_client, reviewer
):
    anna = colleague("anna", "Anna")
    (newer,) = waiting_applications(1, days_ago=2)
    (older,) = waiting_applications(1, days_ago=9, status=Status.IN_REVIEW, reviewer=anna)
    waiting_applications(1, status=Status.CHANGES_REQUESTED)  # with the Kommune, not waiting

    response = reviewer_client.get(INDEX)

    assert response.status_code == 200
    queue = section(response, "queue")
    assert "2 Anträge warten auf Prüfung" in queue
    older_title, newer_title = older.municipality.title, newer.municipality.title
    assert queue.index(older_title) < queue.index(newer_title)
    assert f"{older_title} in Prüfung" in queue
    assert re.search(rf"{older_title} in Prüfung \d+\. \w+\.? \d{{4}} 9 Anna", queue)
    assert re.search(rf"{newer_title} eingereicht \d+\. \w+\.? \d{{4}} 2 niemand", queue)
    assert "Alle 2 wartenden Anträge in der Liste öffnen" in queue
    assert 'href="/admin/awards/application/?status=zu_pruefen"' in response.content.decode()


def test_mine_lists_the_open_applications_of_the_signed_in_reviewer(reviewer_client, reviewer):
    (reviewing,) = waiting_applications(1, status=Status.IN_REVIEW, reviewer=reviewer)
    (back_with_kommune,) = waiting_applications(
        1, status=Status.CHANGES_REQUESTED, reviewer=reviewer
    )
    (decided,) = waiting_applications(1, status=Status.APPROVED, reviewer=reviewer)
    (someone_elses,) = waiting_applications(
        1, status=Status.IN_REVIEW, reviewer=colleague("anna", "Anna")
    )

    mine = section(reviewer_client.get(INDEX), "mine")

    assert reviewing.municipality.title in mine
    assert f"{back_with_kommune.municipality.title} Nachbesserung erbeten" in mine
    assert decided.municipality.title not in mine
    assert someone_elses.municipality.title not in mine


def test_link_checks_that_failed_or_hang_are_listed_and_running_ones_are_not(reviewer_client):
    unchecked = (LinkCheckResult.OK, "", "")
    (failed,) = waiting_applications(1, results=unchecked, error="Der Worker ist abgestürzt.")
    (stuck,) = waiting_applications(1, results=unchecked, moved_minutes_ago=24 * 60)
    (running,) = waiting_applications(1, results=unchecked, moved_minutes_ago=1)
    (done,) = waiting_applications(1, moved_minutes_ago=24 * 60)  # every link checked
    (decided,) = waiting_applications(
        1, status=Status.APPROVED, results=unchecked, moved_minutes_ago=24 * 60
    )

    stalled = section(reviewer_client.get(INDEX), "stalled")

    assert f"{failed.municipality.title} fehlgeschlagen: Der Worker ist abgestürzt." in stalled
    assert re.search(
        rf"{stuck.municipality.title} hängt seit .+ Uhr 1 ok · 0 defekt · 2 offen", stalled
    )
    for quiet in (running, done, decided):
        assert quiet.municipality.title not in stalled


def test_holders_below_their_threshold_are_listed_with_count_and_threshold(reviewer_client):
    Threshold.objects.update_or_create(kind=Kind.GEMEINDE, defaults={"minimum": 3})
    short = AwardFactory(number="DA-2021-0001", municipality=MunicipalityFactory(name="Knapp"))
    ProcedureLinkFactory.create_batch(2, municipality=short.municipality)
    enough = AwardFactory(number="DA-2021-0002", municipality=MunicipalityFactory(name="Genug"))
    ProcedureLinkFactory.create_batch(3, municipality=enough.municipality)

    response = reviewer_client.get(INDEX)

    risk = section(response, "risk")
    assert "Gemeinde Knapp DA-2021-0001 2 3" in risk
    assert "Genug" not in risk
    assert 'href="/admin/awards/award/?at_risk=1"' in response.content.decode()


def test_the_month_counts_received_and_decided_and_the_median_days(reviewer_client):
    now = timezone.now()
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0)
    in_month = month_start + datetime.timedelta(seconds=1)
    received = waiting_applications(2)
    earlier = waiting_applications(1)
    resubmitted = waiting_applications(1)
    Submission.objects.filter(application__in=received + resubmitted).update(submitted_at=in_month)
    Submission.objects.filter(application__in=earlier).update(
        submitted_at=month_start - datetime.timedelta(days=3)
    )
    # A second submission this month is no new application.
    Submission.objects.create(application=resubmitted[0], number=2, procedure_count=1, threshold=50)
    Submission.objects.filter(application=resubmitted[0], number=2).update(submitted_at=in_month)
    Submission.objects.filter(application=resubmitted[0], number=1).update(
        submitted_at=month_start - datetime.timedelta(days=20)
    )
    for days, status in ((2, Status.APPROVED), (4, Status.APPROVED), (9, Status.REJECTED)):
        (application,) = waiting_applications(1, status=status)
        Submission.objects.filter(application=application).update(
            submitted_at=month_start - datetime.timedelta(days=30)
        )
        Application.objects.filter(pk=application.pk).update(
            submitted_at=now - datetime.timedelta(days=days), decided_at=now
        )
    (withdrawn,) = waiting_applications(1, status=Status.WITHDRAWN)
    (decided_last_month,) = waiting_applications(1, status=Status.APPROVED)
    Application.objects.filter(pk=withdrawn.pk).update(decided_at=now)
    Application.objects.filter(pk=decided_last_month.pk).update(
        decided_at=month_start - datetime.timedelta(seconds=1)
    )
    Submission.objects.filter(application__in=[withdrawn, decided_last_month]).update(
        submitted_at=month_start - datetime.timedelta(days=30)
    )

    month = section(reviewer_client.get(INDEX), "month")

    assert month.startswith(f"Zahlen des Monats: {date_format(month_start, 'F Y')}")
    assert "eingegangen 2 " in month
    assert "entschieden 3 (2 bewilligt, 1 abgelehnt)" in month
    assert "Tage bis zur Entscheidung (Median) 4 " in month


def test_empty_desk_says_so_in_german(reviewer_client):
    response = reviewer_client.get(INDEX)

    assert section(response, "queue").endswith("Keine Anträge warten auf Prüfung.")
    assert "Ihnen ist kein offener Antrag zugewiesen." in section(response, "mine")
    assert section(response, "stalled").endswith("Keine Linkprüfung hängt oder ist fehlgeschlagen.")
    assert section(response, "risk").endswith("Alle Träger erreichen ihren Schwellenwert.")
    assert "Tage bis zur Entscheidung (Median) –" in section(response, "month")


def test_reviewers_get_no_empty_recent_actions_but_keep_the_list_of_apps(reviewer_client):
    response = reviewer_client.get(INDEX)

    html = response.content.decode()
    assert "recent-actions-module" not in html
    assert 'class="colM desk-page"' in html
    assert html.index("desk-queue") < html.index("app-awards")  # the list of apps, below
    assert reverse("admin:awards_application_changelist") in html
    assert_csp_clean(response)


def test_administrators_see_the_desk_above_the_list_of_apps(administrator_client):
    response = administrator_client.get(INDEX)

    html = response.content.decode()
    assert "desk-queue" in html
    assert html.index("desk-month") < html.index("app-auth")  # users and groups, below


def test_staff_who_may_not_see_applications_get_no_desk(client, django_user_model):
    client.force_login(
        django_user_model.objects.create_user("andere", password=PASSWORD, is_staff=True)
    )

    html = client.get(INDEX).content.decode()

    assert "desk-queue" not in html


@pytest.mark.parametrize("user_fixture", ["reviewer_client", "admin_client"])
def test_the_desk_costs_the_same_queries_at_10_and_at_500_applications(
    request, user_fixture, reviewer
):
    client = request.getfixturevalue(user_fixture)
    Threshold.objects.update_or_create(kind=Kind.GEMEINDE, defaults={"minimum": 3})

    def queries() -> list[str]:
        client.get(INDEX)  # fills the content type cache, as on a running server
        with count_queries() as counted:
            assert client.get(INDEX).status_code == 200
        return counted.own

    def grow(count: int) -> None:
        waiting_applications(count, reviewer=reviewer)
        waiting_applications(count // 5, results=("", ""), error="Abbruch")
        for _ in range(count // 10):
            AwardFactory(municipality=MunicipalityFactory())

    grow(10)
    few = queries()
    grow(490)
    many = queries()

    assert Application.objects.count() > 500
    assert len(many) == len(few)
    # Session, user, the second factor's device, permissions, the two looks at "Neueste
    # Aktionen", the desk's nine (the holders at risk take two, the largest threshold first;
    # the last counts the awards ever issued, for the line that a round number is coming).
    assert len(few) == 16, "\n".join(few)


def test_recent_actions_stay_for_whoever_has_some(administrator_client, administrator):
    kommune = MunicipalityFactory()
    LogEntry.objects.log_actions(
        user_id=administrator.pk, queryset=[kommune], action_flag=CHANGE, change_message="[]"
    )

    html = administrator_client.get(INDEX).content.decode()

    assert "recent-actions-module" in html
    assert 'class="colMS desk-page"' in html
    assert "desk-queue" in html
