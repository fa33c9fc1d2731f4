"""A clerk from an empty list to a submitted application, on a phone (375 px), in Chromium.

Through the task list, the central procedures' checklist (two of its pages), preparing the
application, checking the answers (the declaration forgotten once), submitting and the
confirmation; every page axe-clean and no wider than the screen.
"""

import re

import pytest
from playwright.sync_api import expect

from awards.constants import Status
from awards.models import Submission
from tests.browser.helpers import log_in
from tests.browser.test_accessibility import violations
from tests.portal.test_central_procedures import central_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 375
DECLARATION_START = "Ich versichere, dass"
CENTRAL = 55  # more than one page of the checklist (50 a page)


@pytest.fixture
def central_catalogue(db):
    """The Freistaat's central procedures, as the federal source's sync stores them."""
    return [central_record() for _n in range(CENTRAL)]


def looked_at(page, seen: list[str]) -> None:
    """Check the page as it stands: axe-core finds nothing, nothing scrolls sideways."""
    path = page.url.split("//", 1)[1].split("/", 1)[1]
    seen += [f"/{path}: {problem}" for problem in violations(page)]
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > WIDTH:
        seen.append(f"/{path} is {width}px wide")


def test_a_clerk_goes_from_an_empty_list_to_a_submitted_application(
    new_page, kommune, clerk, central_catalogue
):
    page = new_page(viewport={"width": WIDTH, "height": 800}, bypass_csp=True)
    problems: list[str] = []
    log_in(page, clerk.username)
    expect(page).to_have_url(re.compile(r"/portal/$"))

    # The dashboard's task list: nothing begun yet.
    tasks = page.locator(".kern-task-list__item")
    expect(tasks.nth(0)).to_contain_text("noch nicht begonnen")
    expect(tasks.nth(2)).to_contain_text("kann noch nicht begonnen werden")
    looked_at(page, problems)

    # Step 1 by the checklist: 48 ticks on its first page, 2 on the second.
    page.get_by_role("link", name="Zentrale Verfahren des Freistaats abhaken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zentrale Verfahren des Freistaats")
    looked_at(page, problems)
    boxes = page.locator("input[name=record]:not([disabled])")
    for n in range(48):
        boxes.nth(n).check()
    page.get_by_role("button", name="Ausgewählte Verfahren hinzufügen").click()
    expect(
        page.get_by_text("48 zentrale Verfahren sind jetzt in Ihrer Liste").first
    ).to_be_visible()
    page.get_by_role("link", name="nächste Seite").click()
    looked_at(page, problems)
    for n in range(2):
        boxes.nth(n).check()
    page.get_by_role("button", name="Ausgewählte Verfahren hinzufügen").click()
    expect(page.get_by_text("2 zentrale Verfahren sind jetzt in Ihrer Liste").first).to_be_visible()
    assert kommune.progress().count == 50

    # Back on the dashboard step 1 is done; step 2 prepares the application.
    page.get_by_role("link", name="Übersicht", exact=True).click()
    expect(tasks.nth(0)).to_contain_text("erledigt")
    looked_at(page, problems)
    page.get_by_role("button", name="Antrag vorbereiten").click()
    expect(page).to_have_url(re.compile(r"/portal/antrag/$"))
    expect(tasks.nth(1)).to_contain_text("Entwurf angelegt")
    looked_at(page, problems)

    # Withdrawing is a page of its own: the clerk looks and goes back.
    page.get_by_role("link", name="Antrag zurückziehen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Möchten Sie den Antrag zurückziehen?"
    )
    looked_at(page, problems)
    page.get_by_role("link", name="Nein, zurück zum Antrag").click()

    # Step 2: check the answers; submitting without the declaration is refused.
    page.get_by_role("link", name="Angaben prüfen").click()
    expect(page.get_by_text("Gezählt").first).to_be_visible()
    expect(page.locator(".portal-counts")).to_contain_text("50 von mindestens 50")
    looked_at(page, problems)
    page.get_by_role("button", name="Antrag einreichen").click()
    summary = page.locator(".form-errors")
    expect(summary).to_be_visible()
    looked_at(page, problems)
    summary.get_by_role("link").click()
    assert page.evaluate("document.activeElement.id") == "submit_confirm"
    assert not Submission.objects.exists()

    # Step 3: tick and submit; the confirmation says what happens next.
    page.get_by_label(re.compile(f"^{DECLARATION_START}")).check()
    page.get_by_role("button", name="Antrag einreichen").click()
    expect(page.get_by_role("heading", name="Ihr Antrag ist eingereicht")).to_be_visible()
    expect(page.get_by_text("Noch zu wenige Entscheidungen für eine Angabe")).to_be_visible()
    looked_at(page, problems)

    # The submitted list stays readable.
    page.get_by_role("link", name="Eingereichte Liste ansehen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Eingereichte Liste")
    looked_at(page, problems)

    submission = Submission.objects.get()
    assert submission.application.status == Status.SUBMITTED
    assert submission.procedure_count == 50
    assert submission.declaration.startswith(DECLARATION_START)
    assert page.console_errors == []
    assert problems == []
