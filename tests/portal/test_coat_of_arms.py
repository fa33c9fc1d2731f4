"""The coat of arms a Kommune uploads for its plaque: validated, re-encoded, replaceable."""

import io

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image, PngImagePlugin

from municipalities.models import Municipality
from tests.factories import AwardFactory

pytestmark = pytest.mark.django_db

URL = "/portal/wappen/"


def image_bytes(format: str = "PNG", size=(300, 360), mode="RGB", **options) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (0, 90, 160) if mode == "RGB" else 0).save(
        buffer, format=format, **options
    )
    return buffer.getvalue()


def upload(client, data: bytes, name: str = "wappen.png", content_type: str = "image/png"):
    return client.post(URL, {"image": SimpleUploadedFile(name, data, content_type=content_type)})


def stored(kommune) -> Image.Image:
    kommune = Municipality.objects.get(pk=kommune.pk)
    with default_storage.open(kommune.coat_of_arms.name, "rb") as file:
        image = Image.open(io.BytesIO(file.read()))
        image.load()
    return image


def test_page_shows_the_form(clerk_client):
    response = clerk_client.get(URL)

    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.content.decode()


def test_png_is_stored_re_encoded_without_metadata(clerk_client, kommune):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    response = upload(clerk_client, image_bytes(pnginfo=info))

    assert response.status_code == 302
    image = stored(kommune)
    assert image.format == "PNG"
    assert image.mode == "RGBA"
    assert image.size == (300, 360)
    assert "Comment" not in image.info
    assert "Das Wappen ist gespeichert" in clerk_client.get(URL).content.decode()


def test_jpeg_is_accepted_and_stored_as_png(clerk_client, kommune):
    response = upload(clerk_client, image_bytes("JPEG"), "wappen.jpg", "image/jpeg")

    assert response.status_code == 302
    assert stored(kommune).format == "PNG"


def test_a_large_image_is_scaled_down_for_storage(clerk_client, kommune):
    upload(clerk_client, image_bytes(size=(3000, 2000)))

    assert stored(kommune).size == (1000, 667)


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"Name;Wert\nWappen;rot\n", "wappen.png", "kein lesbares PNG- oder JPEG-Bild"),
        (image_bytes("GIF"), "wappen.gif", "kein lesbares PNG- oder JPEG-Bild"),
        (image_bytes("BMP"), "wappen.png", "kein lesbares PNG- oder JPEG-Bild"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "wappen.svg", "kein lesbares"),
        (b"%PDF-1.7\n", "wappen.pdf", "kein lesbares PNG- oder JPEG-Bild"),
        (image_bytes()[:200], "wappen.png", "kein lesbares PNG- oder JPEG-Bild"),
        (image_bytes(size=(5000, 300)), "wappen.png", "5000 × 300 Pixel groß"),
        (image_bytes(size=(40, 40)), "wappen.png", "zu klein für den Druck"),
        # A decompression bomb: a few kilobytes that would unpack to 400 million pixels.
        (image_bytes(size=(20000, 20000), mode="1"), "bombe.png", "zu viele Pixel"),
    ],
    ids=["text", "gif", "bmp", "svg", "pdf", "truncated", "too-wide", "too-small", "bomb"],
)
def test_bad_uploads_are_refused_with_a_message_and_keep_the_old_one(
    clerk_client, kommune, data, name, message
):
    upload(clerk_client, image_bytes())
    before = Municipality.objects.get(pk=kommune.pk).coat_of_arms.name

    response = upload(clerk_client, data, name)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Municipality.objects.get(pk=kommune.pk).coat_of_arms.name == before
    assert default_storage.exists(before)


def test_a_truncated_image_is_refused_even_after_weasyprint_loosened_pillow(clerk_client, kommune):
    import weasyprint  # noqa: F401 - it sets ImageFile.LOAD_TRUNCATED_IMAGES for the process
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES

    response = upload(clerk_client, image_bytes()[:200])

    assert response.status_code == 400
    assert "kein lesbares PNG- oder JPEG-Bild" in response.content.decode()
    assert ImageFile.LOAD_TRUNCATED_IMAGES  # left as WeasyPrint wants it


def test_an_upload_over_5_mb_is_refused(clerk_client, kommune):
    data = image_bytes() + b"\0" * settings.COAT_OF_ARMS_MAX_BYTES

    response = upload(clerk_client, data)

    assert response.status_code == 400
    assert "größer als 5 MB" in response.content.decode()
    assert not Municipality.objects.get(pk=kommune.pk).coat_of_arms


def test_no_file_is_refused(clerk_client):
    response = clerk_client.post(URL, {})

    assert response.status_code == 400
    assert "Bitte wählen Sie eine Bilddatei aus." in response.content.decode()


def test_replacing_deletes_the_old_file_and_removing_clears_it(
    clerk_client, kommune, django_capture_on_commit_callbacks
):
    upload(clerk_client, image_bytes())
    first = Municipality.objects.get(pk=kommune.pk).coat_of_arms.name
    with django_capture_on_commit_callbacks(execute=True):
        upload(clerk_client, image_bytes(size=(400, 400)))
    second = Municipality.objects.get(pk=kommune.pk).coat_of_arms.name

    assert second != first
    assert not default_storage.exists(first)

    with django_capture_on_commit_callbacks(execute=True):
        response = clerk_client.post(URL + "?entfernen=1")
    assert response.status_code == 302
    assert not Municipality.objects.get(pk=kommune.pk).coat_of_arms
    assert not default_storage.exists(second)


def test_a_new_coat_of_arms_redraws_the_award_documents(clerk_client, kommune):
    award = AwardFactory(municipality=kommune)
    etag = clerk_client.get(reverse("awards:plaque", args=[award.number]))["ETag"]

    upload(clerk_client, image_bytes())

    assert clerk_client.get(reverse("awards:plaque", args=[award.number]))["ETag"] != etag


def test_preview_image_is_only_the_own_kommunes(clerk_client, kommune, other_kommune_clerk_client):
    upload(clerk_client, image_bytes())
    response = clerk_client.get(reverse("portal:coat_of_arms_image"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"

    other = other_kommune_clerk_client.get(reverse("portal:coat_of_arms_image"))
    assert other.status_code == 404


def test_upload_needs_a_csrf_token(kommune, clerk):
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)

    response = upload(client, image_bytes())

    assert response.status_code == 403
    assert not Municipality.objects.get(pk=kommune.pk).coat_of_arms


def test_citizens_cannot_reach_the_page(client, kommune):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/konto/anmelden/")
