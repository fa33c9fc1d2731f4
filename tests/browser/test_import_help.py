"""A clerk on a phone uploads a file with one bad row of three and takes the two good ones."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.helpers import log_in
from tests.factories import ServiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RULES = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    }
}
WIDTH = 375


def violations(page) -> list[str]:
    results = Axe().run(page, options=RULES)
    return [
        f"{page.url}: {violation['id']}: {violation['help']} ({violation['nodes'][0]['target']})"
        for violation in results.response["violations"]
    ]


def wider_than_the_screen(page) -> list[str]:
    width = page.evaluate("document.documentElement.scrollWidth")
    return [f"{page.url} is {width}px wide"] if width > WIDTH else []


def test_take_only_the_rows_without_errors_on_a_phone(new_page, clerk, kommune):
    ServiceFactory(leika_key="99102013000000", name="Hundesteuer")
    ServiceFactory(leika_key="99050012104000", name="Gewerbe Anmeldung")
    rows = [
        "ars;titel;url;zustaendigkeit;leika_schluessel",
        f"{kommune.ars};Hundesteuer anmelden;https://amt.example/hund;kommunal;99102013000000",
        f"{kommune.ars};Ohne Adresse;;kommunal;99102013000000",
        f"{kommune.ars};Gewerbe anmelden;https://amt.example/gewerbe;zentral;99050012104000",
    ]
    page = new_page(viewport={"width": WIDTH, "height": 740}, bypass_csp=True)
    log_in(page, clerk.username)
    problems = []

    page.goto("/portal/verfahren/import/")
    expect(page.get_by_role("link", name="Vorlage als Excel (XLSX)")).to_be_visible()
    problems += violations(page) + wider_than_the_screen(page)
    page.set_input_files(
        "input[type=file]",
        files=[
            {"name": "verfahren.csv", "mimeType": "text/csv", "buffer": "\n".join(rows).encode()}
        ],
    )
    page.get_by_role("button", name="Vorschau anzeigen").click()
    page.wait_for_load_state()

    expect(page.get_by_text("Die Datei hat 1 fehlerhafte Zeile.")).to_be_visible()
    expect(page.get_by_role("row", name="Zeile 3")).to_be_visible()
    problems += violations(page) + wider_than_the_screen(page)
    choice = page.get_by_role("button", name="Nur die 2 fehlerfreien Zeilen übernehmen")
    expect(choice).to_be_visible()
    choice.click()
    page.wait_for_load_state()

    expect(page).to_have_url("/portal/verfahren/")
    expect(page.get_by_text("Die fehlerfreien Zeilen wurden übernommen")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Hundesteuer anmelden")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Gewerbe anmelden")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Ohne Adresse")).to_have_count(0)
    expect(page.get_by_role("link", name="Excel (XLSX)")).to_be_visible()
    problems += violations(page)
    assert page.console_errors == []
    assert problems == []
