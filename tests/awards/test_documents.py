"""Plaque and signet: their content, their QR codes, and how they are stored and served."""

import datetime
import io
import re
import xml.etree.ElementTree as ET

import pypdf
import pypdfium2
import pytest
import zxingcpp
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image, ImageDraw
from pytest_django.asserts import assertContains

from awards import documents
from awards.models import Award
from municipalities.constants import Kind
from tests.factories import AwardFactory, MunicipalityFactory
from tests.helpers import stopped_process_clock

pytestmark = pytest.mark.django_db

VERIFY_URL = "https://digitales-amt.test/pruefen/DA-2023-0200/"


@pytest.fixture
def award(kommune):
    return AwardFactory(
        municipality=kommune, number="DA-2023-0200", issued_on=datetime.date(2023, 2, 15)
    )


def qr_texts(image: Image.Image) -> list[str]:
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


def pdf_page_image(data: bytes) -> Image.Image:
    page = pypdfium2.PdfDocument(data)[0]
    return page.render(scale=150 / 72).to_pil()


def get(client, url: str, **headers):
    return client.get(url, headers=headers)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_plaque_holds_name_date_number_and_issuer_as_text(client, award):
    response = get(client, reverse("awards:plaque", args=[award.number]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(body(response)))
    text = reader.pages[0].extract_text()
    assert "Digitales Amt" in text
    assert "Markt Hösbach" in text
    assert "15. Februar 2023" in text
    assert "DA-2023-0200" in text
    assert "verliehen vom Bayerischen Staatsministerium für Digitales" in " ".join(text.split())


def test_plaque_is_a4_landscape_by_default_and_a3_on_request(client, award):
    url = reverse("awards:plaque", args=[award.number])
    a4 = pypdf.PdfReader(io.BytesIO(body(get(client, url)))).pages[0].mediabox
    a3 = pypdf.PdfReader(io.BytesIO(body(get(client, url + "?format=A3")))).pages[0].mediabox

    millimetres = 25.4 / 72
    assert (round(a4.width * millimetres), round(a4.height * millimetres)) == (297, 210)
    assert (round(a3.width * millimetres), round(a3.height * millimetres)) == (420, 297)


def test_plaque_embeds_its_fonts_and_draws_text_as_text(client, award):
    data = body(get(client, reverse("awards:plaque", args=[award.number])))

    reader = pypdf.PdfReader(io.BytesIO(data))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    assert fonts
    for font in fonts.values():
        font = font.get_object()
        descriptor = (font.get("/DescendantFonts") or [font])[0].get_object()["/FontDescriptor"]
        assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
        assert "Fira" in font["/BaseFont"]
    assert not reader.pages[0]["/Resources"].get("/XObject")  # no raster image without arms


def test_plaque_qr_code_decodes_to_the_verification_url(client, award):
    for paper in ("a4", "a3"):
        url = reverse("awards:plaque", args=[award.number]) + f"?format={paper}"
        assert qr_texts(pdf_page_image(body(get(client, url)))) == [VERIFY_URL]


def test_plaque_of_a_vg_names_its_member_gemeinden(client):
    vg = MunicipalityFactory(name="Thannhausen", kind=Kind.VG, ars="097745000001")
    for name in ("Ziemetshausen", "Balzhausen", "Münsterhausen"):
        MunicipalityFactory(name=name, verwaltungsgemeinschaft=vg)
    award = AwardFactory(municipality=vg, number="DA-2022-0042")

    text = (
        pypdf.PdfReader(
            io.BytesIO(body(get(client, reverse("awards:plaque", args=[award.number]))))
        )
        .pages[0]
        .extract_text()
    )

    flat = " ".join(text.split())
    assert "Verwaltungsgemeinschaft Thannhausen" in flat
    assert "mit den Mitgliedsgemeinden Balzhausen, Münsterhausen, Ziemetshausen" in flat


def test_plaque_names_a_landkreis_as_landratsamt(client):
    award = AwardFactory(
        municipality=MunicipalityFactory(name="Kitzingen", kind=Kind.LANDKREIS, ars="096750000000")
    )
    data = body(get(client, reverse("awards:plaque", args=[award.number])))

    assert "Landratsamt Kitzingen" in pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()


@pytest.mark.parametrize("width", [160, 320, 640])
def test_signet_png_has_the_asked_width_and_a_readable_qr_code(client, award, width):
    response = get(client, reverse("awards:signet_png", args=[award.number]) + f"?breite={width}")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(body(response)))
    assert image.format == "PNG"
    assert image.size == (width, width * 5 // 4)
    assert qr_texts(image) == [VERIFY_URL]


def test_signet_png_is_320_pixels_wide_without_a_width(client, award):
    response = get(client, reverse("awards:signet_png", args=[award.number]))

    assert Image.open(io.BytesIO(body(response))).size == (320, 400)


def test_signet_png_shows_white_lettering_on_a_strong_background(client, award):
    image = Image.open(
        io.BytesIO(body(get(client, reverse("awards:signet_png", args=[award.number]))))
    ).convert("RGB")

    background = image.getpixel((8, 200))
    assert background == (0, 74, 153)
    colours = {colour for _count, colour in image.crop((20, 20, 300, 70)).getcolors(100000)}
    assert (255, 255, 255) in colours  # "Digitales Amt" is drawn in white


@pytest.mark.parametrize("width", ["100", "abc", "-1", "6400"])
def test_signet_png_refuses_other_widths_with_a_message(client, award, width):
    response = get(client, reverse("awards:signet_png", args=[award.number]) + f"?breite={width}")

    assert response.status_code == 400
    assert "160, 320 (Standard) oder 640" in response.content.decode()


def test_plaque_refuses_an_unknown_format(client, award):
    response = get(client, reverse("awards:plaque", args=[award.number]) + "?format=letter")

    assert response.status_code == 400
    assert "A4 (Standard) oder A3" in response.content.decode()


def test_signet_svg_is_valid_xml_with_a_title_and_no_script(client, award):
    response = get(client, reverse("awards:signet_svg", args=[award.number]))

    assert response["Content-Type"] == "image/svg+xml"
    data = body(response)
    root = ET.fromstring(data)  # noqa: S314 (our own response)
    svg = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{svg}svg"
    assert root.get("viewBox") == "0 0 320 400"
    assert root.find(f"{svg}title").text == (
        "Digitales Amt – Markt Hösbach, ausgezeichnet 2023 (DA-2023-0200)"
    )
    assert b"<script" not in data and b"<text" not in data  # lettering is outlined


def test_signet_svg_qr_code_decodes_to_the_verification_url(client, award):
    data = body(get(client, reverse("awards:signet_svg", args=[award.number]))).decode()
    qr_path = re.search(r'<path fill="#000" shape-rendering="crispEdges" d="([^"]+)"', data)[1]

    # Draw the path's rectangles ("M x y h w v h h -w z") at 4 pixels per unit and read it.
    image = Image.new("L", (1280, 1600), 255)
    draw = ImageDraw.Draw(image)
    for x, y, w, h in re.findall(r"M([\d.]+) ([\d.]+)h([\d.]+)v([\d.]+)h-[\d.]+z", qr_path):
        x, y, w, h = (float(value) * 4 for value in (x, y, w, h))
        draw.rectangle((x, y, x + w - 1, y + h - 1), fill=0)
    assert qr_texts(image) == [VERIFY_URL]


def test_a_tampered_name_is_escaped_in_the_svg(client):
    name = 'Evil <script>alert("x")</script> & Co'
    award = AwardFactory(municipality=MunicipalityFactory(name=name))

    data = body(get(client, reverse("awards:signet_svg", args=[award.number])))

    assert b"<script" not in data
    ET.fromstring(data)  # noqa: S314 (our own response; still well-formed)


def test_documents_are_stored_once_and_served_with_etag_and_cache_control(client, award):
    url = reverse("awards:plaque", args=[award.number])
    first = get(client, url)
    facts = documents.award_facts(award)
    name = documents.storage_name(facts, documents.PLAQUES["a4"])

    assert default_storage.exists(name)
    assert first["ETag"] == f'"{facts.version()}-schild-a4.pdf"'
    assert "public" in first["Cache-Control"] and "max-age=3600" in first["Cache-Control"]
    assert 'filename="digitales-amt-DA-2023-0200-schild-a4.pdf"' in first["Content-Disposition"]

    again = get(client, url, if_none_match=first["ETag"])
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]


