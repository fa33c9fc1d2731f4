"""Every portal and account page fits the screen at 320, 375 and 1280 px, without an axe finding.

No page is wider than the viewport (document.documentElement.scrollWidth <= innerWidth), and the
procedure list's action buttons lie inside it, with 60 links of long titles and URLs.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe

from awards.services import create_application, submit_application
from municipalities.models import Threshold
from tests.browser.helpers import log_in
from tests.factories import ProcedureLinkFactory, ServiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RULES = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    }
}
WIDTHS = [320, 375, 1280]
LONG_TITLE = (
    "Antrag auf Erteilung einer Erlaubnis zur Sondernutzung öffentlicher Verkehrsflächen "
    "für Veranstaltungen, Baustelleneinrichtungen und Außengastronomie Nr. {n}"
)
LONG_URL = (
    "https://www.buergerservice-verwaltungsportal.example/formularserver/antragsassistent/"
    "sondernutzungserlaubnisverkehrsflaechen-{n}?mandant=09671130&sprache=de&schritt=1"
)

# The visible texts of the elements matching a selector that reach past the viewport's edge or
# past the edge of a box around them that clips or scrolls (a table wrapper).
CUT_OFF = """(selector => [...document.querySelectorAll(selector)]
  .filter(el => el.offsetParent !== null)
  .filter(el => {
    const box = el.getBoundingClientRect();
    let right = window.innerWidth;
    for (let up = el.parentElement; up; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") {
        right = Math.min(right, up.getBoundingClientRect().right);
      }
    }
    return box.right > right + 0.5 || box.left < -0.5;
  })
  .map(el => el.textContent.trim() || el.name || el.tagName))"""

PAGES = {
    "dashboard": "/portal/",
    "procedure list": "/portal/verfahren/",
    "new procedure": "/portal/verfahren/neu/",
    "central procedures": "/portal/verfahren/zentral/",
    "upload": "/portal/verfahren/import/",
    "application": "/portal/antrag/",
    "coat of arms": "/portal/wappen/",
    "second factor": "/konto/zweiter-faktor/verwalten/",
    "second factor setup": "/konto/zweiter-faktor/einrichten/",
}
ANONYMOUS_PAGES = {
    "login": "/konto/anmelden/",
    "password reset": "/konto/passwort-vergessen/",
}


@pytest.fixture
def long_list(kommune, clerk):
    """60 links with long titles and URLs, an application with a long comment in its history."""
    Threshold.objects.update_or_create(kind=kommune.kind, defaults={"minimum": 10})
    service = ServiceFactory(leika_key="99001001001000")
    for n in range(60):
        link = ProcedureLinkFactory(
            municipality=kommune,
            title=LONG_TITLE.format(n=n),
            url=LONG_URL.format(n=n),
            active=n % 7 != 0,
        )
        link.services.add(service)
    application = create_application(municipality=kommune, by=clerk)
    submit_application(
        application=application,
        by=clerk,
        comment="Wir haben alle Verfahren geprüft: " + "sondernutzungserlaubnisverfahren " * 8,
    )
    return kommune


def width_problems(page, path: str, width: int) -> list[str]:
    problems = []
    scroll = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    if scroll > inner:
        problems.append(f"{path} at {width}px scrolls sideways ({scroll}px wide)")
    # Nothing cut inside a scrolling box either: every button and input ends inside the
    # viewport and inside every box around it that clips or scrolls.
    cut = page.evaluate(
        CUT_OFF + """('main .kern-btn, main input:not([type=hidden]), main select')"""
    )
    if cut:
        problems.append(f"{path} at {width}px cuts {cut[:3]} ({len(cut)} in all)")
    return problems


def axe_problems(page, path: str, width: int) -> list[str]:
    results = Axe().run(page, options=RULES)
    return [
        f"{path} at {width}px: {violation['id']}: {violation['help']} "
        f"({len(violation['nodes'])}x: {violation['nodes'][0]['target']})"
        for violation in results.response["violations"]
    ]


def check(page, path: str, width: int) -> list[str]:
    response = page.goto(path)
    assert response.status < 500, path
    return width_problems(page, path, width) + axe_problems(page, path, width)


def open_context(browser, live_server, width: int):
    return browser.new_context(
        base_url=live_server.url,
        locale="de-DE",
        bypass_csp=True,
        viewport={"width": width, "height": 800},
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_every_portal_page_fits_the_screen(browser, live_server, long_list, width):
    context = open_context(browser, live_server, width)
    page = context.new_page()
    problems = []
    for path in ANONYMOUS_PAGES.values():
        problems += check(page, path, width)
    log_in(page, "kaemmerei")
    page.wait_for_url("**/portal/")
    link = long_list.procedure_links.first()
    pages = {**PAGES, "edit procedure": f"/portal/verfahren/{link.pk}/bearbeiten/"}
    for path in pages.values():
        problems += check(page, path, width)

    # The procedure form sent empty: the error summary and a message at each field.
    page.goto("/portal/verfahren/neu/")
    page.get_by_label("Titel").fill("")
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_load_state()
    assert page.locator(".form-errors").is_visible()
    problems += width_problems(page, "procedure form with errors", width)
    problems += axe_problems(page, "procedure form with errors", width)
    context.close()
    assert problems == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_action_buttons_of_the_procedure_list_are_in_view(
    browser, live_server, long_list, width
):
    context = open_context(browser, live_server, width)
    page = context.new_page()
    log_in(page, "kaemmerei")
    page.goto("/portal/verfahren/")

    buttons = page.locator("main table .kern-table__cell--action .kern-btn")
    assert buttons.count() >= 2 * 25  # edit and (de)activate on every row of the page
    cut = page.evaluate(CUT_OFF + "('main table .kern-table__cell--action .kern-btn')")
    assert cut == []
    context.close()
