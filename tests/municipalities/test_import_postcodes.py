"""`import_postcodes FILE`: OSM's zuordnung_plz_ort.csv into PostalCode, Bavaria only."""

import io

import pytest
from django.core.management import CommandError, call_command

from municipalities.importing.postcodes import SAMPLE_POSTCODES
from municipalities.models import PostalCode
from tests.factories import MunicipalityFactory

HEADER = "osm_id,ags,ort,plz,landkreis,bundesland"


@pytest.fixture
def kommunen(db):
    return {
        "muenchen": MunicipalityFactory(ars="091620000000", name="München"),
        "hoesbach": MunicipalityFactory(ars="096710130130", name="Hösbach"),
    }


def write(tmp_path, *rows: str, header: str = HEADER) -> str:
    path = tmp_path / "zuordnung_plz_ort.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return str(path)


def run(path: str) -> str:
    out = io.StringIO()
    call_command("import_postcodes", path, stdout=out)
    return out.getvalue()


def stored() -> set[tuple[str, str, str]]:
    return set(PostalCode.objects.values_list("code", "municipality__name", "place"))


def test_bavarian_rows_are_stored_others_skipped_unknown_counted(tmp_path, kommunen):
    path = write(
        tmp_path,
        "62428,09162000,München,80331,,Bayern",
        "62428,09162000,München,80333,,Bayern",
        "1,09671130,Hösbach,63768,Landkreis Aschaffenburg,Bayern",
        "2,09671130,Hösbach,63768,Landkreis Aschaffenburg,Bayern",  # a second place: kept once
        "3,06611000,Kassel,34117,,Hessen",
        "4,09999999,Nirgendwo,99999,,Bayern",
    )

    output = run(path)

    assert stored() == {
        ("80331", "München", "München"),
        ("80333", "München", "München"),
        ("63768", "Hösbach", "Hösbach"),
    }
    assert (
        "Postleitzahlen eingelesen: 6 Zeilen, 3 Zuordnungen für 2 Kommunen gespeichert, "
        "1 Zeilen mit unbekanntem Gemeindeschlüssel, 1 Zeilen aus anderen Ländern übersprungen."
    ) in output


def test_a_second_file_replaces_all_postal_codes(tmp_path, kommunen):
    run(write(tmp_path, "1,09162000,München,80331,,Bayern", "2,09671130,Hösbach,63768,,Bayern"))

    run(write(tmp_path, "1,09162000,München,80333,,Bayern"))

    assert stored() == {("80333", "München", "München")}


def test_a_wrong_header_is_refused_in_german_and_changes_nothing(tmp_path, kommunen):
    run(write(tmp_path, "1,09162000,München,80331,,Bayern"))

    path = write(tmp_path, "09162000;80331", header="ags;plz")
    with pytest.raises(CommandError) as error:
        run(path)

    message = str(error.value)
    assert "wurde nicht eingelesen, nichts wurde geändert" in message
    assert "ihr fehlen die Spalten osm_id, ags, ort, plz, landkreis, bundesland" in message
    assert f"Die erste Zeile muss lauten: {HEADER}" in message
    assert stored() == {("80331", "München", "München")}


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("1,9162000,München,80331,,Bayern", None),  # a spreadsheet dropped the leading zero
        ("1,091620001,München,80331,,Bayern", "hat nicht genau 8 Ziffern"),
        ("1,09162000,München,8033,,Bayern", "„8033“ hat nicht genau 5 Ziffern"),
        ("1,09162000,München,80331,Bayern", "Die Zeile hat 5 statt 6 Spalten."),
    ],
)
def test_every_bavarian_row_is_checked_first(tmp_path, kommunen, row, reason):
    path = write(tmp_path, row)
    if reason is None:
        run(path)
        assert stored() == {("80331", "München", "München")}
        return

    with pytest.raises(CommandError, match="Zeile 2: ") as error:
        run(path)

    assert reason in str(error.value)
    assert not PostalCode.objects.exists()


def test_an_unreadable_or_missing_file_is_refused(tmp_path, kommunen):
    with pytest.raises(CommandError, match="Die Datei wurde nicht gefunden."):
        run(str(tmp_path / "fehlt.csv"))

    binary = tmp_path / "plz.xlsx"
    binary.write_bytes(b"PK\x03\x04" + b"\x00" * 20)
    with pytest.raises(CommandError, match="keine Textdatei, sondern ZIP/Excel"):
        run(str(binary))


def test_a_file_over_the_limit_is_refused(tmp_path, kommunen, settings):
    path = write(tmp_path, "1,09162000,München,80331,,Bayern")
    settings.POSTCODE_FILE_MAX_BYTES = 40

    with pytest.raises(CommandError, match="Die Datei ist größer als 40"):
        run(path)

    assert not PostalCode.objects.exists()


def test_the_shipped_sample_holds_real_rows_of_a_few_kommunen(kommunen):
    output = run(str(SAMPLE_POSTCODES))

    codes = set(PostalCode.objects.values_list("code", flat=True))
    assert {"80331", "80333", "63768"} <= codes
    assert "für 2 Kommunen gespeichert" in output  # the others of the sample are not in this db
