"""A citizen on a phone (375 px) searches / by postal code, by Landkreis and by a name typed
without umlauts; each result page passes axe-core and does not scroll sideways."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from municipalities.constants import Kind
from municipalities.importing.postcodes import SAMPLE_POSTCODES, import_postcodes
from tests.factories import AwardFactory, MunicipalityFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 375
RULES = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    }
}


@pytest.fixture
def register(db):
    oberbayern = MunicipalityFactory(ars="091000000000", name="Oberbayern", kind=Kind.BEZIRK)
    oberfranken = MunicipalityFactory(ars="094000000000", name="Oberfranken", kind=Kind.BEZIRK)
    unterfranken = MunicipalityFactory(ars="096000000000", name="Unterfranken", kind=Kind.BEZIRK)
    muenchen = MunicipalityFactory(
        ars="091620000000",
        name="München",
        register_name="München, Landeshauptstadt",
        kind=Kind.KREISFREIE_STADT,
        regierungsbezirk=oberbayern,
        postal_code="80313",
    )
    coburg = MunicipalityFactory(
        ars="094730000000", name="Coburg", kind=Kind.LANDKREIS, regierungsbezirk=oberfranken
    )
    hoesbach = MunicipalityFactory(
        ars="096710130130", name="Hösbach", kind=Kind.MARKT, regierungsbezirk=unterfranken
    )
    AwardFactory(municipality=muenchen)
    AwardFactory(municipality=hoesbach)
    for n, name in enumerate(
        ["Rödental", "Bad Rodach", "Seßlach", "Ahorn", "Dörfles-Esbach", "Grub a.Forst"]
    ):
        AwardFactory(
            municipality=MunicipalityFactory(
                ars=f"0947301{n:02d}{n:03d}",
                name=name,
                landkreis=coburg,
                regierungsbezirk=oberfranken,
            )
        )
    import_postcodes(SAMPLE_POSTCODES)
    return {"coburg": coburg}


def phone(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        locale="de-DE",
        bypass_csp=True,  # axe-core is injected as a script
        viewport={"width": WIDTH, "height": 740},
    )
    return context, context.new_page()


def search(page, term: str) -> None:
    page.goto("/")
    box = page.locator("input[name=q]")
    box.fill(term)
    with page.expect_navigation():
        box.press("Enter")


def problems(page) -> list[str]:
    found = [
        f"{violation['id']}: {violation['help']} ({violation['nodes'][0]['target']})"
        for violation in Axe().run(page, options=RULES).response["violations"]
    ]
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > WIDTH:
        found.append(f"{page.url} scrolls sideways ({width}px wide)")
    return found


def first_result(page) -> str:
    return page.locator(".public-table__name a").first.inner_text().strip()


def test_a_citizen_finds_muenchen_by_a_postal_code_that_is_not_the_seats(
    browser, live_server, register
):
    context, page = phone(browser, live_server)

    search(page, "80331")

    assert "1 Digitales Amt gefunden" in page.locator("#public-results-title").inner_text()
    assert first_result(page) == "Landeshauptstadt München"
    assert problems(page) == []
    context.close()


def test_a_citizen_typing_a_landkreis_is_led_to_its_holders(browser, live_server, register):
    context, page = phone(browser, live_server)

    search(page, "Landkreis Coburg")
    offer = page.get_by_role("link", name="6 Digitale Ämter im Landkreis Coburg")
    assert offer.is_visible()
    assert problems(page) == []

    offer.click()
    page.wait_for_load_state()
    assert f"landkreis={register['coburg'].ars}" in page.url
    assert "6 Digitale Ämter gefunden" in page.locator("#public-results-title").inner_text()
    assert problems(page) == []
    context.close()


@pytest.mark.parametrize("term", ["Hoesbach", "HOESBACH", "Hösbahc"])
def test_a_citizen_typing_without_umlauts_or_with_a_typo_finds_the_kommune(
    browser, live_server, register, term
):
    context, page = phone(browser, live_server)

    search(page, term)

    assert first_result(page) == "Markt Hösbach"
    assert problems(page) == []
    context.close()
