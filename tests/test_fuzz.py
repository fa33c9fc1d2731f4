"""Every bad input gets a clear answer, never a 500: a corpus of requests that a stranger, a
clerk or a reviewer can send, each bad value in each parameter and path segment.

The bytes are what a browser or a script sends: values are percent-encoded as UTF-8, so a lone
surrogate arrives as the bytes of one (which Django reads as replacement characters); a few
requests hand on a raw surrogate the way a WSGI server would pass on whatever it got.
The rate limits are off here, so that every request reaches the code behind them.
"""

import datetime
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from django.test import Client, override_settings

from tests.factories import AwardFactory, ProcedureLinkFactory

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
NUMBER = "DA-2021-0001"

BAD_VALUES = [
    "",
    " ",
    "a/b",
    "../../etc/passwd",
    "\x00",
    "Augs\x00burg",
    "\x01\x1f",
    "\x7f",
    "\ud800",  # a lone surrogate
    "²",  # a digit to str.isdigit(), no number to int()
    "١٢٣",  # Arabic-Indic digits
    "１２３",  # full-width digits
    "-1",
    "0",
    "9999999999999999999",
    "9" * 40,
    "1e309",
    "NaN",
    "%",
    "_",
    "'; DROP TABLE awards_award; --",
    "<script>alert(1)</script>",
    "\u202egnp.exe",
    "💥",
    "x" * 300,
    "ü" * 5000,
]


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    body: str | None = None
    extra: tuple = field(default_factory=tuple)

    def __str__(self) -> str:
        shown = self.path if len(self.path) < 120 else self.path[:117] + "…"
        return f"{self.method} {shown}" + (f" {self.body[:80]!r}" if self.body else "")


def encode(value: str) -> str:
    return quote(value, safe="", errors="surrogatepass")


def query(path: str, names: list[str], values: list[str] = BAD_VALUES, **fixed: str) -> list[Case]:
    """Each bad value in each parameter, beside the others' usable values."""
    cases = []
    for name in names:
        for value in values:
            pairs = {**fixed, name: value}
            string = "&".join(f"{encode(key)}={encode(text)}" for key, text in pairs.items())
            cases.append(Case("GET", f"{path}?{string}"))
    return cases


def segment(template: str, values: list[str] = BAD_VALUES) -> list[Case]:
    """Each bad value as a path segment ("/pruefen/{}/")."""
    return [Case("GET", template.format(encode(value))) for value in values if value]


def form(path: str, fields: dict[str, str], names: list[str] | None = None) -> list[Case]:
    """Each bad value in each field of a form posted as a browser posts it."""
    cases = []
    for name in names or list(fields):
        for value in BAD_VALUES:
            data = {**fields, name: value}
            body = "&".join(f"{encode(key)}={encode(text)}" for key, text in data.items())
            cases.append(Case("POST", path, body))
    return cases


def raw(path: str, query_string: str) -> Case:
    """A query string handed on as the WSGI server got it, whatever it holds."""
    return Case("GET", path, extra=(("QUERY_STRING", query_string),))


PUBLIC = [
    *query("/", ["q", "regierungsbezirk", "landkreis", "art", "sortierung", "seite"]),
    *query("/karte/", ["x"]),
    *query("/statistik/", ["x"]),
    *segment("/static/css/{}"),
    *segment("/media/{}"),
    *segment("/kommunen/{}/"),
    *query("/pruefen/", ["nummer"]),
    *segment("/pruefen/{}/"),
    *segment("/auszeichnungen/{}/signet.svg"),
    *segment("/auszeichnungen/{}/schild.pdf"),
    *query(f"/auszeichnungen/{NUMBER}/signet.png", ["breite"]),
    *query(f"/auszeichnungen/{NUMBER}/schild.pdf", ["format"]),
    *query("/api/v1/auszeichnungen.json", ["q"]),
    *query("/feeds/auszeichnungen.atom", ["q"]),
    *query("/barrierefreiheit/", ["seite"]),
    *form(
        "/barrierefreiheit/",
        {
            "message": "Zu wenig Kontrast.",
            "page": "/karte/",
            "name": "",
            "email": "",
            "website": "",
        },
    ),
    *form("/i18n/setlang/", {"language": "en", "next": "/"}),
    raw("/", "q=\ud800"),
    raw("/pruefen/", "nummer=\udc80"),
    raw(f"/auszeichnungen/{NUMBER}/signet.png", "breite=\ud83d"),
    raw("/", "q=%ED%A0%80"),
]
ACCOUNTS = [
    *form("/konto/anmelden/", {"username": "anna@example.org", "password": "falsch-123456"}),
    *form("/admin/login/", {"username": "anna@example.org", "password": "falsch-123456"}),
    *form("/konto/passwort-vergessen/", {"email": "nobody@example.org"}),
    *query("/konto/anmelden/", ["next"]),
    *segment("/konto/passwort/{}/abc-123/"),
    *segment("/konto/passwort/MQ/{}/"),
    *segment("/konto/einladung/{}/abc-123/"),
    raw("/konto/anmelden/", "next=\ud800"),
]
PORTAL = [
    *query("/portal/verfahren/", ["q", "zustaendigkeit", "status", "seite"]),
    *query("/portal/leistungen/suche/", ["q"]),
    *query("/portal/", ["x"]),
    *segment("/portal/verfahren/{}/bearbeiten/"),
    *form(
        "/portal/verfahren/neu/",
        {"title": "Hundesteuer", "url": "https://amt.example/hund", "scope": "kommunal"},
    ),
    raw("/portal/leistungen/suche/", "q=\ud800"),
]
ADMIN = [
    *query("/admin/awards/award/", ["q", "revoked", "at_risk", "o", "p"]),
    *query("/admin/awards/application/", ["q", "o", "p"]),
    *query("/admin/municipalities/municipality/", ["q", "kind", "o"]),
    *query("/admin/municipalities/procedurelink/", ["q", "scope", "active"]),
    *segment("/admin/awards/award/{}/change/"),
    # The list filters of the admin (digitalesamt.lib.admin checks their values).
    *query("/admin/awards/award/", ["year"]),
    *query("/admin/awards/application/", ["status"]),
    *query(
        "/admin/municipalities/municipality/",
        ["regierungsbezirk", "landkreis", "threshold_reached"],
    ),
    *query("/admin/municipalities/procedurelink/", ["municipality", "service", "check_result"]),
]


