"""What no procedure file can do: exhaust memory or time, crash the import, or pass the caps."""

import json
import time
import tracemalloc
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from municipalities.importing import procedure_plan
from municipalities.importing.files import ImportFileError, Problem, ProblemList
from municipalities.importing.procedures import ImportConflict, apply_plan, plan_import
from municipalities.models import ProcedureLink
from tests.factories import ProcedureLinkFactory, ServiceFactory

pytestmark = pytest.mark.django_db

HEADER = "ars;titel;url;zustaendigkeit;leika_schluessel"
FIVE_MB = 5 * 1024 * 1024


@pytest.fixture
def key():
    return ServiceFactory().leika_key


def csv_rows(kommune, key, count: int, *, scope: str = "kommunal") -> bytes:
    rows = [f"{kommune.ars};Antrag {n};https://amt.example/{n};{scope};{key}" for n in range(count)]
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def entry(kommune, key, **fields) -> dict:
    return {
        "ars": kommune.ars,
        "titel": "Hundesteuer",
        "url": "https://amt.example/hund",
        "zustaendigkeit": "kommunal",
        "leika_schluessel": key,
        **fields,
    }


def messages(plan) -> list[str]:
    return [str(issue) for issue in plan.errors]


# The row limit ------------------------------------------------------------------------------


def test_a_csv_file_past_the_row_limit_is_refused_as_a_whole_naming_the_limit(
    settings, kommune, key
):
    settings.PROCEDURE_FILE_MAX_ROWS = 3

    plan = plan_import(csv_rows(kommune, key, 4), filename="v.csv", only_municipality=kommune)

    assert messages(plan) == [
        "Die Datei hat mehr als 3 Zeilen; höchstens 3 sind erlaubt. Bitte teilen Sie sie in "
        "mehrere Dateien auf."
    ]
    assert (plan.new, plan.rows) == ([], 0)


def test_a_file_at_the_row_limit_is_read(settings, kommune, key):
    settings.PROCEDURE_FILE_MAX_ROWS = 3

    plan = plan_import(csv_rows(kommune, key, 3), filename="v.csv", only_municipality=kommune)

    assert (plan.errors, len(plan.new)) == ([], 3)


def test_the_row_limit_names_its_figure_with_a_thousands_dot(settings, kommune, key):
    settings.PROCEDURE_FILE_MAX_ROWS = 5000

    plan = plan_import(csv_rows(kommune, key, 5001), filename="v.csv")

    assert "mehr als 5.000 Zeilen; höchstens 5.000 sind erlaubt" in messages(plan)[0]


def test_reading_stops_at_the_row_after_the_limit(settings, kommune, key, monkeypatch):
    settings.PROCEDURE_FILE_MAX_ROWS = 10
    checked = []
    check = procedure_plan._RowChecker.check
    monkeypatch.setattr(
        procedure_plan._RowChecker,
        "check",
        lambda self, line, *args: checked.append(line) or check(self, line, *args),
    )

    plan_import(csv_rows(kommune, key, 1000), filename="v.csv")

    assert len(checked) == 10


def test_a_json_file_past_the_row_limit_is_refused_before_its_entries_are_checked(
    settings, kommune, key, monkeypatch
):
    settings.PROCEDURE_FILE_MAX_ROWS = 2
    monkeypatch.setattr(procedure_plan._RowChecker, "check", pytest.fail)
    data = json.dumps([entry(kommune, key, url=f"https://amt.example/{n}") for n in range(3)])

    plan = plan_import(data.encode(), filename="v.json")

    assert messages(plan) == [
        "Die Datei hat mehr als 2 Zeilen; höchstens 2 sind erlaubt. Bitte teilen Sie sie in "
        "mehrere Dateien auf."
    ]


def test_the_command_imports_files_of_all_kommunen_past_the_row_limit(
    settings, tmp_path, kommune, key
):
    settings.PROCEDURE_FILE_MAX_ROWS = 2
    path = tmp_path / "v.csv"
    path.write_bytes(csv_rows(kommune, key, 5))

    call_command("import_procedures", str(path), stdout=StringIO())

    assert ProcedureLink.objects.filter(municipality=kommune).count() == 5


# Problems past the cap are counted, not kept ----------------------------------------------------


