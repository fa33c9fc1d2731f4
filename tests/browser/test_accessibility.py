"""WCAG 2.1 AA in a real browser: axe-core on every page type, 320 px width, keyboard entry.

axe-core runs in Debian's Chromium (the script ships with axe-playwright-python; nothing is
downloaded). Every public page type and every portal page type must report no violation of
the WCAG 2.0/2.1 A and AA rules nor of axe's best practices.
"""

import datetime
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model

from awards.services import revoke_award
from municipalities.constants import Kind
from municipalities.models import Membership
from tests.browser.helpers import log_in
from tests.factories import AwardFactory, MunicipalityFactory, ProcedureLinkFactory
from tests.helpers import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RULES = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    }
}


@pytest.fixture
def site(reviewer):
    """A small but complete public site: holders of every kind, a VG member, a revoked award."""
    oberbayern = MunicipalityFactory(name="Oberbayern", kind=Kind.BEZIRK, ars="091000000000")
    landkreis = MunicipalityFactory(
        name="Ebersberg", kind=Kind.LANDKREIS, ars="091750000000", regierungsbezirk=oberbayern
    )
    vg = MunicipalityFactory(
        name="Glonn",
        kind=Kind.VG,
        ars="091755301000",
        regierungsbezirk=oberbayern,
        landkreis=landkreis,
    )
    member = MunicipalityFactory(
        name="Baiern",
        kind=Kind.GEMEINDE,
        ars="091755301113",
        regierungsbezirk=oberbayern,
        landkreis=landkreis,
        verwaltungsgemeinschaft=vg,
        postal_code="85625",
        latitude="47.9667",
        longitude="11.9000",
    )
    town = MunicipalityFactory(
        name="Grafing b.München",
        kind=Kind.STADT,
        ars="091750122122",
        regierungsbezirk=oberbayern,
        landkreis=landkreis,
        postal_code="85567",
        latitude="48.0458",
        longitude="11.9686",
        website="https://www.grafing.de/",
    )
    waiting = MunicipalityFactory(
        name="Zorneding",
        kind=Kind.GEMEINDE,
        ars="091750139139",
        regierungsbezirk=oberbayern,
        landkreis=landkreis,
        postal_code="85604",
        latitude="48.0833",
        longitude="11.8333",
    )
    award = AwardFactory(
        municipality=town,
        number="DA-2021-0001",
        issued_on=datetime.date(2021, 7, 28),
        procedure_count=57,
    )
    AwardFactory(municipality=vg, number="DA-2022-0100", issued_on=datetime.date(2022, 7, 1))
    revoked = AwardFactory(municipality=waiting, number="DA-2022-0005")
    ProcedureLinkFactory.create_batch(3, municipality=town)
    revoke_award(award=revoked, by=reviewer, reason="Weniger als 50 Verfahren.")
    clerk = get_user_model().objects.create_user("grafing", "rathaus@grafing.example", PASSWORD)
    Membership.objects.create(user=clerk, municipality=town)
    return {"award": award, "member": member, "waiting": waiting, "town": town}


def public_pages(site) -> dict[str, str]:
    return {
        "list": "/",
        "list with a search": "/?q=85625",
        "list without results": "/?q=Atlantis",
        "map": "/karte/",
        "map of a Bezirk": "/karte/oberbayern/",
        "statistics": "/statistik/",
        "Kommune that holds the award": f"/kommunen/{site['town'].ars}/",
        "Kommune covered by its VG": f"/kommunen/{site['member'].ars}/",
        "Kommune without award": f"/kommunen/{site['waiting'].ars}/",
        "verification": "/pruefen/DA-2021-0001/",
        "verification of a revoked award": "/pruefen/DA-2022-0005/",
        "verification of an unknown number": "/pruefen/DA-2030-0001/",
        "verification form": "/pruefen/",
        "open data": "/offene-daten/",
        "Impressum": "/impressum/",
        "Datenschutz": "/datenschutz/",
        "Barrierefreiheit": "/barrierefreiheit/",
        "Leichte Sprache": "/leichte-sprache/",
        "login": "/konto/anmelden/",
        "password reset": "/konto/passwort-vergessen/",
    }


