import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from municipalities.importing import procedure_plan
from municipalities.importing.procedures import (
    ImportConflict,
    PlanHasErrors,
    Problem,
    apply_plan,
    plan_import,
)
from municipalities.management.commands.import_procedures import number
from municipalities.models import ProcedureLink, Service
from tests.factories import MunicipalityFactory, ProcedureLinkFactory, ServiceFactory

pytestmark = pytest.mark.django_db

HEADER = "ars,titel,url,zustaendigkeit,leika_schluessel,ozg_id,aktiv"
NOT_TEXT = "Die Datei ist keine Textdatei oder ihre Zeichenkodierung ist unbekannt."


@pytest.fixture
def kommune():
    return MunicipalityFactory()


@pytest.fixture
def other_kommune():
    return MunicipalityFactory()


@pytest.fixture
def keys():
    return [service.leika_key for service in ServiceFactory.create_batch(3)]


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def plan_csv(text: str, **kwargs):
    return plan_import(text.encode(), filename="verfahren.csv", **kwargs)


def write(tmp_path: Path, content: str | bytes, name: str = "verfahren.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return path


def run(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("import_procedures", str(path), *args, stdout=out)
    return out.getvalue()


def links_of(kommune) -> dict[str, ProcedureLink]:
    return {link.url: link for link in ProcedureLink.objects.filter(municipality=kommune)}


def service_keys(link: ProcedureLink) -> set[str]:
    return set(link.services.values_list("leika_key", flat=True))


def errors_at(plan, line: int) -> list[str]:
    return [issue.message for issue in plan.errors if issue.line == line]


def test_csv_file_creates_links_with_their_services(tmp_path, kommune, keys):
    path = write(
        tmp_path,
        csv_text(
            f"{kommune.ars},Hundesteuer anmelden,https://amt.example/hund,kommunal,"
            f"{keys[0]}|{keys[1]},10110,ja",
            f"{kommune.ars},Wohngeld beantragen,https://www.freistaat.bayern/wohngeld,zentral,"
            f"{keys[2]},,",
        ),
    )

    output = run(path)

    links = links_of(kommune)
    assert set(links) == {"https://amt.example/hund", "https://www.freistaat.bayern/wohngeld"}
    hund = links["https://amt.example/hund"]
    assert (hund.title, hund.scope, hund.ozg_id, hund.active) == (
        "Hundesteuer anmelden",
        "kommunal",
        "10110",
        True,
    )
    assert service_keys(hund) == {keys[0], keys[1]}
    assert links["https://www.freistaat.bayern/wohngeld"].scope == "zentral"
    assert "2 neu, 0 geändert, 0 unverändert" in output


def test_json_file_creates_links(tmp_path, kommune, keys):
    items = [
        {
            "ars": kommune.ars,
            "titel": "Gewerbe anmelden",
            "url": "https://amt.example/gewerbe",
            "zustaendigkeit": "kommunal",
            "leika_schluessel": [keys[0], keys[1]],
            "aktiv": True,
        },
        {
            "ars": kommune.ars,
            "titel": "Fischereischein",
            "url": "https://amt.example/fischerei",
            "zustaendigkeit": "zentral",
            "leika_schluessel": keys[2],
            "ozg_id": 10254,
            "aktiv": "nein",
        },
    ]
    path = write(tmp_path, json.dumps(items), name="verfahren.json")

    run(path)

    links = links_of(kommune)
    assert service_keys(links["https://amt.example/gewerbe"]) == {keys[0], keys[1]}
    fischerei = links["https://amt.example/fischerei"]
    assert (fischerei.ozg_id, fischerei.active) == ("10254", False)


def test_json_object_with_verfahren_list_is_accepted(kommune, keys):
    data = {
        "verfahren": [
            {
                "ars": kommune.ars,
                "titel": "Gewerbe anmelden",
                "url": "https://amt.example/gewerbe",
                "zustaendigkeit": "kommunal",
                "leika_schluessel": keys[0],
            }
        ]
    }

    plan = plan_import(json.dumps(data).encode(), filename="verfahren.json")

    assert plan.errors == []
    assert [procedure.url for procedure in plan.new] == ["https://amt.example/gewerbe"]


def test_json_errors_name_the_entry(kommune, keys):
    items = [
        {
            "ars": kommune.ars,
            "titel": "Gut",
            "url": "https://amt.example/gut",
            "zustaendigkeit": "kommunal",
            "leika_schluessel": keys[0],
        },
        {
            "ars": kommune.ars,
            "titel": "Schlecht",
            "url": "ftp://amt.example/schlecht",
            "zustaendigkeit": "kommunal",
            "leika_schluessel": keys[0],
        },
    ]

    plan = plan_import(json.dumps(items).encode(), filename="verfahren.json")

    assert [str(issue) for issue in plan.errors] == [
        "Eintrag 2: Die URL „ftp://amt.example/schlecht“ ist keine http- oder https-Adresse; "
        "sie muss mit https:// beginnen."
    ]


def test_content_decides_the_format_when_the_extension_does_not(kommune, keys):
    item = {
        "ars": kommune.ars,
        "titel": "Gewerbe anmelden",
        "url": "https://amt.example/gewerbe",
        "zustaendigkeit": "kommunal",
        "leika_schluessel": keys[0],
    }

    as_json = plan_import(json.dumps([item]).encode(), filename="export.txt")
    as_csv = plan_import(
        csv_text(f"{kommune.ars},Gewerbe,https://amt.example/g,kommunal,{keys[0]},,ja").encode()
    )

    assert (as_json.errors, len(as_json.new)) == ([], 1)
    assert (as_csv.errors, len(as_csv.new)) == ([], 1)


def test_second_run_changes_nothing(tmp_path, kommune, keys):
    path = write(
        tmp_path,
        csv_text(
            f"{kommune.ars},Hundesteuer,HTTPS://Amt.Example/hund#start,kommunal,"
            f"{keys[0]}|{keys[1]},10110,ja",
            f"{kommune.ars},Wohngeld,https://amt.example/wohngeld,zentral,{keys[2]},,nein",
        ),
    )
    run(path)
    before = list(ProcedureLink.objects.order_by("pk").values_list("pk", "updated_at"))
    through_before = list(ProcedureLink.services.through.objects.order_by("pk").values_list())

    output = run(path)

    assert "0 neu, 0 geändert, 2 unverändert" in output
    assert list(ProcedureLink.objects.order_by("pk").values_list("pk", "updated_at")) == before
    assert list(ProcedureLink.services.through.objects.order_by("pk").values_list()) == (
        through_before
    )


def test_second_run_writes_nothing_to_the_database(kommune, keys):
    text = csv_text(f"{kommune.ars},Hundesteuer,https://amt.example/hund,kommunal,{keys[0]},,ja")
    apply_plan(plan_csv(text))
    plan = plan_csv(text)

    with CaptureQueriesContext(connection) as queries:
        apply_plan(plan)

    assert len(plan.unchanged) == 1
    assert len(queries) == 0


def test_file_with_one_bad_row_changes_nothing(tmp_path, kommune, keys):
    existing = ProcedureLinkFactory(
        municipality=kommune, url="https://amt.example/hund", title="Alter Titel"
    )
    path = write(
        tmp_path,
        csv_text(
            f"{kommune.ars},Neuer Titel,https://amt.example/hund,kommunal,{keys[0]},,ja",
            f"{kommune.ars},Neu,https://amt.example/neu,kommunal,{keys[1]},,ja",
            f"{kommune.ars},Kaputt,javascript:alert(1),kommunal,{keys[1]},,ja",
        ),
    )

    with pytest.raises(CommandError) as raised:
        run(path)

    assert "Zeile 4: Die URL „javascript:alert(1)“ ist keine http- oder https-Adresse" in str(
        raised.value
    )
    assert "es wurde nichts gespeichert" in str(raised.value)
    assert list(ProcedureLink.objects.values_list("pk", "title")) == [(existing.pk, "Alter Titel")]
    assert not existing.services.exists()


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        (
            "{unknown_ars},Titel,https://amt.example/x,kommunal,{key},,ja",
            "Unbekannter ARS {unknown_ars}: keine Kommune im Gemeindeverzeichnis.",
        ),
        (
            "{short_ars},Titel,https://amt.example/x,kommunal,{key},,ja",
            "Der ARS „{short_ars}“ hat nur 11 Ziffern; vermutlich hat Excel die führende 0 "
            "entfernt. Die Spalte als Text formatieren.",
        ),
        (
            "{ars},Titel,javascript:alert(1),kommunal,{key},,ja",
            "Die URL „javascript:alert(1)“ ist keine http- oder https-Adresse; sie muss mit "
            "https:// beginnen.",
        ),
        (
            "{ars},Titel,ftp://amt.example/x,kommunal,{key},,ja",
            "Die URL „ftp://amt.example/x“ ist keine http- oder https-Adresse; sie muss mit "
            "https:// beginnen.",
        ),
        (
            "{ars},Titel,https://amt example/x,kommunal,{key},,ja",
            "Die URL „https://amt example/x“ ist keine gültige Internetadresse.",
        ),
        (
            "{ars},Titel,https://amt.example/{long_path},kommunal,{key},,ja",
            "Die URL ist zu lang (1021 Zeichen, höchstens 1000).",
        ),
        (
            "0916-2000,Titel,https://amt.example/x,kommunal,{key},,ja",
            "Der ARS „0916-2000“ ist ungültig: 12 Ziffern, beginnend mit 09.",
        ),
        (
            # The words of the portal's form (municipalities.validation): one rule, one message.
            "{ars},Titel,https://amt.example/x,kommunal,1234,,ja",
            "Der LeiKa-Schlüssel „1234“ ist ungültig: genau 14 Ziffern.",
        ),
        (
            "{ars},Titel,https://amt.example/x,kommunal,9.9001E+13,,ja",
            "Der LeiKa-Schlüssel „9.9001E+13“ wurde von Excel als Zahl gespeichert; die Spalte "
            "als Text formatieren.",
        ),
        (
            "{ars},Titel,https://amt.example/x,kommunal,{key}|11111111111111,,ja",
            "Unbekannter LeiKa-Schlüssel 11111111111111: nicht im Leistungskatalog.",
        ),
        (
            "{ars},Titel,https://amt.example/x,kommunal,,,ja",
            "Der LeiKa-Schlüssel fehlt (mindestens einer).",
        ),
        (
            "{ars},Titel,https://amt.example/x,lokal,{key},,ja",
            "Unbekannte Zuständigkeit „lokal“; erlaubt sind kommunal und zentral.",
        ),
        (
            "{ars},Titel,https://amt.example/x,kommunal,{key},,vielleicht",
            "Unbekannter Wert „vielleicht“ in „aktiv“; erlaubt sind ja und nein.",
        ),
        ("{ars}, ,https://amt.example/x,kommunal,{key},,ja", "Der Titel fehlt."),
        (
            "{ars},{long_title},https://amt.example/x,kommunal,{key},,ja",
            "Der Titel ist zu lang (301 Zeichen, höchstens 300).",
        ),
        (
            "{ars},Titel,https://amt.example/x,kommunal,{key},12345678901,ja",
            "Die OZG-ID „12345678901“ ist zu lang (höchstens 10 Zeichen).",
        ),
        (
            "{ars},Titel,https://amt.example/x,kommunal,{key},,ja,zu viel",
            "Die Zeile hat 8 Werte, der Kopf nur 7 Spalten. Enthält ein Wert das Trennzeichen, "
            "muss er in Anführungszeichen stehen.",
        ),
    ],
)
def test_each_bad_row_is_reported_with_its_line(kommune, keys, cells, reason):
    values = {
        "ars": kommune.ars,
        "unknown_ars": "099990000999",
        "short_ars": kommune.ars[1:],
        "key": keys[0],
        "long_title": "T" * 301,
        "long_path": "a" * 1001,
    }
    text = csv_text(
        f"{kommune.ars},Gut,https://amt.example/gut,kommunal,{keys[0]},,ja",
        cells.format(**values),
    )

    plan = plan_csv(text)

    assert errors_at(plan, 3) == [reason.format(**values)]
    assert errors_at(plan, 2) == []
    assert [str(issue).split(":")[0] for issue in plan.errors] == ["Zeile 3"]