def test_problems_past_the_cap_are_counted_but_not_kept(settings, kommune, key):
    settings.IMPORT_MAX_REPORTED_PROBLEMS = 5
    data = csv_rows(kommune, key, 40, scope="lokal")

    plan = plan_import(data, filename="v.csv", only_municipality=kommune)

    assert len(plan.errors) == 5
    assert (plan.errors.total, plan.errors.omitted, plan.error_lines) == (40, 35, 40)


def test_a_row_with_several_problems_counts_each_past_the_cap(settings):
    settings.IMPORT_MAX_REPORTED_PROBLEMS = 3
    problems = ProblemList()

    problems.add(2, "Zeile 2", ["a", "b"])
    problems.add(3, "Zeile 3", ["c", "d", "e"])

    assert [p.message for p in problems] == ["a", "b", "c"]
    assert (problems.total, problems.lines) == (5, 2)


def test_the_command_counts_the_problems_it_did_not_keep_with_a_thousands_dot(
    settings, tmp_path, kommune, key
):
    settings.IMPORT_MAX_REPORTED_PROBLEMS = 2
    path = tmp_path / "v.csv"
    path.write_bytes(csv_rows(kommune, key, 1200, scope="lokal"))

    with pytest.raises(CommandError) as raised:
        call_command("import_procedures", str(path), stdout=StringIO())

    message = str(raised.value)
    assert "1.200 Fehler in 1.200 Zeilen" in message
    assert "Zeile 3: " in message and "Zeile 4: " not in message
    assert message.endswith("… und 1.198 weitere Fehler")


def test_an_import_file_error_counts_what_a_problem_list_did_not_keep(settings):
    settings.IMPORT_MAX_REPORTED_PROBLEMS = 1
    problems = ProblemList([Problem(n, "kaputt") for n in range(2, 2002)])

    summary = ImportFileError(problems).summary()

    assert "2000 fehlerhafte Zeilen" in summary
    assert summary.endswith("… und 1.999 weitere Fehler.")


# The bombs of the issue: 5 MB of rows that are all wrong ----------------------------------------


def measure(data: bytes, filename: str, kommune):
    tracemalloc.start()
    started = time.process_time()
    try:
        plan = plan_import(data, filename=filename, only_municipality=kommune)
        return plan, tracemalloc.get_traced_memory()[1], time.process_time() - started
    finally:
        tracemalloc.stop()


def test_a_csv_of_millions_of_bad_rows_is_refused_in_bounded_memory(kommune):
    data = HEADER.encode() + b"\n" + b"x\n" * ((FIVE_MB - len(HEADER) - 1) // 2)

    plan, peak, _seconds = measure(data, "v.csv", kommune)

    assert "höchstens 5.000 sind erlaubt" in messages(plan)[0]
    # The text itself takes 25 MB (5 MB decoded and the reader's copy); before: 1.24 GB.
    assert peak < 60_000_000


def test_a_json_list_of_millions_of_non_objects_is_refused_in_bounded_memory(kommune, key):
    head = json.dumps([entry(kommune, key)])[:-1].encode() + b","
    data = head + b"1," * ((FIVE_MB - len(head) - 2) // 2) + b"1]"

    plan, peak, _seconds = measure(data, "v.json", kommune)

    assert "höchstens 5.000 sind erlaubt" in messages(plan)[0]
    assert peak < 30_000_000  # before: 518 MB


# What the parsers cannot take: a German message, never an exception ------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "[" * 100_000 + "]" * 100_000,
            "Die JSON-Datei ist zu tief verschachtelt (Eintrag 1). Erwartet wird eine Liste von "
            "Objekten mit einfachen Werten.",
        ),
        (
            '{"verfahren": [' + "[" * 100_000 + "]" * 100_000 + "]}",
            "Die JSON-Datei ist zu tief verschachtelt (Eintrag 1).",
        ),
        (
            '[{"ars": 1}, {"ars": ' + "9" * 4301 + "}]",
            "Die JSON-Datei enthält in Eintrag 2 eine Zahl mit mehr als 4.300 Ziffern. Bitte "
            "Schlüssel und Kennungen als Text in Anführungszeichen angeben.",
        ),
        ('[{"a": 1} {"b": 2}]', "Die JSON-Datei ist fehlerhaft (Zeile 1, Spalte 11)."),
        ('[{"a": 1}] []', "Die JSON-Datei ist fehlerhaft (Zeile 1, Spalte 12)."),
        ('{"verfahren": [], "x": }', "Die JSON-Datei ist fehlerhaft (Zeile 1, Spalte 24)."),
        ('{"verfahren": 3}', "muss eine Liste von Verfahren enthalten"),
        ('"verfahren"', "muss eine Liste von Verfahren enthalten"),
        (
            '[{"ars\\u0000": "x"}]',
            "Ein Feldname in Eintrag 1 enthält ein Steuerzeichen oder ungültiges Zeichen "
            "(U+0000): „ars[U+0000]“. Bitte entfernen Sie es.",
        ),
        ('[{"\\ud800": "x"}]', "(U+D800)"),
    ],
)
def test_json_the_decoder_cannot_take_is_refused_in_german(content, message):
    plan = plan_import(content.encode(), filename="v.json")

    assert len(plan.errors) == 1
    assert message in plan.errors[0].message
    assert plan.errors[0].line is None


