"""The signet PDF at its print size, and signet PNGs whose QR code scans at every width."""

import datetime
import io

import pypdf
import pypdfium2
import pytest
import segno
import zxingcpp
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from awards import documents
from awards.documents import signet
from awards.documents.facts import ISSUER
from municipalities.constants import Kind
from tests.factories import AwardFactory, MunicipalityFactory
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db

# The longest SITE_URL the settings plausibly have: the production default.
PRODUCTION_SITE = "https://digitales-amt.bayern.de"
# The longest titles in the register (Gemeindeverzeichnis): Verwaltungsgemeinschaften.
LONG_NAMES = ("Bad Königshofen i.Grabfeld", "Hagenbüchach-Wilhelmsdorf", "Neukirchen b.Sulzbach-R.")
POINTS_PER_MM = 72 / 25.4


@pytest.fixture
def award(kommune):
    return AwardFactory(
        municipality=kommune, number="DA-2023-0200", issued_on=datetime.date(2023, 2, 15)
    )


@pytest.fixture
def production_site(settings):
    settings.SITE_URL = PRODUCTION_SITE


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def signet_pdf(client, number: str) -> bytes:
    response = client.get(reverse("awards:signet_pdf", args=[number]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return body(response)


def signet_png(client, number: str, width: int) -> Image.Image:
    response = client.get(reverse("awards:signet_png", args=[number]) + f"?breite={width}")
    assert response.status_code == 200
    return Image.open(io.BytesIO(body(response)))


def qr_texts(image: Image.Image) -> list[str]:
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


# The signet PDF


def test_signet_pdf_is_one_page_of_40_by_50_millimetres(client, award):
    reader = pypdf.PdfReader(io.BytesIO(signet_pdf(client, award.number)))

    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width), 2), round(float(box.height), 2)) == (113.39, 141.73)
    assert (round(box.width / POINTS_PER_MM, 3), round(box.height / POINTS_PER_MM, 3)) == (40, 50)


def test_signet_pdf_holds_its_lettering_as_text(client, award):
    text = pypdf.PdfReader(io.BytesIO(signet_pdf(client, award.number))).pages[0].extract_text()

    flat = " ".join(text.split())
    assert "Digitales Amt" in flat
    assert "Wir sind für Sie da. Auch online." in flat
    assert "Markt Hösbach" in flat
    assert "2023" in flat
    assert "DA-2023-0200" in flat


def test_signet_pdf_embeds_every_font(client, award):
    page = pypdf.PdfReader(io.BytesIO(signet_pdf(client, award.number))).pages[0]

    fonts = page["/Resources"]["/Font"]
    assert len(fonts) == 3  # Fira Sans Regular, SemiBold and Bold
    for font in fonts.values():
        font = font.get_object()
        descriptor = (font.get("/DescendantFonts") or [font])[0].get_object()["/FontDescriptor"]
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor
        assert "Fira" in font["/BaseFont"]


def test_signet_pdf_has_no_images_and_no_transparency(client, award):
    reader = pypdf.PdfReader(io.BytesIO(signet_pdf(client, award.number)))
    resources = reader.pages[0]["/Resources"]

    assert not resources.get("/XObject")  # the QR code is vector, not a picture
    for state in (resources.get("/ExtGState") or {}).values():
        state = state.get_object()
        assert state.get("/ca", 1) == 1 and state.get("/CA", 1) == 1
        assert state.get("/SMask", "/None") == "/None"


def test_signet_pdf_states_title_author_subject_and_date(client, award):
    metadata = pypdf.PdfReader(io.BytesIO(signet_pdf(client, award.number))).metadata

    assert metadata.title == "Digitales Amt – Markt Hösbach, ausgezeichnet 2023 (DA-2023-0200)"
    assert metadata.author == ISSUER
    assert "40 × 50 mm" in metadata.subject
    assert metadata.creation_date.date() == datetime.date(2023, 2, 15)


def test_signet_pdf_qr_code_decodes_at_300_dpi(client, award, production_site):
    data = signet_pdf(client, award.number)

    image = pypdfium2.PdfDocument(data)[0].render(scale=300 / 72).to_pil()
    assert qr_texts(image) == [f"{PRODUCTION_SITE}/pruefen/DA-2023-0200/"]


