"""What a reachable page looks like: an online form, a platform's sign-in, a PDF or information.

The programme counts only procedures that let a person submit something online, so the link
check tells the reviewer what it found behind each reachable link, with the reason. It is a
hint, never a verdict: nothing counts or does not count because of it.

In this order, the first that applies:

- PDF: `Content-Type: application/pdf` (or x-pdf), or a download (octet-stream, or no type)
  named *.pdf or starting with "%PDF-".
- Login: the page is on the host of a known online-service platform, or its subdomain (the
  caller passes the hosts; an administrator keeps them), or it has a password field.
- Form: an HTML form sent with POST that has a submit control (button without a type or with
  type=submit, input type=submit or image, inside the form or tied to it with form="id").
  A form sent with GET is a search or a filter: it submits nothing.
- Information: anything else ("kein Formular gefunden").

HTML is read with the standard library's HTMLParser, but it is handed only complete tags:
Python 3.12.1's parser rescans unfinished markup again and again and took 140 s for 256 KB of
"<a<a<a…". A linear scan first drops comments and the contents of script, style and textarea,
then passes each "<…>" on its own, so the work grows with the page, not with its square; it
also stops at the check's deadline. The body itself is bounded by the caller
(LINKCHECK_PAGE_BYTES) and never decompressed.
"""

import html.parser
import http.client
import re
import time
from collections.abc import Mapping
from email.message import Message
from urllib.parse import unquote, urlsplit

from django.template.defaultfilters import filesizeformat
from django.utils.text import Truncator
from django.utils.translation import gettext as _

PAGE_FORM = "form"  # an HTML form with a submit button
PAGE_LOGIN = "login"  # the sign-in of an online-service platform
PAGE_PDF = "pdf"  # a PDF form to download
PAGE_INFORMATION = "information"  # a plain page: nothing to submit found

# Why a body was read only in part.
CUT_LIMIT = "limit"  # LINKCHECK_PAGE_BYTES reached
CUT_TIMEOUT = "timeout"  # the timeout or the deadline ended the reading
CUT_ERROR = "error"  # the connection broke off

PDF_TYPES = ("application/pdf", "application/x-pdf")
HTML_TYPES = ("text/html", "application/xhtml+xml")
DOWNLOAD_TYPES = ("", "application/octet-stream", "binary/octet-stream", "application/download")
REASON_MAX_LENGTH = 300
SCAN_CHUNK = 16_384  # characters scanned between looks at the clock
READ_CHUNK = 16_384  # bytes asked for at a time: a read cut off by the timeout loses no more

# A start or end tag up to its ">": no "<" inside, so each scan ends at the next "<" and the
# scans never overlap.
TAG = re.compile(r"</?([a-zA-Z][^\s/<>]*)[^<>]*>")
RAW_TEXT_TAGS = ("script", "style", "textarea", "title")
FORM_TAGS = ("form", "input", "button")  # the parser sees only these; the rest is skipped
SUBMIT_INPUTS = ("submit", "image")
NOT_SUBMIT_BUTTONS = ("button", "reset", "menu")


def read_body(response: http.client.HTTPResponse, limit: int) -> tuple[bytes, str]:
    """Read at most `limit` bytes of a body; return them and why they end early (CUT_*, or "")."""
    chunks: list[bytes] = []
    size = 0
    try:
        while size < limit:
            # read1: what has arrived, so that a stall loses nothing that came before it.
            chunk = response.read1(min(READ_CHUNK, limit - size))
            if not chunk:
                return b"".join(chunks), ""
            chunks.append(chunk)
            size += len(chunk)
    except TimeoutError:
        return b"".join(chunks), CUT_TIMEOUT
    except (OSError, http.client.HTTPException):
        return b"".join(chunks), CUT_ERROR
    # At the limit: complete only if the length was told and all of it is read.
    return b"".join(chunks), "" if response.length == 0 else CUT_LIMIT