def test_all_problems_of_a_row_are_reported(kommune):
    plan = plan_csv(csv_text("099990000999,,ftp://x,lokal,123,,vielleicht"))

    assert len(errors_at(plan, 2)) == 6


def test_missing_column_is_reported_once_for_the_file(kommune, keys):
    header = "ars,titel,url,leika_schluessel"
    rows = [f"{kommune.ars},Titel {n},https://amt.example/{n},{keys[0]}" for n in range(3)]

    plan = plan_csv(csv_text(*rows, header=header))

    assert [(issue.line, issue.message) for issue in plan.errors] == [
        (
            None,
            "Die Pflichtspalte „zustaendigkeit“ fehlt (gefunden: ars, titel, url, "
            "leika_schluessel).",
        )
    ]
    assert plan.new == []


def test_missing_column_in_the_command_names_the_column(tmp_path, kommune, keys):
    path = write(tmp_path, csv_text(header="ars;titel;url;zustaendigkeit;aktiv"))

    with pytest.raises(CommandError, match="Pflichtspalte „leika_schluessel“ fehlt"):
        run(path)


def test_utf8_file_with_bom_is_read(kommune, keys):
    text = csv_text(
        f"{kommune.ars},Hundesteuer für Bürger,https://amt.example/h,kommunal,{keys[0]},,"
    )

    plan = plan_import(b"\xef\xbb\xbf" + text.encode(), filename="verfahren.csv")

    assert plan.errors == []
    assert [procedure.title for procedure in plan.new] == ["Hundesteuer für Bürger"]