def test_signet_pdf_of_the_longest_names_keeps_every_letter_on_the_page(client):
    for index, name in enumerate(LONG_NAMES):
        vg = MunicipalityFactory(name=name, kind=Kind.VG, ars=f"0977450000{index:02d}")
        award = AwardFactory(municipality=vg, number=f"DA-2026-{1000 + index}")
        data = signet_pdf(client, award.number)

        page = pypdfium2.PdfDocument(data)[0]
        width, height = page.get_size()
        scale = width / signet.BASE_WIDTH  # points per unit of the 320 × 400 canvas
        inset = signet.PADDING * scale * 0.9  # the padding, less a little for side bearings
        qr_x, qr_y, qr_size = signet.signet_layout(documents.award_facts(award)).qr_box
        # The QR square in PDF coordinates (origin bottom left).
        square = (qr_x * scale, height - (qr_y + qr_size) * scale, (qr_x + qr_size) * scale)
        text_page = page.get_textpage()
        text = text_page.get_text_range()
        assert f"Verwaltungsgemeinschaft {name}" in " ".join(text.split())
        for char in range(text_page.count_chars()):
            if text[char].isspace():
                continue
            left, bottom, right, top = text_page.get_charbox(char)
            assert inset <= left and right <= width - inset, (name, text[char])
            assert inset <= bottom and top <= height - inset, (name, text[char])
            beside_square = right <= square[0] or left >= square[2]
            assert beside_square or bottom >= height - qr_y * scale, (name, text[char])


