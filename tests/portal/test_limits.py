"""What a clerk sends the portal cannot take it down, pass the caps or hide in invisible text."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from digitalesamt.portal.forms import (
    AnswerForm,
    ProcedureLinkForm,
    ResubmitForm,
    SubmitForm,
    WithdrawForm,
)
from digitalesamt.portal.views.upload import PENDING_IMPORT
from municipalities.models import ProcedureLink
from tests.factories import ProcedureLinkFactory, ServiceFactory
from tests.helpers import count_queries, text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_link_check")]

HEADER = "ars;titel;url;zustaendigkeit;leika_schluessel"
FIVE_MB = 5 * 1024 * 1024


@pytest.fixture
def key():
    return ServiceFactory().leika_key


def upload(client, data: bytes, name: str = "verfahren.csv"):
    return client.post(reverse("portal:procedure_upload"), {"file": SimpleUploadedFile(name, data)})


def rows(kommune, key, count: int, *, start: int = 0) -> bytes:
    lines = [
        f"{kommune.ars};Antrag {n};https://amt.example/{n};kommunal;{key}"
        for n in range(start, start + count)
    ]
    return ("\n".join([HEADER, *lines]) + "\n").encode()


def entry(kommune, key, **fields) -> dict:
    return {
        "ars": kommune.ars,
        "titel": "Hundesteuer",
        "url": "https://amt.example/hund",
        "zustaendigkeit": "kommunal",
        "leika_schluessel": key,
        **fields,
    }


def form_errors(response) -> list[str]:
    return response.context["form"].errors.get("file", [])


# Files the parsers cannot take: the upload form says why, never a 500 -----------------------------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("v.json", b"[" * 100_000 + b"]" * 100_000, "Die JSON-Datei ist zu tief verschachtelt"),
        ("v.json", b'[{"ars": ' + b"1" * 5000 + b"}]", "eine Zahl mit mehr als 4.300 Ziffern"),
        ("v.csv", HEADER.encode() + b';"' + b"x" * 140_000 + b'"\n', "länger als 131.072 Zeichen"),
        ("v.csv", HEADER.encode() + b"\n\x00\n", "keine Textdatei"),
        ("v.json", b'[{"titel\\u0000": "x"}]', "Steuerzeichen oder ungültiges Zeichen (U+0000)"),
        (
            "v.csv",
            HEADER.encode() + b"\n" + b"x\n" * ((FIVE_MB - len(HEADER) - 1) // 2),
            "Die Datei hat mehr als 5.000 Zeilen; höchstens 5.000 sind erlaubt.",
        ),
    ],
)
def test_a_file_the_parsers_cannot_take_is_refused_on_the_upload_form(
    clerk_client, name, data, message
):
    response = upload(clerk_client, data, name=name)

    assert response.status_code == 200
    assert any(message in error for error in form_errors(response)), form_errors(response)
    assert PENDING_IMPORT not in clerk_client.session


@pytest.mark.parametrize("title", ["Hunde\u0000steuer", "Hunde\ud800steuer", "\u001b[2JHund"])
def test_a_title_escaped_into_a_control_character_is_a_row_error(clerk_client, kommune, key, title):
    data = json.dumps([entry(kommune, key, titel=title)]).encode()

    response = upload(clerk_client, data, name="v.json")

    assert response.status_code == 200
    assert "Das Feld „titel“ enthält ein Steuerzeichen oder ungültiges Zeichen" in text(response)
    assert PENDING_IMPORT not in clerk_client.session
    assert clerk_client.post(reverse("portal:procedure_import_confirm")).status_code == 400
    assert not ProcedureLink.objects.exists()


def test_a_preview_counts_the_errors_it_does_not_list_with_a_thousands_dot(
    settings, clerk_client, kommune, key
):
    settings.IMPORT_MAX_REPORTED_PROBLEMS = 10
    lines = [f"{kommune.ars};T;https://amt.example/{n};lokal;{key}" for n in range(1500)]

    response = upload(clerk_client, ("\n".join([HEADER, *lines]) + "\n").encode())

    page = text(response)
    assert "Die Datei hat 1500 fehlerhafte Zeilen." in page
    assert "… und 1.490 weitere Fehler." in page
    assert page.count("Unbekannte Zuständigkeit") == 10


# The limits come from the settings and are named in the messages ---------------------------------


def test_the_upload_limit_is_the_setting_and_the_message_names_it(settings, clerk_client, kommune):
    settings.PROCEDURE_FILE_MAX_BYTES = 1024 * 1024

    form_page = text(clerk_client.get(reverse("portal:procedure_upload")))
    response = upload(clerk_client, b"ars\n" + b"\n" * (1024 * 1024))

    assert "Höchstens 1 MB und 5.000 Zeilen, im Importformat der Online-Verfahren." in form_page
    assert form_errors(response) == [
        "Die Datei ist größer als 1 MB. Bitte teilen Sie sie auf oder laden Sie nur die "
        "Verfahren Ihrer Kommune hoch."
    ]


def test_the_coat_of_arms_limit_is_its_setting_and_the_message_names_it(settings, clerk_client):
    settings.COAT_OF_ARMS_MAX_BYTES = 5 * 1024 * 1024 // 2

    form_page = text(clerk_client.get("/portal/wappen/"))
    response = clerk_client.post(
        "/portal/wappen/",
        {"image": SimpleUploadedFile("w.png", b"\x89PNG" + b"\0" * (3 * 1024 * 1024))},
    )

    assert "Höchstens 2,5 MB und 4.000 × 4.000 Pixel" in form_page
    assert "Das Bild ist größer als 2,5 MB." in text(response)


# The cap of links per Kommune --------------------------------------------------------------------


def test_the_add_form_refuses_a_link_past_the_cap(settings, clerk_client, kommune, key):
    settings.PROCEDURE_LINKS_PER_KOMMUNE = 2
    ProcedureLinkFactory(municipality=kommune)
    ProcedureLinkFactory(municipality=kommune, active=False)

    response = clerk_client.post(
        reverse("portal:procedure_create"),
        {"title": "Neu", "url": "https://amt.example/neu", "scope": "kommunal", "leika_keys": key},
    )

    assert response.status_code == 200
    assert (
        "Markt Hösbach hat 2 Online-Verfahren gespeichert; mit 1 weiteren wären es mehr als die "
        "Höchstzahl von 2 je Kommune (aktive und deaktivierte zusammen)." in text(response)
    )
    assert ProcedureLink.objects.count() == 2


def test_a_link_at_the_cap_can_still_be_edited(settings, clerk_client, kommune, key):
    settings.PROCEDURE_LINKS_PER_KOMMUNE = 1
    link = ProcedureLinkFactory(municipality=kommune)

    response = clerk_client.post(
        reverse("portal:procedure_edit", args=[link.pk]),
        {"title": "Neuer Titel", "url": link.url, "scope": "kommunal", "leika_keys": key},
    )

    assert response.status_code == 302
    link.refresh_from_db()
    assert link.title == "Neuer Titel"


def test_an_upload_past_the_cap_is_refused_on_the_upload_form(settings, clerk_client, kommune, key):
    settings.PROCEDURE_LINKS_PER_KOMMUNE = 3
    ProcedureLinkFactory.create_batch(2, municipality=kommune)

    response = upload(clerk_client, rows(kommune, key, 2))

    assert form_errors(response) == [
        "Die Datei wird nicht übernommen: Markt Hösbach hat 2 Online-Verfahren gespeichert; mit "
        "2 weiteren wären es mehr als die Höchstzahl von 3 je Kommune (aktive und deaktivierte "
        "zusammen). Bitte ändern Sie vorhandene Verfahren, statt neue anzulegen."
    ]


def test_the_ministry_admin_refuses_a_link_past_the_cap(settings, admin_client, kommune):
    settings.PROCEDURE_LINKS_PER_KOMMUNE = 1
    ProcedureLinkFactory(municipality=kommune)

    response = admin_client.post(
        reverse("admin:municipalities_procedurelink_add"),
        {
            "municipality": kommune.pk,
            "title": "Neu",
            "url": "https://amt.example/neu",
            "scope": "kommunal",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["municipality"] == [
        "Markt Hösbach hat 1 Online-Verfahren gespeichert; mit 1 weiteren wären es mehr als die "
        "Höchstzahl von 1 je Kommune (aktive und deaktivierte zusammen). Bitte ändern Sie "
        "vorhandene Verfahren, statt neue anzulegen."
    ]
    assert ProcedureLink.objects.count() == 1


def test_the_check_with_the_kommune_locked_refuses_what_another_clerk_added(settings, kommune, key):
    settings.PROCEDURE_LINKS_PER_KOMMUNE = 1
    form = ProcedureLinkForm(
        {"title": "Neu", "url": "https://amt.example/neu", "scope": "kommunal", "leika_keys": key},
        instance=ProcedureLink(),
        municipality=kommune,
    )
    assert form.is_valid()
    ProcedureLinkFactory(municipality=kommune)  # the other clerk, after the form was checked

    with pytest.raises(Exception, match="Höchstzahl von 1 je Kommune"):
        ProcedureLink.objects.check_room(kommune, lock=True)


# The same cost at 50 links and at the cap --------------------------------------------------------


def link_many(kommune, count: int) -> None:
    ProcedureLink.objects.bulk_create(
        ProcedureLink(
            municipality=kommune,
            title=f"Antrag {n}",
            url=f"https://amt.example/{n}",
            scope="kommunal",
        )
        for n in range(count)
    )


def test_the_procedure_list_costs_the_same_at_50_links_and_at_the_cap(
    settings, clerk_client, kommune
):
    def queries() -> int:
        with count_queries() as counted:
            assert clerk_client.get(reverse("portal:procedures")).status_code == 200
        return len(counted.own)

    link_many(kommune, 50)
    few = queries()
    ProcedureLink.objects.all().delete()
    link_many(kommune, settings.PROCEDURE_LINKS_PER_KOMMUNE)

    assert queries() == few


def test_the_preview_costs_the_same_at_50_rows_and_at_2000(settings, clerk_client, kommune, key):
    assert settings.PROCEDURE_LINKS_PER_KOMMUNE == 2000

    def queries(count: int) -> int:
        ProcedureLink.objects.all().delete()
        link_many(kommune, count)
        with count_queries() as counted:
            response = upload(clerk_client, rows(kommune, key, count))
        assert response.status_code == 200
        assert response.context["plan"].errors == []
        return len(counted.own)

    assert queries(50) == queries(2000)


# Control characters in what a clerk types ---------------------------------------------------


@pytest.mark.parametrize(
    "title", ["Hunde\u0007steuer", "\u001b[31mHund", "Hund\u009b", "Hund\u007f"]
)
def test_the_procedure_form_refuses_a_title_with_a_control_character(kommune, key, title):
    form = ProcedureLinkForm(
        {"title": title, "url": "https://amt.example/a", "scope": "kommunal", "leika_keys": key},
        instance=ProcedureLink(),
        municipality=kommune,
    )

    assert not form.is_valid()
    assert form.errors["title"][0].startswith("Der Text enthält ein Steuerzeichen (U+00")


@pytest.mark.parametrize("form_class", [SubmitForm, AnswerForm, ResubmitForm, WithdrawForm])
@pytest.mark.parametrize(
    "comment", ["Bitte\u0007prüfen", "\u001b[2JWeg", "Hal\u0085lo", "a\u000bb"]
)
def test_a_comment_with_a_control_character_is_refused(form_class, comment):
    form = form_class({"comment": comment, "confirm": "on"})

    assert not form.is_valid()
    assert "Der Text enthält ein Steuerzeichen" in form.errors["comment"][0]


@pytest.mark.parametrize("form_class", [SubmitForm, AnswerForm, ResubmitForm, WithdrawForm])
def test_a_comment_keeps_its_line_breaks_and_tabs(form_class):
    form = form_class({"comment": "Zeile 1\r\n\tZeile 2", "confirm": "on"})

    assert form.is_valid()
    assert form.cleaned_data["comment"] == "Zeile 1\r\n\tZeile 2"


def test_submitting_with_an_ansi_escape_in_the_comment_changes_nothing(clerk_client, kommune):
    link_many(kommune, 50)
    clerk_client.post(reverse("portal:application_create"))

    response = clerk_client.post(
        reverse("portal:application_submit"), {"comment": "\u001b[31mAlles da"}
    )

    assert "Der Text enthält ein Steuerzeichen (U+001B)" in text(response)
    assert not kommune.applications.get().submissions.exists()


# Right-to-left text is shown isolated -------------------------------------------------------------


RTL_TITLE = "\u202eHundesteuer"


def test_the_procedure_list_isolates_titles_and_urls(clerk_client, kommune):
    ProcedureLinkFactory(municipality=kommune, title=RTL_TITLE, url="https://amt.example/a")

    page = text(clerk_client.get(reverse("portal:procedures")))

    assert f"<bdi>{RTL_TITLE}</bdi>" in page
    assert "<bdi>https://amt.example/a</bdi>" in page


def test_the_preview_isolates_titles_and_urls(clerk_client, kommune, key):
    data = json.dumps([entry(kommune, key, titel="\u05e9\u05dc\u05d5\u05dd Hund")]).encode()

    page = text(upload(clerk_client, data, name="v.json"))

    assert "<bdi>\u05e9\u05dc\u05d5\u05dd Hund</bdi>" in page
    assert "<bdi>https://amt.example/hund</bdi>" in page


def test_a_message_quoting_a_title_isolates_it(clerk_client, kommune):
    link = ProcedureLinkFactory(municipality=kommune, title="\u05e9\u05dc\u05d5\u05dd")

    response = clerk_client.post(
        reverse("portal:procedure_deactivate", args=[link.pk]), follow=True
    )

    assert "„\u2068\u05e9\u05dc\u05d5\u05dd\u2069“ ist deaktiviert" in text(response)


def test_the_ministry_admin_isolates_titles_and_urls(admin_client, kommune):
    ProcedureLinkFactory(municipality=kommune, title=RTL_TITLE, url="https://amt.example/a")

    page = text(admin_client.get(reverse("admin:municipalities_procedurelink_changelist")))

    assert f"<bdi>{RTL_TITLE}</bdi>" in page
    assert '<bdi><a href="https://amt.example/a"' in page
