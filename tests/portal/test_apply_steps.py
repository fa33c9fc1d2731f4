"""Applying in clear steps: the task list, check your answers, the declaration, the confirmation.

Issue 13, "Clerks": "Antrag stellen" only opened a draft, a second "Antrag einreichen" click
submitted, and "Antrag zurückziehen" stood right below at equal weight; nothing showed the list
to be frozen before it was, nor what happens after.
"""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone

from awards import services
from awards.constants import Status
from awards.models import Application, Submission
from awards.turnaround import review_time
from digitalesamt.portal.forms import DECLARATION
from municipalities.constants import Scope
from municipalities.models import ProcedureLink
from tests.factories import MunicipalityFactory, ProcedureLinkFactory
from tests.helpers import PASSWORD, count_queries, main_text, text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_link_check")]

DASHBOARD = reverse("portal:dashboard")
APPLICATION = reverse("portal:application")
CREATE = reverse("portal:application_create")
CHECK = reverse("portal:application_submit")
CONFIRMATION = reverse("portal:application_confirmation")
SUBMITTED = reverse("portal:application_submitted")
WITHDRAW = reverse("portal:application_withdraw")


def add_links(kommune, count: int, **kwargs) -> list[ProcedureLink]:
    return ProcedureLinkFactory.create_batch(count, municipality=kommune, **kwargs)


