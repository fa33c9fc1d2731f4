"""The link checker against a local HTTP server; nothing here reaches beyond 127.0.0.1 and ::1.

Names that should look public ("amt.example") go through `FakeNetwork`: it answers the lookups
and routes a public-looking address to the local server, and fails the test on any other
connection.
"""

import gzip
import ipaddress
import math
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from digitalesamt.lib import linkcheck, safehttp
from digitalesamt.lib.addresses import is_public_address
from digitalesamt.lib.linkcheck import check_url, check_urls
from municipalities.constants import LinkCheckResult

# Stands for a host on the internet. FakeNetwork routes it to the local server, so it is never
# contacted; it only has to count as public.
PUBLIC_ADDRESS = "93.184.215.14"

# Self-signed for "localhost", valid 2000-2100, made for these tests only:
#   openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost
#   openssl ca -selfsign -startdate 20000101000000Z -enddate 21000101000000Z
#     (extensions: CA:TRUE, subjectAltName DNS:localhost, keyUsage, extendedKeyUsage serverAuth)
TEST_CERTIFICATE = """\
-----BEGIN CERTIFICATE-----
MIIBhjCCASygAwIBAgIBATAKBggqhkjOPQQDAjAUMRIwEAYDVQQDDAlsb2NhbGhv
c3QwIBcNMDAwMTAxMDAwMDAwWhgPMjEwMDAxMDEwMDAwMDBaMBQxEjAQBgNVBAMM
CWxvY2FsaG9zdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABOTPjK7x+C70VRa0
Xnpwj8pk9hWyeBh+EPde82DDDZg43rv7dkRUz9UGTeIHqdYGlNDf7+B1gTnLtZqZ
stCalcyjbTBrMA8GA1UdEwEB/wQFMAMBAf8wFAYDVR0RBA0wC4IJbG9jYWxob3N0
MA4GA1UdDwEB/wQEAwIChDATBgNVHSUEDDAKBggrBgEFBQcDATAdBgNVHQ4EFgQU
mAHDZRaphsBHqrqBLy1HwIHrN3QwCgYIKoZIzj0EAwIDSAAwRQIgCvPiscy91Z6e
OLwH7nCz6OcYAy60GawQqWk9EhArtNMCIQCSfzw8rhrZnYgT8pZiMlrOWbmxv8xD
WUiAL78Z9iBq2w==
-----END CERTIFICATE-----
"""
TEST_PRIVATE_KEY = """\
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgOwXYDHslISJx31rl
xyEEpBatjB69ZlhUYodMhctLuVuhRANCAATkz4yu8fgu9FUWtF56cI/KZPYVsngY
fhD3XvNgww2YON67+3ZEVM/VBk3iB6nWBpTQ3+/gdYE5y7WambLQmpXM
-----END PRIVATE KEY-----
"""


FORM = b"""<form method="post" action="/antrag"><label>Name <input name="name"></label>
<button>Antrag senden</button></form>"""
# Path: body and Content-Type of a page to classify.
PAGES = {
    "/form": (b"<!doctype html><title>Antrag</title>" + FORM, "text/html; charset=utf-8"),
    "/form-input-submit": (
        b'<form method=POST><input name=a><input type="SUBMIT" value="Los"></form>',
        "text/html",
    ),
    "/form-tied-submit": (
        b'<form method="post" id="antrag"><input name="a"></form>'
        b'<button type="submit" form="antrag">Senden</button>',
        "text/html",
    ),
    "/form-no-submit": (
        b'<form method="post"><input name="a"><button type="button">Weiter</button></form>',
        "text/html",
    ),
    "/search": (
        b'<form action="/suche"><input type="search" name="q"><button>Suchen</button></form>',
        "text/html",
    ),
    "/password": (
        b'<form method="post"><input name="u"><input type="password" name="p"></form>',
        "text/html",
    ),
    "/pdf": (b"%PDF-1.7 Antrag", "application/pdf"),
    "/antrag.pdf": (b"%PDF-1.7 Antrag", "application/octet-stream"),
    "/unnamed-download": (b"%PDF-1.4 Antrag", "application/octet-stream"),
    "/text": (b"Antrag per Post", "text/plain; charset=utf-8"),
    "/latin1": (
        "<form method=post><button>Gebühr zahlen</button></form>".encode("latin-1"),
        "text/html; charset=iso-8859-1",
    ),
    "/unknown-charset": (FORM, "text/html; charset=x-unbekannt"),
    # Broken markup: a form in a comment and in a script, unclosed tags, stray brackets.
    "/malformed": (
        b"<html><body <<p>> <!-- <form method=post><button>x</button></form> -->"
        b'<script>document.write("<form method=post><button>x</button></form>")</script>'
        b'<div class="a><span <a href=x <form <b>Kein Antrag</b> <!--',
        "text/html",
    ),
    "/markup-bomb": (b"<a" * 130_000, "text/html"),
}


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]