def test_windows_1252_file_with_umlauts_is_read(tmp_path, kommune, keys):
    text = csv_text(
        f"{kommune.ars};Führungszeugnis – Ausstellung;https://amt.example/f;kommunal;{keys[0]};;ja",
        header=HEADER.replace(",", ";"),
    )
    path = write(tmp_path, text.encode("cp1252"))

    run(path)

    assert ProcedureLink.objects.get().title == "Führungszeugnis – Ausstellung"


def test_semicolon_delimited_file_with_quoted_values_is_read(kommune, keys):
    text = csv_text(
        f'{kommune.ars};"Wohngeld; Antrag";https://amt.example/w;zentral;"{keys[0]}|{keys[1]}";;ja',
        header=HEADER.replace(",", ";"),
    )

    plan = plan_csv(text)

    assert plan.errors == []
    assert [(p.title, p.leika_keys) for p in plan.new] == [("Wohngeld; Antrag", keys[:2])]


def test_excel_trailing_delimiters_are_ignored(kommune, keys):
    text = csv_text(
        f"{kommune.ars};Titel;https://amt.example/x;kommunal;{keys[0]};;ja;;",
        ";;;;;;;;",
        header=HEADER.replace(",", ";") + ";;",
    )

    plan = plan_csv(text)

    assert (plan.errors, len(plan.new)) == ([], 1)