def test_a_renamed_kommune_gets_new_documents(client, award, monkeypatch, settings):
    clock = stopped_process_clock(monkeypatch)
    url = reverse("awards:signet_png", args=[award.number])
    before = get(client, url)["ETag"]

    award.municipality.name = "Hösbach am Main"
    award.municipality.save()
    clock[0] += settings.DOCUMENT_LOOKUP_SECONDS  # what this process looked up expires
    after = get(client, url)

    assert after["ETag"] != before
    assert get(client, url, if_none_match=before).status_code == 200
    text = (
        pypdf.PdfReader(
            io.BytesIO(body(get(client, reverse("awards:plaque", args=[award.number]))))
        )
        .pages[0]
        .extract_text()
    )
    assert "Markt Hösbach am Main" in text


def test_a_new_version_replaces_the_stored_files_of_the_old_one(
    client, award, monkeypatch, settings
):
    clock = stopped_process_clock(monkeypatch)
    get(client, reverse("awards:plaque", args=[award.number]))
    old = documents.storage_name(documents.award_facts(award), documents.PLAQUES["a4"])

    award.municipality.name = "Hösbach-Neu"
    award.municipality.save()
    clock[0] += settings.DOCUMENT_LOOKUP_SECONDS
    get(client, reverse("awards:plaque", args=[award.number]))

    assert not default_storage.exists(old)