class Handler(BaseHTTPRequestHandler):
    server: "LocalServer"

    def do_HEAD(self) -> None:
        self.answer()

    def do_GET(self) -> None:
        self.answer()

    def answer(self) -> None:
        self.server.seen.append(Seen(self.command, self.path, dict(self.headers)))
        path = self.path
        if path in ("/ok", "/chain/0", "/ok-b%C3%BCro"):
            self.reply(200)
        elif path == "/missing":
            self.reply(404)
        elif path == "/gone":
            self.reply(410)
        elif path in PAGES:
            self.page(*PAGES[path])
        elif path == "/folder":
            self.redirect("/folder/")
        elif path == "/folder/":
            self.reply(200)
        elif path == "/secure":  # over http: to https on the same host and default port
            if isinstance(self.connection, ssl.SSLSocket):
                self.reply(200)
            else:
                self.redirect("https://localhost/secure")
        elif path == "/to-other-host":
            self.redirect("http://anderes-amt.example/ok")
        elif path == "/big-form":  # the form comes after the first LINKCHECK_PAGE_BYTES
            self.page(b"<p>" + b"x" * 5000 + FORM, "text/html")
        elif path == "/endless":
            self.endless()
        elif path == "/compressed":
            body = gzip.compress(b"<form method=post><button>Senden</button></form>" * 1000)
            self.page(body, "text/html", {"Content-Encoding": "gzip"})
        elif path == "/slow-body":  # the form arrives, then the body stalls
            self.page(FORM + b"<p>", "text/html", stall=True)
        elif path == "/server-error":
            self.reply(500)
        elif path == "/redirect":
            self.redirect("/ok")
        elif path == "/loop":
            self.redirect("/loop")
        elif path.startswith("/chain/"):
            self.redirect(f"/chain/{int(path.removeprefix('/chain/')) - 1}")
        elif path.startswith("/head-"):  # /head-405: HEAD answers 405, GET answers 200
            self.reply(int(path.removeprefix("/head-")) if self.command == "HEAD" else 200)
        elif path == "/head-hangs-up":
            if self.command == "GET":
                self.reply(200)
            # HEAD: close without a word, as some broken servers do
        elif path == "/umlaut":
            # Raw UTF-8 in the header, as some servers send it.
            self.redirect("/ok-b\u00c3\u00bcro")
        elif path == "/to-private":
            self.redirect(f"http://127.0.0.1:{self.server.server_port}/ok")
        elif path == "/to-intranet":
            self.redirect("http://intranet.example/ok")
        elif path == "/to-ftp":
            self.redirect("ftp://amt.example/antrag.pdf")
        elif path == "/cookie":
            if "sitzung=1" in self.headers.get("Cookie", ""):
                self.reply(200)
            else:
                self.redirect("/cookie", {"Set-Cookie": "sitzung=1; Path=/"})
        elif path == "/slow" or path.startswith("/slow/"):
            self.server.release.wait(10)
            self.reply(200)
        elif path.startswith("/slow-hop/"):  # each hop answers after 0.3 s, all in time
            self.server.release.wait(0.3)
            hop = int(path.removeprefix("/slow-hop/"))
            if hop:
                self.redirect(f"/slow-hop/{hop - 1}")
            else:
                self.reply(200)
        elif path == "/slow-head":  # HEAD refused after 0.3 s, GET answers after 0.3 s
            self.server.release.wait(0.3)
            self.reply(405 if self.command == "HEAD" else 200)
        elif path.startswith("/pause/"):  # counts the requests in flight at once
            with self.server.lock:
                self.server.in_flight += 1
                self.server.most_in_flight = max(self.server.most_in_flight, self.server.in_flight)
            self.server.release.wait(0.2)
            with self.server.lock:
                self.server.in_flight -= 1
            self.reply(200)
        elif path == "/drip":
            self.drip()
        elif path == "/late-body":  # HEAD refused, so that GET reads the body
            self.reply(405 if self.command == "HEAD" else 200, pause=0.05)
        else:
            self.reply(404)

    def reply(self, status: int, pause: float = 0) -> None:
        body = b"<!doctype html><title>Antrag</title>" + b"x" * 10_000
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "GET":
            if pause:  # so that the body arrives after the headers were read
                self.wfile.flush()
                self.server.release.wait(pause)
            self.wfile.write(body)

    def page(
        self,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        stall: bool = False,
    ) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) + (100 if stall else 0)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(body)
            self.wfile.flush()
            if stall:
                self.server.release.wait(10)

    def endless(self) -> None:
        """Send an HTML body without a length that never ends until the test does."""
        self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n")
        if self.command == "GET":
            while not self.server.release.is_set():
                self.wfile.write(b"<p>Informationen zum Verfahren</p>" * 100)

    def redirect(self, location: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def drip(self) -> None:
        """Send a header line every 0.1 s: each read gets data, the answer never ends."""
        self.wfile.write(b"HTTP/1.0 200 OK\r\n")
        for number in range(100):
            if self.server.release.wait(0.1):
                return
            self.wfile.write(f"X-Warten: {number}\r\n".encode())
            self.wfile.flush()

    def log_message(self, format: str, *args) -> None:
        pass


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # check_urls connects side by side

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: list[Seen] = []
        self.release = threading.Event()  # lets the slow handlers go at the end of a test
        self.lock = threading.Lock()
        self.in_flight = self.most_in_flight = 0

    def url(self, path: str, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.server_port}{path}"

    def paths(self) -> list[tuple[str, str]]:
        return [(seen.method, seen.path) for seen in self.seen]

    def handle_error(self, request, client_address) -> None:
        pass  # the checker hangs up on the slow handlers; that is expected


def run(server: LocalServer):
    # A short poll interval: shutdown() waits for the next poll.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def server():
    yield from run(LocalServer())


@pytest.fixture
def tls_server(tmp_path):
    server = LocalServer()
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    certificate.write_text(TEST_CERTIFICATE)
    key.write_text(TEST_PRIVATE_KEY)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    yield from run(server)


@pytest.fixture
def trust_test_certificate(monkeypatch):
    context = ssl.create_default_context(cadata=TEST_CERTIFICATE)
    monkeypatch.setattr(safehttp, "tls_context", lambda: context)


@pytest.fixture
def no_connections(monkeypatch):
    """Fail the test on any attempt to connect anywhere."""

    def connect(*args, **kwargs):
        pytest.fail(f"the check tried to connect: {args}")

    monkeypatch.setattr(socket, "create_connection", connect)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect)