def test_json_entries_of_the_wrong_shape_are_reported(kommune, keys):
    items = [
        "kein Objekt",
        {
            "ars": kommune.ars,
            "titel": {"de": "Titel"},
            "url": "https://amt.example/x",
            "zustaendigkeit": "kommunal",
            "leika_schluessel": keys[0],
        },
        {"ars": kommune.ars, "url": "https://amt.example/y", "leika_schluessel": keys[0]},
    ]

    plan = plan_import(json.dumps(items).encode(), filename="verfahren.json")

    assert [str(issue) for issue in plan.errors] == [
        "Eintrag 1: Der Eintrag ist kein Objekt mit den Feldern eines Verfahrens.",
        "Eintrag 2: Das Feld „titel“ muss Text enthalten.",
        "Eintrag 3: Der Titel fehlt.",
        "Eintrag 3: Die Zuständigkeit fehlt (kommunal oder zentral).",
    ]


def test_excel_separator_line_is_honoured_and_counted(kommune, keys):
    text = "sep=;\n" + csv_text(
        f"{kommune.ars};Titel;ftp://amt.example/x;kommunal;{keys[0]};;ja",
        header=HEADER.replace(",", ";"),
    )

    plan = plan_csv(text)

    assert [issue.line for issue in plan.errors] == [3]


