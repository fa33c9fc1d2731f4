"""The public site on a phone first: results on the first screen, nothing wider than the screen.

Every public page type at 320, 375 and 1280 px: no sideways scrolling and no axe-core
violation; the list's first result within the first screen of a 375 × 740 phone.
"""

import pytest

from tests.browser.test_accessibility import site, violations  # noqa: F401 - site is a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}


def page_types(site) -> dict[str, str]:  # noqa: F811 - the fixture's value
    return {
        "list": "/",
        "Kommune": f"/kommunen/{site['town'].ars}/",
        "map": "/karte/",
        "statistics": "/statistik/",
        "verification with a result": "/pruefen/DA-2021-0001/",
        "open data": "/offene-daten/",
        "Leichte Sprache": "/leichte-sprache/",
    }


def open_page(browser, live_server, viewport):
    context = browser.new_context(
        base_url=live_server.url, locale="de-DE", bypass_csp=True, viewport=viewport
    )
    return context, context.new_page()


def settle(page, path: str) -> None:
    """Open a page and wait for its fonts: the layout is measured in Fira Sans, as people see it."""
    response = page.goto(path)
    assert response.status < 400, path
    page.evaluate("document.fonts.ready.then(() => true)")


def test_the_first_result_is_on_the_first_screen_of_a_phone(browser, live_server, site):  # noqa: F811
    context, page = open_page(browser, live_server, PHONE)
    settle(page, "/")

    top = page.evaluate(
        "document.querySelector('.public-results tbody tr').getBoundingClientRect().top"
    )
    assert top < PHONE["height"], f"first result at y = {top} px"
    assert page.evaluate("!document.querySelector('details.public-filters').open")
    context.close()


def test_the_filters_open_without_script_and_keep_the_page_narrow(browser, live_server, site):  # noqa: F811
    context = browser.new_context(
        base_url=live_server.url, locale="de-DE", viewport=PHONE, java_script_enabled=False
    )
    page = context.new_page()
    page.goto("/")
    page.get_by_text("Filter und Sortierung").click()
    page.get_by_label("Art").select_option("stadt")
    page.get_by_role("button", name="Filter anwenden").click()
    page.wait_for_load_state()

    assert "art=stadt" in page.url
    assert page.locator("details.public-filters").get_attribute("open") is not None
    assert page.locator("summary").inner_text().endswith("(1 Filter aktiv)")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    context.close()


@pytest.mark.parametrize("width", [320, 375, 1280])
def test_every_public_page_type_fits_and_passes_axe(browser, live_server, site, width):  # noqa: F811
    context, page = open_page(browser, live_server, {"width": width, "height": 900})
    problems = []
    for name, path in page_types(site).items():
        settle(page, path)
        scroll_width, inner_width = page.evaluate(
            "[document.documentElement.scrollWidth, innerWidth]"
        )
        if scroll_width > inner_width:
            problems.append(f"{name} ({path}) at {width}px is {scroll_width}px wide")
        problems += [f"{name} ({path}) at {width}px: {found}" for found in violations(page)]
    context.close()
    assert problems == []
