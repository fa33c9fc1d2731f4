"""The plaque as an archive keeps it and a sign maker prints it, and its design at 1 m.

PDF/A-3b (checked by structure with pypdf: veraPDF is not on the registries), the print
variant's page boxes, bleed and crop marks, the QR code as a phone at 1 m sees it, the type
sizes at reading distance, and the longest names of the register fitting the page.
"""

import ctypes
import datetime
import io
import re
from dataclasses import dataclass

import pypdf
import pypdfium2
import pypdfium2.raw as pdfium
import pytest
import zxingcpp
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image, ImageDraw

from awards import documents
from awards.documents import plaque, qr
from awards.documents.facts import ISSUER, AwardFacts
from awards.tasks import render_award_documents, render_document
from digitalesamt.portal.forms import reencode_coat_of_arms
from municipalities.constants import Kind
from tests.factories import AwardFactory, MunicipalityFactory
from tests.helpers import stopped_process_clock

pytestmark = pytest.mark.django_db

VERIFY_URL = "https://digitales-amt.test/pruefen/DA-2023-0200/"
MM = 72 / 25.4  # PDF points per millimetre
A4 = (297 * MM, 210 * MM)
A3 = (420 * MM, 297 * MM)
BLEED = 3 * MM  # 8.504 pt
# A phone scanning at 1 m: a 1920-pixel video frame over a 70° field of view sees
# 2 × tan(35°) × 1000 mm = 1400 mm, 1.371 pixels per mm: 34.8 dpi.
PHONE_AT_1_M_DPI = 1920 / (2 * 0.7002 * 1000) * 25.4

# The longest names of the register (GV100AD, 31.08.2025, all 2,221 Gemeinden, 1,550 VGs,
# 96 Kreise, found with import_municipalities and Municipality.title): the longest title
# (50 characters, a VG), the longest title that is not a VG (44, a Landratsamt), the VG with
# the most member Gemeinden (9) and the VG whose members make the longest line (115).
LONGEST = {
    "longest title": (
        "Bad Königshofen i.Grabfeld",
        Kind.VG,
        [
            "Aubstadt",
            "Bad Königshofen i.Grabfeld",
            "Herbstadt",
            "Höchheim",
            "Sulzdorf a.d.Lederhecke",
            "Sulzfeld",
            "Trappstadt",
        ],
    ),
    "longest Landkreis": ("Neustadt a.d.Aisch-Bad Windsheim", Kind.LANDKREIS, []),
    "most members": (
        "Uffenheim",
        Kind.VG,
        [
            "Ergersheim",
            "Gollhofen",
            "Hemmersheim",
            "Ippesheim",
            "Markt Nordheim",
            "Oberickelsheim",
            "Simmershofen",
            "Uffenheim",
            "Weigenheim",
        ],
    ),
    "longest member line": (
        "Gerolzhofen",
        Kind.VG,
        [
            "Dingolshausen",
            "Donnersdorf",
            "Frankenwinheim",
            "Gerolzhofen",
            "Lülsfeld",
            "Michelau i.Steigerwald",
            "Oberschwarzach",
            "Sulzheim",
        ],
    ),
}


@pytest.fixture
def award(kommune):
    return AwardFactory(
        municipality=kommune, number="DA-2023-0200", issued_on=datetime.date(2023, 2, 15)
    )


def get_pdf(client, number: str, query: str = "") -> bytes:
    response = client.get(reverse("awards:plaque", args=[number]) + query)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


