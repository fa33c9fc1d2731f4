"""The import of the official register (GV100AD) into Municipality."""

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum

from municipalities.constants import Kind
from municipalities.importing.register import (
    DEFAULT_COORDINATES,
    DEFAULT_REGISTER,
    ImportFileError,
    Problem,
    clean_name,
    parse_register,
    read_coordinates,
    read_text,
)
from municipalities.models import Municipality
from tests.factories import MunicipalityFactory
from tests.helpers import rolled_back_at_the_end

GEMEINDE_KINDS = [
    Kind.GEMEINDE,
    Kind.MARKT,
    Kind.STADT,
    Kind.GROSSE_KREISSTADT,
    Kind.KREISFREIE_STADT,
]
SNAPSHOT_FIELDS = [
    "ars",
    "ags",
    "name",
    "register_name",
    "kind",
    "seat",
    "population",
    "area_ha",
    "latitude",
    "longitude",
    "postal_code",
    "register_date",
    "regierungsbezirk__ars",
    "landkreis__ars",
    "verwaltungsgemeinschaft__ars",
]
INGOLSTADT = "091610000000"
TYRLACHING = "091715102134"
OBERBAYERN = "091000000000"
# GV100AD field positions (0-based slices) used to build modified copies.
NAME = slice(22, 72)
POPULATION = slice(139, 150)


def run_import(*args: str) -> str:
    out = StringIO()
    call_command("import_municipalities", *args, stdout=out)
    return out.getvalue()


def snapshot() -> list[tuple]:
    return list(Municipality.objects.order_by("ars").values_list(*SNAPSHOT_FIELDS))


def shipped_lines() -> list[str]:
    return DEFAULT_REGISTER.read_text(encoding="utf-8").splitlines()


def line_of(lines: list[str], ars: str) -> int:
    """Return the index of the Satzart-60 line of a Gemeinde."""
    for index, line in enumerate(lines):
        if line.startswith("60") and line[10:15] + line[18:22] + line[15:18] == ars:
            return index
    raise AssertionError(ars)


def replace(line: str, where: slice, value: str) -> str:
    width = where.stop - where.start
    return line[: where.start] + value.ljust(width)[:width] + line[where.stop :]


def write(tmp_path: Path, lines: list[str], name: str = "GV100AD_test.txt", **kwargs) -> str:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", **({"encoding": "utf-8"} | kwargs))
    return str(path)


@pytest.fixture(scope="module")
def first_import_output(django_db_setup, django_db_blocker):
    """Import the shipped register once for the module; tests roll back their own changes."""
    with django_db_blocker.unblock(), rolled_back_at_the_end():
        yield run_import()


@pytest.fixture
def imported(first_import_output, db):
    return first_import_output


def test_first_import_reports_new_kommunen_per_kind(imported):
    assert "2.445 Kommunen eingelesen: 2.445 neu, 0 aktualisiert." in imported
    assert "Gemeinde: 1.352 (1.352 neu, 0 aktualisiert)" in imported
    assert "Verwaltungsgemeinschaft: 311 (311 neu, 0 aktualisiert)" in imported


def test_shipped_register_gives_exact_counts_per_kind(imported):
    counts = dict(Municipality.objects.values_list("kind").annotate(n=Count("pk")))

    assert counts == {
        Kind.GEMEINDE: 1352,
        Kind.MARKT: 386,
        Kind.STADT: 264,
        Kind.GROSSE_KREISSTADT: 29,
        Kind.KREISFREIE_STADT: 25,
        Kind.VG: 311,
        Kind.LANDKREIS: 71,
        Kind.BEZIRK: 7,
    }


def test_markt_hoesbach_lies_in_landkreis_aschaffenburg_in_unterfranken(imported):
    hoesbach = Municipality.objects.get(name="Hösbach")

    assert hoesbach.kind == Kind.MARKT
    assert hoesbach.register_name == "Hösbach, M"
    assert hoesbach.ars == "096710130130"
    assert hoesbach.ags == "09671130"
    assert hoesbach.landkreis.name == "Aschaffenburg"
    assert hoesbach.landkreis.kind == Kind.LANDKREIS
    assert hoesbach.regierungsbezirk.name == "Unterfranken"
    assert hoesbach.verwaltungsgemeinschaft is None
    assert hoesbach.postal_code == "63768"
    assert hoesbach.population == 13046
    assert str(hoesbach.register_date) == "2025-08-31"


def test_ingolstadt_is_a_kreisfreie_stadt_without_landkreis(imported):
    ingolstadt = Municipality.objects.get(ars=INGOLSTADT)

    assert ingolstadt.kind == Kind.KREISFREIE_STADT
    assert ingolstadt.landkreis is None
    assert ingolstadt.regierungsbezirk.ars == OBERBAYERN
    assert ingolstadt.population == 141185
    assert (ingolstadt.latitude, ingolstadt.longitude) == (Decimal("48.76542"), Decimal("11.42339"))