@pytest.fixture
def site(kommune, clerk, reviewer, settings):
    """A holder with its documents' number, a clerk's link, the feedback form offered."""
    settings.ACCESSIBILITY_FEEDBACK_EMAILS = ["barrierefreiheit@stmd.example"]
    AwardFactory(municipality=kommune, number=NUMBER, issued_on=datetime.date(2021, 7, 28))
    ProcedureLinkFactory(municipality=kommune)


def client_for(user=None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def server_errors(client: Client, cases: list[Case]) -> list[str]:
    errors = []
    for case in cases:
        extra = dict(case.extra)
        if case.method == "GET":
            path, _, query_string = case.path.partition("?")
            response = client.get(path, **{"QUERY_STRING": query_string, **extra})
        else:
            response = client.post(case.path, case.body, content_type=FORM, **extra)
        if response.status_code >= 500:
            errors.append(f"{response.status_code} {case}")
    return errors


LIMITS = (
    "RATE_LIMIT_LOGIN_PER_ADDRESS",
    "RATE_LIMIT_LOGIN_BURST_PER_ADDRESS",
    "RATE_LIMIT_PASSWORD_RESET_PER_ADDRESS",
    "RATE_LIMIT_PASSWORD_RESET_PER_EMAIL",
    "RATE_LIMIT_FEEDBACK_PER_ADDRESS",
    "RATE_LIMIT_FEEDBACK",
    "RATE_LIMIT_RENDER_PER_ADDRESS",
    "RATE_LIMIT_RENDER",
)
NO_LIMITS = override_settings(**dict.fromkeys(LIMITS, "0"))


def test_the_corpus_is_several_hundred_requests():
    total = len(PUBLIC) + len(ACCOUNTS) + len(PORTAL) + len(ADMIN)

    assert total > 1500


@NO_LIMITS
def test_no_request_to_the_public_site_gets_a_server_error(site):
    assert server_errors(client_for(), PUBLIC) == []


@NO_LIMITS
def test_no_request_to_the_account_pages_gets_a_server_error(site):
    assert server_errors(client_for(), ACCOUNTS) == []


@NO_LIMITS
def test_no_request_of_a_clerk_to_the_portal_gets_a_server_error(site, clerk):
    assert server_errors(client_for(clerk), PORTAL) == []


@NO_LIMITS
def test_no_request_of_a_reviewer_to_the_admin_gets_a_server_error(site, reviewer):
    assert server_errors(client_for(reviewer), ADMIN) == []


# The specific answers --------------------------------------------------------------------------


def test_a_number_with_a_slash_is_not_found_on_the_form_page(client, site):
    response = client.get("/pruefen/", {"nummer": "a/b"})

    assert response.status_code == 404
    assert "Zur Nummer „a/b“ gibt es keine Auszeichnung" in response.content.decode()


def test_a_number_longer_than_the_field_is_not_found_and_shown_cut(client, site):
    response = client.get("/pruefen/", {"nummer": "DA" + "1" * 500})

    assert response.status_code == 404
    assert "DA" + "1" * 38 + "“" in response.content.decode()


@pytest.mark.parametrize("width", ["²", "١٦٠", "３２０"])
def test_a_width_in_other_digits_is_refused_with_the_widths(client, site, width):
    response = client.get(f"/auszeichnungen/{NUMBER}/signet.png", {"breite": width})

    assert response.status_code == 400
    assert "160, 320 (Standard) oder 640" in response.content.decode()


@pytest.mark.parametrize(
    "path", ["/pruefen/%00/", "/pruefen/?nummer=%00", f"/auszeichnungen/{NUMBER}%00/signet.svg"]
)
def test_a_nul_anywhere_gets_the_german_400_page(client, site, path):
    response = client.get(path)

    assert response.status_code == 400
    assert "Steuerzeichen" in response.content.decode()