class FakeNetwork:
    """Answer lookups from a table and route public-looking addresses to local servers."""

    def __init__(self, monkeypatch) -> None:
        self.names: dict[str, list[str]] = {}
        self.routes: dict[tuple[str, int], tuple[str, int]] = {}
        self.lookups: list[str] = []
        self.connections: list[tuple[str, int]] = []
        self._create_connection = socket.create_connection
        monkeypatch.setattr(safehttp, "resolve", self.resolve)
        monkeypatch.setattr(socket, "create_connection", self.create_connection)

    def resolve(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host not in self.names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.names[host]

    def create_connection(self, address, timeout=None, *args, **kwargs):
        self.connections.append(address)
        if address in self.routes:
            return self._create_connection(self.routes[address], timeout)
        if address[0] in ("127.0.0.1", "::1"):
            return self._create_connection(address, timeout)
        pytest.fail(f"the check tried to connect to {address}")


@pytest.fixture
def network(monkeypatch, server):
    """amt.example is a public address that leads to the local server."""
    network = FakeNetwork(monkeypatch)
    network.names["amt.example"] = [PUBLIC_ADDRESS]
    network.routes[(PUBLIC_ADDRESS, 80)] = ("127.0.0.1", server.server_port)
    return network


def test_a_page_that_answers_is_ok(server):
    check = check_url(server.url("/ok"), allow_private=True)

    assert check.result == LinkCheckResult.OK
    assert check.ok
    assert check.status_code == 200
    assert check.final_url == server.url("/ok")
    assert check.detail == "HTTP 200"
    assert timezone.is_aware(check.checked_at)
    # HEAD gives the outcome; one GET reads the page to tell what kind it is.
    assert server.paths() == [("HEAD", "/ok"), ("GET", "/ok")]
    assert (check.page_kind, check.page_reason) == ("information", "kein Formular gefunden")


def test_the_request_names_the_host_and_the_checker(server, settings):
    settings.LINKCHECK_USER_AGENT = "Pruefer/2.0"

    check_url(server.url("/ok"), allow_private=True)

    headers = server.seen[0].headers
    assert headers["Host"] == f"127.0.0.1:{server.server_port}"
    assert headers["User-Agent"] == "Pruefer/2.0"


def test_the_checker_names_the_site_by_default(server, settings):
    del settings.LINKCHECK_USER_AGENT
    settings.LINKCHECK_ALLOW_PRIVATE = True

    check_url(server.url("/ok"))

    user_agent = server.seen[0].headers["User-Agent"]
    assert user_agent == "DigitalesAmt-Linkpruefung/1.0 (+https://digitales-amt.test)"


def test_a_missing_page_is_not_found_after_asking_again_with_get(server):
    check = check_url(server.url("/missing"), allow_private=True)

    assert check.result == LinkCheckResult.NOT_FOUND
    assert check.status_code == 404
    assert check.detail == "HTTP 404 – nicht gefunden"
    assert server.paths() == [("HEAD", "/missing"), ("GET", "/missing")]


def test_a_server_error_is_broken(server):
    check = check_url(server.url("/server-error"), allow_private=True)

    assert check.result == LinkCheckResult.BROKEN
    assert check.detail == "HTTP 500 – interner Serverfehler"


@pytest.mark.parametrize("status", [400, 403, 404, 405, 500, 501])
def test_a_server_that_fails_only_on_head_is_ok_with_get(server, status):
    check = check_url(server.url(f"/head-{status}"), allow_private=True)

    assert check.result == LinkCheckResult.OK
    assert check.status_code == 200
    assert server.paths() == [("HEAD", f"/head-{status}"), ("GET", f"/head-{status}")]


def test_a_server_that_hangs_up_on_head_is_asked_with_get(server):
    check = check_url(server.url("/head-hangs-up"), allow_private=True)

    assert check.result == LinkCheckResult.OK
    assert server.paths() == [("HEAD", "/head-hangs-up"), ("GET", "/head-hangs-up")]


def test_a_body_that_arrives_after_the_headers_is_read(server):
    check = check_url(server.url("/late-body"), allow_private=True)

    assert check.result == LinkCheckResult.OK
    assert server.paths() == [("HEAD", "/late-body"), ("GET", "/late-body")]


def test_a_redirect_is_followed_to_its_target(server):
    check = check_url(server.url("/redirect"), allow_private=True)

    assert check.result == LinkCheckResult.REDIRECTED
    assert check.status_code == 200
    assert check.final_url == server.url("/ok")
    assert check.detail == f"HTTP 200 (weitergeleitet auf {server.url('/ok')})"


def test_a_redirect_to_a_raw_utf8_location_is_read_as_utf8(server):
    check = check_url(server.url("/umlaut"), allow_private=True)

    assert check.result == LinkCheckResult.REDIRECTED
    assert ("HEAD", "/ok-b%C3%BCro") in server.paths()


def test_a_redirect_loop_is_broken(server):
    check = check_url(server.url("/loop"), allow_private=True)

    assert check.result == LinkCheckResult.BROKEN
    assert check.status_code == 302
    assert check.detail.startswith("Weiterleitungsschleife")
    assert server.paths() == [("HEAD", "/loop")]


def test_a_redirect_that_sets_a_cookie_and_comes_back_is_not_a_loop(server):
    check = check_url(server.url("/cookie"), allow_private=True)

    assert check.result == LinkCheckResult.OK
    assert server.seen[-1].headers["Cookie"] == "sitzung=1"


def test_more_redirects_than_allowed_are_broken(server):
    check = check_url(server.url("/chain/6"), allow_private=True, max_redirects=5)

    assert check.result == LinkCheckResult.BROKEN
    assert check.status_code == 302
    assert check.detail == "Zu viele Weiterleitungen (mehr als 5)"
    assert len(server.seen) == 6


def test_as_many_redirects_as_allowed_are_followed(server):
    check = check_url(server.url("/chain/5"), allow_private=True, max_redirects=5)

    assert check.result == LinkCheckResult.REDIRECTED
    assert check.final_url == server.url("/chain/0")


def test_the_redirect_limit_comes_from_the_settings(server, settings):
    settings.LINKCHECK_MAX_REDIRECTS = 1

    check = check_url(server.url("/chain/2"), allow_private=True)

    assert check.detail == "Zu viele Weiterleitungen (mehr als 1)"


def test_a_server_that_does_not_answer_in_time_is_a_timeout(server):
    check = check_url(server.url("/slow"), allow_private=True, timeout=0.5)

    assert check.result == LinkCheckResult.TIMEOUT
    assert check.status_code is None
    assert check.detail == "Zeitüberschreitung nach 0,5 s"
    assert server.paths() == [("HEAD", "/slow")]  # a timeout is not asked again with GET


def test_a_server_that_drips_its_answer_is_cut_off_at_the_timeout(server):
    check = check_url(server.url("/drip"), allow_private=True, timeout=0.5)

    assert check.result == LinkCheckResult.TIMEOUT
    assert check.detail == "Zeitüberschreitung nach 0,5 s"


def test_the_timeout_comes_from_the_settings(server, settings):
    settings.LINKCHECK_TIMEOUT = 0.5

    check = check_url(server.url("/slow"), allow_private=True)

    assert check.detail == "Zeitüberschreitung nach 0,5 s"


def test_the_deadline_covers_every_redirect(server, settings):
    settings.LINKCHECK_DEADLINE = 0.8

    started = time.monotonic()
    check = check_url(server.url("/slow-hop/5"), allow_private=True, timeout=0.5)

    assert time.monotonic() - started < 1.2  # six hops of 0.3 s each would take 1.8 s
    assert check.result == LinkCheckResult.TIMEOUT
    assert check.detail.startswith("Zeitüberschreitung: nach 0,8 s insgesamt abgebrochen")
    assert "weitergeleitet auf" in check.detail


def test_the_deadline_covers_the_get_after_a_head(server, settings):
    settings.LINKCHECK_DEADLINE = 0.45

    check = check_url(server.url("/slow-head"), allow_private=True, timeout=0.4)

    assert check.detail == "Zeitüberschreitung: nach 0,45 s insgesamt abgebrochen"
    assert server.paths() == [("HEAD", "/slow-head"), ("GET", "/slow-head")]


def test_a_request_within_the_deadline_still_has_its_own_timeout(server, settings):
    settings.LINKCHECK_DEADLINE = 30

    check = check_url(server.url("/slow"), allow_private=True, timeout=0.3)

    assert check.detail == "Zeitüberschreitung nach 0,3 s"


def test_the_deadline_covers_a_name_lookup_that_hangs(monkeypatch, settings):
    settings.LINKCHECK_DEADLINE = 0.3
    answer = threading.Event()

    def resolve(host, port):
        answer.wait(5)  # as a resolver that gets no answer from its name server
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(safehttp, "resolve", resolve)
    started = time.monotonic()
    check = check_url("https://amt.example/antrag")
    answer.set()

    assert time.monotonic() - started < 1
    assert check.result == LinkCheckResult.TIMEOUT
    assert check.detail == "Zeitüberschreitung: nach 0,3 s insgesamt abgebrochen"


def test_check_urls_checks_as_many_at_once_as_the_settings_say(server, settings):
    settings.LINKCHECK_WORKERS = 2

    checks = check_urls([server.url(f"/pause/{n}") for n in range(6)], allow_private=True)

    assert all(check.ok for check in checks.values())
    assert server.most_in_flight == 2


def test_two_thousand_refused_links_take_a_moment_not_minutes():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    urls = [f"http://127.0.0.1:{port}/verfahren/{n}" for n in range(2000)]

    started = time.monotonic()
    checks = check_urls(urls, allow_private=True)

    assert {check.detail for check in checks.values()} == {"Verbindung abgelehnt"}
    assert time.monotonic() - started < 20  # 2,000 at 0.2 ms to 3 ms each


def test_links_that_hang_take_at_most_their_share_of_the_deadline(server, settings):
    """ceil(links / workers) × deadline, the bound awards.tasks promises for one batch."""
    settings.LINKCHECK_DEADLINE = 0.1
    settings.LINKCHECK_WORKERS = 8
    urls = [server.url(f"/slow/{n}") for n in range(100)]

    started = time.monotonic()
    checks = check_urls(urls, allow_private=True, timeout=5)
    elapsed = time.monotonic() - started

    assert {check.detail for check in checks.values()} == {
        "Zeitüberschreitung: nach 0,1 s insgesamt abgebrochen"
    }
    bound = math.ceil(100 / 8) * 0.1
    assert bound <= elapsed < bound * 1.5 + 0.5


def test_a_closed_port_is_broken():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]

    check = check_url(f"http://127.0.0.1:{port}/", allow_private=True)

    assert check.result == LinkCheckResult.BROKEN
    assert check.detail == "Verbindung abgelehnt"