def test_muenchen_drops_landeshauptstadt_from_the_name(imported):
    muenchen = Municipality.objects.get(ars="091620000000")

    assert muenchen.name == "München"
    assert muenchen.register_name == "München, Landeshauptstadt"


def test_vg_has_its_members_and_their_totals(imported):
    vg = Municipality.objects.get(ars="096755616000")
    members = Municipality.objects.filter(verwaltungsgemeinschaft=vg)

    assert vg.kind == Kind.VG
    assert vg.name == "Iphofen"
    assert vg.register_name == "Iphofen (VGem)"
    assert vg.landkreis.name == "Kitzingen"
    assert vg.regierungsbezirk.name == "Unterfranken"
    assert sorted(members.values_list("name", flat=True)) == [
        "Iphofen",
        "Markt Einersheim",
        "Rödelsee",
        "Willanzheim",
    ]
    assert vg.population == sum(members.values_list("population", flat=True)) == 9499
    # The seat Iphofen is a member: the VG sits where the Stadt is.
    iphofen = members.get(name="Iphofen")
    assert (vg.latitude, vg.longitude, vg.postal_code) == (
        iphofen.latitude,
        iphofen.longitude,
        iphofen.postal_code,
    )


def test_every_kommune_has_coordinates_and_a_postal_code(imported):
    assert Municipality.objects.count() == 2445
    assert not Municipality.objects.filter(latitude__isnull=True).exists()
    assert not Municipality.objects.filter(longitude__isnull=True).exists()
    assert not Municipality.objects.filter(postal_code="").exists()


def test_bezirk_population_is_the_sum_of_its_gemeinden(imported):
    oberbayern = Municipality.objects.get(ars=OBERBAYERN)
    gemeinden = Municipality.objects.filter(regierungsbezirk=oberbayern, kind__in=GEMEINDE_KINDS)

    assert oberbayern.kind == Kind.BEZIRK
    assert oberbayern.name == "Oberbayern"
    assert oberbayern.seat == "München"
    assert gemeinden.count() == 500
    assert oberbayern.population == gemeinden.aggregate(n=Sum("population"))["n"] == 4764548


def test_landkreis_seated_in_a_kreisfreie_stadt_keeps_its_point_on_its_own_area(imported):
    landkreis = Municipality.objects.get(ars="093750000000")  # Landkreis Regensburg
    stadt = Municipality.objects.get(ars="093620000000")  # kreisfreie Stadt Regensburg

    assert landkreis.seat == "Regensburg"
    assert (landkreis.latitude, landkreis.longitude) != (stadt.latitude, stadt.longitude)
    assert landkreis.postal_code == stadt.postal_code


def test_second_run_changes_nothing_and_says_so(imported):
    before = snapshot()

    output = run_import()

    assert "Keine Änderungen: 2.445 Kommunen sind aktuell." in output
    assert snapshot() == before


def test_newer_file_updates_exactly_the_changed_kommunen(imported, tmp_path):
    lines = shipped_lines()
    index = line_of(lines, TYRLACHING)
    lines[index] = replace(lines[index], NAME, "Tyrlaching am See")
    index = line_of(lines, INGOLSTADT)
    lines[index] = replace(lines[index], POPULATION, "00000142000")
    before = {row[0]: row for row in snapshot()}

    output = run_import("--register", write(tmp_path, lines))

    after = {row[0]: row for row in snapshot()}
    changed = {ars for ars in after if after[ars] != before[ars]}
    # Ingolstadt's population also changes the total of its Bezirk.
    assert changed == {TYRLACHING, INGOLSTADT, OBERBAYERN}
    assert "3 aktualisiert" in output
    tyrlaching = Municipality.objects.get(ars=TYRLACHING)
    assert (tyrlaching.name, tyrlaching.register_name) == ("Tyrlaching am See",) * 2
    assert Municipality.objects.get(ars=INGOLSTADT).population == 142000
    assert Municipality.objects.get(ars=OBERBAYERN).population == 4764548 - 141185 + 142000


def test_kommunen_missing_from_the_file_are_kept_and_reported(imported):
    retired = MunicipalityFactory()

    output = run_import()

    assert "1 Kommune ist in der Datenbank, aber nicht in der Datei; sie bleibt erhalten." in output
    assert Municipality.objects.filter(pk=retired.pk).exists()


def test_windows_1252_copy_is_read_with_its_umlauts(imported, tmp_path):
    path = write(tmp_path, shipped_lines(), encoding="cp1252")
    before = snapshot()

    output = run_import("--register", path)

    assert "windows-1252" in output
    assert "Keine Änderungen" in output
    assert snapshot() == before
    names = {record.name for record in parse_register(read_text(path)[0])}
    assert {"Hösbach, M", "Rödelsee", "Großostheim, M"} <= names


def test_right_trimmed_lines_are_accepted(imported, tmp_path):
    path = write(tmp_path, [line.rstrip() for line in shipped_lines()])

    assert "Keine Änderungen" in run_import("--register", path)


def short_line(lines: list[str]) -> list[int]:
    index = line_of(lines, INGOLSTADT)
    lines[index] = lines[index][:145]
    return [index + 1]