def test_signet_pdf_is_stored_once_and_served_with_etag_and_cache_control(client, award):
    url = reverse("awards:signet_pdf", args=[award.number])
    first = client.get(url)
    facts = documents.award_facts(award)
    name = documents.storage_name(facts, documents.SIGNET_PDF)

    assert first.status_code == 200
    assert default_storage.exists(name)
    assert first["ETag"] == f'"{facts.version()}-signet.pdf"'
    assert "public" in first["Cache-Control"] and "max-age=3600" in first["Cache-Control"]
    assert first["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert 'filename="digitales-amt-DA-2023-0200-signet.pdf"' in first["Content-Disposition"]
    assert documents.DOCUMENTS["signet.pdf"] == documents.SIGNET_PDF  # rendered on approval

    again = client.get(url, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304
    assert again["Cross-Origin-Resource-Policy"] == "cross-origin"
    _subfolders, files = default_storage.listdir(name.rsplit("/", 1)[0])
    assert files.count("signet.pdf") == 1


def test_signet_pdf_of_a_revoked_award_is_gone_and_an_unknown_one_not_found(
    client, award, reviewer
):
    from awards.services import revoke_award

    revoke_award(award=award, by=reviewer, reason="Schwelle dauerhaft unterschritten")

    response = client.get(reverse("awards:signet_pdf", args=[award.number]))
    assert response.status_code == 410
    assert "widerrufen" in response.content.decode()
    assert client.get(reverse("awards:signet_pdf", args=["DA-2099-0001"])).status_code == 404


def test_portal_offers_the_signet_pdf_beside_png_and_svg(clerk_client, award):
    content = clerk_client.get(reverse("portal:dashboard")).content.decode()

    link = 'href="/auszeichnungen/DA-2023-0200/signet.pdf"'
    assert link in content
    assert "Signet als PDF für Briefbogen und Druck (40 × 50 mm)" in content
    assert content.index("signet.svg") < content.index(link)  # in the same list, after the SVG


def test_verification_json_lists_every_document_and_each_is_served(client, award):
    data = client.get(
        reverse("awards:verify", args=[award.number]), headers={"accept": "application/json"}
    ).json()

    listed = {entry["url"]: entry for entry in data["documents"]}
    prefix = "https://digitales-amt.test/auszeichnungen/DA-2023-0200"
    pdf = listed[f"{prefix}/signet.pdf"]
    assert pdf["encodingFormat"] == "application/pdf"
    assert pdf["name"] == "Signet für Briefbogen und Druck, 40 × 50 mm"
    assert f"{prefix}/signet.svg" in listed
    for width in (160, 320, 640):
        assert f"{prefix}/signet.png?breite={width}" in listed
    assert len(listed) == len(documents.DOCUMENTS)
    for url, entry in listed.items():
        response = client.get(url.removeprefix("https://digitales-amt.test"))
        assert response.status_code == 200, url
        assert response["Content-Type"] == entry["encodingFormat"], url


def test_verification_json_of_a_revoked_award_lists_no_documents(client, award, reviewer):
    from awards.services import revoke_award

    revoke_award(award=award, by=reviewer, reason="Schwelle dauerhaft unterschritten")
    response = client.get(
        reverse("awards:verify", args=[award.number]), headers={"accept": "application/json"}
    )

    assert response.status_code == 410
    assert response.json()["documents"] == []


# The PNGs: a QR code that scans at every width, as served


def on_white(image: Image.Image) -> Image.Image:
    """Return the PNG as a page shows it on white: its transparent corners white, not black."""
    page = Image.new("RGBA", image.size, (255, 255, 255, 255))
    return Image.alpha_composite(page, image.convert("RGBA")).convert("RGB")


def colours(image: Image.Image) -> set[tuple[int, int, int]]:
    return {colour for _n, colour in image.getcolors(1_000_000)}


def qr_geometry(image: Image.Image, modules: int) -> tuple[int, int]:
    """Return the pixels per module and the white quiet zone beside each side, in modules."""
    rgb = on_white(image)
    black = Image.eval(rgb.convert("L"), lambda value: 255 if value == 0 else 0)
    left, top, right, bottom = black.getbbox()  # only the QR modules are black
    assert right - left == bottom - top
    assert (right - left) % modules == 0, "modules on whole pixels"
    module = (right - left) // modules
    quiet = 0
    while True:
        bands = [
            (left, top - quiet - 1, right, top),  # above
            (left, bottom, right, bottom + quiet + 1),  # below
            (left - quiet - 1, top, left, bottom),  # left
            (right, top, right + quiet + 1, bottom),  # right
        ]
        if any(colours(rgb.crop(band)) != {(255, 255, 255)} for band in bands):
            break
        quiet += 1
    return module, quiet // module


@pytest.mark.parametrize("number", ["DA-2023-0200", "DA-2026-9999"])
@pytest.mark.parametrize("width", [160, 320, 640])
def test_signet_png_qr_code_scans_at_every_width(client, production_site, number, width):
    award = AwardFactory(number=number, issued_on=datetime.date(int(number[3:7]), 5, 4))
    url = f"{PRODUCTION_SITE}/pruefen/{number}/"

    image = signet_png(client, award.number, width)

    assert image.size == (width, width * 5 // 4)
    assert qr_texts(image) == [url]  # as served: no upscaling
    module, quiet_zone = qr_geometry(image, len(segno.make_qr(url, error="m").matrix))
    assert module >= 2
    assert quiet_zone >= 2


def test_a_qr_code_too_fine_to_scan_is_left_out_and_the_year_takes_its_space(client, settings):
    settings.SITE_URL = (
        "https://www.digitales-amt.staatsministerium.bayern.de"  # 54 characters: 37 modules
    )
    award = AwardFactory(number="DA-2023-0200", issued_on=datetime.date(2023, 2, 15))

    served = signet_png(client, award.number, 160)
    assert qr_texts(served) == []
    small = on_white(served)
    assert (0, 0, 0) not in colours(small)
    # Lettering fills the lower part on the left; no white square on the right.
    lower_left, lower_right = small.crop((10, 120, 80, 190)), small.crop((84, 120, 150, 190))
    assert (255, 255, 255) in colours(lower_left)
    assert colours(lower_right) == {(0, 74, 153)}
    lines = signet.signet_layout(documents.award_facts(award), qr=False).lines
    assert [line.size for line in lines if line.text == "2023"] == [60]  # 34 beside a QR code
    # From 320 pixels on the code is there and scans.
    verify = f"{settings.SITE_URL}/pruefen/DA-2023-0200/"
    assert qr_texts(signet_png(client, award.number, 320)) == [verify]


def test_a_stored_signet_pdf_costs_a_fixed_number_of_queries(client, award):
    numbers = [award.number]
    for index, size in enumerate((2, 12)):  # a small and a large Verwaltungsgemeinschaft
        vg = MunicipalityFactory(
            name=f"Gemeinschaft {size}", kind=Kind.VG, ars=f"09674500000{index}"
        )
        for member in range(size):
            MunicipalityFactory(name=f"Mitglied {size}-{member}", verwaltungsgemeinschaft=vg)
        numbers.append(AwardFactory(municipality=vg, number=f"DA-2026-00{20 + index}").number)
    counts = []
    for number in numbers:
        url = reverse("awards:signet_pdf", args=[number])
        client.get(url)  # rendered and stored
        with count_queries() as counted:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(counted.own))

    assert counts == [1, 2, 2]  # the award; for a VG its members too, in one query