def test_a_name_that_does_not_resolve_is_broken():
    check = check_url("https://amt.invalid/antrag")

    assert check.result == LinkCheckResult.BROKEN
    assert check.detail == "Name amt.invalid nicht auflösbar"


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("localhost", "127.0.0.1"),
        ("10.0.0.1", "10.0.0.1"),
        ("192.168.1.1", "192.168.1.1"),
        ("172.16.0.1", "172.16.0.1"),
        ("100.64.0.1", "100.64.0.1"),
        ("169.254.169.254", "169.254.169.254"),
        ("0.0.0.0", "0.0.0.0"),  # noqa: S104 (an address to refuse, nothing binds to it)
        ("224.0.0.1", "224.0.0.1"),
        ("[::1]", "::1"),
        ("[::]", "::"),
        ("[fe80::1]", "fe80::1"),
        ("[fc00::1]", "fc00::1"),
        ("[::ffff:127.0.0.1]", str(ipaddress.ip_address("::ffff:127.0.0.1"))),
        ("[2002:7f00:1::1]", "2002:7f00:1::1"),
        ("[64:ff9b::a9fe:a9fe]", "64:ff9b::a9fe:a9fe"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0xa9fea9fe", "169.254.169.254"),
    ],
)
def test_an_address_that_is_not_public_is_refused_without_connecting(
    server, no_connections, host, address
):
    url = f"http://{host}:{server.server_port}/ok"

    check = check_url(url, allow_private=False)

    assert check.result == LinkCheckResult.REFUSED
    assert check.detail == f"Adresse {address} ist nicht öffentlich – nicht abgerufen"
    assert check.final_url == url
    assert check.status_code is None
    assert server.seen == []


