"""The import of the LeiKa catalogue into Service."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from municipalities.models import Service

HEADER = (
    "leika_schluessel,leika_hinweis,leistung,leika_typ,ozg_id,ozg_leistung,lebenslage,themenfeld"
)
ABFALL = "99001001000000,,Abfallgebühr,5,10110,Abfallentsorgung,Wohnen & Umzug,Bauen & Wohnen"
FIELDS = ["leika_key", "name", "leika_type", "ozg_id", "ozg_name", "lebenslage", "themenfeld"]


def run_import(*args: str) -> str:
    out = StringIO()
    call_command("import_services", *args, stdout=out)
    return out.getvalue()


def snapshot() -> list[tuple]:
    return list(Service.objects.order_by("leika_key").values_list(*FIELDS))


def write(tmp_path: Path, *rows: str) -> str:
    path = tmp_path / "leika.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return str(path)


@pytest.mark.django_db
def test_shipped_catalogue_loads_every_service_with_a_key():
    output = run_import()

    assert Service.objects.count() == 4813
    assert "4.813 Leistungen eingelesen: 4.813 neu, 0 aktualisiert." in output
    assert "438 Zeilen ohne LeiKa-Schlüssel übersprungen." in output
    service = Service.objects.get(leika_key="99001001000000")
    assert (service.name, service.leika_type, service.ozg_id, service.ozg_name) == (
        "Abfallgebühr",
        "5",
        "10110",
        "Abfallentsorgung",
    )
    assert (service.lebenslage, service.themenfeld) == ("Wohnen & Umzug", "Bauen & Wohnen")


@pytest.mark.django_db
def test_second_run_changes_nothing_and_says_so():
    run_import()
    before = snapshot()

    output = run_import()

    assert "Keine Änderungen: 4.813 Leistungen sind aktuell." in output
    assert snapshot() == before


@pytest.mark.django_db
def test_changed_row_updates_only_that_service(tmp_path):
    other = "99001002000000,,Altpapier,2/3,10110,Abfallentsorgung,Wohnen & Umzug,Bauen & Wohnen"
    run_import(write(tmp_path, ABFALL, other))
    untouched = Service.objects.get(leika_key="99001002000000")

    output = run_import(write(tmp_path, ABFALL.replace("Abfallgebühr", "Abfallgebühren"), other))

    assert "2 Leistungen eingelesen: 0 neu, 1 aktualisiert." in output
    assert Service.objects.get(leika_key="99001001000000").name == "Abfallgebühren"
    assert Service.objects.get(leika_key="99001002000000") == untouched


@pytest.mark.django_db
def test_services_missing_from_the_file_are_kept_and_reported(tmp_path):
    Service.objects.create(leika_key="99999999999999", name="Alte Leistung")

    output = run_import(write(tmp_path, ABFALL))

    assert "1 Leistung ist in der Datenbank, aber nicht in der Datei" in output
    assert Service.objects.filter(leika_key="99999999999999").exists()


@pytest.mark.django_db
def test_bad_rows_are_refused_with_their_line_numbers_and_change_nothing(tmp_path):
    run_import(write(tmp_path, ABFALL))
    before = snapshot()
    path = write(
        tmp_path,
        ABFALL.replace("Abfallgebühr", "Geändert"),
        "9900100200,,Altpapier,2/3,10110,Abfallentsorgung,Wohnen & Umzug,Bauen & Wohnen",
        ",nicht im LeiKa,Ohne Schlüssel,,10110,Abfallentsorgung,Wohnen & Umzug,Bauen & Wohnen",
        "99001003000000,,,2/3,10110,Abfallentsorgung,Wohnen & Umzug,Bauen & Wohnen",
        "99001004000000,,Zu wenige Spalten",
        ABFALL,
    )

    with pytest.raises(CommandError) as refused:
        run_import(path)

    message = str(refused.value)
    assert "4 fehlerhafte Zeilen" in message
    assert "Zeile 3: LeiKa-Schlüssel „9900100200“ hat nicht genau 14 Ziffern." in message
    assert "Zeile 5: Der Name der Leistung fehlt." in message
    assert "Zeile 6: Die Zeile hat 3 statt 8 Spalten." in message
    assert "Zeile 7: LeiKa-Schlüssel 99001001000000 kommt doppelt vor (zuerst Zeile 2)." in message
    assert "Zeile 4" not in message  # no key: skipped, not an error
    assert snapshot() == before


@pytest.mark.django_db
def test_file_without_the_catalogue_columns_is_refused(tmp_path):
    path = tmp_path / "falsch.csv"
    path.write_text("ars;titel;url\n091610000000;Antrag;https://example.org\n", encoding="utf-8")

    # One wording for every CSV import (importing/files.py); it was "Dem Katalog fehlen …".
    with pytest.raises(CommandError, match="Der Datei fehlen die Spalten: leika_schluessel"):
        run_import(str(path))
    assert not Service.objects.exists()


@pytest.mark.django_db
def test_an_unclosed_quote_is_reported_at_the_line_where_it_opens(tmp_path):
    broken = ABFALL.replace(",Abfallgebühr,", ',"Abfallgebühr,')
    filler = [ABFALL.replace("Abfallgebühr", "x" * 60)] * 3000
    path = write(tmp_path, ABFALL.replace("99001001", "99001002"), broken, *filler)

    with pytest.raises(CommandError) as refused:
        run_import(path)

    assert (
        "Zeile 3: Die Zeile kann nicht gelesen werden: ein Anführungszeichen ist nicht "
        "geschlossen oder ein Wert ist viel zu lang."
    ) in str(refused.value)
    assert not Service.objects.exists()
