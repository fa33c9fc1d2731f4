"""The reviewer's application page in Chromium: the evidence fits, the sample by keyboard alone.

Logged in with a session cookie (not the login form, which may ask for more than a password).
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from awards import services
from awards.constants import Verdict
from awards.models import EvidenceItem, SpotCheck
from municipalities.constants import Kind, LinkCheckResult, Scope
from municipalities.models import ProcedureLink, Threshold
from tests.browser.test_accessibility import RULES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINKS = 60


@pytest.fixture
def application(kommune, clerk, reviewer, no_link_check):
    """In review: long titles and URLs, every outcome of the link check, differences, a sample."""
    Threshold.objects.update_or_create(kind=Kind.MARKT, defaults={"minimum": 50})
    ProcedureLink.objects.bulk_create(
        ProcedureLink(
            municipality=kommune,
            title=f"Antrag auf Erteilung einer Erlaubnis nach dem Gaststättengesetz Nr. {n}",
            url=f"https://www.buergerservice.hoesbach.example/verfahren/gewerbe/{n}/"
            "antrag?formular=gaststaettenerlaubnis-mit-einem-sehr-langen-parameter",
            scope=Scope.KOMMUNAL,
        )
        for n in range(LINKS)
    )
    application = services.create_application(municipality=kommune, by=clerk)
    services.submit_application(application=application, by=clerk)
    services.start_review(application=application, reviewer=reviewer)
    items = list(application.latest_submission().items.order_by("pk"))
    outcomes = LinkCheckResult.values
    for n, item in enumerate(items[: len(outcomes) * 2]):
        EvidenceItem.objects.filter(pk=item.pk).update(
            check_result=outcomes[n % len(outcomes)],
            check_status=404 if outcomes[n % len(outcomes)] == "not_found" else 200,
            check_detail="Die Seite meldet einen Fehler",
            checked_at=timezone.now(),
        )
    SpotCheck.objects.bulk_create(SpotCheck(item=item, reviewer=reviewer) for item in items[:3])
    kommune.procedure_links.filter(pk=kommune.procedure_links.order_by("pk").first().pk).update(
        title="Umbenannt, mit einem ausgesprochen langen neuen Titel für die Gaststättenerlaubnis"
    )
    return application


def reviewer_page(browser, live_server, reviewer, width: int):
    client = Client()
    client.force_login(reviewer)
    context = browser.new_context(
        base_url=live_server.url,
        locale="de-DE",
        bypass_csp=True,  # axe-core is injected as a script
        viewport={"width": width, "height": 900},
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
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def url(application) -> str:
    return reverse("admin:awards_application_change", args=[application.pk])


WIDER_THAN_THE_VIEWPORT = """() => [...document.querySelectorAll('body *')]
    .filter(element => element.getBoundingClientRect().right > window.innerWidth + 1)
    .filter(element => !element.closest('.review-scroll'))
    .map(element => element.tagName + '.' + element.className)"""


def test_the_evidence_table_fits_1280_px_with_the_sidebar_open_and_axe_finds_nothing(
    browser, live_server, reviewer, application
):
    context, page = reviewer_page(browser, live_server, reviewer, 1280)
    page.goto(url(application))

    assert page.locator("#nav-sidebar").is_visible()
    sizes = page.evaluate(
        """() => {
            const table = document.querySelector('.review-evidence');
            return {table: table.scrollWidth, box: table.parentElement.clientWidth,
                    page: document.documentElement.scrollWidth};
        }"""
    )
    assert sizes["table"] <= sizes["box"], sizes
    assert sizes["page"] <= 1280, sizes
    assert page.evaluate(WIDER_THAN_THE_VIEWPORT) == []
    for header in ("Titel und URL", "Stand", "Linkprüfung", "Stichprobe"):
        assert page.locator(".review-evidence th", has_text=header).is_visible()
    results = Axe().run(page, options=RULES)
    problems = [
        f"{violation['id']}: {violation['help']} {violation['nodes'][0]['target']}"
        for violation in results.response["violations"]
    ]
    context.close()
    assert problems == []


def test_at_375_px_the_table_scrolls_in_its_box_and_the_page_does_not(
    browser, live_server, reviewer, application
):
    context, page = reviewer_page(browser, live_server, reviewer, 375)
    page.goto(url(application))

    width = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert width <= 375


def test_a_keyboard_alone_judges_the_whole_sample_in_one_save(
    browser, live_server, reviewer, application
):
    context, page = reviewer_page(browser, live_server, reviewer, 1280)
    page.goto(url(application) + "#stichprobe")
    checks = list(SpotCheck.objects.filter(item__submission__application=application))

    def focused() -> str:
        return page.evaluate(
            "document.activeElement.name || document.activeElement.textContent.trim()"
        )

    keys = page.keyboard
    keys.press("Tab")
    assert focused() == "count"  # the draw comes first
    keys.press("Tab")
    assert focused() == "Stichprobe ziehen"
    # Per drawn link: its address, then the radios (arrows choose), then the note.
    # Space checks the focused radio, arrows move the choice, no key leaves the link open.
    choices = [("Space", Verdict.OK), ("ArrowDown", Verdict.NOT_ONLINE), (None, "")]
    for check, (key, _verdict) in zip(checks, choices, strict=True):
        keys.press("Tab")
        assert page.evaluate("document.activeElement.href") == check.item.url
        keys.press("Tab")
        assert focused() == f"check-{check.pk}-verdict"
        if key == "ArrowDown":
            keys.press("ArrowDown")
            keys.press("ArrowDown")
            keys.press("ArrowUp")
        elif key == "Space":
            keys.press("Space")
        keys.press("Tab")
        assert focused() == f"check-{check.pk}-note"
        keys.type(f"Geprüft per Tastatur {check.pk}")
    keys.press("Tab")
    assert focused() == "Bewertungen speichern"
    with page.expect_navigation():
        keys.press("Enter")

    assert page.get_by_text("3 Bewertungen gespeichert.").is_visible()
    stored = [
        (check.verdict, check.note)
        for check in SpotCheck.objects.filter(pk__in=[check.pk for check in checks]).order_by("pk")
    ]
    context.close()
    assert stored == [
        (verdict, f"Geprüft per Tastatur {check.pk}")
        for check, (_key, verdict) in zip(checks, choices, strict=True)
    ]


def test_an_error_keeps_what_was_chosen_and_its_summary_leads_to_the_field(
    browser, live_server, reviewer, application
):
    context, page = reviewer_page(browser, live_server, reviewer, 1280)
    page.goto(url(application))
    first, second, _third = SpotCheck.objects.filter(item__submission__application=application)
    page.locator(f"#id_check-{first.pk}-verdict_1").check()
    # Past its maxlength, which only a script can do: the server's check is the one that counts.
    page.locator(f"#id_check-{second.pk}-note").evaluate("note => note.value = 'x'.repeat(2001)")
    page.get_by_role("button", name="Bewertungen speichern").click()
    page.wait_for_load_state()

    assert page.url.endswith("#stichprobe-fehler")  # the summary is where the page opens
    assert page.locator(".review-errors").is_visible()
    assert page.locator(f"#id_check-{first.pk}-verdict_1").is_checked()
    assert len(page.locator(f"#id_check-{second.pk}-note").input_value()) == 2_001
    results = Axe().run(page, options=RULES)
    page.keyboard.press("Tab")  # from the summary to its first link …
    page.keyboard.press("Enter")  # … which leads to the field
    focused = page.evaluate("document.activeElement.id")
    context.close()
    assert focused == f"id_check-{second.pk}-note"
    assert results.response["violations"] == []
    assert not SpotCheck.objects.exclude(verdict="").exists()
