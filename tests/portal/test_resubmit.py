"""Resubmitting after a request for changes goes through check your answers too.

Issue 13: the answer resubmitted straight from the application page, without the list to be
frozen and without the declaration (the resubmission stored `declaration=""`).
"""

import re

import pytest
from django.urls import reverse

from awards import services
from awards.constants import Status
from awards.models import Application, Submission
from digitalesamt.portal.forms import DECLARATION
from municipalities.constants import Scope
from tests.factories import ProcedureLinkFactory
from tests.helpers import count_queries, main_text, text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_link_check")]

APPLICATION = reverse("portal:application")
CHECK = reverse("portal:application_submit")
ANSWER = reverse("portal:application_answer")
CONFIRMATION = reverse("portal:application_confirmation")
REQUEST = "Verfahren 7 ist nur eine Informationsseite."


def words(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", main_text(response)).split())


def summary(response) -> str:
    found = re.search(
        r'<div class="kern-alert kern-alert--danger form-errors".*?</ul>', text(response), re.S
    )
    assert found is not None, "no error summary"
    return found.group()


@pytest.fixture
def changes_requested(kommune, clerk, reviewer) -> Application:
    ProcedureLinkFactory.create_batch(50, municipality=kommune)
    application = services.create_application(municipality=kommune, by=clerk)
    services.submit_application(application=application, by=clerk, declaration="Ich versichere.")
    services.request_changes(application=application, reviewer=reviewer, message=REQUEST)
    return application


def test_the_application_page_links_to_the_check_page_and_has_no_answer_form(
    clerk_client, changes_requested
):
    response = clerk_client.get(APPLICATION)
    page = text(response)

    assert REQUEST in words(response)
    assert re.search(
        rf'<a class="kern-btn kern-btn--primary" href="{CHECK}">\s*<span class="kern-label">'
        r"Antwort schreiben und Angaben prüfen</span></a>",
        page,
    )
    assert "<textarea" not in main_text(response)
    assert f'action="{ANSWER}"' not in page
    assert "Antworten und erneut einreichen" not in page


def test_the_application_page_no_longer_resubmits_directly(clerk_client, changes_requested):
    response = clerk_client.post(ANSWER, {"comment": "Verfahren 7 ersetzt."})

    assert response.status_code == 303
    assert response["Location"] == CHECK
    changes_requested.refresh_from_db()
    assert changes_requested.status == Status.CHANGES_REQUESTED
    assert changes_requested.submissions.count() == 1
    assert clerk_client.get(ANSWER).status_code == 405


def test_the_check_page_shows_the_request_the_list_the_answer_and_the_declaration(
    clerk_client, kommune, changes_requested
):
    ProcedureLinkFactory(municipality=kommune, title="Aaa erstes Verfahren", scope=Scope.ZENTRAL)

    response = clerk_client.get(CHECK)
    page, html = words(response), text(response)

    assert response.status_code == 200
    assert "Prüfen Sie Ihre Angaben, bevor Sie den Antrag erneut einreichen" in page
    assert "Das Staatsministerium bittet um Nachbesserung" in page
    assert REQUEST in page
    assert "pruefer (Staatsministerium)" in page
    assert "Gezählt 51 von mindestens 50" in page
    assert "Seite 1 von 2: Verfahren 1 bis 50 von 51" in page
    assert "Aaa erstes Verfahren" in page
    assert re.search(r'<textarea name="comment"[^>]*id="resubmit_comment"', html)
    assert "Ihre Antwort an das Staatsministerium" in page
    assert re.search(r'<input type="checkbox" name="confirm"[^>]*id="resubmit_confirm"', html)
    assert str(DECLARATION) in page
    assert re.search(
        r'<button type="submit" class="kern-btn kern-btn--primary"><span class="kern-label">'
        r"Antworten und erneut einreichen</span></button>",
        html,
    )
    assert "Antrag einreichen</span>" not in html


def test_the_resubmission_stores_the_declaration_and_the_answer(
    clerk_client, clerk, changes_requested
):
    response = clerk_client.post(CHECK, {"comment": " Verfahren 7 ersetzt. ", "confirm": "on"})

    assert response["Location"] == CONFIRMATION
    changes_requested.refresh_from_db()
    assert changes_requested.status == Status.SUBMITTED
    submission = changes_requested.latest_submission()
    assert (submission.number, submission.comment) == (2, "Verfahren 7 ersetzt.")
    assert submission.declaration == str(DECLARATION)
    assert submission.submitted_by == clerk
    assert changes_requested.events.latest("pk").comment == "Verfahren 7 ersetzt."
    confirmation = words(clerk_client.get(CONFIRMATION))
    assert "Ihr Antrag ist erneut eingereicht" in confirmation
    assert "Einreichung 2 vom" in confirmation


def test_without_the_tick_nothing_is_resubmitted_and_the_summary_links_it(
    clerk_client, changes_requested
):
    response = clerk_client.post(CHECK, {"comment": "Verfahren 7 ersetzt."})

    assert response.status_code == 200
    found = summary(response)
    assert '<a class="kern-link" href="#resubmit_confirm">' in found
    assert "Bestätigen Sie die Versicherung, bevor Sie den Antrag erneut einreichen." in found
    assert "#resubmit_comment" not in found
    assert "Verfahren 7 ersetzt." in text(response)  # the answer is kept
    changes_requested.refresh_from_db()
    assert changes_requested.status == Status.CHANGES_REQUESTED
    assert changes_requested.submissions.count() == 1


@pytest.mark.parametrize("answer", ["", "   "])
def test_without_an_answer_nothing_is_resubmitted_and_the_summary_links_it(
    clerk_client, changes_requested, answer
):
    response = clerk_client.post(CHECK, {"comment": answer, "confirm": "on"})

    assert response.status_code == 200
    found = summary(response)
    assert '<a class="kern-link" href="#resubmit_comment">' in found
    assert "Bitte schreiben Sie eine Antwort." in found
    assert "#resubmit_confirm" not in found
    changes_requested.refresh_from_db()
    assert changes_requested.status == Status.CHANGES_REQUESTED
    assert changes_requested.submissions.count() == 1


def test_a_double_post_resubmits_once_and_both_land_on_the_confirmation(
    clerk_client, changes_requested
):
    data = {"comment": "Verfahren 7 ersetzt.", "confirm": "on"}

    first = clerk_client.post(CHECK, data)
    second = clerk_client.post(CHECK, data)

    assert first["Location"] == second["Location"] == CONFIRMATION
    assert Submission.objects.count() == 2
    assert changes_requested.events.filter(to_status=Status.SUBMITTED).count() == 2


def test_a_first_submission_still_asks_no_answer(clerk_client, kommune, clerk):
    ProcedureLinkFactory.create_batch(50, municipality=kommune)
    services.create_application(municipality=kommune, by=clerk)

    page = text(clerk_client.get(CHECK))

    assert "Das Staatsministerium bittet um Nachbesserung" not in page
    assert 'id="submit_confirm"' in page
    assert "resubmit_comment" not in page
    assert "Antworten und erneut einreichen" not in page


def test_the_check_page_while_changes_are_requested_costs_the_same_at_two_sizes(
    clerk_client, kommune, changes_requested
):
    def queries() -> int:
        with count_queries() as counted:
            response = clerk_client.get(CHECK)
        assert response.status_code == 200
        assert REQUEST in words(response)
        return len(counted.own)

    small = queries()
    ProcedureLinkFactory.create_batch(120, municipality=kommune, scope=Scope.ZENTRAL)
    large = queries()

    assert small == large
    assert large <= 10