PORTAL_PAGES = {
    "portal overview": "/portal/",
    "procedure list": "/portal/verfahren/",
    "new procedure": "/portal/verfahren/neu/",
    "procedure upload": "/portal/verfahren/import/",
    "application": "/portal/antrag/",
    "coat of arms": "/portal/wappen/",
}


def violations(page) -> list[str]:
    results = Axe().run(page, options=RULES)
    return [
        f"{violation['id']}: {violation['help']} ({len(violation['nodes'])}x: "
        f"{violation['nodes'][0]['target']})"
        for violation in results.response["violations"]
    ]


def check(page, path: str, width: int) -> list[str]:
    response = page.goto(path)
    assert response.status < 500, path
    problems = [f"{path} at {width}px: {found}" for found in violations(page)]
    if path.startswith("/karte/"):
        # The map's drawing is a document the page embeds (<object>), which axe does not enter.
        page.wait_for_load_state("load")
        frame = page.frame(url=re.compile(r"/karte\.[a-z]+\.svg$"))
        assert frame is not None, path
        problems += [f"{frame.url} at {width}px: {found}" for found in violations(frame)]
    overflow = page.evaluate("document.documentElement.scrollWidth")
    if overflow > width:
        problems.append(f"{path} at {width}px scrolls sideways ({overflow}px wide)")
    return problems


@pytest.mark.parametrize("width", [1280, 320])
def test_public_pages_have_no_accessibility_violations(browser, live_server, site, width):
    context = browser.new_context(
        base_url=live_server.url,
        locale="de-DE",
        bypass_csp=True,
        viewport={"width": width, "height": 900},
    )
    page = context.new_page()
    problems = []
    for path in public_pages(site).values():
        problems += check(page, path, width)
    context.close()
    assert problems == []


@pytest.mark.parametrize("width", [1280, 320])
def test_portal_pages_have_no_accessibility_violations(browser, live_server, site, width):
    context = browser.new_context(
        base_url=live_server.url,
        locale="de-DE",
        bypass_csp=True,
        viewport={"width": width, "height": 900},
    )
    page = context.new_page()
    log_in(page, "grafing")
    page.wait_for_url("**/portal/")
    link = site["town"].procedure_links.first()
    pages = {**PORTAL_PAGES, "edit procedure": f"/portal/verfahren/{link.pk}/bearbeiten/"}
    problems = []
    for path in pages.values():
        problems += check(page, path, width)

    # The preview of an uploaded file, with a new, a changed and a faulty row.
    ars = site["town"].ars
    rows = [
        "ars;titel;url;zustaendigkeit;leika_schluessel",
        f"{ars};Hundesteuer;https://amt.example/hund;kommunal;99001001001000",
        f"{ars};{link.title} (neu);{link.url};kommunal;",
        f"{ars};Ohne Adresse;;kommunal;99001001001000",
    ]
    page.goto("/portal/verfahren/import/")
    page.set_input_files(
        "input[type=file]",
        files=[
            {"name": "verfahren.csv", "mimeType": "text/csv", "buffer": "\n".join(rows).encode()}
        ],
    )
    page.get_by_role("button", name="Vorschau anzeigen").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).text_content() == "Vorschau der Datei"
    problems += [f"preview at {width}px: {found}" for found in violations(page)]
    context.close()
    assert problems == []


def test_english_pages_have_no_accessibility_violations(browser, live_server, site):
    context = browser.new_context(base_url=live_server.url, locale="en-GB", bypass_csp=True)
    page = context.new_page()
    problems = []
    for path in ("/", f"/kommunen/{site['town'].ars}/", "/pruefen/DA-2021-0001/", "/statistik/"):
        page.goto(path)
        assert page.get_attribute("html", "lang") == "en"
        problems += [f"{path} (en): {found}" for found in violations(page)]
    context.close()
    assert problems == []


def test_keyboard_users_start_with_the_skip_link_and_see_the_focus(new_page, site):
    page = new_page()
    page.goto("/")
    page.keyboard.press("Tab")

    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Zum Inhalt springen"
    assert page.evaluate(
        "getComputedStyle(document.activeElement).outlineStyle !== 'none'"
        " || getComputedStyle(document.activeElement).boxShadow !== 'none'"
    )
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