def test_revoked_award_documents_are_gone(client, award, reviewer):
    from awards.services import revoke_award

    revoke_award(award=award, by=reviewer, reason="Schwelle dauerhaft unterschritten")

    for name in ("plaque", "signet_png", "signet_svg"):
        response = get(client, reverse(f"awards:{name}", args=[award.number]))
        assert response.status_code == 410
        assert "widerrufen" in response.content.decode()


def test_unknown_number_has_no_documents(client, db):
    assert get(client, reverse("awards:plaque", args=["DA-2099-0001"])).status_code == 404
    assert get(client, reverse("awards:signet_png", args=["unsinn"])).status_code == 404


def test_documents_accept_the_number_as_people_type_it(client, award):
    response = get(client, "/auszeichnungen/%20da-2023-0200%20/signet.png")

    assert response.status_code == 200


def test_documents_are_not_served_while_a_worker_renders_them(client, award, monkeypatch):
    from digitalesamt.public.views import documents as views

    queued = []

    class Worker:  # a database queue whose worker has not picked the task up yet
        @staticmethod
        def enqueue(**kwargs):
            queued.append(kwargs)

    monkeypatch.setattr(views, "render_document", Worker)
    response = get(client, reverse("awards:plaque", args=[award.number]) + "?format=a3")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "wird erstellt" in response.content.decode()
    assert queued == [{"award_id": award.pk, "document": "schild-a3.pdf"}]


def test_approval_renders_every_document_ahead_of_the_first_download(award):
    from awards.tasks import render_award_documents

    render_award_documents.call(award_id=award.pk)

    facts = documents.award_facts(Award.objects.select_related("municipality").get(pk=award.pk))
    for document in documents.DOCUMENTS.values():
        assert default_storage.exists(documents.storage_name(facts, document))


def test_plaque_shows_an_uploaded_coat_of_arms(client, award):
    from digitalesamt.portal.forms import reencode_coat_of_arms

    buffer = io.BytesIO()
    Image.new("RGB", (200, 240), (200, 0, 0)).save(buffer, format="PNG")
    award.municipality.coat_of_arms.save(
        "wappen.png", io.BytesIO(reencode_coat_of_arms(buffer.getvalue()))
    )

    data = body(get(client, reverse("awards:plaque", args=[award.number])))

    page = pypdf.PdfReader(io.BytesIO(data)).pages[0]
    assert page["/Resources"].get("/XObject")  # the coat of arms is an image on the page
    image = pdf_page_image(data).convert("RGB")
    assert (200, 0, 0) in {colour for _n, colour in image.getcolors(10_000_000)}


def test_portal_offers_every_document_and_a_snippet_to_copy(clerk_client, award):
    content = clerk_client.get(reverse("portal:dashboard")).content.decode()

    assert 'href="/auszeichnungen/DA-2023-0200/schild.pdf?format=a4"' in content
    assert 'href="/auszeichnungen/DA-2023-0200/schild.pdf?format=a3"' in content
    for width in (160, 320, 640):
        assert f'href="/auszeichnungen/DA-2023-0200/signet.png?breite={width}"' in content
    assert 'href="/auszeichnungen/DA-2023-0200/signet.svg"' in content
    snippet = (
        "&lt;a href=&quot;https://digitales-amt.test/pruefen/DA-2023-0200/&quot;&gt;"
        "&lt;img src=&quot;https://digitales-amt.test/auszeichnungen/DA-2023-0200/signet.png"
        "?breite=160&quot; srcset=&quot;https://digitales-amt.test/auszeichnungen/DA-2023-0200/"
        "signet.png?breite=320 2x&quot; width=&quot;160&quot; height=&quot;200&quot; "
        "alt=&quot;Digitales Amt – Markt Hösbach, ausgezeichnet 2023. Zur Prüfung der "
        "Auszeichnung&quot;&gt;&lt;/a&gt;"
    )
    assert snippet in content


def test_admin_award_page_links_the_public_documents(admin_client, award):
    response = admin_client.get(reverse("admin:awards_award_change", args=[award.pk]))

    assertContains(response, '<a href="/pruefen/DA-2023-0200/">Prüfseite</a>', html=True)
    assertContains(
        response, '<a href="/auszeichnungen/DA-2023-0200/schild.pdf">Schild (PDF)</a>', html=True
    )
