"""Check that the linked online procedures answer, without letting a link reach into our network.

One URL or many at once (an application can link hundreds of procedures)::

    check = check_url("https://formulare.landkreis.example/antrag")
    checks = check_urls(links)  # {url: LinkCheck}, each distinct URL checked once

What the check decides:

- Only http and https are fetched; any other scheme is refused without touching the network.
- Every host, the first and each redirect target, is resolved once; if any of its addresses is
  not on the public internet (loopback, private, link-local, CGNAT, multicast, reserved, or
  such an address inside an IPv6 form) the URL is refused before connecting. The connection
  then goes to exactly the addresses that were checked, so a DNS answer that changes between
  check and connect cannot redirect it; for https the certificate is still verified against
  the host name (SNI). Settings may allow private addresses (tests, intranet deployments).
- HEAD first. Many servers mishandle HEAD, so any 4xx/5xx answer or a garbled answer to HEAD
  is asked again with GET. Redirects are followed by hand up to the limit, with the cookies
  they set (some portals redirect to themselves to start a session); a redirect that would
  repeat an earlier request exactly is a loop.
- The outcome: a 2xx answer is "ok" where the link points and "redirected" when the check
  ended at another address (see `same_address`: an upgrade from http to https on the same
  host, or an added trailing slash, is still the same address). 404 and 410 are "not_found";
  the timeout or the deadline ending the check is "timeout"; everything else (a name that
  does not resolve, a refused connection, TLS, a 5xx, any other 4xx, a redirect loop) is
  "broken"; an address that may not be fetched is "refused".
- A reachable page is also classified (`pagekind`: form, login, pdf, information), a hint for
  the reviewer: the headers of the last answer, and unless they settle it the first
  LINKCHECK_PAGE_BYTES of the body, fetched with one GET after a HEAD, within the same
  deadline, with `Accept-Encoding: identity` (nothing is ever decompressed). The page never
  changes the outcome: if it cannot be read, the kind stays empty and the reason says why.
- Each request (connect, TLS, sending, the whole answer) must finish within the timeout, also
  when a server drips its answer byte by byte, and the whole check of one URL (every name
  lookup, every redirect, the GET after a HEAD) within the deadline (LINKCHECK_DEADLINE).
  A name lookup that outlasts the deadline is left to the system resolver's own limits in a
  thread of its own; the check does not wait for it.
- `check_urls` checks LINKCHECK_WORKERS URLs at once, so n URLs take at most
  ceil(n / workers) × deadline: 100 URLs, 8 at once, 30 s each, at most 13 × 30 s = 390 s.
- No network problem raises: each becomes a result with a German detail a reviewer can read.

The connection itself (the address check, connecting to exactly the checked addresses, TLS,
the deadline) is `safehttp`'s; tests replace `safehttp.resolve` (name to addresses) and
`safehttp.tls_context` (trusted certificates), both looked up at call time.
"""

import http.client
import http.cookiejar
import socket
import ssl
import time
import urllib.request
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit, urlunsplit

from django.conf import settings
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import pagekind, safehttp
from .addresses import same_address

# The results a check can have; the models that store them choose their labels.
OK = "ok"
REDIRECTED = "redirected"  # reached, but at another address than the one given
NOT_FOUND = "not_found"  # 404 or 410: the page is gone
TIMEOUT = "timeout"  # no answer within the deadline
BROKEN = "broken"  # any other failure: DNS, connection, TLS, a 5xx
REFUSED = "refused"  # not fetched: the address is not allowed
# Reached, but the link cannot stand as an online procedure as it is.
DEFECTIVE = (NOT_FOUND, TIMEOUT, BROKEN)
REACHED = (OK, REDIRECTED)  # a page answered: the reviewer counts these as ok

# What a reachable page looks like (a hint for the reviewer, never a verdict); see pagekind.
PAGE_FORM = pagekind.PAGE_FORM  # an HTML form with a submit button
PAGE_LOGIN = pagekind.PAGE_LOGIN  # the sign-in of an online-service platform
PAGE_PDF = pagekind.PAGE_PDF  # a PDF form to download
PAGE_INFORMATION = pagekind.PAGE_INFORMATION  # a plain page: nothing to submit found

DEFAULT_TIMEOUT = 10
DEFAULT_DEADLINE = 30
DEFAULT_WORKERS = 8
DEFAULT_MAX_REDIRECTS = 5
DEFAULT_PAGE_BYTES = 256 * 1024
DETAIL_MAX_LENGTH = 300
SHOWN_URL_LENGTH = 120