def test_the_list_under_verfahren_is_found_among_other_members(kommune, key):
    content = json.dumps({"stand": [1, {"a": 2}], "verfahren": [entry(kommune, key)], "x": 1})

    plan = plan_import(content.encode(), filename="v.json")

    assert (plan.errors, [p.title for p in plan.new]) == ([], ["Hundesteuer"])


@pytest.mark.parametrize(
    ("field", "value", "char"),
    [
        ("titel", "Hunde\u0000steuer", "U+0000"),
        ("titel", "Hunde\u0007steuer", "U+0007"),
        ("titel", "\u001b[31mHundesteuer\u001b[0m", "U+001B"),
        ("titel", "Hunde\u009bsteuer", "U+009B"),
        ("titel", "Hunde\u007fsteuer", "U+007F"),
        ("titel", "Hunde\ud800steuer", "U+D800"),
        ("ozg_id", "1\u00000", "U+0000"),
        ("zustaendigkeit", "kommunal\ud800", "U+D800"),
    ],
)
def test_control_characters_escaped_in_json_are_refused_per_row(kommune, key, field, value, char):
    content = json.dumps([entry(kommune, key, **{field: value})])

    plan = plan_import(content.encode(), filename="v.json")

    assert [(issue.line, issue.message) for issue in plan.errors] == [
        (
            1,
            f"Das Feld „{field}“ enthält ein Steuerzeichen oder ungültiges Zeichen ({char}). "
            "Bitte entfernen Sie es.",
        )
    ]
    assert plan.new == []


def test_line_breaks_and_tabs_in_a_json_title_become_spaces(kommune, key):
    content = json.dumps([entry(kommune, key, titel="Hunde-\nsteuer\tan\r\nmelden")])

    plan = plan_import(content.encode(), filename="v.json")

    assert plan.new[0].title == "Hunde- steuer an melden"


def test_c1_control_characters_in_a_csv_file_are_refused(kommune, key):
    data = f"{HEADER}\n{kommune.ars};Hunde\u0085steuer;https://amt.example/;kommunal;{key}\n"

    plan = plan_import(data.encode(), filename="v.csv")

    assert messages(plan) == [
        "Die Datei ist keine Textdatei oder ihre Zeichenkodierung ist unbekannt."
    ]


def test_a_csv_header_field_past_the_field_size_limit_is_refused(kommune):
    data = ("ars;titel;url;zustaendigkeit;leika_schluessel;" + '"' + "x" * 140_000 + '"\n').encode()

    plan = plan_import(data, filename="v.csv")

    assert messages(plan) == [
        "Die Kopfzeile kann nicht gelesen werden: ein Anführungszeichen ist nicht geschlossen "
        "oder ein Wert ist länger als 131.072 Zeichen."
    ]


def test_a_header_of_forty_thousand_repeated_names_is_answered_at_once(kommune):
    data = (HEADER + ";x" * 40_000 + "\n").encode()  # 80 KB: within the field size limit
    started = time.process_time()

    plan = plan_import(data, filename="v.csv")

    assert "Die Spalte „x“ kommt mehrfach vor." in messages(plan)
    assert time.process_time() - started < 5  # counting each name was quadratic: 50 s