def test_private_addresses_are_refused_by_default(server, no_connections):
    check = check_url(server.url("/ok"))

    assert check.result == LinkCheckResult.REFUSED


def test_a_name_with_any_private_address_is_refused(network, no_connections):
    network.names["amt.example"] = [PUBLIC_ADDRESS, "10.0.0.7"]

    check = check_url("http://amt.example/ok")

    assert check.result == LinkCheckResult.REFUSED
    assert "10.0.0.7" in check.detail


@pytest.mark.parametrize(
    "url",
    [
        "ftp://amt.example/antrag.pdf",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "data:text/html,<h1>Antrag</h1>",
        "mailto:buergerbuero@amt.example",
        "amt.example/antrag",
    ],
)
def test_anything_but_http_and_https_is_refused_without_looking_up(network, no_connections, url):
    check = check_url(url)

    assert check.result == LinkCheckResult.REFUSED
    assert check.final_url == url
    assert network.lookups == []


def test_the_check_connects_to_the_address_it_checked(monkeypatch, network, server):
    # A second lookup would be answered with a private address (DNS rebinding).
    answers = iter([[PUBLIC_ADDRESS], ["127.0.0.1"]])
    monkeypatch.setattr(safehttp, "resolve", lambda host, port: next(answers))

    check = check_url("http://amt.example/ok")

    assert check.result == LinkCheckResult.OK
    assert network.connections == [(PUBLIC_ADDRESS, 80)] * 2  # HEAD, then GET for the page
    assert server.seen[0].headers["Host"] == "amt.example"
    assert next(answers) == ["127.0.0.1"]  # looked up once only


