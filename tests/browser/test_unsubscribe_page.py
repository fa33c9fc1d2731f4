"""The unsubscribe page in Chromium: axe-core clean and no sideways scroll on a phone or desk.

The clerk follows the link from the reminder, presses the button, changes their mind and
presses the other one; a broken link gets the German error page.
"""

import pytest

from awards.models import ReminderOptOut
from awards.unsubscribe import make_token
from tests.browser.test_accessibility import check, violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADDRESS = "kaemmerei@hoesbach.example"


def problems_here(page, name: str, width: int) -> list[str]:
    """What check() finds, for the page a button led to (a POST's answer)."""
    problems = [f"{name} at {width}px: {found}" for found in violations(page)]
    overflow = page.evaluate("document.documentElement.scrollWidth")
    if overflow > width:
        problems.append(f"{name} at {width}px scrolls sideways ({overflow}px wide)")
    return problems


@pytest.mark.parametrize("width", [320, 375, 1280])
def test_unsubscribe_and_undo_in_the_browser(new_page, width):
    page = new_page(bypass_csp=True, viewport={"width": width, "height": 800})
    path = f"/erinnerungen/abbestellen/{make_token(ADDRESS)}/"

    problems = check(page, path, width)
    page.get_by_role("button", name="Erinnerungen abbestellen").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).text_content() == "Erinnerungen abbestellt"
    assert ReminderOptOut.objects.filter(address=ADDRESS).exists()
    problems += problems_here(page, "unsubscribed", width)
    page.get_by_role("button", name="Erinnerungen wieder erhalten").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).text_content() == "Erinnerungen wieder bestellt"
    assert not ReminderOptOut.objects.exists()
    problems += problems_here(page, "resubscribed", width)
    problems += check(page, "/erinnerungen/abbestellen/kaputt/", width)

    assert problems == []
    # The broken link's page is a 404, which the browser reports; nothing else goes wrong.
    assert page.console_errors == [
        "Failed to load resource: the server responded with a status of 404 (Not Found)"
    ]
