"""The press kit page in Chromium at 1280 and 375 px: nothing wider than the window, axe-clean,
and its button saves the Word file under the award's number."""

import datetime
import io

import pytest
from django.urls import reverse
from docx import Document

from municipalities.constants import Kind
from tests.browser.test_accessibility import violations
from tests.factories import AwardFactory, MunicipalityFactory

from .test_desk import OVERFLOW, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def long_vg():
    """A VG with a long name and many members: the longest paragraphs a release has."""
    schwaben = MunicipalityFactory(name="Schwaben", kind=Kind.BEZIRK)
    landkreis = MunicipalityFactory(
        name="Neuburg-Schrobenhausen", kind=Kind.LANDKREIS, regierungsbezirk=schwaben
    )
    vg = MunicipalityFactory(
        name="Großkarolinenfeld-Oberschleißheim",
        kind=Kind.VG,
        landkreis=landkreis,
        regierungsbezirk=schwaben,
    )
    for n in range(9):
        MunicipalityFactory(name=f"Unterschleißheim-Mitte {n}", verwaltungsgemeinschaft=vg)
    return AwardFactory(
        municipality=vg,
        number="DA-2023-0017",
        issued_on=datetime.date(2023, 2, 15),
        procedure_count=183,
    )


@pytest.mark.parametrize("width", [1280, 375])
def test_the_press_kit_fits_and_is_axe_clean(browser, live_server, reviewer, long_vg, width):
    context = signed_in(browser, live_server, reviewer)
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})

    response = page.goto(reverse("admin:awards_award_press", args=[long_vg.pk]))

    assert response.status == 200
    measured = page.evaluate(OVERFLOW)
    assert measured["page"] <= width, measured
    assert measured["wide"] == [], measured
    text = page.get_by_label("Pressemitteilung (Entwurf)").input_value()
    assert text.startswith("Pressemitteilung\n\nVerwaltungsgemeinschaft Großkarolinenfeld")
    assert violations(page) == []
    context.close()


def test_the_button_saves_the_word_file(browser, live_server, reviewer, long_vg):
    context = signed_in(browser, live_server, reviewer)
    page = context.new_page()
    page.goto(reverse("admin:awards_award_press", args=[long_vg.pk]))

    with page.expect_download() as info:
        page.get_by_role("link", name="Als Word-Datei herunterladen (DOCX)").click()

    download = info.value
    assert download.suggested_filename == "digitales-amt-DA-2023-0017-pressetext.docx"
    with open(download.path(), "rb") as file:
        document = Document(io.BytesIO(file.read()))
    assert document.paragraphs[1].style.name == "Heading 1"
    assert document.paragraphs[1].text.startswith("Verwaltungsgemeinschaft Großkarolinenfeld")
    context.close()
