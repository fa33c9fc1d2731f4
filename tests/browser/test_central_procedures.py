"""The checklist of central procedures and the way to 50 in a browser, on a phone and a desk."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from municipalities.models import ProcedureLink
from tests.browser.test_accessibility import violations
from tests.factories import MunicipalityFactory, ProcedureLinkFactory, ServiceFactory
from tests.portal.test_central_procedures import central_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_URL = (
    "https://www.freistaat.bayern/dienstleistungen/antraege/"
    "elektronische-beantragung-eines-fuehrungszeugnisses-fuer-ehrenamtlich-taetige-personen"
)


@pytest.fixture
def catalogue(kommune):
    """Central procedures (one with a long address, one linked already) and peers' services."""
    central_record(leika_name="Führungszeugnis für Ehrenamtliche beantragen", url=LONG_URL)
    linked = central_record(leika_name="Fischereischein beantragen")
    ProcedureLinkFactory(municipality=kommune, url=linked.url)
    for _n in range(12):
        central_record()
    service = ServiceFactory(name="Hundesteuer an- und abmelden")
    for _n in range(3):
        link = ProcedureLinkFactory(municipality=MunicipalityFactory(kind=kommune.kind))
        link.services.set([service])


def signed_in(browser, live_server, user, width: int):
    client = Client()
    client.force_login(user)
    context = browser.new_context(
        base_url=live_server.url,
        locale="de-DE",
        bypass_csp=True,
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
    return context


@pytest.mark.parametrize("width", [375, 1280])
def test_the_checklist_fits_is_axe_clean_and_adds_the_ticked_procedure(
    browser, live_server, clerk, kommune, catalogue, width
):
    context = signed_in(browser, live_server, clerk, width)
    page = context.new_page()
    problems = []
    for path in ("/portal/", "/portal/verfahren/zentral/"):
        page.goto(path)
        problems += [f"{path} at {width}px: {found}" for found in violations(page)]
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > width:
            problems.append(f"{path} at {width}px scrolls sideways ({wide}px wide)")
    assert problems == []

    expect(page.get_by_label("Fischereischein beantragen bereits verlinkt")).to_be_disabled()
    page.get_by_label("Führungszeugnis für Ehrenamtliche beantragen").check()
    page.get_by_role("button", name="Ausgewählte Verfahren hinzufügen").click()

    expect(page.get_by_role("status").first).to_contain_text("1 zentrales Verfahren ist jetzt")
    expect(
        page.get_by_label("Führungszeugnis für Ehrenamtliche beantragen bereits verlinkt")
    ).to_be_checked()
    assert ProcedureLink.objects.filter(municipality=kommune, url=LONG_URL).exists()
    assert violations(page) == []
    context.close()