def test_line_numbers_count_line_breaks_inside_quoted_values(kommune, keys):
    text = csv_text(
        f'{kommune.ars},"Titel über\nzwei Zeilen",https://amt.example/a,kommunal,{keys[0]},,ja',
        "",
        f"{kommune.ars},Titel,https://amt.example/b,lokal,{keys[0]},,ja",
    )

    plan = plan_csv(text)

    assert [issue.line for issue in plan.errors] == [5]
    assert [procedure.title for procedure in plan.new] == ["Titel über zwei Zeilen"]


def test_rows_with_the_same_url_become_one_link_with_both_services(tmp_path, kommune, keys):
    path = write(
        tmp_path,
        csv_text(
            f"{kommune.ars},Wohngeld,https://amt.example/wohngeld,zentral,{keys[0]},,ja",
            f"{kommune.ars},Wohngeld (Miete),HTTPS://amt.example/wohngeld#x,zentral,{keys[1]},,ja",
        ),
    )

    output = run(path)

    link = ProcedureLink.objects.get()
    assert link.title == "Wohngeld"
    assert service_keys(link) == {keys[0], keys[1]}
    assert "Hinweis: Zeile 3: Gleiche URL wie Zeile 2, aber abweichend: Titel." in output
    assert "1 neu" in output


def test_the_same_url_in_two_kommunen_is_two_links(kommune, other_kommune, keys):
    text = csv_text(
        f"{kommune.ars},Wohngeld,https://www.freistaat.bayern/wohngeld,zentral,{keys[0]},,ja",
        f"{other_kommune.ars},Wohngeld,https://www.freistaat.bayern/wohngeld,zentral,{keys[0]},,ja",
    )

    apply_plan(plan_csv(text))

    assert ProcedureLink.objects.filter(url="https://www.freistaat.bayern/wohngeld").count() == 2


def test_aktiv_nein_deactivates_an_existing_link(tmp_path, kommune, keys):
    link = ProcedureLinkFactory(municipality=kommune, url="https://amt.example/hund", title="Hund")
    link.services.add(Service.objects.get(leika_key=keys[0]))
    path = write(
        tmp_path,
        csv_text(f"{kommune.ars},Hund,https://amt.example/hund,kommunal,{keys[0]},,nein"),
    )

    output = run(path)

    link.refresh_from_db()
    assert link.active is False
    assert "0 neu, 1 geändert, 0 unverändert" in output


def test_a_changed_title_updates_the_link(kommune, keys):
    link = ProcedureLinkFactory(municipality=kommune, url="https://amt.example/hund", title="Alt")
    link.services.add(Service.objects.get(leika_key=keys[0]))
    text = csv_text(f"{kommune.ars},Neu,https://amt.example/hund,kommunal,{keys[0]},,ja")

    plan = plan_csv(text)
    apply_plan(plan)

    assert [procedure.changes for procedure in plan.changed] == [{"title": ("Alt", "Neu")}]
    link.refresh_from_db()
    assert link.title == "Neu"
    assert link.updated_at > link.created_at


def test_services_follow_the_file(kommune, keys):
    link = ProcedureLinkFactory(municipality=kommune, url="https://amt.example/hund")
    link.services.add(*Service.objects.filter(leika_key__in=keys[:2]))
    text = csv_text(
        f"{kommune.ars},{link.title},https://amt.example/hund,kommunal,{keys[1]}|{keys[2]},,ja"
    )

    plan = plan_csv(text)
    apply_plan(plan)

    assert plan.changed[0].changes == {"services": (sorted(keys[:2]), sorted(keys[1:]))}
    assert service_keys(link) == {keys[1], keys[2]}