def words(response) -> str:
    """The page's main content as a reader sees it: text only, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", main_text(response)).split())


def steps(response) -> list[str]:
    """The task list's steps as text: number, title and status of each."""
    html = text(response)
    items = re.findall(r'<li class="kern-task-list__item">(.*?)</li>', html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def submitted_draft(kommune, clerk, links: int = 50) -> Application:
    add_links(kommune, links)
    application = services.create_application(municipality=kommune, by=clerk)
    services.submit_application(application=application, by=clerk, declaration="Ich versichere.")
    return application


# The task list


@pytest.mark.parametrize("path", [DASHBOARD, APPLICATION])
def test_the_task_list_counts_step_one_and_links_the_list_and_the_central_checklist(
    clerk_client, kommune, path
):
    add_links(kommune, 49)

    response = clerk_client.get(path)

    first, second, third = steps(response)
    assert first.startswith("1 Online-Verfahren pflegen")
    assert first.endswith("49 von 50")
    assert second.startswith("2 Angaben prüfen") and second.endswith("noch nicht begonnen")
    assert third.startswith("3 Antrag einreichen")
    assert third.endswith("kann noch nicht begonnen werden")
    page = text(response)
    assert f'href="{reverse("portal:procedures")}" aria-describedby="portal-task-1-status"' in page
    assert f'href="{reverse("portal:central_procedures")}"' in page


def test_an_empty_list_has_not_begun_and_a_full_one_is_done(clerk_client, kommune):
    empty = steps(clerk_client.get(DASHBOARD))[0]
    add_links(kommune, 50)
    full = steps(clerk_client.get(DASHBOARD))[0]

    assert empty.endswith("noch nicht begonnen")
    assert full.endswith("erledigt")


def test_the_steps_follow_the_application(clerk_client, kommune, clerk):
    add_links(kommune, 50)
    clerk_client.post(CREATE)
    draft = steps(clerk_client.get(APPLICATION))
    draft_page = text(clerk_client.get(APPLICATION))
    clerk_client.post(CHECK, {"confirm": "on"})
    submitted = steps(clerk_client.get(APPLICATION))

    assert draft[1].endswith("Entwurf angelegt")
    assert draft[2].endswith(
        "3 Antrag einreichen Erst mit diesem Schritt erhält das "
        "Staatsministerium Ihren Antrag. noch nicht begonnen"
    )
    assert f'href="{CHECK}" aria-describedby="portal-task-2-status"' in draft_page
    assert f'href="{CHECK}" aria-describedby="portal-task-3-status"' in draft_page
    assert submitted[1].endswith("erledigt")
    assert submitted[2].endswith("eingereicht")


# The words


def test_preparing_is_called_so_and_antrag_stellen_is_gone(clerk_client, kommune):
    add_links(kommune, 50)

    page = text(clerk_client.get(APPLICATION))

    assert re.search(
        rf'<form method="post" action="{CREATE}"[^>]*>.*?Antrag vorbereiten</span></button>',
        page,
        re.S,
    )
    assert "Antrag stellen" not in page


def test_withdrawing_is_a_link_to_its_own_page_not_a_button_beside_submitting(
    clerk_client, kommune
):
    add_links(kommune, 50)
    clerk_client.post(CREATE)

    page = text(clerk_client.get(APPLICATION))

    assert f'action="{WITHDRAW}"' not in page
    assert f'<a class="kern-link" href="{WITHDRAW}">Antrag zurückziehen</a>' in page


def test_the_withdraw_page_says_what_happens_and_changes_nothing(clerk_client, kommune, clerk):
    submitted_draft(kommune, clerk)

    response = clerk_client.get(WITHDRAW)

    assert response.status_code == 200
    page = words(response)
    assert "Möchten Sie den Antrag zurückziehen?" in page
    assert "bearbeitet das Staatsministerium ihn nicht weiter" in page
    assert "Ja, Antrag zurückziehen" in page
    assert Application.objects.get().status == Status.SUBMITTED


def test_withdrawing_by_the_confirm_button(clerk_client, kommune, clerk):
    submitted_draft(kommune, clerk)
    form = text(clerk_client.get(WITHDRAW))
    assert re.search(r'<button type="submit"[^>]* name="confirm" value="on"', form)

    response = clerk_client.post(WITHDRAW, {"confirm": "on", "comment": "Doch noch nicht"})

    assert response["Location"] == APPLICATION
    application = Application.objects.get()
    assert application.status == Status.WITHDRAWN
    assert application.events.latest("pk").comment == "Doch noch nicht"


def test_withdrawing_needs_the_csrf_token(kommune, clerk):
    submitted_draft(kommune, clerk)
    browser = Client(enforce_csrf_checks=True)
    browser.login(username=clerk.username, password=PASSWORD)

    response = browser.post(WITHDRAW, {"confirm": "on"})

    assert response.status_code == 403
    assert Application.objects.get().status == Status.SUBMITTED


def test_the_withdraw_page_refuses_while_the_ministry_reviews(
    clerk_client, kommune, clerk, reviewer
):
    application = submitted_draft(kommune, clerk)
    services.start_review(application=application, reviewer=reviewer)

    response = clerk_client.get(WITHDRAW)

    assert response.status_code == 409
    assert "kann nicht zurückgezogen werden" in text(response)


# Check your answers


def test_the_check_page_shows_the_list_that_will_be_frozen_with_counts_by_scope(
    clerk_client, kommune
):
    add_links(kommune, 40)
    add_links(kommune, 12, scope=Scope.ZENTRAL)
    ProcedureLinkFactory(municipality=kommune, title="Altes Verfahren", active=False)
    ProcedureLinkFactory(municipality=kommune, title="Aaa erstes Verfahren")
    clerk_client.post(CREATE)

    first = clerk_client.get(CHECK)
    second = clerk_client.get(CHECK, {"seite": 2})

    page = words(first)
    assert "Prüfen Sie Ihre Angaben, bevor Sie den Antrag einreichen" in page
    assert "Kommunale Verfahren 41" in page
    assert "Zentrale Verfahren 12" in page
    assert "Gezählt 53 von mindestens 50" in page
    assert "Seite 1 von 2: Verfahren 1 bis 50 von 53" in page
    assert "Aaa erstes Verfahren" in page
    assert "Altes Verfahren" not in page + words(second)
    assert "Seite 2 von 2: Verfahren 51 bis 53 von 53" in words(second)
    assert str(DECLARATION) in page
    assert re.search(r'<input type="checkbox" name="confirm"[^>]*id="submit_confirm"', text(first))
    assert "Antrag einreichen" in page


def test_the_check_page_below_the_threshold_says_what_is_missing_and_offers_no_submit(
    clerk_client, kommune
):
    add_links(kommune, 47)
    clerk_client.post(CREATE)

    page = words(clerk_client.get(CHECK))

    assert "Es fehlen noch 3 Online-Verfahren bis zur Mindestzahl von 50." in page
    assert 'name="confirm"' not in text(clerk_client.get(CHECK))


def test_submitting_without_the_declaration_shows_the_error_summary_and_submits_nothing(
    clerk_client, kommune
):
    add_links(kommune, 50)
    clerk_client.post(CREATE)

    response = clerk_client.post(CHECK, {"comment": "Alles da"})

    assert response.status_code == 200
    page = text(response)
    summary = re.search(
        r'<div class="kern-alert kern-alert--danger form-errors".*?</ul>', page, re.S
    )
    assert summary is not None
    assert '<a class="kern-link" href="#submit_confirm">' in summary.group()
    assert "Bestätigen Sie die Versicherung, bevor Sie den Antrag einreichen." in summary.group()
    assert Application.objects.get().status == Status.DRAFT
    assert not Submission.objects.exists()


def test_the_declaration_is_stored_word_for_word(clerk_client, kommune):
    add_links(kommune, 50)
    clerk_client.post(CREATE)

    response = clerk_client.post(CHECK, {"confirm": "on"})

    assert response["Location"] == CONFIRMATION
    submission = Submission.objects.get()
    assert submission.declaration == str(DECLARATION)
    assert submission.declaration.startswith("Ich versichere, dass die aufgeführten Online-")


def test_the_service_stores_no_declaration_unless_given(kommune, clerk):
    submission = submitted_draft(kommune, clerk).latest_submission()
    other = MunicipalityFactory()
    add_links(other, 50)
    plain = services.submit_application(
        application=services.create_application(municipality=other, by=clerk), by=clerk
    )

    assert submission.declaration == "Ich versichere."
    assert plain.declaration == ""


def test_a_double_post_submits_once_and_both_land_on_the_confirmation(clerk_client, kommune):
    add_links(kommune, 50)
    clerk_client.post(CREATE)

    first = clerk_client.post(CHECK, {"confirm": "on"})
    second = clerk_client.post(CHECK, {"confirm": "on"})

    assert first["Location"] == second["Location"] == CONFIRMATION
    assert Submission.objects.count() == 1
    assert Application.objects.get().events.filter(to_status=Status.SUBMITTED).count() == 1


def test_a_stale_application_is_submitted_once_by_the_service(kommune, clerk):
    add_links(kommune, 50)
    application = services.create_application(municipality=kommune, by=clerk)
    stale = Application.objects.get(pk=application.pk)  # read before the first submit
    services.submit_application(application=application, by=clerk)

    with pytest.raises(services.TransitionError):
        services.submit_application(application=stale, by=clerk)

    assert Submission.objects.count() == 1


# The confirmation and how long review takes


def decided(days: float, *, status=Status.APPROVED, ago: int = 10) -> Application:
    decided_at = timezone.now() - datetime.timedelta(days=ago)
    return Application.objects.create(
        municipality=MunicipalityFactory(),
        status=status,
        submitted_at=decided_at - datetime.timedelta(days=days),
        decided_at=decided_at,
    )


def test_review_time_is_the_median_of_the_last_90_days_decisions():
    for days in (2, 4, 6.2, 30):
        decided(days, status=Status.REJECTED if days == 4 else Status.APPROVED)
    decided(1, ago=91)  # too old
    decided(1, status=Status.WITHDRAWN)  # the Kommune's step, not a decision

    with count_queries() as counted:
        figure = review_time()

    assert (figure.decisions, figure.median_days) == (4, 5)  # (4 + 6.2) / 2 = 5.1
    assert len(counted.own) == 1


def test_review_time_needs_three_decisions():
    decided(2)
    decided(3)

    assert review_time().median_days is None


def test_the_confirmation_says_what_happens_next_and_how_long_review_takes(clerk_client, kommune):
    for days in (3, 8, 12):
        decided(days)
    add_links(kommune, 50)
    clerk_client.post(CREATE)

    response = clerk_client.post(CHECK, {"confirm": "on"}, follow=True)

    page = words(response)
    assert "Ihr Antrag ist eingereicht" in page
    assert "Einreichung 1 vom" in page
    assert "mit 50 Online-Verfahren" in page
    assert "Wie es weitergeht" in page
    assert "Zuletzt dauerte die Prüfung im Mittel 8 Tage" in page
    assert "Median der 3 Entscheidungen der letzten 90 Tage" in page


def test_the_confirmation_says_when_there_are_too_few_decisions(clerk_client, kommune, clerk):
    decided(3)
    submitted_draft(kommune, clerk)

    page = words(clerk_client.get(CONFIRMATION))

    assert "Noch zu wenige Entscheidungen für eine Angabe" in page
    assert "im Mittel" not in page


def test_the_confirmation_is_only_for_an_application_with_the_ministry(clerk_client, kommune):
    clerk_client.post(CREATE)

    assert clerk_client.get(CONFIRMATION)["Location"] == APPLICATION


# The list as submitted


def test_the_submitted_list_stays_readable_as_it_was_submitted(clerk_client, kommune, clerk):
    links = add_links(kommune, 49)
    ProcedureLinkFactory(
        municipality=kommune,
        title="Zentrales Verfahren",
        url="https://z.example/a",
        scope=Scope.ZENTRAL,
    )
    clerk_client.post(CREATE)
    clerk_client.post(CHECK, {"confirm": "on"})
    ProcedureLink.objects.filter(pk=links[0].pk).update(title="Später umbenannt")
    ProcedureLink.objects.filter(pk=links[1].pk).update(active=False)

    response = clerk_client.get(SUBMITTED)

    page = words(response)
    submission = Submission.objects.get()
    submitted_on = formats.date_format(timezone.localtime(submission.submitted_at), "j. F Y")
    assert f"mit der Einreichung 1 am {submitted_on} eingereicht" in page
    assert f"Versicherung {DECLARATION}" in page
    assert links[0].title in page and "Später umbenannt" not in page
    assert links[1].title in page
    assert "Zentrales Verfahren" in page and "https://z.example/a" in page
    assert "Kommunale Verfahren 49" in page and "Zentrale Verfahren 1" in page
    assert "Gezählt 50 von mindestens 50" in page
    assert "Seite 1 von 1" not in page  # 50 fit one page


def test_the_submitted_list_is_paged(clerk_client, kommune, clerk):
    submitted_draft(kommune, clerk, links=51)

    second = words(clerk_client.get(SUBMITTED, {"seite": 2}))

    assert "Seite 2 von 2: Verfahren 51 bis 51 von 51" in second


def test_the_submitted_list_before_any_submission(clerk_client):
    assert "noch keinen Antrag eingereicht" in words(clerk_client.get(SUBMITTED))


# What the pages cost


def test_the_check_page_costs_the_same_at_two_sizes(clerk_client, kommune):
    def queries() -> int:
        with count_queries() as counted:
            assert clerk_client.get(CHECK).status_code == 200
        return len(counted.own)

    clerk_client.post(CREATE)
    add_links(kommune, 3)
    small = queries()
    add_links(kommune, 120, scope=Scope.ZENTRAL)
    large = queries()

    assert small == large
    assert large <= 10


def test_the_submitted_list_costs_the_same_at_two_sizes(clerk_client, kommune, clerk):
    def queries() -> int:
        with count_queries() as counted:
            assert clerk_client.get(SUBMITTED).status_code == 200
        return len(counted.own)

    submitted_draft(kommune, clerk, links=50)
    small = queries()
    services.withdraw_application(application=Application.objects.get(), by=clerk)
    add_links(kommune, 150)
    services.submit_application(
        application=services.create_application(municipality=kommune, by=clerk), by=clerk
    )
    large = queries()

    assert Submission.objects.order_by("-pk").first().items.count() == 200
    assert small == large
    assert large <= 8
