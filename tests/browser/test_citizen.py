"""A citizen on a phone finds their Kommune by postal code and verifies its award."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from municipalities.constants import Kind
from tests.factories import AwardFactory, MunicipalityFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def thannhausen():
    """A VG that holds the award and one of its member Gemeinden with its own postal code."""
    schwaben = MunicipalityFactory(name="Schwaben", kind=Kind.BEZIRK, ars="097000000000")
    vg = MunicipalityFactory(
        name="Thannhausen", kind=Kind.VG, ars="097745732000", regierungsbezirk=schwaben
    )
    member = MunicipalityFactory(
        name="Ziemetshausen",
        kind=Kind.MARKT,
        ars="097745732158",
        postal_code="86473",
        regierungsbezirk=schwaben,
        verwaltungsgemeinschaft=vg,
    )
    MunicipalityFactory(name="Balzhausen", kind=Kind.GEMEINDE, postal_code="86483")
    award = AwardFactory(
        municipality=vg,
        number="DA-2022-0042",
        issued_on=datetime.date(2022, 5, 3),
        procedure_count=61,
    )
    return member, award


def test_citizen_finds_their_kommune_by_postal_code_and_verifies_the_award(new_page, thannhausen):
    member, award = thannhausen
    page = new_page(viewport={"width": 375, "height": 800}, is_mobile=True, has_touch=True)

    page.goto("/")
    page.get_by_label("Name, Postleitzahl oder Regionalschlüssel").fill("86473")
    page.get_by_role("button", name="Suchen").click()

    expect(page).to_have_url(re.compile(r"/\?q=86473&"))  # the state is in the query string
    expect(page.get_by_text("über die Verwaltungsgemeinschaft").first).to_be_visible()
    page.get_by_role("link", name="Markt Ziemetshausen").first.click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Ziemetshausen")
    expect(page.get_by_text("Verwaltungsgemeinschaft Thannhausen").first).to_be_visible()
    page.get_by_role("link", name="Auszeichnung DA-2022-0042 prüfen").click()

    expect(page).to_have_url("/pruefen/DA-2022-0042/")
    expect(
        page.get_by_text("Gültig: Verwaltungsgemeinschaft Thannhausen trägt das Prädikat")
    ).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.console_errors == []


def test_the_language_switch_turns_the_public_site_english_and_back(new_page, thannhausen):
    page = new_page()
    page.goto("/?q=86473")
    expect(page.locator("html")).to_have_attribute("lang", "de")

    page.get_by_role("button", name="English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url("/?q=86473")
    expect(page.get_by_role("heading", level=1)).to_have_text("Digitales Amt holders in Bavaria")
    page.get_by_role("link", name="Map").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="Deutsch").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    assert page.console_errors == []
