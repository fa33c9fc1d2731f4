"""The link check of a submission: in batches, saved as it goes, restartable, never stuck."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from awards import services, tasks
from awards.models import EvidenceItem, SpotCheck, Submission
from digitalesamt.lib import linkcheck
from municipalities.constants import Kind
from municipalities.models import OnlineServicePlatform, Threshold
from tests.factories import ProcedureLinkFactory
from tests.helpers import count_queries

LINKS = 7


@pytest.fixture
def submission(kommune, clerk, no_link_check):
    Threshold.objects.update_or_create(kind=Kind.MARKT, defaults={"minimum": LINKS})
    ProcedureLinkFactory.create_batch(LINKS, municipality=kommune)
    application = services.create_application(municipality=kommune, by=clerk)
    return services.submit_application(application=application, by=clerk)


@pytest.fixture
def checked_batches(monkeypatch):
    """Answer every URL "ok" without the network; record the URLs of each batch."""
    batches: list[list[str]] = []

    def check_urls(urls, **options):
        batches.append(list(urls))
        return {url: ok(url) for url in urls}

    monkeypatch.setattr(tasks, "check_urls", check_urls)
    return batches


def ok(url: str) -> linkcheck.LinkCheck:
    return linkcheck.LinkCheck(linkcheck.OK, 200, url, "HTTP 200", timezone.now())


def unchecked(submission: Submission) -> int:
    return EvidenceItem.objects.filter(submission=submission, checked_at__isnull=True).count()


def page_url(submission: Submission) -> str:
    return reverse("admin:awards_application_change", args=[submission.application_id])


def restart_url(submission: Submission) -> str:
    return reverse("admin:awards_application_restart_link_check", args=[submission.application_id])


def test_the_check_goes_in_batches_of_the_setting(submission, checked_batches, settings):
    settings.LINKCHECK_BATCH_SIZE = 3
    before = timezone.now()

    tasks.start_link_check(submission)

    assert [len(batch) for batch in checked_batches] == [3, 3, 1]
    for item in submission.items.all():
        assert (item.check_result, item.check_status, item.check_detail) == ("ok", 200, "HTTP 200")
        assert before <= item.checked_at <= timezone.now()
    assert sorted(url for batch in checked_batches for url in batch) == sorted(
        submission.items.values_list("url", flat=True)
    )
    assert unchecked(submission) == 0


def test_each_batch_is_saved_before_the_next_is_checked(submission, monkeypatch, settings):
    settings.LINKCHECK_BATCH_SIZE = 3
    calls = []

    def check_urls(urls, **options):
        calls.append(urls)
        if len(calls) == 2:
            raise RuntimeError("Datenbank weg")
        return {url: ok(url) for url in urls}

    monkeypatch.setattr(tasks, "check_urls", check_urls)

    tasks.start_link_check(submission)

    assert unchecked(submission) == LINKS - 3
    submission.refresh_from_db()
    assert submission.link_check_error == "RuntimeError: Datenbank weg"


def test_a_run_of_an_earlier_round_does_nothing(submission, checked_batches):
    tasks.start_link_check(submission)
    EvidenceItem.objects.filter(submission=submission).update(checked_at=None)
    checked_batches.clear()
    tasks.start_link_check(submission)  # a restart: round 2
    EvidenceItem.objects.filter(submission=submission).update(checked_at=None)
    checked_batches.clear()

    assert tasks.check_submission_links.call(submission.pk, 1) == {}
    assert checked_batches == []
    assert unchecked(submission) == LINKS


# What each link is: the outcome in detail and the kind of page ---------------------------------

# What the fake check answers, by the URL's number: the outcome, and the page kind and reason.
OUTCOMES = [
    (linkcheck.OK, 200, "form", "Formular mit Absende-Schaltfläche"),
    (linkcheck.REDIRECTED, 200, "login", "Anmeldeseite von Bürgerservice-Portal (AKDB)"),
    (linkcheck.OK, 200, "information", "kein Formular gefunden"),
    (linkcheck.OK, 200, "pdf", "PDF-Datei (application/pdf)"),
    (linkcheck.NOT_FOUND, 404, "", ""),
    (linkcheck.TIMEOUT, None, "", ""),
    (linkcheck.BROKEN, 500, "", ""),
]


def outcome(url: str) -> linkcheck.LinkCheck:
    result, status, kind, reason = OUTCOMES[int(url.rsplit("/", 1)[1]) % len(OUTCOMES)]
    return linkcheck.LinkCheck(result, status, url, f"Detail {url}", timezone.now(), kind, reason)


@pytest.fixture
def detailed_checks(monkeypatch):
    """Answer each URL as OUTCOMES says; record the platforms each batch was given."""
    platforms: list[dict[str, str]] = []

    def check_urls(urls, **options):
        platforms.append(options["platforms"])
        return {url: outcome(url) for url in urls}

    monkeypatch.setattr(tasks, "check_urls", check_urls)
    return platforms


def submission_with(municipality, clerk, links: int) -> Submission:
    Threshold.objects.update_or_create(kind=Kind.MARKT, defaults={"minimum": links})
    for number in range(links):
        ProcedureLinkFactory(municipality=municipality, url=f"https://amt.example/v/{number}")
    application = services.create_application(municipality=municipality, by=clerk)
    return services.submit_application(application=application, by=clerk)


def test_the_check_stores_each_outcome_and_what_kind_of_page_it_is(
    kommune, clerk, no_link_check, detailed_checks
):
    submission = submission_with(kommune, clerk, len(OUTCOMES))

    tasks.start_link_check(submission)

    stored = {
        int(item.url.rsplit("/", 1)[1]): (
            item.check_result,
            item.check_status,
            item.check_detail,
            item.page_kind,
            item.page_reason,
        )
        for item in submission.items.all()
    }
    assert stored == {
        number: (result, status, f"Detail https://amt.example/v/{number}", kind, reason)
        for number, (result, status, kind, reason) in enumerate(OUTCOMES)
    }


def test_the_check_is_given_the_active_platforms(kommune, clerk, no_link_check, detailed_checks):
    submission = submission_with(kommune, clerk, 2)
    OnlineServicePlatform.objects.create(host="portal.example", name="Testportal")
    OnlineServicePlatform.objects.create(host="alt.example", name="Alt", active=False)

    tasks.start_link_check(submission)

    (platforms,) = detailed_checks
    assert platforms["portal.example"] == "Testportal"
    assert platforms["buergerserviceportal.de"] == "Bürgerservice-Portal (AKDB)"  # seeded
    assert "alt.example" not in platforms


@pytest.mark.parametrize("links", [10, 100])
def test_a_batch_costs_the_same_queries_however_many_links(
    kommune, clerk, no_link_check, detailed_checks, settings, links
):
    settings.LINKCHECK_BATCH_SIZE = 100
    submission = submission_with(kommune, clerk, links)

    with count_queries() as counted:
        tasks.check_submission_links.call(submission.pk, submission.link_check_round)

    # submission, its unchecked items, the platforms, the results (one executemany),
    # the round's progress, whether any link is left
    assert len(counted.own) == 6
    assert not EvidenceItem.objects.filter(submission=submission, page_reason="").exclude(
        check_result__in=linkcheck.DEFECTIVE
    )


def test_worst_case_of_a_check_at_the_cap_is_bounded(settings):
    assert settings.LINKCHECK_BATCH_SIZE == 100
    assert settings.LINKCHECK_WORKERS == 8
    assert settings.LINKCHECK_DEADLINE == 30

    # 20 batches of 100 links, each 13 rounds of 8 links at most 30 s: 2 h 10 min.
    assert tasks.link_check_worst_case(settings.PROCEDURE_LINKS_PER_KOMMUNE) == 7800
    assert tasks.link_check_worst_case(50) == 7 * 30


# On the application page ---------------------------------------------------------------------


def stall(submission: Submission, minutes: int) -> None:
    Submission.objects.filter(pk=submission.pk).update(
        link_check_moved_at=timezone.now() - datetime.timedelta(minutes=minutes)
    )


def test_the_page_shows_the_progress_of_the_check(reviewer_client, submission, checked_batches):
    tasks.start_link_check(submission)
    EvidenceItem.objects.filter(pk=submission.items.first().pk).update(
        checked_at=None, check_result=""
    )

    html = reviewer_client.get(page_url(submission)).content.decode()

    assert (
        "6 von 7 Links geprüft: 6 erreichbar, 0 weitergeleitet, 0 nicht gefunden, "
        "0 Zeitüberschreitung, 0 nicht erreichbar, 0 nicht geprüft (Adresse nicht erlaubt); "
        "1 noch nicht geprüft."
    ) in html
    assert "Die Linkprüfung läuft." in html
    assert "Linkprüfung erneut starten" not in html


def test_the_page_shows_a_check_that_does_not_move_on_with_a_restart_button(
    reviewer_client, submission, settings
):
    settings.TASK_STALE_AFTER = 30 * 60
    stall(submission, 31)

    html = reviewer_client.get(page_url(submission)).content.decode()

    assert "Die Linkprüfung kommt seit mehr als 30 Minuten nicht voran" in html
    assert f'action="{restart_url(submission)}"' in html
    assert "Linkprüfung erneut starten" in html


def test_the_page_shows_a_failed_check_with_a_restart_button(reviewer_client, submission):
    Submission.objects.filter(pk=submission.pk).update(
        link_check_moved_at=timezone.now(), link_check_error="RuntimeError: Datenbank weg"
    )

    html = reviewer_client.get(page_url(submission)).content.decode()

    assert "Die Linkprüfung ist abgebrochen (RuntimeError: Datenbank weg)." in html
    assert "Linkprüfung erneut starten" in html


def test_the_page_counts_every_outcome(
    reviewer_client, kommune, clerk, no_link_check, detailed_checks
):
    submission = submission_with(kommune, clerk, len(OUTCOMES))
    tasks.start_link_check(submission)

    page = " ".join(reviewer_client.get(page_url(submission)).content.decode().split())

    assert (
        "7 von 7 Links geprüft: 3 erreichbar, 1 weitergeleitet, 1 nicht gefunden, "
        "1 Zeitüberschreitung, 1 nicht erreichbar, 0 nicht geprüft (Adresse nicht erlaubt); "
        "0 noch nicht geprüft."
    ) in page


def test_the_evidence_and_the_spot_checks_show_the_page_kind_as_a_hint(
    reviewer_client, kommune, clerk, no_link_check, detailed_checks
):
    submission = submission_with(kommune, clerk, len(OUTCOMES))
    tasks.start_link_check(submission)
    information = submission.items.get(page_kind="information")
    SpotCheck.objects.create(item=information)

    html = reviewer_client.get(page_url(submission)).content.decode()
    evidence = html.split('id="nachweise"', 1)[1].split("</section>", 1)[0]
    spot_checks = html.split('id="stichprobe"', 1)[1].split("</section>", 1)[0]

    for kind_and_reason in [
        "Online-Formular – <bdi>Formular mit Absende-Schaltfläche</bdi>",
        "Anmeldung bei einem Online-Dienst – "
        "<bdi>Anmeldeseite von Bürgerservice-Portal (AKDB)</bdi>",
        "Informationsseite – <bdi>kein Formular gefunden</bdi>",
        "PDF-Formular zum Herunterladen – <bdi>PDF-Datei (application/pdf)</bdi>",
    ]:
        assert f'<span class="review-detail">Hinweis: {kind_and_reason}</span>' in evidence
    assert evidence.count("Hinweis:") == 4  # not for links that were not reached
    assert "Hinweis: Informationsseite – <bdi>kein Formular gefunden</bdi>" in spot_checks


def test_the_restart_button_queues_the_check_again(reviewer_client, submission, checked_batches):
    stall(submission, 31)

    response = reviewer_client.post(restart_url(submission), follow=True)

    assert "Die Linkprüfung ist neu gestartet" in response.content.decode()
    assert unchecked(submission) == 0
    submission.refresh_from_db()
    assert submission.link_check_round == 1
    assert submission.link_check_error == ""


def test_a_check_that_moves_on_is_not_restarted(reviewer_client, submission, checked_batches):
    Submission.objects.filter(pk=submission.pk).update(link_check_moved_at=timezone.now())

    response = reviewer_client.post(restart_url(submission), follow=True)

    assert "Die Linkprüfung läuft noch." in response.content.decode()
    assert checked_batches == []


def test_the_restart_answers_only_post(reviewer_client, submission, checked_batches):
    stall(submission, 31)

    assert reviewer_client.get(restart_url(submission)).status_code == 405
    assert checked_batches == []


def test_the_restart_needs_the_review_permission(
    client, django_user_model, submission, checked_batches
):
    reader = django_user_model.objects.create_user(
        username="lesen", password="x" * 12, is_staff=True
    )
    reader.user_permissions.add(Permission.objects.get(codename="view_application"))
    client.force_login(reader)
    stall(submission, 31)

    page = client.get(page_url(submission)).content.decode()
    response = client.post(restart_url(submission))

    assert "Linkprüfung erneut starten" not in page
    assert response.status_code == 403
    assert checked_batches == []


def test_clerks_cannot_restart_the_check(clerk_client, submission, checked_batches):
    stall(submission, 31)

    response = clerk_client.post(restart_url(submission))

    assert response.url.startswith(reverse("admin:login"))
    assert checked_batches == []


# Tasks whose worker died ---------------------------------------------------------------------


def task_row(*, started_minutes_ago: int, workers: int) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING,
        args_kwargs={"args": [1, 1], "kwargs": {}},
        task_path="awards.tasks.check_submission_links",
        backend_name="default",
        run_after=timezone.now(),
        started_at=timezone.now() - datetime.timedelta(minutes=started_minutes_ago),
        worker_ids=[f"worker-{n}" for n in range(workers)],
    )


def test_tasks_running_too_long_are_queued_again_or_failed(db, settings, capsys):
    settings.TASK_STALE_AFTER = 30 * 60
    lost = task_row(started_minutes_ago=31, workers=1)
    busy = task_row(started_minutes_ago=5, workers=1)
    lost_thrice = task_row(started_minutes_ago=31, workers=3)

    call_command("requeue_stale_tasks")

    statuses = {
        row.pk: row.status
        for row in DBTaskResult.objects.filter(pk__in=[lost.pk, busy.pk, lost_thrice.pk])
    }
    assert statuses == {
        lost.pk: TaskResultStatus.READY,
        busy.pk: TaskResultStatus.RUNNING,
        lost_thrice.pk: TaskResultStatus.FAILED,
    }
    failed = DBTaskResult.objects.get(pk=lost_thrice.pk)
    assert failed.exception_class_path.endswith("WorkerLost")
    assert failed.finished_at is not None
    assert "1 Aufgaben erneut eingereiht, 1 als fehlgeschlagen markiert." in capsys.readouterr().out


def test_requeueing_twice_changes_nothing_the_second_time(db, settings, capsys):
    settings.TASK_STALE_AFTER = 30 * 60
    task_row(started_minutes_ago=31, workers=1)

    call_command("requeue_stale_tasks")
    call_command("requeue_stale_tasks")

    assert capsys.readouterr().out.splitlines()[-1] == (
        "0 Aufgaben erneut eingereiht, 0 als fehlgeschlagen markiert."
    )