def non_numeric_population(lines: list[str]) -> list[int]:
    index = line_of(lines, TYRLACHING)
    lines[index] = replace(lines[index], POPULATION, "0000000l080")
    return [index + 1]


def unknown_satzart(lines: list[str]) -> list[int]:
    lines[2] = "70" + lines[2][2:]
    return [3]


def invalid_gebietsstand(lines: list[str]) -> list[int]:
    lines[5] = lines[5][:2] + "20250231" + lines[5][10:]
    return [6]


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (short_line, "Die Zeile hat 145 statt 220 Zeichen."),
        (non_numeric_population, "Bevölkerung „0000000l080“ ist keine Zahl."),
        (unknown_satzart, "Unbekannte Satzart „70“."),
        (invalid_gebietsstand, "Gebietsstand „20250231“ ist kein gültiges Datum"),
    ],
)
def test_malformed_file_is_refused_naming_the_line_and_changes_nothing(
    imported, tmp_path, damage, reason
):
    lines = shipped_lines()
    index = line_of(lines, TYRLACHING)
    lines[index] = replace(lines[index], NAME, "Umbenannt")  # must not be applied
    bad_lines = damage(lines)
    before = snapshot()

    with pytest.raises(CommandError) as refused:
        run_import("--register", write(tmp_path, lines))

    message = str(refused.value)
    assert "nichts wurde geändert" in message
    for number in bad_lines:
        assert f"Zeile {number}: {reason}" in message
    assert snapshot() == before


def test_refusal_lists_the_first_twenty_bad_lines_and_counts_the_rest(imported, tmp_path):
    lines = shipped_lines()
    for index in range(100, 125):
        lines[index] = "99" + lines[index][2:]
    before = snapshot()

    with pytest.raises(CommandError) as refused:
        run_import("--register", write(tmp_path, lines))

    message = str(refused.value)
    assert "25 fehlerhafte Zeilen" in message
    assert "Zeile 101: Unbekannte Satzart „99“." in message
    assert "Zeile 120:" in message
    assert "Zeile 121:" not in message
    assert "… und 5 weitere Fehler." in message
    assert snapshot() == before


def test_a_refusal_without_a_path_counts_the_bad_lines_all_the_same():
    error = ImportFileError([Problem(2, "A"), Problem(2, "B"), Problem(None, "C")])

    assert str(error) == (
        "Die Datei wurde nicht eingelesen, nichts wurde geändert. 1 fehlerhafte Zeile:\n"
        "  Zeile 2: A\n"
        "  Zeile 2: B\n"
        "  C"
    )


def test_missing_file_is_refused(imported, tmp_path):
    with pytest.raises(CommandError, match="nicht gefunden"):
        run_import("--register", str(tmp_path / "fehlt.txt"))


def test_binary_file_is_refused(imported, tmp_path):
    before = snapshot()
    path = tmp_path / "GV100AD.zip"
    path.write_bytes(b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)))

    with pytest.raises(CommandError, match="keine Textdatei"):
        run_import("--register", str(path))
    assert snapshot() == before


def test_file_without_bavarian_records_is_refused(imported, tmp_path):
    before = snapshot()
    hessen = [line[:10] + "06" + line[12:] for line in shipped_lines()[:50]]

    with pytest.raises(CommandError, match="keine bayerischen Datensätze"):
        run_import("--register", write(tmp_path, hessen))
    assert snapshot() == before


def test_coordinates_without_a_column_are_refused_naming_it(tmp_path):
    lines = DEFAULT_COORDINATES.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace("Längengrad", "Länge")
    path = tmp_path / "koordinaten.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    with pytest.raises(ImportFileError) as refused:
        read_coordinates(path)

    assert [str(problem) for problem in refused.value.problems] == [
        "Der Datei fehlen die Spalten: Längengrad."
    ]
    assert str(path) in refused.value.summary()


def test_a_short_coordinates_row_is_refused_with_its_line(tmp_path):
    lines = DEFAULT_COORDINATES.read_text(encoding="utf-8").splitlines()[:10]
    lines[5] = ";".join(lines[5].split(";")[:4])
    path = tmp_path / "koordinaten.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    with pytest.raises(ImportFileError) as refused:
        read_coordinates(path)

    assert [str(problem) for problem in refused.value.problems] == [
        "Zeile 6: Die Zeile hat 4 statt 20 Spalten."
    ]


@pytest.mark.parametrize(
    ("register_name", "name"),
    [
        ("Hösbach, M", "Hösbach"),
        ("Bad Tölz, St", "Bad Tölz"),
        ("Neuburg a.d.Donau, GKSt", "Neuburg a.d.Donau"),
        ("Emmerting (VGem)", "Emmerting"),
        ("Krumbach (Schwaben) (VGem)", "Krumbach (Schwaben)"),
        ("Kempten (Allgäu)", "Kempten (Allgäu)"),
        ("München, Landeshauptstadt", "München"),
    ],
)
def test_clean_name_drops_the_register_suffixes(register_name, name):
    assert clean_name(register_name) == name
