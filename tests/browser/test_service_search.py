"""The procedure form's service search: above the field it fills, and it finds what people type."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import log_in
from tests.factories import ServiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_kfz_finds_the_vehicle_service_and_fills_the_field_below(new_page, clerk):
    ServiceFactory(leika_key="99036008007000", name="Kraftfahrzeug Zulassung")
    ServiceFactory(leika_key="99102013000000", name="Hundesteuer")
    page = new_page(viewport={"width": 375, "height": 740})
    log_in(page, clerk.username)
    page.goto("/portal/verfahren/neu/")

    search = page.get_by_role("searchbox", name="Leistung suchen (Name oder LeiKa-Schlüssel)")
    field = page.get_by_role("textbox", name="Leistungen (LeiKa-Schlüssel)")
    assert search.bounding_box()["y"] < field.bounding_box()["y"]
    search.fill("Kfz")
    hit = page.get_by_role("button", name="Kraftfahrzeug Zulassung (99036008007000)")
    expect(hit).to_be_visible()
    hit.click()

    expect(field).to_have_value("99036008007000")
    assert page.console_errors == []