def test_a_redirect_to_a_private_address_is_refused_before_connecting(network, server):
    check = check_url("http://amt.example/to-private", allow_private=False)

    assert check.result == LinkCheckResult.REFUSED
    assert check.status_code == 302
    assert check.final_url == server.url("/ok")
    assert check.detail.startswith("Adresse 127.0.0.1 ist nicht öffentlich – nicht abgerufen")
    assert network.connections == [(PUBLIC_ADDRESS, 80)]
    assert server.paths() == [("HEAD", "/to-private")]


def test_a_redirect_to_a_private_address_is_followed_when_allowed(network, server):
    check = check_url("http://amt.example/to-private", allow_private=True)

    assert check.result == LinkCheckResult.REDIRECTED
    assert server.paths() == [("HEAD", "/to-private"), ("HEAD", "/ok"), ("GET", "/ok")]


def test_a_redirect_to_a_name_with_a_private_address_is_refused(network, server):
    network.names["intranet.example"] = ["10.1.2.3"]

    check = check_url("http://amt.example/to-intranet")

    assert check.result == LinkCheckResult.REFUSED
    assert check.final_url == "http://intranet.example/ok"
    assert network.connections == [(PUBLIC_ADDRESS, 80)]


def test_a_redirect_to_another_scheme_is_refused(network, server):
    check = check_url("http://amt.example/to-ftp")

    assert check.result == LinkCheckResult.REFUSED
    assert check.final_url == "ftp://amt.example/antrag.pdf"
    assert network.connections == [(PUBLIC_ADDRESS, 80)]


def test_https_with_a_trusted_certificate_is_ok(tls_server, trust_test_certificate):
    check = check_url(f"https://localhost:{tls_server.server_port}/ok", allow_private=True)

    assert check.result == LinkCheckResult.OK
    assert tls_server.seen[0].headers["Host"] == f"localhost:{tls_server.server_port}"


def test_https_with_an_untrusted_certificate_is_broken(tls_server):
    check = check_url(f"https://localhost:{tls_server.server_port}/ok", allow_private=True)

    assert check.result == LinkCheckResult.BROKEN
    assert check.detail.startswith("TLS-Fehler: Zertifikat ungültig")
    assert tls_server.seen == []


def test_https_certificate_is_verified_against_the_name_not_the_address(
    monkeypatch, tls_server, trust_test_certificate
):
    network = FakeNetwork(monkeypatch)
    network.names["amt.example"] = [PUBLIC_ADDRESS]
    network.routes[(PUBLIC_ADDRESS, 443)] = ("127.0.0.1", tls_server.server_port)

    check = check_url("https://amt.example/ok")

    assert check.result == LinkCheckResult.BROKEN
    assert check.detail.startswith("TLS-Fehler: Zertifikat ungültig")
    assert "amt.example" in check.detail
    assert network.connections == [(PUBLIC_ADDRESS, 443)]


def test_https_to_a_server_without_tls_is_broken(server):
    check = check_url(server.url("/ok", scheme="https"), allow_private=True)

    assert check.result == LinkCheckResult.BROKEN
    assert check.detail.startswith("TLS-Fehler")


def test_check_urls_checks_each_url_once(server):
    ok, missing = server.url("/ok"), server.url("/missing")

    checks = check_urls([ok, missing, ok], allow_private=True)

    assert list(checks) == [ok, missing]
    assert checks[ok].result == LinkCheckResult.OK
    assert checks[missing].result == LinkCheckResult.NOT_FOUND
    assert server.paths().count(("HEAD", "/ok")) == 1