STATUS_REASONS = {
    400: gettext_lazy("ungültige Anfrage"),
    401: gettext_lazy("Anmeldung erforderlich"),
    403: gettext_lazy("Zugriff verweigert"),
    404: gettext_lazy("nicht gefunden"),
    405: gettext_lazy("Methode nicht erlaubt"),
    408: gettext_lazy("Zeitüberschreitung beim Server"),
    410: gettext_lazy("dauerhaft entfernt"),
    429: gettext_lazy("zu viele Anfragen"),
    500: gettext_lazy("interner Serverfehler"),
    501: gettext_lazy("nicht unterstützt"),
    502: gettext_lazy("fehlerhaftes Gateway"),
    503: gettext_lazy("Dienst nicht verfügbar"),
    504: gettext_lazy("Gateway-Zeitüberschreitung"),
}


@dataclass(frozen=True)
class LinkCheck:
    """What checking one URL found."""

    result: str  # OK, REDIRECTED, NOT_FOUND, TIMEOUT, BROKEN or REFUSED
    status_code: int | None
    final_url: str
    detail: str
    checked_at: datetime
    page_kind: str = ""  # PAGE_* for a reachable page whose kind was found, else ""
    page_reason: str = ""  # why, in German ("kein Formular gefunden")

    @property
    def ok(self) -> bool:
        return self.result == OK

    @property
    def reachable(self) -> bool:
        return self.result in (OK, REDIRECTED)


def check_url(
    url: str,
    *,
    timeout: float | None = None,
    deadline: float | None = None,
    max_redirects: int | None = None,
    allow_private: bool | None = None,
    page_bytes: int | None = None,
    platforms: Mapping[str, str] | None = None,
) -> LinkCheck:
    """Fetch the URL as a reviewer's browser would and report whether it answers.

    `timeout` bounds each request, `deadline` the whole check (seconds), `page_bytes` how much
    of a page is read to classify it (0: none); `platforms` maps the hosts of online-service
    platforms (lower case, each also for its subdomains) to their names.
    """
    if timeout is None:
        timeout = getattr(settings, "LINKCHECK_TIMEOUT", DEFAULT_TIMEOUT)
    if deadline is None:
        deadline = getattr(settings, "LINKCHECK_DEADLINE", DEFAULT_DEADLINE)
    if max_redirects is None:
        max_redirects = getattr(settings, "LINKCHECK_MAX_REDIRECTS", DEFAULT_MAX_REDIRECTS)
    if allow_private is None:
        allow_private = getattr(settings, "LINKCHECK_ALLOW_PRIVATE", False)
    if page_bytes is None:
        page_bytes = getattr(settings, "LINKCHECK_PAGE_BYTES", DEFAULT_PAGE_BYTES)
    checker = _Checker(
        timeout=timeout,
        deadline=deadline,
        max_redirects=max_redirects,
        allow_private=allow_private,
        page_bytes=page_bytes,
        platforms=platforms or {},
    )
    result, detail = checker.run(url)
    kind, reason = checker.page if result in (OK, REDIRECTED) else ("", "")
    return LinkCheck(
        result=result,
        status_code=checker.status_code,
        final_url=checker.url,
        detail=Truncator(detail).chars(DETAIL_MAX_LENGTH),
        checked_at=timezone.now(),
        page_kind=kind,
        page_reason=Truncator(reason).chars(DETAIL_MAX_LENGTH),
    )


def check_urls(
    urls: Iterable[str], *, workers: int | None = None, **kwargs
) -> dict[str, LinkCheck]:
    """Check many URLs side by side, each distinct URL once, keyed by URL in the given order.

    At most ceil(len(urls) / workers) × deadline in all: each URL ends by its deadline.
    """
    unique = list(dict.fromkeys(urls))
    if not unique:
        return {}
    if workers is None:
        workers = getattr(settings, "LINKCHECK_WORKERS", DEFAULT_WORKERS)
    # The details are translated; worker threads do not inherit the caller's language.
    language = translation.get_language()

    def check(url: str) -> LinkCheck:
        with translation.override(language):
            return check_url(url, **kwargs)

    with ThreadPoolExecutor(max_workers=min(workers, len(unique))) as pool:
        return dict(zip(unique, pool.map(check, unique), strict=True))


