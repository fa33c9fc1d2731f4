"""The whole path in a real browser: import, submit, request changes, answer, approve, verify."""

import io
import re
from urllib.parse import urlsplit

import pypdfium2
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from awards.constants import Status
from awards.models import Award
from tests.browser.helpers import log_in
from tests.factories import ServiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def procedure_file(tmp_path, kommune, rows: int):
    keys = [service.leika_key for service in ServiceFactory.create_batch(rows)]
    lines = ["ars;titel;url;zustaendigkeit;leika_schluessel;aktiv"]
    for n, key in enumerate(keys):
        scope = "zentral" if n % 3 == 0 else "kommunal"
        lines.append(
            f"{kommune.ars};Online-Antrag {n};https://hoesbach.example/v/{n};{scope};{key};ja"
        )
    path = tmp_path / "verfahren.csv"
    path.write_text("\n".join(lines) + "\n", encoding="cp1252")
    return path


def test_clerk_applies_reviewer_requests_changes_then_approves(
    new_page, kommune, clerk, reviewer, tmp_path
):
    # The clerk imports 50 procedures: a preview first, then they are saved.
    town = new_page()
    log_in(town, clerk.username)
    expect(town).to_have_url(re.compile(r"/portal/$"))
    expect(town.get_by_text("Markt Hösbach").first).to_be_visible()
    town.goto("/portal/verfahren/import/")
    town.locator("input[type=file]").set_input_files(procedure_file(tmp_path, kommune, 50))
    town.get_by_role("button", name="Vorschau anzeigen").click()
    expect(town.get_by_text(re.compile(r"50\s+neu")).first).to_be_visible()
    assert kommune.procedure_links.count() == 0
    town.get_by_role("button", name="Übernehmen").click()
    expect(town.get_by_text("50 Verfahren neu").first).to_be_visible()

    # … and submits the application.
    town.goto("/portal/antrag/")
    town.get_by_role("button", name="Antrag vorbereiten").click()
    town.get_by_role("link", name="Angaben prüfen").click()
    town.get_by_label(re.compile("^Ich versichere")).check()
    town.get_by_role("button", name="Antrag einreichen").click()
    expect(town.get_by_role("heading", name="Ihr Antrag ist eingereicht")).to_be_visible()
    application = kommune.applications.get()
    assert application.status == Status.SUBMITTED

    # The reviewer asks for changes.
    ministry = new_page()
    log_in(ministry, reviewer.username)
    expect(ministry).to_have_url(re.compile(r"/admin/"))
    ministry.goto(f"/admin/awards/application/{application.pk}/change/")
    ministry.get_by_role("button", name="Prüfung beginnen").click()
    ministry.locator("textarea[name=message]").fill("Verfahren 7 ist nur eine Informationsseite.")
    ministry.get_by_role("button", name="Nachbesserung erbitten").click()
    expect(ministry.get_by_text("Verfahren 7 ist nur eine Informationsseite.")).to_be_visible()
    ministry.get_by_role("button", name="Senden und Nachbesserung erbitten").click()
    expect(ministry.get_by_text("Nachbesserung erbeten").first).to_be_visible()

    # The clerk reads the request, edits a procedure, answers and resubmits.
    town.goto("/portal/antrag/")
    expect(town.get_by_role("blockquote")).to_have_text(
        "Verfahren 7 ist nur eine Informationsseite."
    )
    town.goto("/portal/verfahren/?q=Online-Antrag+7")
    town.get_by_role("link", name=re.compile("Bearbeiten")).first.click()
    town.get_by_label("Titel").fill("Gewerbeanmeldung online")
    town.get_by_role("button", name=re.compile("Speichern")).click()
    town.goto("/portal/antrag/")
    # Answering goes through check your answers, with the declaration, like submitting.
    town.get_by_role("link", name="Antwort schreiben und Angaben prüfen").click()
    expect(town.get_by_role("blockquote")).to_have_text(
        "Verfahren 7 ist nur eine Informationsseite."
    )
    expect(town.get_by_text("Gewerbeanmeldung online").first).to_be_visible()
    town.get_by_label("Ihre Antwort an das Staatsministerium").fill(
        "Verfahren 7 ist jetzt die Gewerbeanmeldung."
    )
    town.get_by_role("button", name="Antworten und erneut einreichen").click()
    # Without the tick nothing is resubmitted: the error summary links the checkbox.
    expect(
        town.get_by_role("link", name=re.compile("Bestätigen Sie die Versicherung"))
    ).to_be_visible()
    assert kommune.applications.get().status == Status.CHANGES_REQUESTED
    town.get_by_label(re.compile("^Ich versichere")).check()
    town.get_by_role("button", name="Antworten und erneut einreichen").click()
    expect(town.get_by_role("heading", name="Ihr Antrag ist erneut eingereicht")).to_be_visible()

    # The reviewer sees the answer and approves.
    ministry.goto(f"/admin/awards/application/{application.pk}/change/")
    expect(
        ministry.get_by_text("Verfahren 7 ist jetzt die Gewerbeanmeldung.").first
    ).to_be_visible()
    ministry.get_by_role("button", name="Bewilligen").click()
    expect(ministry.get_by_text("Es ist keine Stichprobe gezogen.")).to_be_visible()
    ministry.get_by_label("Begründung").fill("Stichprobe per Telefon mit der Kommune geprüft.")
    ministry.get_by_role("button", name="Jetzt bewilligen").click()
    # The test's task backend renders plaque and signet inside this request: on a loaded
    # machine that takes longer than the default 15 s.
    expect(ministry.get_by_text(re.compile("Der Antrag ist bewilligt"))).to_be_visible(
        timeout=90_000
    )
    award = Award.objects.get(municipality=kommune)
    expect(ministry.get_by_text(award.number).first).to_be_visible()

    # The clerk sees the award number.
    town.goto("/portal/")
    expect(town.get_by_text(award.number).first).to_be_visible()
    assert re.fullmatch(r"DA-\d{4}-0001", award.number)
    assert award.procedure_count == 50
    assert [e.to_status for e in application.events.order_by("pk")] == [
        Status.DRAFT,
        Status.SUBMITTED,
        Status.IN_REVIEW,
        Status.CHANGES_REQUESTED,
        Status.SUBMITTED,
        Status.APPROVED,
    ]

    # The clerk downloads plaque and signet; both QR codes lead to the verification page.
    expect(town.get_by_alt_text("Vorschau des Online-Signets")).to_be_visible()
    assert (
        town.get_by_alt_text("Vorschau des Online-Signets").evaluate("img => img.naturalWidth")
        == 320
    )
    plaque_link = town.get_by_role("link", name="Schild im Format A4 quer (PDF)")
    plaque = town.request.get(plaque_link.get_attribute("href"))
    assert plaque.headers["content-type"] == "application/pdf"
    signet = town.request.get(
        town.get_by_role("link", name="PNG, 640 Pixel breit").get_attribute("href")
    )
    page_image = pypdfium2.PdfDocument(plaque.body())[0].render(scale=2).to_pil()
    signet_image = Image.open(io.BytesIO(signet.body()))
    verification = f"https://digitales-amt.test/pruefen/{award.number}/"
    for image in (page_image, signet_image):
        assert [code.text for code in zxingcpp.read_barcodes(image)] == [verification]

    # Anyone who scans a code sees at a glance that the award is valid.
    citizen = new_page()
    citizen.goto(urlsplit(verification).path)
    expect(citizen.get_by_text("Gültig: Markt Hösbach").first).to_be_visible()
    expect(citizen.get_by_text(award.number).first).to_be_visible()
    assert citizen.console_errors == []
    assert town.console_errors == [] and ministry.console_errors == []