def test_check_urls_of_nothing_is_empty():
    assert check_urls([]) == {}


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("::ffff:8.8.8.8", True),
        ("64:ff9b::808:808", True),
        ("2002:808:808::1", True),
        ("2002:a00:1::1", False),
        ("fec0::1", False),
        ("ff0e::1", False),
        ("198.18.0.1", False),
        ("192.0.2.1", False),
        ("240.0.0.1", False),
    ],
)
def test_is_public_address(address, public):
    assert is_public_address(address) is public


def test_reserved_example_names_are_not_looked_up(monkeypatch):
    def no_lookup(*args, **kwargs):
        raise AssertionError("a reserved name must not reach the resolver")

    monkeypatch.setattr(safehttp.socket, "getaddrinfo", no_lookup)

    for host in ("amt.example", "Formulare.Freistaat-Bayern.EXAMPLE.", "x.invalid", "a.test"):
        with pytest.raises(socket.gaierror):
            safehttp.resolve(host, 443)


# Outcomes in detail -------------------------------------------------------------------------


def test_a_page_that_is_gone_is_not_found(server):
    check = check_url(server.url("/gone"), allow_private=True)

    assert check.result == LinkCheckResult.NOT_FOUND
    assert check.detail == "HTTP 410 – dauerhaft entfernt"
    assert (check.page_kind, check.page_reason) == ("", "")


def test_a_server_error_is_broken_and_has_no_page_kind(server):
    check = check_url(server.url("/server-error"), allow_private=True)

    assert check.result == LinkCheckResult.BROKEN
    assert (check.page_kind, check.page_reason) == ("", "")


def test_a_redirect_to_another_host_is_redirected(network, server):
    network.names["anderes-amt.example"] = [PUBLIC_ADDRESS]

    check = check_url("http://amt.example/to-other-host")

    assert check.result == LinkCheckResult.REDIRECTED
    assert check.final_url == "http://anderes-amt.example/ok"
    assert check.detail == "HTTP 200 (weitergeleitet auf http://anderes-amt.example/ok)"
    assert check.page_kind == "information"


def test_a_trailing_slash_added_on_the_same_host_is_still_ok(server):
    check = check_url(server.url("/folder"), allow_private=True)

    assert check.result == LinkCheckResult.OK
    assert check.final_url == server.url("/folder/")
    assert check.page_kind == "information"  # the page it ended at was read


def test_an_upgrade_to_https_on_the_same_host_is_still_ok(
    monkeypatch, server, tls_server, trust_test_certificate
):
    network = FakeNetwork(monkeypatch)
    network.names["localhost"] = [PUBLIC_ADDRESS]
    network.routes[(PUBLIC_ADDRESS, 80)] = ("127.0.0.1", server.server_port)
    network.routes[(PUBLIC_ADDRESS, 443)] = ("127.0.0.1", tls_server.server_port)

    check = check_url("http://localhost/secure")

    assert check.result == LinkCheckResult.OK
    assert check.final_url == "https://localhost/secure"
    assert check.detail == "HTTP 200 (weitergeleitet auf https://localhost/secure)"
    assert tls_server.paths() == [("HEAD", "/secure"), ("GET", "/secure")]


@pytest.mark.parametrize(
    ("linked", "final", "same"),
    [
        ("https://amt.example/antrag", "https://amt.example/antrag", True),
        ("http://amt.example/antrag", "https://amt.example/antrag", True),
        ("http://amt.example/antrag", "https://amt.example/antrag/", True),
        ("https://Amt.Example./antrag#teil", "https://amt.example:443/antrag", True),
        ("https://amt.example/b%C3%BCro", "https://amt.example/büro", True),
        ("https://amt.example/antrag?a=1", "https://amt.example/antrag?a=1", True),
        ("https://amt.example/antrag", "http://amt.example/antrag", False),  # downgrade
        ("http://amt.example:8080/antrag", "https://amt.example:8080/antrag", False),
        ("https://amt.example/antrag", "https://www.amt.example/antrag", False),
        ("https://amt.example/antrag", "https://amt.example/start", False),
        ("https://amt.example/antrag/", "https://amt.example/antrag", False),
        ("https://amt.example/antrag?a=1", "https://amt.example/antrag?a=2", False),
        ("https://amt.example/", "https://anderes-amt.example/", False),
    ],
)
def test_same_address(linked, final, same):
    assert linkcheck.same_address(linked, final) is same