def test_links_missing_from_the_file_are_left_alone(kommune, keys):
    untouched = ProcedureLinkFactory(municipality=kommune, url="https://amt.example/alt")
    text = csv_text(f"{kommune.ars},Neu,https://amt.example/neu,kommunal,{keys[0]},,ja")

    apply_plan(plan_csv(text))

    assert set(links_of(kommune)) == {"https://amt.example/alt", "https://amt.example/neu"}
    untouched.refresh_from_db()
    assert untouched.active is True


def test_a_file_without_optional_columns_keeps_those_fields(kommune, keys):
    link = ProcedureLinkFactory(
        municipality=kommune, url="https://amt.example/hund", ozg_id="10110", active=False
    )
    link.services.add(Service.objects.get(leika_key=keys[0]))
    header = "ars,titel,url,zustaendigkeit,leika_schluessel"
    text = csv_text(
        f"{kommune.ars},{link.title},https://amt.example/hund,kommunal,{keys[0]}",
        f"{kommune.ars},Neu,https://amt.example/neu,kommunal,{keys[0]}",
        header=header,
    )

    plan = plan_csv(text)
    apply_plan(plan)

    assert (len(plan.unchanged), len(plan.new)) == (1, 1)
    link.refresh_from_db()
    assert (link.ozg_id, link.active) == ("10110", False)
    assert ProcedureLink.objects.get(url="https://amt.example/neu").active is True


def test_planning_queries_do_not_grow_with_the_rows(kommune, other_kommune, keys):
    def plan_queries(count: int) -> int:
        rows = [
            f"{(kommune, other_kommune)[n % 2].ars},Verfahren {n},https://amt.example/{n},"
            f"kommunal,{keys[n % 3]}|{keys[(n + 1) % 3]},,ja"
            for n in range(count)
        ]
        with CaptureQueriesContext(connection) as queries:
            plan = plan_csv(csv_text(*rows))
        assert plan.errors == []
        return len(queries)

    few = plan_queries(10)
    apply_plan(plan_csv(csv_text(f"{kommune.ars},X,https://amt.example/0,kommunal,{keys[0]},,")))
    many = plan_queries(200)

    assert few == many
    assert many <= 4


def test_saving_many_rows_takes_a_constant_number_of_queries(kommune, keys):
    def apply_queries(count: int, offset: int) -> int:
        rows = [
            f"{kommune.ars},Verfahren {n},https://amt.example/{n},kommunal,{keys[n % 3]},,ja"
            for n in range(offset, offset + count)
        ]
        plan = plan_csv(csv_text(*rows))
        with CaptureQueriesContext(connection) as queries:
            apply_plan(plan)
        return len(queries)

    assert apply_queries(10, 0) == apply_queries(200, 1000)


def test_only_municipality_refuses_rows_of_another_kommune(kommune, other_kommune, keys):
    text = csv_text(
        f"{kommune.ars},Eigenes,https://amt.example/eigen,kommunal,{keys[0]},,ja",
        f"{other_kommune.ars},Fremdes,https://amt.example/fremd,kommunal,{keys[0]},,ja",
    )

    plan = plan_csv(text, only_municipality=kommune)

    assert errors_at(plan, 3) == [
        f"Der ARS {other_kommune.ars} gehört nicht zu Ihrer Kommune ({kommune.ars})."
    ]
    assert [procedure.url for procedure in plan.new] == ["https://amt.example/eigen"]


def test_only_municipality_accepts_its_own_rows(kommune, keys):
    text = csv_text(f"{kommune.ars},Eigenes,https://amt.example/eigen,kommunal,{keys[0]},,ja")

    plan = plan_csv(text, only_municipality=kommune)
    apply_plan(plan)

    assert set(links_of(kommune)) == {"https://amt.example/eigen"}


def test_dry_run_saves_nothing(tmp_path, kommune, keys):
    path = write(
        tmp_path, csv_text(f"{kommune.ars},Neu,https://amt.example/neu,kommunal,{keys[0]},,ja")
    )

    output = run(path, "--dry-run")

    assert not ProcedureLink.objects.exists()
    assert "Zeile 2: " in output
    assert "Probelauf, nichts gespeichert: 1 neu, 0 geändert, 0 unverändert" in output


