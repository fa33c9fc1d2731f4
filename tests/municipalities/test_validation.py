"""The rules for procedure URLs and LeiKa keys, and that the file import follows them."""

import pytest
from django.core.exceptions import ValidationError

from municipalities.importing.procedures import plan_import
from municipalities.validation import clean_procedure_url, leika_key_problem, shown
from tests.factories import MunicipalityFactory, ServiceFactory

BAD_URLS = [
    ("", "required"),
    ("   ", "required"),
    ("/hund", "scheme"),
    ("javascript:alert(1)", "scheme"),
    ("mailto:amt@amt.example", "scheme"),
    ("ftp://amt.example/hund", "scheme"),
    ("https://amt example/hund", "invalid"),
    ("https://", "invalid"),
    ("https://amt.example/" + "a" * 1000, "max_length"),
]


def url_error(value: str) -> ValidationError:
    with pytest.raises(ValidationError) as raised:
        clean_procedure_url(value)
    return raised.value


def test_clean_procedure_url_returns_the_normalized_url():
    assert clean_procedure_url("  HTTPS://Amt.Example/antrag?x=1#start ") == (
        "https://amt.example/antrag?x=1"
    )


@pytest.mark.parametrize(
    ("typed", "completed"),
    [
        ("www.hoesbach.de/hund", "https://www.hoesbach.de/hund"),
        ("  amt.example/hund  ", "https://amt.example/hund"),
        ("amt.example:8443/hund", "https://amt.example:8443/hund"),
        ("//amt.example/hund", "https://amt.example/hund"),
    ],
)
def test_clean_procedure_url_completes_an_address_typed_without_https(typed, completed):
    assert clean_procedure_url(typed) == completed


@pytest.mark.django_db
def test_the_file_import_completes_an_address_without_https_like_the_form():
    kommune = MunicipalityFactory()
    key = ServiceFactory().leika_key
    text = (
        "ars;titel;url;zustaendigkeit;leika_schluessel\n"
        f"{kommune.ars};Titel;www.hoesbach.de/hund;kommunal;{key}\n"
    )

    plan = plan_import(text.encode(), filename="verfahren.csv")

    assert not plan.errors
    assert [procedure.url for procedure in plan.new] == ["https://www.hoesbach.de/hund"]


@pytest.mark.parametrize(("url", "code"), BAD_URLS)
def test_clean_procedure_url_refuses_a_bad_url_saying_why(url, code):
    assert url_error(url).code == code


def test_a_long_bad_url_is_quoted_shortened():
    error = url_error("ftp://amt.example/" + "x" * 200)

    quoted = error.messages[0].split("„")[1].split("“")[0]
    assert len(quoted) == 80
    assert quoted.endswith("…")


def test_shown_keeps_a_short_value_and_cuts_a_long_one_to_eighty_characters():
    assert shown("kurz") == "kurz"
    assert shown("x" * 81) == "x" * 79 + "…"


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "code"), [bad for bad in BAD_URLS if bad[0].strip()])
def test_the_file_import_refuses_a_url_with_the_words_of_the_form(url, code):
    kommune = MunicipalityFactory()
    key = ServiceFactory().leika_key
    text = (
        f"ars;titel;url;zustaendigkeit;leika_schluessel\n{kommune.ars};Titel;{url};kommunal;{key}\n"
    )

    plan = plan_import(text.encode(), filename="verfahren.csv")

    assert [issue.message for issue in plan.errors] == url_error(url).messages


@pytest.mark.django_db
def test_the_file_import_says_an_empty_url_is_missing_like_the_form():
    kommune = MunicipalityFactory()
    key = ServiceFactory().leika_key
    text = f"ars;titel;url;zustaendigkeit;leika_schluessel\n{kommune.ars};Titel;;kommunal;{key}\n"

    plan = plan_import(text.encode(), filename="verfahren.csv")

    assert [issue.message for issue in plan.errors] == ["Die URL fehlt."] == url_error("").messages


@pytest.mark.parametrize(
    ("key", "known", "problem"),
    [
        ("99001001000000", True, None),
        (
            "99001001000000",
            False,
            "Unbekannter LeiKa-Schlüssel 99001001000000: nicht im Leistungskatalog.",
        ),
        ("1234", False, "Der LeiKa-Schlüssel „1234“ ist ungültig: genau 14 Ziffern."),
        (
            "9.9001E+13",
            False,
            "Der LeiKa-Schlüssel „9.9001E+13“ wurde von Excel als Zahl gespeichert; die Spalte "
            "als Text formatieren.",
        ),
    ],
)
def test_leika_key_problem_says_what_is_wrong(key, known, problem):
    assert leika_key_problem(key, known=known) == problem


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["99999999999999", "1234", "9.9001E+13", "9900100100000x"])
def test_the_file_import_refuses_a_leika_key_with_the_words_of_the_form(key):
    kommune = MunicipalityFactory()
    row = f"{kommune.ars};Titel;https://amt.example/x;kommunal;{key}"
    text = f"ars;titel;url;zustaendigkeit;leika_schluessel\n{row}\n"

    plan = plan_import(text.encode(), filename="verfahren.csv")

    assert [issue.message for issue in plan.errors] == [leika_key_problem(key, known=False)]