# What kind of page ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind", "reason"),
    [
        ("/form", "form", "Formular mit Absende-Schaltfläche"),
        ("/form-input-submit", "form", "Formular mit Absende-Schaltfläche"),
        ("/form-tied-submit", "form", "Formular mit Absende-Schaltfläche"),
        ("/latin1", "form", "Formular mit Absende-Schaltfläche"),
        ("/unknown-charset", "form", "Formular mit Absende-Schaltfläche"),
        (
            "/form-no-submit",
            "information",
            "kein Formular gefunden (nur ein Formular ohne Absende-Schaltfläche)",
        ),
        ("/search", "information", "kein Formular gefunden (nur ein Suchformular)"),
        ("/password", "login", "Formular mit Passwortfeld"),
        ("/pdf", "pdf", "PDF-Datei (application/pdf)"),
        ("/antrag.pdf", "pdf", "PDF-Datei (antrag.pdf)"),
        ("/unnamed-download", "pdf", "PDF-Datei (application/pdf)"),
        ("/text", "information", "kein Formular gefunden (Datei vom Typ text/plain)"),
        ("/ok", "information", "kein Formular gefunden"),
        ("/malformed", "information", "kein Formular gefunden"),
    ],
)
def test_the_check_tells_what_kind_of_page_it_reached(server, path, kind, reason):
    check = check_url(server.url(path), allow_private=True)

    assert check.result == LinkCheckResult.OK
    assert (check.page_kind, check.page_reason) == (kind, reason)


def test_a_pdf_is_known_from_the_head_without_downloading_it(server):
    check = check_url(server.url("/pdf"), allow_private=True)

    assert check.page_kind == "pdf"
    assert server.paths() == [("HEAD", "/pdf")]


def test_a_page_on_a_platform_host_or_its_subdomain_is_its_login(network, server):
    network.names["www.portal.example"] = [PUBLIC_ADDRESS]
    network.names["nichtportal.example"] = [PUBLIC_ADDRESS]
    platforms = {"portal.example": "Testportal"}

    on_platform = check_url("http://www.portal.example/ok", platforms=platforms)
    look_alike = check_url("http://nichtportal.example/ok", platforms=platforms)

    assert (on_platform.page_kind, on_platform.page_reason) == (
        "login",
        "Anmeldeseite von Testportal",
    )
    assert ("HEAD", "/ok") in server.paths()
    assert look_alike.page_kind == "information"


def test_a_redirect_to_a_platform_is_its_login(network, server):
    network.names["anderes-amt.example"] = [PUBLIC_ADDRESS]

    check = check_url("http://amt.example/to-other-host", platforms={"amt.example": "Amt"})

    assert check.result == LinkCheckResult.REDIRECTED
    assert check.page_reason == "kein Formular gefunden"  # the host it ended at counts
    check = check_url(
        "http://amt.example/to-other-host", platforms={"anderes-amt.example": "Portal"}
    )
    assert check.page_reason == "Anmeldeseite von Portal"


def test_only_the_first_page_bytes_are_read(server, settings):
    settings.LINKCHECK_PAGE_BYTES = 1000

    check = check_url(server.url("/big-form"), allow_private=True)

    assert check.result == LinkCheckResult.OK
    assert (check.page_kind, check.page_reason) == (
        "information",
        "kein Formular gefunden – nur die ersten 1000\xa0Bytes der Seite gelesen",
    )


def test_an_endless_page_is_read_to_the_limit_and_no_further(server):
    started = time.monotonic()
    check = check_url(server.url("/endless"), allow_private=True, page_bytes=100_000)

    assert time.monotonic() - started < 2
    assert check.result == LinkCheckResult.OK
    assert check.page_reason.startswith("kein Formular gefunden – nur die ersten")


def test_a_page_that_stalls_is_judged_by_what_arrived_in_time(server):
    check = check_url(server.url("/slow-body"), allow_private=True, timeout=0.5)

    assert check.result == LinkCheckResult.OK  # the answer came; only its body stalled
    assert (check.page_kind, check.page_reason) == ("form", "Formular mit Absende-Schaltfläche")


def test_a_compressed_page_is_not_unpacked(server):
    check = check_url(server.url("/compressed"), allow_private=True)

    assert server.seen[-1].headers["Accept-Encoding"] == "identity"
    assert check.result == LinkCheckResult.OK
    assert (check.page_kind, check.page_reason) == (
        "",
        "Inhalt nicht ausgewertet: komprimiert geliefert (gzip)",
    )


def test_markup_that_stalls_the_html_parser_is_scanned_in_linear_time(server):
    started = time.monotonic()
    check = check_url(server.url("/markup-bomb"), allow_private=True)

    # HTMLParser alone takes minutes for this; the scan a fraction of a second.
    assert time.monotonic() - started < 3
    assert check.page_kind == "information"


def test_a_page_that_cannot_be_read_after_the_head_keeps_its_outcome(server, monkeypatch):
    fetch = linkcheck._Checker._fetch

    def head_only(self, target, addresses, method):
        if method == "GET":
            raise TimeoutError
        return fetch(self, target, addresses, method)

    monkeypatch.setattr(linkcheck._Checker, "_fetch", head_only)

    check = check_url(server.url("/ok"), allow_private=True)

    assert check.result == LinkCheckResult.OK
    assert (check.page_kind, check.page_reason) == ("", "Inhalt nicht gelesen (Zeitüberschreitung)")
