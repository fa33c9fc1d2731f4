"""Client for the federal "Dashboard Digitale Verwaltung" API: the online services per ARS.

    client = DashboardClient()          # base URL and limits from the OZG_DASHBOARD_* settings
    for page in client.pages("097710130130"):
        for record in page.content: ...  # dicts as the API sends them, page by page

What it guarantees:

- It talks only to the configured host (scheme, host and port of OZG_DASHBOARD_URL): a URL
  elsewhere is refused before any lookup, redirects are never followed. It connects through
  `safehttp`, as the link check does: the host is resolved once, every address must be public
  unless `allow_private` (OZG_DASHBOARD_ALLOW_PRIVATE, only for the tests' loopback stand-in),
  and the connection goes to exactly the addresses checked; TLS is verified.
- Each request must finish within the timeout (connect, TLS, the whole answer, however slowly
  it drips). A 5xx, a 429 or a timeout is tried again after 1 s, 2 s, 4 s, … up to `retries`
  more times; between any two requests it waits `delay` seconds (politeness).
- A page must be JSON (`application/json`) in the documented Spring form, be the page asked
  for, hold at most `size` records and agree with the first page on `totalPages`. Paging ends
  at `last`; more than `max_pages` pages, or a page past `totalPages` that is not `last`, is an
  error, never a hang. Every failure raises DashboardError with a German message.

Knows no app: it yields the records as dicts; `municipalities.sources` maps and stores them.
"""

import http.client
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import safehttp

DEFAULT_URL = "https://dashboard-daten.digitale-verwaltung.de/api/"
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
DEFAULT_DELAY = 0.5
DEFAULT_MAX_PAGES = 200
PAGE_SIZE = 100
BACKOFF_SECONDS = 1.0
MAX_BODY_BYTES = 16 * 1024 * 1024  # a page of 100 records is some 100 KB
PAGE_FIELDS = ("content", "totalPages", "number", "size", "last")

# Looked up at call time, so that tests can count the waits instead of waiting.
sleep = time.sleep


class DashboardError(Exception):
    """The source could not be read; the message says why, in German."""


class _Retry(Exception):
    """A failure worth asking again for (a 5xx, 429 or a timeout)."""


@dataclass(frozen=True)
class Page:
    number: int
    total_pages: int
    total_elements: int | None
    last: bool
    content: list[dict]