def test_a_header_line_too_long_for_one_delimiter_is_split_by_another(kommune, key):
    # Split at "," or tab, the line is one value past the field size limit.
    data = HEADER + ";x" * 100_000 + f"\n{kommune.ars};T;https://amt.example/;kommunal;{key}\n"

    plan = plan_import(data.encode(), filename="v.csv")

    assert "Die Spalte „x“ kommt mehrfach vor." in messages(plan)


def test_the_command_reports_a_file_the_decoder_cannot_take(tmp_path):
    path = tmp_path / "v.json"
    path.write_text("[" * 100_000 + "]" * 100_000)

    with pytest.raises(CommandError, match="zu tief verschachtelt"):
        call_command("import_procedures", str(path), stdout=StringIO())


def test_bytes_that_are_not_utf_8_are_read_as_windows_1252_never_as_surrogates(kommune, key):
    # A surrogate encoded as UTF-8 is not valid UTF-8.
    data = f"{HEADER}\n{kommune.ars};Antrag \udc80;https://amt.example/;kommunal;{key}\n".encode(
        "utf-8", "surrogatepass"
    )

    plan = plan_import(data, filename="v.csv")

    assert plan.errors == []
    assert plan.new[0].title == "Antrag í²€"


def test_a_hundred_thousand_keys_of_one_procedure_are_checked_at_once(kommune, key):
    keys = [key, *(f"{n:014d}" for n in range(100_000))]
    content = json.dumps([entry(kommune, key, leika_schluessel=keys)])
    started = time.process_time()

    plan = plan_import(content.encode(), filename="v.json")

    assert plan.errors.total == 100_000
    assert time.process_time() - started < 10  # each key was looked up in a list of the others


# The cap of links per Kommune ---------------------------------------------------------------


def test_a_file_that_would_take_the_kommune_past_the_cap_is_refused_as_a_whole(
    settings, kommune, key
):
    settings.PROCEDURE_LINKS_PER_KOMMUNE = 3
    ProcedureLinkFactory.create_batch(2, municipality=kommune, active=False)

    plan = plan_import(csv_rows(kommune, key, 2), filename="v.csv", only_municipality=kommune)

    assert messages(plan) == [
        "Die Datei wird nicht übernommen: Markt Hösbach hat 2 Online-Verfahren gespeichert; mit "
        "2 weiteren wären es mehr als die Höchstzahl von 3 je Kommune (aktive und deaktivierte "
        "zusammen). Bitte ändern Sie vorhandene Verfahren, statt neue anzulegen."
    ]


def test_a_kommune_past_the_cap_may_still_change_its_links(settings, kommune, key):
    settings.PROCEDURE_LINKS_PER_KOMMUNE = 1
    for n in range(2):
        ProcedureLinkFactory(municipality=kommune, url=f"https://amt.example/{n}")

    plan = plan_import(csv_rows(kommune, key, 2), filename="v.csv", only_municipality=kommune)

    assert (plan.errors, len(plan.changed)) == ([], 2)


def test_the_cap_names_its_figures_with_a_thousands_dot(settings, tmp_path, kommune, key):
    settings.PROCEDURE_LINKS_PER_KOMMUNE = 1000
    path = tmp_path / "v.csv"
    path.write_bytes(csv_rows(kommune, key, 1001))

    with pytest.raises(CommandError) as raised:
        call_command("import_procedures", str(path), stdout=StringIO())

    assert "hat 0 Online-Verfahren gespeichert; mit 1.001 weiteren" in str(raised.value)
    assert "Höchstzahl von 1.000 je Kommune" in str(raised.value)
    assert not ProcedureLink.objects.exists()


def test_saving_checks_the_cap_again_for_links_added_since_planning(settings, kommune, key):
    settings.PROCEDURE_LINKS_PER_KOMMUNE = 3
    plan = plan_import(csv_rows(kommune, key, 2), filename="v.csv", only_municipality=kommune)
    ProcedureLinkFactory.create_batch(2, municipality=kommune)

    with pytest.raises(ImportConflict, match="Es wurde nichts gespeichert: Markt Hösbach hat 2"):
        apply_plan(plan)

    assert ProcedureLink.objects.count() == 2