def platform_of(url: str, platforms: Mapping[str, str]) -> str | None:
    """Return the name of the platform whose host (or a subdomain of it) the URL is on."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    for platform_host, name in platforms.items():
        if host == platform_host or host.endswith(f".{platform_host}"):
            return name
    return None


def from_headers(
    url: str, headers: Message, platforms: Mapping[str, str]
) -> tuple[str, str] | None:
    """Classify from the address and the headers alone, or return None: the body is needed."""
    content_type = _content_type(headers)
    if content_type in PDF_TYPES:
        return PAGE_PDF, _("PDF-Datei (%(type)s)") % {"type": content_type}
    filename = _filename(url, headers)
    if content_type in DOWNLOAD_TYPES and filename.lower().endswith(".pdf"):
        return PAGE_PDF, _("PDF-Datei (%(name)s)") % {"name": Truncator(filename).chars(100)}
    if content_type in HTML_TYPES or content_type == "":
        name = platform_of(url, platforms)
        if name:
            reason = _("Anmeldeseite von %(platform)s") % {"platform": name}
            return PAGE_LOGIN, Truncator(reason).chars(REASON_MAX_LENGTH)
    return None


def from_body(
    url: str,
    headers: Message,
    body: bytes,
    *,
    cut: str = "",
    limit: int = 0,
    platforms: Mapping[str, str] | None = None,
    ends_at: float | None = None,
) -> tuple[str, str]:
    """Classify a page from its headers and the first bytes of its body.

    `cut` says why the body is incomplete (CUT_*; "" when complete), `limit` the byte limit it
    was read to, `ends_at` the monotonic time by which the scan must stop.
    """
    known = from_headers(url, headers, platforms or {})
    if known:
        return known
    encoding = (headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding != "identity":
        return "", _("Inhalt nicht ausgewertet: komprimiert geliefert (%(encoding)s)") % {
            "encoding": Truncator(encoding).chars(40)
        }
    content_type = _content_type(headers)
    if content_type in DOWNLOAD_TYPES and body.startswith(b"%PDF-"):
        return PAGE_PDF, _("PDF-Datei (%(type)s)") % {"type": "application/pdf"}
    if content_type not in HTML_TYPES and content_type != "":
        return PAGE_INFORMATION, _("kein Formular gefunden (Datei vom Typ %(type)s)") % {
            "type": Truncator(content_type).chars(80)
        }
    if not body and cut:
        return unread(timed_out=cut == CUT_TIMEOUT)

    scan = FormScan(ends_at=ends_at)
    scan.scan(_decode(body, headers))
    if scan.stopped and not cut:
        cut = CUT_TIMEOUT
    if scan.password:
        return PAGE_LOGIN, _("Formular mit Passwortfeld")
    if scan.submitting_form:
        return PAGE_FORM, _("Formular mit Absende-Schaltfläche")
    if scan.form_without_submit:
        reason = _("kein Formular gefunden (nur ein Formular ohne Absende-Schaltfläche)")
    elif scan.search_form:
        reason = _("kein Formular gefunden (nur ein Suchformular)")
    else:
        reason = _("kein Formular gefunden")
    return PAGE_INFORMATION, _cut_reason(reason, cut, limit)


class FormScan(html.parser.HTMLParser):
    """Finds password fields and forms with a submit control in complete tags fed one by one."""

    def __init__(self, *, ends_at: float | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.ends_at = ends_at
        self.stopped = False  # the deadline came before the end of the page
        self.password = False
        self.forms: dict[int, dict] = {}  # by number in the page: method, id, submit
        self.open_forms: list[int] = []
        self.submits_for: set[str] = set()  # form="id" of submit controls outside their form

    def scan(self, text: str) -> None:
        lower = text.lower()
        position, next_look = 0, SCAN_CHUNK
        while True:
            if position >= next_look:
                next_look = position + SCAN_CHUNK
                if self.ends_at is not None and time.monotonic() >= self.ends_at:
                    self.stopped = True
                    return
            start = text.find("<", position)
            if start < 0:
                return
            if text.startswith("<!--", start):
                end = text.find("-->", start + 4)
                if end < 0:
                    return
                position = end + 3
                continue
            match = TAG.match(text, start)
            if match is None:
                position = start + 1
                continue
            position = match.end()
            name = match.group(1).lower()
            if name in FORM_TAGS:
                self.feed(match.group())
            elif not match.group().startswith("</") and name in RAW_TEXT_TAGS:
                end = lower.find(f"</{name}", position)
                if end < 0:
                    return
                position = end

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: (value or "") for name, value in attrs}
        kind = attributes.get("type", "").strip().lower()
        if tag == "form":
            number = len(self.forms)
            self.forms[number] = {
                "method": attributes.get("method", "get").strip().lower(),
                "id": attributes.get("id", ""),
                "submit": False,
            }
            self.open_forms.append(number)
        elif tag == "input" and kind == "password":
            self.password = True
        elif (tag == "input" and kind in SUBMIT_INPUTS) or (
            tag == "button" and kind not in NOT_SUBMIT_BUTTONS
        ):
            owner = attributes.get("form")
            if owner is not None:
                self.submits_for.add(owner)
            elif self.open_forms:
                self.forms[self.open_forms[-1]]["submit"] = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "form":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.open_forms:
            self.open_forms.pop()

    def _has_submit(self, form: dict) -> bool:
        return form["submit"] or (bool(form["id"]) and form["id"] in self.submits_for)

    @property
    def submitting_form(self) -> bool:
        return any(f["method"] == "post" and self._has_submit(f) for f in self.forms.values())

    @property
    def search_form(self) -> bool:
        return any(f["method"] != "post" and self._has_submit(f) for f in self.forms.values())

    @property
    def form_without_submit(self) -> bool:
        return any(not self._has_submit(f) for f in self.forms.values())


def unread(*, timed_out: bool) -> tuple[str, str]:
    """Return no kind, and the reason: the page could not be read."""
    problem = _("Zeitüberschreitung") if timed_out else _("Verbindungsfehler")
    return "", _("Inhalt nicht gelesen (%(problem)s)") % {"problem": problem}


def _content_type(headers: Message) -> str:
    return (headers.get("Content-Type") or "").split(";")[0].strip().lower()


def _filename(url: str, headers: Message) -> str:
    """Return the file name a download is offered under, or the last part of its path."""
    disposition = headers.get("Content-Disposition") or ""
    found = re.search(r"filename\*?=(?:UTF-8'[^']*')?\"?([^\";]+)", disposition, re.IGNORECASE)
    if found:
        return unquote(found.group(1)).strip()
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def _decode(body: bytes, headers: Message) -> str:
    message = Message()
    message["Content-Type"] = headers.get("Content-Type") or "text/html"
    charset = message.get_content_charset() or "utf-8"
    try:
        return body.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        return body.decode("utf-8", errors="replace")


def _cut_reason(reason: str, cut: str, limit: int) -> str:
    if cut == CUT_LIMIT:
        return _("%(reason)s – nur die ersten %(size)s der Seite gelesen") % {
            "reason": reason,
            "size": filesizeformat(limit),
        }
    if cut:
        return _("%(reason)s – Seite nur teilweise gelesen") % {"reason": reason}
    return reason