class _Checker:
    """Follows one URL through its redirects; remembers where it got and the last status."""

    def __init__(
        self,
        *,
        timeout: float,
        deadline: float,
        max_redirects: int,
        allow_private: bool,
        page_bytes: int,
        platforms: Mapping[str, str],
    ) -> None:
        self.timeout = timeout
        self.deadline = deadline
        self.ends_at = 0.0  # monotonic time by which the whole check must be done
        self.max_redirects = max_redirects
        self.allow_private = allow_private
        self.linked_url = self.url = ""
        self.status_code: int | None = None
        self.page_bytes = page_bytes
        self.platforms = platforms
        self.page: tuple[str, str] = ("", "")  # kind and reason of the page reached
        self.body, self.cut = b"", ""  # the start of the last GET's body, and why it ends
        self.cookies = http.cookiejar.CookieJar()
        self.user_agent = getattr(
            settings,
            "LINKCHECK_USER_AGENT",
            f"DigitalesAmt-Linkpruefung/1.0 (+{getattr(settings, 'SITE_URL', '')})",
        )

    def run(self, url: str) -> tuple[str, str]:
        """Return the result and its detail; every failure becomes one, none raises."""
        self.linked_url = self.url = url
        self.ends_at = time.monotonic() + self.deadline
        try:
            return self._follow(safehttp.Target.parse(url))
        except safehttp.Refused as failure:
            return REFUSED, self._after_redirects(failure.detail)
        except safehttp.InvalidAddress as failure:
            return BROKEN, self._after_redirects(failure.detail)
        except TimeoutError:
            if time.monotonic() >= self.ends_at:
                detail = _("Zeitüberschreitung: nach %(seconds)s s insgesamt abgebrochen") % {
                    "seconds": safehttp.seconds(self.deadline)
                }
            else:
                detail = _("Zeitüberschreitung nach %(seconds)s s") % {
                    "seconds": safehttp.seconds(self.timeout)
                }
            return TIMEOUT, self._after_redirects(detail)
        except socket.gaierror as exc:
            host = urlsplit(self.url).hostname
            if exc.errno == socket.EAI_AGAIN:
                detail = _("Namensauflösung für %(host)s vorübergehend gestört") % {"host": host}
            else:
                detail = _("Name %(host)s nicht auflösbar") % {"host": host}
        except ssl.SSLCertVerificationError as exc:
            detail = _("TLS-Fehler: Zertifikat ungültig (%(reason)s)") % {
                "reason": exc.verify_message or exc.reason
            }
        except ssl.SSLError as exc:
            detail = _("TLS-Fehler: %(reason)s") % {"reason": exc.reason or exc}
        except http.client.RemoteDisconnected:
            detail = _("Server hat die Verbindung ohne Antwort geschlossen")
        except ConnectionRefusedError:
            detail = _("Verbindung abgelehnt")
        except ConnectionResetError:
            detail = _("Verbindung vom Server abgebrochen")
        except http.client.HTTPException as exc:
            detail = _("Ungültige HTTP-Antwort (%(error)s)") % {
                "error": str(exc) or type(exc).__name__
            }
        except OSError as exc:
            detail = _("Verbindungsfehler: %(error)s") % {"error": exc.strerror or exc}
        return BROKEN, self._after_redirects(detail)

    def _follow(self, target: safehttp.Target) -> tuple[str, str]:
        # Which cookies each URL was requested with: the same request again is a loop.
        requested: dict[str, frozenset] = {}
        method = "HEAD"
        redirects = 0
        while True:
            addresses = safehttp.checked_addresses(
                target, self.ends_at, allow_private=self.allow_private
            )
            requested[target.url] = self._cookie_state()
            if method == "HEAD":
                try:
                    response = self._fetch(target, addresses, "HEAD")
                    use_get = response.status >= 400
                except http.client.HTTPException:
                    use_get = True
                if use_get:
                    # Once HEAD failed, the rest of the way (usually the same server) uses GET.
                    method = "GET"
            if method == "GET":
                response = self._fetch(target, addresses, "GET")
            status = self.status_code = response.status

            if 200 <= status < 300:
                self.page = self._page(target, addresses, response, method)
                result = OK if same_address(self.linked_url, self.url) else REDIRECTED
                return result, self._after_redirects(f"HTTP {status}")
            if not 300 <= status < 400:
                result = NOT_FOUND if status in (404, 410) else BROKEN
                return result, self._after_redirects(_status_detail(status))
            location = response.getheader("Location", "").strip()
            if not location:
                detail = _("HTTP %(status)d – Weiterleitung ohne Ziel") % {"status": status}
                return BROKEN, self._after_redirects(detail)
            next_url = urljoin(target.url, _undo_latin1(location))
            next_url = urlunsplit(urlsplit(next_url)._replace(fragment=""))
            if requested.get(next_url) == self._cookie_state():
                detail = _("Weiterleitungsschleife: %(url)s leitet zurück auf %(target)s") % {
                    "url": Truncator(target.url).chars(SHOWN_URL_LENGTH),
                    "target": Truncator(next_url).chars(SHOWN_URL_LENGTH),
                }
                return BROKEN, detail
            if redirects == self.max_redirects:
                detail = _("Zu viele Weiterleitungen (mehr als %(count)d)") % {
                    "count": self.max_redirects
                }
                return BROKEN, detail
            redirects += 1
            self.url = next_url
            target = safehttp.Target.parse(next_url)

    def _page(
        self,
        target: safehttp.Target,
        addresses: list[str],
        response: http.client.HTTPResponse,
        method: str,
    ) -> tuple[str, str]:
        """Return the kind of the page reached and why; GET it after a HEAD if the kind needs it.

        The outcome is decided already: nothing here raises, a page that cannot be read has no
        kind and a reason that says so.
        """
        known = pagekind.from_headers(target.url, response.msg, self.platforms)
        if known:
            return known
        if self.page_bytes <= 0:  # reading pages is turned off
            return "", ""
        if method == "HEAD":
            try:
                response = self._fetch(target, addresses, "GET")
            except (OSError, http.client.HTTPException) as exc:
                return pagekind.unread(timed_out=isinstance(exc, TimeoutError))
            if not 200 <= response.status < 300:
                return "", _("Inhalt nicht gelesen: HTTP %(status)d beim Abruf mit GET") % {
                    "status": response.status
                }
        return pagekind.from_body(
            target.url,
            response.msg,
            self.body,
            cut=self.cut,
            limit=self.page_bytes,
            platforms=self.platforms,
            ends_at=self.ends_at,
        )

    def _fetch(
        self, target: safehttp.Target, addresses: list[str], method: str
    ) -> http.client.HTTPResponse:
        """Make one request to the checked addresses; return the response, already closed."""
        deadline = min(time.monotonic() + self.timeout, self.ends_at)
        with safehttp.connected(target, addresses, deadline) as connection:
            # The cookie jar speaks urllib; this request only carries the URL, it is never opened.
            request = urllib.request.Request(target.url, method=method)  # noqa: S310
            self.cookies.add_cookie_header(request)
            headers = {
                "Host": target.host_header,
                "User-Agent": self.user_agent,
                "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
                "Accept-Language": "de",
                # Never compressed: the check reads a bounded body and decompresses nothing.
                "Accept-Encoding": "identity",
                "Connection": "close",
            }
            if cookie := request.get_header("Cookie"):
                headers["Cookie"] = cookie
            connection.request(method, target.path, headers=headers)
            response = connection.getresponse()
            if method == "GET" and 200 <= response.status < 300:
                self.body, self.cut = pagekind.read_body(response, self.page_bytes)
            response.close()
            self.cookies.extract_cookies(response, request)
            return response

    def _cookie_state(self) -> frozenset:
        return frozenset((c.domain, c.path, c.name, c.value) for c in self.cookies)

    def _after_redirects(self, detail: str) -> str:
        """Name the URL the check ended at when it is not the one that was linked."""
        if self.url != self.linked_url:
            return _("%(detail)s (weitergeleitet auf %(url)s)") % {
                "detail": detail,
                "url": Truncator(self.url).chars(SHOWN_URL_LENGTH),
            }
        return detail


def _undo_latin1(location: str) -> str:
    """Read a Location header's raw UTF-8 bytes as UTF-8, as browsers do (http.client: Latin-1)."""
    try:
        return location.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return location


def _status_detail(status: int) -> str:
    reason = STATUS_REASONS.get(status)
    if reason is None:
        return _("HTTP %(status)d") % {"status": status}
    return _("HTTP %(status)d – %(reason)s") % {"status": status, "reason": reason}
