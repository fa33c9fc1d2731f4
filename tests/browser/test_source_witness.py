"""The second witness in Chromium: the evidence table's Bundesdaten column fits, axe finds nothing.

The application page at 1280 px with the sidebar open, the public Kommune page at 1280 and 375 px.
"""

import os

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from municipalities.constants import Scope
from municipalities.models import ProcedureLink
from tests.awards.test_source_witness import record, synced
from tests.browser.test_accessibility import RULES
from tests.browser.test_application_page import (
    WIDER_THAN_THE_VIEWPORT,
    application,  # noqa: F401 - the fixture
    reviewer_page,
    url,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Where to leave screenshots for a person to look at (unset: none are taken).
SHOTS = os.environ.get("SCREENSHOT_DIR")


@pytest.fixture
def witnessed(application):  # noqa: F811 - extends the fixture of the same name
    kommune = application.municipality
    links = list(ProcedureLink.objects.filter(municipality=kommune).order_by("pk"))
    for n, procedure in enumerate(links[:40]):
        record(kommune, procedure.url, online=n % 7 > 0, name=procedure.title)
    ProcedureLink.objects.filter(pk=links[-1].pk).update(scope=Scope.ZENTRAL)
    record(None, links[-1].url)
    for n in range(60):
        record(
            kommune,
            f"https://www.buergerservice.hoesbach.example/fehlt/{n}/ein-sehr-langer-pfad-ohne-ende",
            name=f"Erteilung einer Erlaubnis für eine Veranstaltung im Freien Nr. {n}",
            online=n % 5 > 0,
        )
    synced(kommune)
    return application


def problems_of(page) -> list[str]:
    results = Axe().run(page, options=RULES)
    return [
        f"{violation['id']}: {violation['help']} {violation['nodes'][0]['target']}"
        for violation in results.response["violations"]
    ]


def test_the_bundesdaten_column_and_the_unlinked_list_fit_1280_px(
    browser, live_server, reviewer, witnessed
):
    context, page = reviewer_page(browser, live_server, reviewer, 1280)
    page.goto(url(witnessed))
    page.locator("#bundesdaten-nicht-verlinkt + details summary").click()

    sizes = page.evaluate(
        """() => {
            const table = document.querySelector('.review-evidence');
            return {table: table.scrollWidth, box: table.parentElement.clientWidth,
                    page: document.documentElement.scrollWidth};
        }"""
    )
    assert page.locator(".review-evidence th", has_text="Bundesdaten").is_visible()
    assert page.get_by_text("40 von 60 in den Bundesdaten bestätigt").is_visible()
    if SHOTS:
        page.locator("#uebersicht").screenshot(path=f"{SHOTS}/summary-1280.png")
        page.locator("#nachweise .review-scroll").screenshot(path=f"{SHOTS}/evidence-1280.png")
        page.locator("#bundesdaten-nicht-verlinkt").scroll_into_view_if_needed()
        page.screenshot(path=f"{SHOTS}/unlinked-1280.png")
    problems = problems_of(page)
    wider = page.evaluate(WIDER_THAN_THE_VIEWPORT)
    context.close()
    assert sizes["table"] <= sizes["box"], sizes
    assert sizes["page"] <= 1280, sizes
    assert wider == []
    assert problems == []


@pytest.mark.parametrize("width", [1280, 375])
def test_the_public_page_says_when_it_was_confirmed_at_any_width(
    browser, live_server, witnessed, width
):
    context = browser.new_context(
        base_url=live_server.url,
        locale="de-DE",
        bypass_csp=True,  # axe-core is injected as a script
        viewport={"width": width, "height": 900},
    )
    page = context.new_page()
    page.goto(reverse("awards:municipality", args=[witnessed.municipality.ars]))

    sentence = page.get_by_text("Zuletzt mit den Bundesdaten abgeglichen")
    visible = sentence.is_visible()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/public-{width}.png", full_page=True)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    problems = problems_of(page)
    context.close()
    assert visible
    assert scroll_width <= width
    assert problems == []