def shield_png() -> bytes:
    """A simple coat of arms: a red shield with a white cross on transparent ground."""
    image = Image.new("RGBA", (400, 480), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.polygon([(20, 20), (380, 20), (380, 260), (200, 460), (20, 260)], fill=(200, 16, 46))
    draw.rectangle((170, 20, 230, 380), fill=(255, 255, 255))
    draw.rectangle((60, 140, 340, 200), fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def give_coat_of_arms(municipality) -> None:
    municipality.coat_of_arms.save("wappen.png", io.BytesIO(reencode_coat_of_arms(shield_png())))


@dataclass(frozen=True)
class Char:
    text: str
    left: float
    bottom: float
    right: float
    top: float
    size: float
    font: str


def chars(data: bytes) -> list[Char]:
    """Every character pdfium finds on the first page, with its box and size in points."""
    page = pypdfium2.PdfDocument(data)[0]
    # pdfium gives the size set with Tf: WeasyPrint's CSS pixels, scaled by 0.75 × zoom.
    zoom = 1 if page.get_width() < A3[0] - 10 else 2**0.5
    textpage = page.get_textpage()
    found = []
    for index in range(textpage.count_chars()):
        text = chr(pdfium.FPDFText_GetUnicode(textpage.raw, index))
        left, bottom, right, top = textpage.get_charbox(index)
        size = pdfium.FPDFText_GetFontSize(textpage.raw, index) * 0.75 * zoom
        found.append(Char(text, left, bottom, right, top, size, font_name(textpage, index)))
    return found


def font_name(textpage, index: int) -> str:
    buffer = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    pdfium.FPDFText_GetFontInfo(textpage.raw, index, buffer, len(buffer), ctypes.byref(flags))
    return buffer.value.decode()


def run(data: bytes, text: str, data_chars: list[Char] | None = None) -> list[Char]:
    """The characters of `text` on the page (spaces and line breaks as pdfium sees them)."""
    page_chars = [c for c in data_chars or chars(data) if not c.text.isspace()]
    joined = "".join(c.text for c in page_chars)
    start = joined.find(text.replace(" ", ""))
    assert start >= 0, (text, joined)
    return page_chars[start : start + len(text.replace(" ", ""))]


def qr_box(data: bytes, dpi: int = 300) -> tuple[float, float, float, float]:
    """The QR code's box in PDF points (left, bottom, right, top), as zxing-cpp finds it."""
    page = pypdfium2.PdfDocument(data)[0]
    image = page.render(scale=dpi / 72).to_pil()
    (barcode,) = zxingcpp.read_barcodes(image)
    points = [barcode.position.top_left, barcode.position.bottom_right]
    xs = [p.x * 72 / dpi for p in points]
    ys = [page.get_height() - p.y * 72 / dpi for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def all_objects(reader: pypdf.PdfReader):
    for number in range(1, reader.trailer["/Size"]):
        obj = reader.get_object(number)
        if obj is not None:
            yield obj


def xmp(reader: pypdf.PdfReader) -> str:
    return reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()


# PDF/A-3b


@pytest.mark.parametrize("query", ["", "?format=a3&druck=1"])
def test_plaque_is_pdf_a_3b_with_its_metadata_in_info_and_xmp(client, award, query):
    reader = pypdf.PdfReader(io.BytesIO(get_pdf(client, award.number, query)))

    metadata = xmp(reader)
    assert re.search(r'pdfaid:part="3"', metadata) and 'pdfaid:conformance="B"' in metadata
    assert '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Digitales Amt – Markt Hösbach' in (
        metadata
    )
    assert f"<dc:creator><rdf:Seq><rdf:li>{ISSUER}</rdf:li>" in metadata
    assert "<dc:language><rdf:Bag><rdf:li>de</rdf:li></rdf:Bag></dc:language>" in metadata
    assert "<dc:description>" in metadata and "<xmp:CreateDate>2023-02-15<" in metadata
    info = reader.metadata
    assert info["/Title"] == "Digitales Amt – Markt Hösbach"
    assert info["/Author"] == ISSUER
    assert info["/Subject"].startswith(
        "Schild der Auszeichnung „Digitales Amt“ Nr. DA-2023-0200, Markt Hösbach"
    )
    assert info["/CreationDate"] == "D:20230215"  # the award's issue date, not the render's
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "de"
    (intent,) = root["/OutputIntents"]
    assert intent["/S"] == "/GTS_PDFA1" and "sRGB" in intent["/OutputConditionIdentifier"]
    assert intent["/DestOutputProfile"].get_object()["/N"] == 3
    assert "/Encrypt" not in reader.trailer and not reader.is_encrypted
    assert reader.pdf_header == "%PDF-1.7"


def test_the_same_version_renders_to_the_same_bytes(award):
    facts = documents.award_facts(award)

    first = documents.render(facts, documents.PLAQUES["a4"])
    second = documents.render(facts, documents.PLAQUES["a4"])

    assert first == second  # the file's hash can stay its ETag
    assert pypdf.PdfReader(io.BytesIO(first)).metadata["/CreationDate"] == "D:20230215"


@pytest.mark.parametrize("query", ["", "?druck=1", "?format=a3&druck=1"])
def test_plaque_has_no_transparency_and_embeds_every_font(client, award, query):
    give_coat_of_arms(award.municipality)  # an RGBA PNG: its alpha must not become a mask

    reader = pypdf.PdfReader(io.BytesIO(get_pdf(client, award.number, query)))

    fonts = 0
    for obj in all_objects(reader):
        if not isinstance(obj, pypdf.generic.DictionaryObject):
            continue
        assert "/SMask" not in obj and obj.get("/S") != "/Transparency"
        for key in ("/CA", "/ca"):
            assert float(obj.get(key, 1)) == 1, obj
        if obj.get("/Type") == "/FontDescriptor":
            fonts += 1
            assert "/FontFile2" in obj or "/FontFile3" in obj, obj
        if obj.get("/Type") == "/Font" and obj.get("/Subtype") != "/Type0":
            assert "/FontDescriptor" in obj, obj  # no font left to the viewer
    assert fonts >= 3  # Regular, SemiBold, Bold
    assert reader.pages[0]["/Resources"]["/XObject"]  # the coat of arms, as an image


# The sign maker's file


@pytest.mark.parametrize(("paper", "trim"), [("a4", A4), ("a3", A3)])
def test_print_variant_adds_3_mm_bleed_around_the_trim_box(client, award, paper, trim):
    # A3 is the A4 page zoomed by √2, and WeasyPrint 70 insets the TrimBox of a zoomed page
    # by the unzoomed bleed: render_pdf sets it again.
    page = pypdf.PdfReader(io.BytesIO(get_pdf(client, award.number, f"?format={paper}&druck=1")))
    page = page.pages[0]

    # A4: TrimBox 0 0 841.89 595.28, MediaBox = BleedBox -8.50 -8.50 850.39 603.78 (305.6 ×
    # 216 mm); A3: TrimBox 0 0 1190.55 841.89, MediaBox -8.50 -8.50 1199.06 850.39. WeasyPrint
    # draws crop marks inside the bleed: no area beyond it.
    width, height = trim
    assert [float(v) for v in page.trimbox] == pytest.approx([0, 0, width, height], abs=0.01)
    expected = [-BLEED, -BLEED, width + BLEED, height + BLEED]
    assert [float(v) for v in page.mediabox] == pytest.approx(expected, abs=0.01)
    assert [float(v) for v in page.bleedbox] == pytest.approx(expected, abs=0.01)


def test_the_plaque_to_print_in_the_office_has_no_bleed(client, award):
    page = pypdf.PdfReader(io.BytesIO(get_pdf(client, award.number))).pages[0]

    assert [float(v) for v in page.mediabox] == pytest.approx([0, 0, *A4], abs=0.01)


def test_print_variant_band_reaches_into_the_bleed_and_has_crop_marks(client, award):
    data = get_pdf(client, award.number, "?druck=1")
    dpi = 300
    image = pypdfium2.PdfDocument(data)[0].render(scale=dpi / 72).to_pil().convert("RGB")
    px = dpi / 25.4  # pixels per mm; the image starts at the bleed's edge

    blue = (0, 74, 153)
    for x_mm in (1, 100, 302):  # the top bleed, from the left bleed to the right one
        assert image.getpixel((round(x_mm * px), round(1 * px))) == blue
    assert image.getpixel((round(1 * px), round(40 * px))) == blue  # the left bleed
    assert image.getpixel((round(1 * px), round(150 * px))) == (255, 255, 255)
    # Crop marks on the trim lines in the outer half of the bleed (0 to 1.5 mm), black on
    # the blue band and on white: the top left one and the bottom right one.
    assert image.getpixel((round(0.7 * px), round(3 * px))) == (0, 0, 0)
    assert image.getpixel((round(3 * px), round(0.7 * px))) == (0, 0, 0)
    assert image.getpixel((round(302.3 * px), round(213 * px))) == (0, 0, 0)
    assert image.getpixel((round(300 * px), round(215.3 * px))) == (0, 0, 0)


def test_print_variant_states_its_colours_in_a_colophon_and_the_metadata(client, award):
    data = get_pdf(client, award.number, "?druck=1")
    reader = pypdf.PdfReader(io.BytesIO(data))

    colours = "Blau RGB 0 74 153 · #004A99 · Schwarz RGB 0 0 0 · #000000 · Weiß RGB 255 255 255"
    assert colours in " ".join(reader.pages[0].extract_text().split())
    assert colours in reader.metadata["/Subject"]
    assert "3 mm Beschnitt" in reader.metadata["/Subject"]
    assert "Blau RGB 0 74 153 #004A99" in reader.metadata["/Keywords"]
    # The colophon sits in the bleed below the trim box: cut off with it.
    for char in run(data, "Blau RGB 0 74 153"):
        assert char.top < 0 and char.bottom > -BLEED


def test_print_variant_refuses_an_unknown_druck_value(client, award):
    response = client.get(reverse("awards:plaque", args=[award.number]) + "?druck=ja")

    assert response.status_code == 400
    assert "?druck=1" in response.content.decode()


def test_print_variants_are_rendered_on_first_request_not_on_approval(client, kommune):
    # A number of its own: the other tests' files stay in the storage between tests.
    award = AwardFactory(municipality=kommune, number="DA-2023-0201")
    render_award_documents.call(award_id=award.pk)
    facts = documents.award_facts(award)

    for document in documents.PRINT_PLAQUES.values():
        assert document.name not in documents.DOCUMENTS
        assert not default_storage.exists(documents.storage_name(facts, document))

    response = client.get(reverse("awards:plaque", args=[award.number]) + "?format=a4&druck=1")
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert 'filename="digitales-amt-DA-2023-0201-schild-a4-druck.pdf"' in disposition
    name = documents.storage_name(facts, documents.PRINT_PLAQUES["a4"])
    assert default_storage.exists(name)

    render_document.call(award_id=award.pk, document="schild-a3-druck.pdf")
    assert default_storage.exists(documents.storage_name(facts, documents.PRINT_PLAQUES["a3"]))


def test_portal_offers_the_print_variants_beside_the_plaques(clerk_client, award):
    content = clerk_client.get(reverse("portal:dashboard")).content.decode()

    for paper in ("a4", "a3"):
        assert f'href="/auszeichnungen/DA-2023-0200/schild.pdf?format={paper}&amp;druck=1"' in (
            content
        )
    label = "Druckvorlage für die Schildermacherei im Format A3 (mit Beschnitt und Schnittmarken"
    assert label in content


# Reading and scanning from 1 m


def test_qr_module_size_for_the_longest_address(settings):
    # Every address is SITE_URL + /pruefen/DA-YYYY-NNNN/: 53 bytes with the production
    # SITE_URL, a version-4 code at error level M (up to 62 bytes): 33 modules.
    settings.SITE_URL = "https://digitales-amt.bayern.de"
    url = documents.verification_url("DA-9999-9999")
    code = plaque.qr_code(url)

    assert (len(url), code.version, code.symbol_size(scale=1, border=0)) == (53, 4, (33, 33))
    # 33 modules × 1.515 mm = 50 mm at A4, 33 × 2.143 mm = 70.7 mm at A3.
    assert plaque.qr_module_mm(url, "a4") == pytest.approx(50 / 33)
    assert plaque.qr_module_mm(url, "a4") == pytest.approx(1.515, abs=0.001)
    assert plaque.qr_module_mm(url, "a3") == pytest.approx(2.143, abs=0.001)
    assert plaque.qr_module_mm(url, "a4") >= plaque.MIN_QR_MODULE_MM


def test_qr_code_on_the_page_is_50_mm_wide_at_a4(client, award):
    left, _bottom, right, _top = qr_box(get_pdf(client, award.number))

    # zxing-cpp gives the outer corners of the code: 33 modules apart.
    module_mm = (right - left) / MM / 33
    assert module_mm == pytest.approx(50 / 33, abs=0.03)


def test_qr_code_outlines_draw_exactly_the_codes_modules(client, award):
    data = get_pdf(client, award.number)
    dpi = 600
    image = pypdfium2.PdfDocument(data)[0].render(scale=dpi / 72).to_pil().convert("L")
    matrix = plaque.qr_code(VERIFY_URL).matrix

    # The code's box: 20 mm from the right, 12 mm from the bottom, 50 mm wide.
    px = dpi / 25.4
    left, top, module = (297 - 20 - 50) * px, (210 - 12 - 50) * px, 50 / 33 * px
    drawn = [
        [
            image.getpixel((int(left + (x + 0.5) * module), int(top + (y + 0.5) * module))) < 128
            for x in range(33)
        ]
        for y in range(33)
    ]
    assert drawn == [[bool(dark) for dark in row] for row in matrix]
    # One subpath per outline, not one per run of modules: fewer commands for WeasyPrint.
    path = qr.outline_path(matrix)
    assert path.count("M") < 60 and path.count("z") == path.count("M")


@pytest.mark.parametrize("query", ["?format=a4", "?format=a3", "?format=a4&druck=1"])
def test_qr_code_decodes_as_a_phone_sees_it_from_1_m(client, award, query):
    data = get_pdf(client, award.number, query)
    page = pypdfium2.PdfDocument(data)[0]
    image = page.render(scale=PHONE_AT_1_M_DPI / 72).to_pil()  # 34.8 dpi

    assert [barcode.text for barcode in zxingcpp.read_barcodes(image)] == [VERIFY_URL]
    # zxing-cpp reads this clean picture even below 2 pixels a module; a camera's picture,
    # blurred and at an angle, needs at least 2: 1.52 mm × 1.371 px/mm = 2.08 at A4.
    left, _bottom, right, _top = qr_box(data)
    pixels_per_module = (right - left) / MM / 33 * PHONE_AT_1_M_DPI / 25.4
    assert pixels_per_module >= 2


def test_hierarchy_at_reading_distance(client, award):
    data = get_pdf(client, award.number)

    def size(text: str) -> float:
        sizes = {round(c.size, 1) for c in run(data, text)}
        assert len(sizes) == 1, (text, sizes)
        return sizes.pop()

    programme, kommune = size("Digitales Amt"), size("Markt Hösbach")
    issuer, date = size("vom Bayerischen Staatsministerium"), size("15. Februar 2023")
    assert programme > kommune > issuer and issuer == date
    assert (programme, kommune, issuer) == (64, 46, 20)
    assert size("digitales-amt.test/pruefen/DA-2023-0200/") >= 14  # 16 pt
    assert size("DA-2023-0200") >= 16  # 18 pt, semibold, letter-spaced to type
    assert all(c.font.endswith("Fira-Sans-Semi-Bold") for c in run(data, "DA-2023-0200"))
    # The issuer's wordmark in the band, white on blue, above "Digitales Amt"'s baseline.
    wordmark = run(data, "Bayerisches Staatsministerium")
    assert min(c.bottom for c in wordmark) > min(c.bottom for c in run(data, "Digitales Amt"))


def test_name_stands_at_the_margin_without_a_coat_of_arms_and_beside_one(
    client, award, monkeypatch, settings
):
    clock = stopped_process_clock(monkeypatch)
    before = run(get_pdf(client, award.number), "Markt Hösbach")[0].left
    give_coat_of_arms(award.municipality)
    # A process serves the document it looked up for DOCUMENT_LOOKUP_SECONDS.
    clock[0] += settings.DOCUMENT_LOOKUP_SECONDS
    after = run(get_pdf(client, award.number), "Markt Hösbach")[0].left

    assert before / MM == pytest.approx(20, abs=1.5)  # no hole where a coat of arms would be
    assert after / MM == pytest.approx(20 + 46 + 10, abs=1.5)


def test_body_fills_the_middle_of_the_page(client, award):
    data = get_pdf(client, award.number)
    name = run(data, "Markt Hösbach")
    date = run(data, "15. Februar 2023")

    # The band ends 64 mm, the footer starts 148 mm from the top: the text stands in the
    # middle of it, not under the band with an empty middle below.
    top = (A4[1] - max(c.top for c in name)) / MM
    bottom = (A4[1] - min(c.bottom for c in date)) / MM
    assert (top - 64) == pytest.approx(146 - bottom, abs=8)


@pytest.mark.parametrize("case", list(LONGEST))
@pytest.mark.parametrize("arms", [False, True], ids=["no arms", "arms"])
@pytest.mark.parametrize("paper", ["a4", "a3"])
def test_longest_names_fit_the_page_beside_the_qr_code(client, case, arms, paper):
    name, kind, members = LONGEST[case]
    municipality = MunicipalityFactory(name=name, kind=kind)
    for member in members:
        MunicipalityFactory(name=member, verwaltungsgemeinschaft=municipality)
    if arms:
        give_coat_of_arms(municipality)
    award = AwardFactory(municipality=municipality, number="DA-2023-0200")

    data = get_pdf(client, award.number, f"?format={paper}")

    width, height = A4 if paper == "a4" else A3
    zoom = width / A4[0]
    qr_left, qr_bottom, qr_right, qr_top = qr_box(data)
    margin = 10 * MM * zoom
    page_chars = [c for c in chars(data) if not c.text.isspace()]
    assert len(page_chars) > 100
    for c in page_chars:
        assert margin <= c.left and c.right <= width - margin, c
        assert margin <= c.bottom and c.top <= height - margin, c
        apart = c.right < qr_left or c.left > qr_right or c.top < qr_bottom or c.bottom > qr_top
        assert apart, c  # nothing on the QR code
        for edge_mm in (64, 146):  # the band's lower edge, the footer's rule: nothing across
            edge = height - edge_mm * MM * zoom
            assert c.top < edge or c.bottom > edge, (c, edge_mm)
    flat = "".join(c.text for c in page_chars)
    assert municipality.title.replace(" ", "") in flat
    if members:
        assert "".join(sorted(members)).replace(" ", "") in flat.replace(",", "")
    title_size = run(data, municipality.title)[0].size
    assert title_size >= plaque.MIN_NAME_PT * zoom - 0.1


def test_length_steps_never_go_below_their_minimum():
    facts = AwardFacts(
        number="DA-2023-0200",
        title="Verwaltungsgemeinschaft " + "Sehr-Lang" * 12,
        members=tuple(f"Mitgliedsgemeinde Nummer {n}" for n in range(20)),
        issued_on=datetime.date(2023, 2, 15),
        date_text="15. Februar 2023",
        url=VERIFY_URL,
        coat_of_arms="",
        revoked=False,
    )

    sizes = plaque.sizes(facts)
    assert (sizes.name_pt, sizes.members_pt) == (plaque.MIN_NAME_PT, plaque.MIN_MEMBERS_PT)
    assert (plaque.MIN_NAME_PT, plaque.MIN_MEMBERS_PT) == (30, 12)
