"""Import that helps: the explicit choice of the rows without errors, a template, the export."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from digitalesamt.portal.views.upload import PENDING_IMPORT
from municipalities.importing.procedures import apply_plan, plan_import
from municipalities.models import ProcedureLink
from municipalities.validation import clean_procedure_url
from tests.factories import ProcedureLinkFactory, ServiceFactory
from tests.helpers import count_queries, text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_link_check")]

KEY_A = "99001001001000"
KEY_B = "99001001002000"
KEY_C = "99102013000000"
COLUMNS = ["ars", "titel", "url", "zustaendigkeit", "leika_schluessel", "ozg_id", "aktiv"]


@pytest.fixture
def catalogue():
    return {
        KEY_A: ServiceFactory(leika_key=KEY_A, name="Gewerbeanmeldung"),
        KEY_B: ServiceFactory(leika_key=KEY_B, name="Gewerbeabmeldung"),
        KEY_C: ServiceFactory(leika_key=KEY_C, name="Hundesteuer"),
    }


def upload(client, content: bytes | str, name: str = "verfahren.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(reverse("portal:procedure_upload"), {"file": SimpleUploadedFile(name, data)})


def one_bad_of_three(kommune) -> str:
    return (
        "ars;titel;url;zustaendigkeit;leika_schluessel\n"
        f"{kommune.ars};Hundesteuer;https://amt.example/hund;kommunal;{KEY_C}\n"
        f"{kommune.ars};Kaputt;javascript:alert(1);kommunal;{KEY_A}\n"
        f"{kommune.ars};Gewerbe anmelden;https://amt.example/gewerbe;zentral;{KEY_A}|{KEY_B}\n"
    )


def snapshot(kommune) -> list[tuple]:
    return [
        (
            link.title,
            link.url,
            link.scope,
            link.ozg_id,
            link.active,
            sorted(s.leika_key for s in link.services.all()),
        )
        for link in ProcedureLink.objects.filter(municipality=kommune).order_by("url")
    ]


# The second choice: only the rows without errors


def test_a_file_with_a_bad_row_offers_to_take_only_the_rows_without_errors(
    clerk_client, kommune, catalogue
):
    preview = upload(clerk_client, one_bad_of_three(kommune))

    page = text(preview)
    assert "Die Datei hat 1 fehlerhafte Zeile. Es wurde nichts gespeichert." in page
    assert "Zeile 3" in page and "keine http- oder https-Adresse" in page
    assert "Nur die 2 fehlerfreien Zeilen übernehmen" in page
    body = preview.content.decode()
    assert 'name="umfang" value="fehlerfrei"' in body
    # The all-or-nothing button is not offered for a file with errors.
    assert ">Übernehmen<" not in body
    assert not ProcedureLink.objects.exists()


def test_confirming_without_the_choice_still_takes_nothing(clerk_client, kommune, catalogue):
    upload(clerk_client, one_bad_of_three(kommune))

    response = clerk_client.post(reverse("portal:procedure_import_confirm"))

    assert response.status_code == 200
    assert "Die Datei hat fehlerhafte Zeilen und wurde nicht übernommen" in text(response)
    assert not ProcedureLink.objects.exists()


def test_choosing_the_rows_without_errors_saves_them_and_says_what_was_left_out(
    clerk_client, kommune, catalogue
):
    upload(clerk_client, one_bad_of_three(kommune))

    response = clerk_client.post(
        reverse("portal:procedure_import_confirm"), {"umfang": "fehlerfrei"}
    )

    assert response.status_code == 302
    assert snapshot(kommune) == [
        ("Gewerbe anmelden", "https://amt.example/gewerbe", "zentral", "", True, [KEY_A, KEY_B]),
        ("Hundesteuer", "https://amt.example/hund", "kommunal", "", True, [KEY_C]),
    ]
    assert PENDING_IMPORT not in clerk_client.session
    listed = text(clerk_client.get(response["Location"]))
    assert "Die fehlerfreien Zeilen wurden übernommen: 2 Verfahren neu, 0 Verfahren geändert." in (
        listed
    )
    assert "1 fehlerhafte Zeile wurde nicht übernommen" in listed


def test_a_file_whose_rows_all_have_errors_offers_no_choice(clerk_client, kommune, catalogue):
    content = (
        "ars;titel;url;zustaendigkeit;leika_schluessel\n"
        f"{kommune.ars};Kaputt;javascript:alert(1);kommunal;{KEY_A}\n"
    )

    page = text(upload(clerk_client, content))
    confirm = clerk_client.post(
        reverse("portal:procedure_import_confirm"), {"umfang": "fehlerfrei"}
    )

    assert "fehlerfrei" not in page
    assert confirm.status_code == 400
    assert not ProcedureLink.objects.exists()


def test_the_rows_without_errors_are_refused_together_past_the_cap(
    settings, clerk_client, kommune, catalogue
):
    settings.PROCEDURE_LINKS_PER_KOMMUNE = 1

    response = upload(clerk_client, one_bad_of_three(kommune))

    assert "mehr als die Höchstzahl von 1 je Kommune" in text(response)
    assert PENDING_IMPORT not in clerk_client.session
    assert not ProcedureLink.objects.exists()


def test_a_change_since_the_preview_shows_a_new_one_before_taking_any_row(
    clerk_client, kommune, catalogue
):
    upload(clerk_client, one_bad_of_three(kommune))
    ProcedureLinkFactory(municipality=kommune, title="Hund", url="https://amt.example/hund")

    response = clerk_client.post(
        reverse("portal:procedure_import_confirm"), {"umfang": "fehlerfrei"}
    )

    assert "Seit der Vorschau hat sich der Datenbestand geändert" in text(response)
    assert list(ProcedureLink.objects.values_list("title", flat=True)) == ["Hund"]


def test_apply_plan_takes_rows_without_errors_only_when_asked(kommune, catalogue):
    plan = plan_import(one_bad_of_three(kommune).encode(), only_municipality=kommune)

    with pytest.raises(Exception, match="Fehler"):
        apply_plan(plan)
    assert not ProcedureLink.objects.exists()
    apply_plan(plan, skip_rows_with_errors=True)
    assert ProcedureLink.objects.count() == 2


# The template


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_template_has_the_import_columns_and_an_example_row_that_imports(
    clerk_client, kommune, catalogue, file_format
):
    response = clerk_client.get(reverse(f"portal:procedure_template_{file_format}"))

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    rows = read_rows(response.content, file_format)
    assert rows[0] == COLUMNS
    assert len(rows) == 2 and rows[1][0] == kommune.ars
    plan = plan_import(response.content, filename=f"v.{file_format}", only_municipality=kommune)
    assert plan.errors == [] and len(plan.new) == 1


def test_the_upload_page_links_the_template(clerk_client):
    page = clerk_client.get(reverse("portal:procedure_upload")).content.decode()

    assert reverse("portal:procedure_template_csv") in page
    assert reverse("portal:procedure_template_xlsx") in page


# The export and the round trip


def read_rows(content: bytes, file_format: str) -> list[list[str]]:
    if file_format == "csv":
        lines = content.decode("utf-8-sig").splitlines()
        return [line.split(";") for line in lines]
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [
        ["" if cell is None else str(cell) for cell in row]
        for row in sheet.iter_rows(values_only=True)
    ]


@pytest.fixture
def varied_list(kommune, catalogue):
    links = [
        ProcedureLinkFactory(
            municipality=kommune,
            title="Gewerbe an- und abmelden für Bürgerinnen – Größe „XL“",
            url="https://amt.example/gewerbe",
            scope="kommunal",
            ozg_id="10182",
        ),
        ProcedureLinkFactory(
            municipality=kommune,
            title="Hundesteuer (zentral, Bayern)",
            # Stored as the form and the import store it: canonical.
            url=clean_procedure_url("https://formulare.freistaat-bayern.example/hund?x=1&y=ä"),
            scope="zentral",
        ),
        ProcedureLinkFactory(
            municipality=kommune,
            title="-Ausgemustert: Straßenreinigung",
            url="https://amt.example/strasse",
            scope="kommunal",
            active=False,
        ),
    ]
    links[0].services.set([catalogue[KEY_A], catalogue[KEY_B]])
    links[1].services.set([catalogue[KEY_C]])
    links[2].services.set([catalogue[KEY_A], catalogue[KEY_B], catalogue[KEY_C]])
    return links


def test_the_procedure_list_links_the_export(clerk_client, varied_list):
    page = clerk_client.get(reverse("portal:procedures")).content.decode()

    assert reverse("portal:procedure_export_csv") in page
    assert reverse("portal:procedure_export_xlsx") in page


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_export_is_the_list_in_the_import_format(
    clerk_client, kommune, varied_list, file_format
):
    response = clerk_client.get(reverse(f"portal:procedure_export_{file_format}"))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    rows = read_rows(response.content, file_format)
    assert rows[0] == COLUMNS
    by_url = {row[2]: row for row in rows[1:]}
    gewerbe = by_url["https://amt.example/gewerbe"]
    assert gewerbe == [
        kommune.ars,
        "Gewerbe an- und abmelden für Bürgerinnen – Größe „XL“",
        "https://amt.example/gewerbe",
        "kommunal",
        f"{KEY_A}|{KEY_B}",
        "10182",
        "ja",
    ]
    assert by_url["https://amt.example/strasse"][6] == "nein"


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_round_trip_changes_nothing(clerk_client, kommune, varied_list, file_format):
    before = snapshot(kommune)
    exported = clerk_client.get(reverse(f"portal:procedure_export_{file_format}")).content

    preview = upload(clerk_client, exported, name=f"export.{file_format}")

    plan = preview.context["plan"]
    assert plan.errors == []
    assert (len(plan.new), len(plan.changed), len(plan.unchanged)) == (0, 0, 3)
    assert "Die Datei ändert nichts an Ihren Online-Verfahren." in text(preview)
    assert snapshot(kommune) == before


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_edited_export_imports_the_edit(clerk_client, kommune, varied_list, file_format):
    exported = clerk_client.get(reverse(f"portal:procedure_export_{file_format}")).content
    if file_format == "csv":
        edited = exported.replace(b"Hundesteuer (zentral", b"Hundesteuer online (zentral")
    else:
        workbook = load_workbook(io.BytesIO(exported))
        for row in workbook.active.iter_rows():
            if row[1].value == "Hundesteuer (zentral, Bayern)":
                row[1].value = "Hundesteuer online (zentral, Bayern)"
        buffer = io.BytesIO()
        workbook.save(buffer)
        edited = buffer.getvalue()

    upload(clerk_client, edited, name=f"export.{file_format}")
    clerk_client.post(reverse("portal:procedure_import_confirm"))

    assert ProcedureLink.objects.filter(title="Hundesteuer online (zentral, Bayern)").exists()


def test_the_export_costs_the_same_at_three_links_and_at_the_cap(
    settings, clerk_client, kommune, catalogue
):
    def queries(count: int) -> int:
        ProcedureLink.objects.all().delete()
        for link in ProcedureLinkFactory.create_batch(count, municipality=kommune):
            link.services.set([catalogue[KEY_A]])
        with count_queries() as counted:
            response = clerk_client.get(reverse("portal:procedure_export_xlsx"))
        assert len(read_rows(response.content, "xlsx")) == count + 1
        return len(counted.own)

    settings.PROCEDURE_LINKS_PER_KOMMUNE = 60
    assert queries(3) == queries(60)


def test_the_export_is_bounded_by_the_cap(settings, clerk_client, kommune):
    ProcedureLinkFactory.create_batch(5, municipality=kommune)
    settings.PROCEDURE_LINKS_PER_KOMMUNE = 3

    response = clerk_client.get(reverse("portal:procedure_export_csv"))

    assert len(read_rows(response.content, "csv")) == 4


def test_an_xlsx_that_is_no_workbook_is_refused_with_a_hint(clerk_client, kommune):
    response = upload(clerk_client, b"PK\x03\x04rest", name="verfahren.xlsx")

    assert "keine lesbare Excel-Arbeitsmappe" in text(response)
    assert response.templates[0].name == "portal/procedure_upload.html"


def test_the_export_shows_only_the_own_kommune(clerk_client, other_kommune):
    ProcedureLinkFactory(municipality=other_kommune, title="Geheim", url="https://b.example/x")

    for name in ("procedure_export_csv", "procedure_export_xlsx"):
        content = clerk_client.get(reverse(f"portal:{name}")).content
        assert b"b.example" not in content