class DashboardClient:
    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: float | None = None,
        retries: int | None = None,
        delay: float | None = None,
        max_pages: int | None = None,
        allow_private: bool | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.base_url = base_url or getattr(settings, "OZG_DASHBOARD_URL", DEFAULT_URL)
        if not self.base_url.endswith("/"):
            self.base_url += "/"
        self.timeout = _setting(timeout, "OZG_DASHBOARD_TIMEOUT", DEFAULT_TIMEOUT)
        self.retries = _setting(retries, "OZG_DASHBOARD_RETRIES", DEFAULT_RETRIES)
        self.delay = _setting(delay, "OZG_DASHBOARD_DELAY", DEFAULT_DELAY)
        self.max_pages = _setting(max_pages, "OZG_DASHBOARD_MAX_PAGES", DEFAULT_MAX_PAGES)
        self.allow_private = _setting(allow_private, "OZG_DASHBOARD_ALLOW_PRIVATE", False)
        self.page_size = page_size
        self.requests = 0  # made so far, retries included
        self._last_request = 0.0  # monotonic time the previous request ended
        self._origin = _origin(self.base_url)
        self.user_agent = f"DigitalesAmt-Abgleich/1.0 (+{getattr(settings, 'SITE_URL', '')})"

    # --- paging ---

    def pages(self, ars: str, *, include_above: bool = True) -> Iterator[Page]:
        """Yield the pages of an ARS's records from page 0 until the one that says `last`."""
        total_pages: int | None = None
        for number in range(self.max_pages + 1):
            if number == self.max_pages:
                raise DashboardError(
                    _("Mehr als %(count)d Seiten für %(ars)s – Abruf abgebrochen.")
                    % {"count": self.max_pages, "ars": ars}
                )
            query = {
                "page": number,
                "size": self.page_size,
                "includeAbove": "true" if include_above else "false",
                "includeBelow": "false",
            }
            data = self.get_json(f"v1/data/{ars}", query)
            page = self._page(data, number, ars)
            if total_pages is None:
                total_pages = page.total_pages
            elif page.total_pages != total_pages:
                raise DashboardError(
                    _(
                        "Die Seiten für %(ars)s widersprechen sich: Seite %(page)d nennt "
                        "%(found)d Seiten, die erste %(expected)d."
                    )
                    % {
                        "ars": ars,
                        "page": number,
                        "found": page.total_pages,
                        "expected": total_pages,
                    }
                )
            yield page
            if page.last:
                return
            if number + 1 >= max(total_pages, 1):
                raise DashboardError(
                    _("Seite %(page)d von %(total)d für %(ars)s ist nicht die letzte.")
                    % {"page": number + 1, "total": total_pages, "ars": ars}
                )

    def records(self, ars: str, *, include_above: bool = True) -> Iterator[dict]:
        for page in self.pages(ars, include_above=include_above):
            yield from page.content

    def _page(self, data: object, number: int, ars: str) -> Page:
        def malformed(reason: str) -> DashboardError:
            return DashboardError(
                _("Ungültige Seite %(page)d für %(ars)s: %(reason)s")
                % {"page": number, "ars": ars, "reason": reason}
            )

        if not isinstance(data, dict):
            raise malformed(_("kein JSON-Objekt"))
        missing = [field for field in PAGE_FIELDS if field not in data]
        if missing:
            raise malformed(_("es fehlt %(fields)s") % {"fields": ", ".join(missing)})
        content, size = data["content"], data["size"]
        if not isinstance(content, list) or not all(isinstance(r, dict) for r in content):
            raise malformed(_("„content“ ist keine Liste von Einträgen"))
        for field in ("totalPages", "number", "size"):
            if not isinstance(data[field], int) or isinstance(data[field], bool):
                raise malformed(_("„%(field)s“ ist keine Zahl") % {"field": field})
        if not isinstance(data["last"], bool):
            raise malformed(_("„last“ ist kein Wahrheitswert"))
        if data["number"] != number:
            raise malformed(_("sie nennt sich Seite %(found)d") % {"found": data["number"]})
        if len(content) > size or len(content) > self.page_size:
            raise malformed(
                _("%(count)d Einträge bei einer Seitengröße von %(size)d")
                % {"count": len(content), "size": min(size, self.page_size)}
            )
        total = data.get("totalElements")
        return Page(
            number=number,
            total_pages=data["totalPages"],
            total_elements=total if isinstance(total, int) else None,
            last=data["last"],
            content=content,
        )

    # --- one request ---

    def get_json(self, path: str, query: dict | None = None) -> object:
        """GET a path below the base URL and return the parsed JSON; retry what may pass."""
        url = urljoin(self.base_url, path)
        if query:
            url += "?" + urlencode(query)
        if _origin(url) != self._origin:
            raise DashboardError(
                _("%(url)s liegt nicht beim eingestellten Dienst %(base)s – nicht abgerufen.")
                % {"url": url, "base": self.base_url}
            )
        for attempt in range(self.retries + 1):
            try:
                return self._get(url)
            except _Retry as failure:
                if attempt == self.retries:
                    raise DashboardError(
                        ngettext(
                            "%(reason)s (%(url)s, nach %(count)d Versuch)",
                            "%(reason)s (%(url)s, nach %(count)d Versuchen)",
                            attempt + 1,
                        )
                        % {"reason": failure, "url": url, "count": attempt + 1}
                    ) from None
                sleep(BACKOFF_SECONDS * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _get(self, url: str) -> object:
        if self._last_request and self.delay > 0:
            waited = time.monotonic() - self._last_request
            if waited < self.delay:
                sleep(self.delay - waited)
        self.requests += 1
        try:
            status, content_type, body = self._fetch(url)
        except TimeoutError:
            raise _Retry(
                _("Zeitüberschreitung nach %(seconds)s s")
                % {"seconds": safehttp.seconds(self.timeout)}
            ) from None
        except safehttp.Unfetchable as failure:  # an address that cannot be asked for
            raise DashboardError(failure.detail) from None
        except (OSError, http.client.HTTPException) as exc:
            raise DashboardError(
                _("Verbindung zu %(url)s fehlgeschlagen: %(error)s")
                % {"url": url, "error": str(exc) or type(exc).__name__}
            ) from None
        finally:
            self._last_request = time.monotonic()
        if status >= 500 or status == 429:
            raise _Retry(_("HTTP %(status)d vom Dienst") % {"status": status})
        if status != 200:
            raise DashboardError(_("HTTP %(status)d für %(url)s") % {"status": status, "url": url})
        media_type = content_type.split(";")[0].strip().lower()
        if media_type != "application/json" and not media_type.endswith("+json"):
            raise DashboardError(
                _("%(url)s antwortet nicht mit JSON, sondern mit „%(type)s“.")
                % {"url": url, "type": media_type or "?"}
            )
        try:
            return json.loads(body)
        except (UnicodeDecodeError, ValueError):
            raise DashboardError(
                _("%(url)s antwortet mit ungültigem JSON.") % {"url": url}
            ) from None

    def _fetch(self, url: str) -> tuple[int, str, bytes]:
        """One GET through the safe connection (`safehttp`); return status, type and body."""
        target = safehttp.Target.parse(url)
        deadline = time.monotonic() + self.timeout
        addresses = safehttp.checked_addresses(target, deadline, allow_private=self.allow_private)
        with safehttp.connected(target, addresses, deadline) as connection:
            connection.request(
                "GET",
                target.path,
                headers={
                    "Host": target.host_header,
                    "User-Agent": self.user_agent,
                    "Accept": "application/json",
                    "Accept-Encoding": "identity",
                    "Connection": "close",
                },
            )
            response = connection.getresponse()
            body = response.read(MAX_BODY_BYTES + 1)
            if len(body) > MAX_BODY_BYTES:
                raise DashboardError(
                    _("Die Antwort von %(url)s ist größer als %(size)d MB.")
                    % {"url": url, "size": MAX_BODY_BYTES // (1024 * 1024)}
                )
            return response.status, response.getheader("Content-Type", ""), body


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        port = -1
    return scheme, (parts.hostname or "").lower(), port


def _setting(value, name: str, default):
    return getattr(settings, name, default) if value is None else value