def test_verbosity_zero_prints_nothing(tmp_path, kommune, keys):
    path = write(
        tmp_path, csv_text(f"{kommune.ars},Neu,https://amt.example/neu,kommunal,{keys[0]},,ja")
    )

    output = run(path, "--verbosity", "0")

    assert output == ""
    assert ProcedureLink.objects.count() == 1


def test_many_errors_list_the_first_fifty_and_count_the_rest(tmp_path, kommune, keys):
    rows = [f"{kommune.ars},T,https://amt.example/{n},lokal,{keys[0]},,ja" for n in range(60)]
    path = write(tmp_path, csv_text(*rows))

    with pytest.raises(CommandError) as raised:
        run(path)

    message = str(raised.value)
    assert "60 Fehler in 60 Zeilen" in message
    assert "Zeile 51: " in message
    assert "Zeile 52: " not in message
    assert "… und 10 weitere Fehler" in message


def test_progress_is_reported_while_checking(kommune, keys, monkeypatch):
    monkeypatch.setattr(procedure_plan, "PROGRESS_EVERY", 2)
    rows = [f"{kommune.ars},T,https://amt.example/{n},kommunal,{keys[0]},,ja" for n in range(5)]
    calls = []

    plan_csv(csv_text(*rows), progress=lambda done, total: calls.append((done, total)))

    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_counts_are_printed_with_a_thousands_dot():
    assert number(150000) == "150.000"


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "verfahren.csv", "Die Datei ist leer."),
        (b"PK\x03\x04\x14\x00\x06\x00", "verfahren.csv", "keine Textdatei, sondern ZIP/Excel"),
        # The words of every import (importing/files.py), for the register and catalogue too.
        (b"ars,titel\x00\x01\x02", "verfahren.csv", NOT_TEXT),
        (b"ars,titel\x01\x02\x03\x04\x05", "verfahren.csv", NOT_TEXT),
        (b"\x81\x8d\x8f\x90", "verfahren.csv", NOT_TEXT),
        ("ars\n".encode("utf-16"), "verfahren.csv", "UTF-16"),
        (b"ars;titel", "verfahren.xls", "Tabellen im Format .xls können nicht gelesen werden"),
        # .xlsx is read since issue 13; a file that is no workbook is told so.
        (b"ars;titel", "verfahren.xlsx", "keine lesbare Excel-Arbeitsmappe"),
        (b"[{", "verfahren.json", "Die JSON-Datei ist fehlerhaft (Zeile 1, Spalte 3)."),
        (b'{"a": 1}', "verfahren.json", "muss eine Liste von Verfahren enthalten"),
    ],
)
def test_unreadable_files_are_refused_clearly(tmp_path, content, name, message):
    path = write(tmp_path, content, name=name)

    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)),
            "Die Datei ist keine Textdatei, sondern ZIP/Excel (.xlsx). Bitte die Daten als "
            "Textdatei speichern (in Excel: „Speichern unter“ → „CSV UTF-8“).",
        ),
        (b"ars;titel\n\x00\x01\x02\n", NOT_TEXT),
        (b"\x81\x8d\x8f\x90", NOT_TEXT),
        (
            "ars\n".encode("utf-16"),
            "Die Datei ist in UTF-16 („Unicode-Text“) gespeichert. Bitte als UTF-8 speichern "
            "(in Excel: „Speichern unter“ → „CSV UTF-8“).",
        ),
        (b" \r\n", "Die Datei ist leer."),
    ],
)
@pytest.mark.parametrize(
    "command", ["import_municipalities", "import_services", "import_procedures"]
)
def test_every_import_refuses_an_unreadable_file_with_the_same_words(
    tmp_path, command, content, message
):
    path = write(tmp_path, content, name="daten.csv")
    args = ["--register", str(path)] if command == "import_municipalities" else [str(path)]

    with pytest.raises(CommandError) as raised:
        call_command(command, *args, stdout=StringIO())

    assert message in str(raised.value).splitlines()[-1]


