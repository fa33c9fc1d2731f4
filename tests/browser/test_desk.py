"""The desk and the queue at 1280 px in Chromium: nothing wider than the window, axe-clean.

The reviewer signs in by a Django session cookie rather than the login form, which may ask for
a second factor.
"""

import os

import pytest
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.test import Client

from awards.constants import Status
from municipalities.constants import Kind, LinkCheckResult
from tests.browser.test_accessibility import violations
from tests.factories import AwardFactory, MunicipalityFactory

from ..awards.queue_data import waiting_applications

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 1280
OK, BROKEN, REFUSED = LinkCheckResult.OK, LinkCheckResult.BROKEN, LinkCheckResult.REFUSED

# What is wider than the window, and whether the queue's table scrolls sideways.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > width + 1)
    .map((el) => el.tagName + (el.id ? '#' + el.id : '') + '.' + el.className);
  const results = document.querySelector('#changelist-form .results');
  return {
    page: document.documentElement.scrollWidth,
    wide: wide.slice(0, 5),
    results: results ? [results.scrollWidth, results.clientWidth] : null,
  };
}"""


@pytest.fixture
def busy_queue(reviewer):
    """A queue as it looks on a busy day: long names, long kinds, every link-check outcome."""
    reviewer.first_name = "Maximiliane"
    reviewer.save()
    unterfranken = MunicipalityFactory(name="Unterfranken", kind=Kind.BEZIRK, ars="096000000000")
    many_links = (OK,) * 1200 + (BROKEN,) * 12 + (REFUSED,) * 3 + ("",) * 140
    waiting_applications(
        1, kind=Kind.VG, regierungsbezirk=unterfranken, results=many_links, days_ago=123
    )
    waiting_applications(
        3,
        kind=Kind.GROSSE_KREISSTADT,
        regierungsbezirk=unterfranken,
        status=Status.IN_REVIEW,
        reviewer=reviewer,
        error="Die Linkprüfung brach ab: Zeitüberschreitung der Datenbank nach 30 Sekunden.",
        results=(OK, ""),
    )
    waiting_applications(20, regierungsbezirk=unterfranken)
    (capital,) = waiting_applications(1, kind=Kind.KREISFREIE_STADT, regierungsbezirk=unterfranken)
    capital.municipality.name = "Großkarolinenfeld"  # the longest word a title may have
    capital.municipality.register_name = "Großkarolinenfeld, Landeshauptstadt"
    capital.municipality.save()
    for _ in range(3):
        AwardFactory(municipality=MunicipalityFactory(kind=Kind.KREISFREIE_STADT))


def signed_in(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(
        base_url=live_server.url,
        locale="de-DE",
        bypass_csp=True,
        viewport={"width": WIDTH, "height": 900},
    )
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/awards/application/", "/admin/awards/application/?status=alle"]
)
def test_desk_and_queue_fit_1280_px_and_are_axe_clean(
    browser, live_server, reviewer, busy_queue, path
):
    context = signed_in(browser, live_server, reviewer)
    page = context.new_page()

    response = page.goto(path)

    assert response.status == 200
    if shots := os.environ.get("DESK_SHOTS"):  # a folder for the pictures, when looking
        page.screenshot(path=f"{shots}/{path.strip('/').replace('/', '_')}.png", full_page=True)
    measured = page.evaluate(OVERFLOW)
    assert measured["page"] <= WIDTH, measured
    assert measured["wide"] == [], measured
    if measured["results"] is not None:  # the queue: its table never scrolls sideways
        scroll_width, client_width = measured["results"]
        assert scroll_width <= client_width, measured
        assert page.locator("#changelist-filter").is_visible()
    assert violations(page) == []
    context.close()


def test_assigning_to_a_colleague_in_the_browser(browser, live_server, reviewer, busy_queue):
    context = signed_in(browser, live_server, reviewer)
    page = context.new_page()
    page.goto("/admin/awards/application/")

    page.locator("#result_list tbody input[type=checkbox]").first.check()
    page.select_option("select[name=action]", "assign_to_colleague")
    page.get_by_role("button", name="Ausführen").click()

    assert page.get_by_role("heading", level=1).text_content() == "Anträge zuweisen"
    if shots := os.environ.get("DESK_SHOTS"):
        page.screenshot(path=f"{shots}/assign.png", full_page=True)
    assert violations(page) == []
    page.get_by_label("Zuweisen an").select_option(label="Maximiliane")
    page.get_by_role("button", name="Zuweisen").click()

    assert "1 Antrag Maximiliane zugewiesen." in page.locator(".messagelist").text_content()
    context.close()


def test_the_desk_beside_recent_actions_fits_1280_px(
    browser, live_server, administrator, busy_queue
):
    LogEntry.objects.log_actions(
        user_id=administrator.pk,
        queryset=[MunicipalityFactory(name="Hösbach")],
        action_flag=CHANGE,
        change_message="[]",
    )
    context = signed_in(browser, live_server, administrator)
    page = context.new_page()

    page.goto("/admin/")

    assert page.locator("#recent-actions-module").is_visible()
    if shots := os.environ.get("DESK_SHOTS"):
        page.screenshot(path=f"{shots}/admin-with-recent.png", full_page=True)
    measured = page.evaluate(OVERFLOW)
    assert measured["page"] <= WIDTH, measured
    assert measured["wide"] == [], measured
    assert violations(page) == []
    context.close()