def test_a_file_ended_by_ctrl_z_is_read(kommune, keys):
    text = csv_text(f"{kommune.ars},Titel,https://amt.example/x,kommunal,{keys[0]},,ja")

    plan = plan_import(text.encode() + b"\x1a", filename="verfahren.csv")

    assert (plan.errors, len(plan.new)) == ([], 1)


def test_a_line_break_copied_from_word_in_a_title_is_read_as_a_space(kommune, keys):
    text = csv_text(
        f"{kommune.ars},Hundesteuer\vanmelden,https://amt.example/x,kommunal,{keys[0]},,"
    )

    plan = plan_csv(text)

    assert [procedure.title for procedure in plan.new] == ["Hundesteuer anmelden"]


def test_an_unclosed_quote_is_reported_at_the_line_where_it_opens(kommune, keys):
    rows = [
        f"{kommune.ars},Titel {n},https://amt.example/{n},kommunal,{keys[0]},," for n in range(3)
    ]
    rows[1] = rows[1].replace("Titel 1", '"Titel 1')
    filler = [f"{kommune.ars},{'x' * 60},https://amt.example/f,kommunal,{keys[0]},,"] * 3000

    plan = plan_csv(csv_text(*rows, *filler))

    assert [str(issue) for issue in plan.errors] == [
        "Zeile 3: Die Zeile kann nicht gelesen werden: ein Anführungszeichen ist nicht "
        "geschlossen oder ein Wert ist viel zu lang."
    ]


@pytest.mark.parametrize(
    ("problem", "text"),
    [
        (Problem(4, "Der Titel fehlt.", "Eintrag 4"), "Eintrag 4: Der Titel fehlt."),
        (Problem(4, "Der Titel fehlt."), "Zeile 4: Der Titel fehlt."),
        (Problem(None, "Die Datei ist leer."), "Die Datei ist leer."),
    ],
)
def test_a_problem_reads_with_its_position(problem, text):
    assert str(problem) == text


def test_missing_file_is_reported(tmp_path):
    # Read like the register and the catalogue: the path heads the report, the reason follows.
    with pytest.raises(
        CommandError,
        match="Die Datei .*fehlt.csv wurde nicht eingelesen, nichts wurde geändert.\n"
        "  Die Datei wurde nicht gefunden.",
    ):
        run(tmp_path / "fehlt.csv")


def test_apply_refuses_a_plan_with_errors(kommune, keys):
    plan = plan_csv(
        csv_text(
            f"{kommune.ars},Gut,https://amt.example/gut,kommunal,{keys[0]},,ja",
            f"{kommune.ars},Schlecht,https://amt.example/s,lokal,{keys[0]},,ja",
        )
    )

    with pytest.raises(PlanHasErrors):
        apply_plan(plan)

    assert not ProcedureLink.objects.exists()


def test_a_plan_overtaken_by_a_concurrent_import_saves_nothing(kommune, keys):
    text = csv_text(
        f"{kommune.ars},Eins,https://amt.example/1,kommunal,{keys[0]},,ja",
        f"{kommune.ars},Zwei,https://amt.example/2,kommunal,{keys[1]},,ja",
    )
    first, second = plan_csv(text), plan_csv(text)
    apply_plan(first)
    saved = list(ProcedureLink.objects.order_by("pk").values_list("pk", "updated_at"))

    with pytest.raises(ImportConflict, match="gleichzeitigen Import"):
        apply_plan(second)

    assert list(ProcedureLink.objects.order_by("pk").values_list("pk", "updated_at")) == saved
    assert ProcedureLink.services.through.objects.count() == 2


def test_a_link_deleted_after_planning_stops_the_import(kommune, keys):
    link = ProcedureLinkFactory(municipality=kommune, url="https://amt.example/alt", title="Alt")
    text = csv_text(
        f"{kommune.ars},Neu,https://amt.example/alt,kommunal,{keys[0]},,ja",
        f"{kommune.ars},Zwei,https://amt.example/2,kommunal,{keys[1]},,ja",
    )
    plan = plan_csv(text)
    link.delete()

    with pytest.raises(ImportConflict):
        apply_plan(plan)

    assert not ProcedureLink.objects.exists()
