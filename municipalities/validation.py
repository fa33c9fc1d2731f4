"""The rules for the values a Kommune enters: ARS, procedure URLs, LeiKa keys and free text.

One place for the model, the portal's form and the file importer, so that a URL the form
refuses is refused by an import with the same words, and an address typed without its scheme
("www.hoesbach.de/hund") is completed to https:// by each of them alike.

A procedure is one URL however it is spelt. `normalize_url` gives the canonical form that is
stored, and `url_key` the key that is counted, which also ignores the scheme and a trailing
slash: "HTTP://Amt.Example.:80//antrag/./" and "https://amt.example/antrag" are one procedure.
The database computes the same key (`ProcedureLink.url_key`); `url_key_expression` builds it.
"""

import functools
import re
import unicodedata
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator
from django.db.models import CharField, F, Func, Value
from django.db.models.functions import Replace, StrIndex, Substr
from django.utils.formats import number_format
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from .models import Municipality

ARS_PATTERN = re.compile(r"^09\d{10}$")
LEIKA_PATTERN = re.compile(r"^\d{14}$")
URL_MAX_LENGTH = 1000
# How much of a bad value a message quotes.
SHOWN_VALUE_LENGTH = 80
DEFAULT_PORTS = {"http": 80, "https": 443}
# RFC 3986: unreserved characters may be written as themselves or percent-encoded.
UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# A scheme ("https:", "mailto:", "javascript:"), not a host with a port ("amt.example:8080").
SCHEME_PREFIX = re.compile(r"[a-z][a-z0-9+.-]*:(?!\d)", re.IGNORECASE)
PERCENT_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
# What stays as it is in a path or query; anything else (non-ASCII, space, "|") is encoded.
PATH_SAFE = "/%:@!$&'()*+,;=[]~"
# The shape most addresses in a procedure file have: a lower-case host without port or user
# name, a path and query of unreserved characters. Such a URL's canonical form needs no parsing
# beyond its host, which is checked once per host (`_simple_origin`).
SIMPLE_URL = re.compile(r"(https?)://([a-z0-9.-]+)(/[A-Za-z0-9._~/-]*)?(?:\?([A-Za-z0-9._~=&-]*))?")
QUERY_SAFE = PATH_SAFE + "?"
# Text holds no C0 control but tab and line breaks, no DEL, no C1 control and no lone
# surrogate (which only a JSON escape such as "\ud800" can make). A vertical tab is what a line
# break copied out of Word becomes; in a title it is white space like the others.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# A multi-line comment from a text area has tabs and line breaks (CR LF), nothing else.
COMMENT_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

ars_validator = RegexValidator(
    ARS_PATTERN.pattern, gettext_lazy("Ein bayerischer ARS hat 12 Ziffern und beginnt mit 09.")
)
leika_validator = RegexValidator(
    LEIKA_PATTERN.pattern, gettext_lazy("Ein LeiKa-Schlüssel hat genau 14 Ziffern.")
)
web_url_validator = URLValidator(schemes=["http", "https"])


def codepoint(character: str) -> str:
    """Name a character by its code point, as people can look it up: "U+200B"."""
    return f"U+{ord(character):04X}"


def visible(value: str) -> str:
    """Return a text with each invisible or control character shown as its code point.

    A zero-width space or a right-to-left override quoted in a message would otherwise be
    invisible, or turn the rest of the message around.
    """
    if value.isprintable():
        return value
    return "".join(char if char.isprintable() else f"[{codepoint(char)}]" for char in value)


def shown(value: str) -> str:
    """Return a value as a message quotes it: visible, at most SHOWN_VALUE_LENGTH characters."""
    value = visible(value)
    if len(value) <= SHOWN_VALUE_LENGTH:
        # Most values are short; Truncator costs more than the rest of a row's checks.
        return value
    return Truncator(value).chars(SHOWN_VALUE_LENGTH)


def control_character(value: str, *, multiline: bool = False) -> str | None:
    """Return the first control character (or lone surrogate) of a text, or None.

    Tab and line breaks are white space, not control characters; in a one-line value (a
    title) they become spaces, in a `multiline` comment tab, CR and LF are kept.
    """
    pattern = COMMENT_CONTROL_CHARACTERS if multiline else CONTROL_CHARACTERS
    match = pattern.search(value)
    return match.group() if match else None


def control_character_message(character: str) -> str:
    """Say that a text holds a control character and what to do about it."""
    return _(
        "Der Text enthält ein Steuerzeichen (%(char)s), das nicht gespeichert werden kann. "
        "Bitte entfernen Sie es; oft hilft es, den Text neu zu tippen statt ihn einzufügen."
    ) % {"char": codepoint(character)}


def clean_text(value: str, *, multiline: bool = False) -> str:
    """Return a text a user entered; raise ValidationError if it holds a control character."""
    character = control_character(value, multiline=multiline)
    if character is not None:
        raise ValidationError(control_character_message(character), code="control_character")
    return value


def _unescape_unreserved(text: str) -> str:
    """Decode percent-escapes of unreserved characters ("%61" is "a"); upper-case the rest."""

    def replace(match: re.Match) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in UNRESERVED else match.group().upper()

    return PERCENT_ESCAPE.sub(replace, text)


def _clean_path(path: str) -> str:
    """Resolve "." and ".." segments and collapse "//"; an empty path is "/"."""
    parts = path.split("/")
    segments: list[str] = []
    for segment in parts:
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in ("", "."):
            segments.append(segment)
    trailing = parts[-1] in ("", ".", "..")
    cleaned = "/" + "/".join(segments)
    return cleaned + "/" if trailing and segments else cleaned


def _ascii_host(host: str) -> str:
    """Return a host name in lower case and IDNA (punycode) form, without a trailing dot.

    Each label is NFKC-normalised and lower-cased, then punycode-encoded as browsers do since
    IDNA 2008: "Straße" becomes "xn--strae-oqa", not "strasse" as Python's IDNA 2003 codec would.
    Raise ValueError for an empty or overlong label.
    """
    host = host.rstrip(".")
    if host.startswith("[") or ":" in host:  # an IPv6 address
        return f"[{host.strip('[]').lower()}]"
    labels = []
    for label in host.split("."):
        label = unicodedata.normalize("NFKC", label).lower()
        if not label.isascii():
            label = "xn--" + label.encode("punycode").decode("ascii")
        if not label or len(label) > 63:
            raise ValueError(label)
        labels.append(label)
    return ".".join(labels)


def normalize_url(url: str) -> str:
    """Return the canonical form of an http(s) URL, the form in which procedures are stored.

    Scheme and host are lower case, the host in IDNA (punycode) form without a trailing dot, the
    default port is dropped; the path has its dot segments resolved and "//" collapsed (an empty
    path is "/"); unreserved percent-escapes are decoded, other escapes upper-cased, non-ASCII
    characters percent-encoded as UTF-8; the fragment is dropped, since it never selects another
    procedure. `clean_procedure_url` refuses user names and invisible characters; this function
    drops them, so that links stored before that rule get the form they would get today.
    Raise ValueError for what cannot be read as a URL (a bad port or host name).
    """
    url = url.strip()
    if not url.isprintable():
        url = "".join(char for char in url if char.isprintable())
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = _ascii_host(parts.hostname or "")
    port = parts.port
    netloc = host if port is None or port == DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    path = _clean_path(_unescape_unreserved(quote(parts.path, safe=PATH_SAFE)))
    query = _unescape_unreserved(quote(parts.query, safe=QUERY_SAFE))
    return urlunsplit((scheme, netloc, path, query, ""))


def url_key(url: str) -> str:
    """Return the key by which a canonical URL is counted: no scheme, no trailing slash.

    http and https of one address are one procedure, and so are "/antrag" and "/antrag/"
    (and "/antrag/?x=1" and "/antrag?x=1"). The database computes the same from the stored
    URL (`url_key_expression`), so the two must stay alike.
    """
    return url.split("://", 1)[-1].replace("/?", "?").rstrip("/")


def count_key(url: str) -> str:
    """Return the counting key of a URL in any spelling, canonical or not (old evidence)."""
    try:
        return url_key(normalize_url(url))
    except (ValueError, ValidationError):
        return url_key(url)


def url_key_expression(field: str = "url") -> Func:
    """Return the database expression of `url_key` for a field holding canonical URLs."""
    # The check constraint makes every stored URL start with "http://" or "https://".
    rest = Substr(F(field), StrIndex(F(field), Value("://")) + 3)
    # RTRIM(text, characters) is the same function on PostgreSQL and SQLite.
    return Func(
        Replace(rest, Value("/?"), Value("?")),
        Value("/"),
        function="RTRIM",
        output_field=CharField(max_length=URL_MAX_LENGTH),
    )


def completed_url(url: str) -> str:
    """Return an address typed without a scheme ("www.amt.example/hund") with https:// in front.

    People type addresses as the browser's address bar shows them. Anything with a scheme of
    its own (ftp:, mailto:, javascript:) or not starting like a host name stays as it is, for
    the checks below to refuse.
    """
    if url.startswith("//"):
        return f"https:{url}"
    if url[0].isalnum() and not SCHEME_PREFIX.match(url):
        return f"https://{url}"
    return url


def clean_procedure_url(value: str) -> str:
    """Return a procedure's URL in its canonical form; raise ValidationError saying why not."""
    url = value.strip()
    # A file of 500,000 links spent most of its checking time here: the common shape first.
    simple = _simple_url(url)
    if simple is not None:
        return simple
    if not url:
        raise ValidationError(_("Die URL fehlt."), code="required")
    url = completed_url(url)
    if not url.lower().startswith(("http://", "https://")):
        raise ValidationError(
            _(
                "Die URL „%(url)s“ ist keine http- oder https-Adresse; sie muss mit https:// "
                "beginnen."
            )
            % {"url": shown(url)},
            code="scheme",
        )
    # Space is printable: the URL validator says that it is no address.
    if not url.isprintable():
        hidden = next(char for char in url if not char.isprintable())
        raise ValidationError(
            _(
                "Die URL „%(url)s“ enthält ein unsichtbares Zeichen oder Steuerzeichen "
                "(%(char)s). Bitte tippen Sie die Adresse neu ein, statt sie zu kopieren."
            )
            % {"url": shown(url), "char": codepoint(hidden)},
            code="invisible",
        )
    try:
        web_url_validator(url)
        parts = urlsplit(url)
        normalized = normalize_url(url)
    except (ValidationError, ValueError):
        raise ValidationError(
            _("Die URL „%(url)s“ ist keine gültige Internetadresse.") % {"url": shown(url)},
            code="invalid",
        ) from None
    if "@" in parts.netloc:
        raise ValidationError(
            # Not quoted: the message would show the password.
            _(
                "Die URL enthält einen Benutzernamen oder ein Passwort (vor dem „@“). Bitte "
                "geben Sie die Adresse ohne Anmeldedaten an."
            ),
            code="userinfo",
        )
    if len(normalized) > URL_MAX_LENGTH:
        raise ValidationError(
            _("Die URL ist zu lang (%(length)d Zeichen, höchstens %(max)d).")
            % {"length": len(normalized), "max": URL_MAX_LENGTH},
            code="max_length",
        )
    return normalized


def _simple_url(url: str) -> str | None:
    """Return the canonical form of a URL of the common shape (SIMPLE_URL), else None.

    The same result as the general path below: for such a URL the validator's verdict and the
    normalised host depend on scheme and host alone, the path has nothing to escape or unescape
    and only dot segments and "//" to resolve. Anything else (upper case, a port, "%", "@", a
    fragment, a long URL) returns None and takes the general path, which also words the error.
    """
    if len(url) > URL_MAX_LENGTH:
        return None
    match = SIMPLE_URL.fullmatch(url)
    if match is None:
        return None
    scheme, host, path, query = match.groups()
    origin = _simple_origin(scheme, host)
    if origin is None:
        return None
    path = _clean_path(path or "")
    return f"{origin}{path}?{query}" if query else f"{origin}{path}"


@functools.lru_cache(maxsize=8192)
def _simple_origin(scheme: str, host: str) -> str | None:
    """Return "scheme://host" in canonical form if the validator takes it, else None."""
    origin = f"{scheme}://{host}"
    try:
        web_url_validator(origin)
        return f"{scheme}://{_ascii_host(host)}"
    except (ValidationError, ValueError):
        return None


def leika_key_problem(key: str, *, known: bool) -> str | None:
    """Say what is wrong with a LeiKa key (`known`: it is in the catalogue), or return None."""
    if LEIKA_PATTERN.match(key):
        if known:
            return None
        return _("Unbekannter LeiKa-Schlüssel %(key)s: nicht im Leistungskatalog.") % {"key": key}
    if "e+" in key.lower():
        return _(
            "Der LeiKa-Schlüssel „%(key)s“ wurde von Excel als Zahl gespeichert; "
            "die Spalte als Text formatieren."
        ) % {"key": shown(key)}
    return _("Der LeiKa-Schlüssel „%(key)s“ ist ungültig: genau 14 Ziffern.") % {"key": shown(key)}


HOST_PATTERN = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}")


def clean_host(value: str) -> str:
    """Return a host name as stored: lower case, IDNA, without a final dot.

    A pasted address ("https://www.Portal.de/start") gives its host; anything that is not a
    host name raises ValidationError.
    """
    value = value.strip()
    if "://" in value:
        value = urlsplit(value).hostname or ""
    try:
        host = _ascii_host(value)
    except (ValueError, UnicodeError):
        host = ""
    if not HOST_PATTERN.fullmatch(host):
        raise ValidationError(
            _(
                "Geben Sie einen Hostnamen an, ohne https:// und ohne Pfad, "
                "zum Beispiel buergerserviceportal.de."
            ),
            code="invalid_host",
        )
    return host


def host_validator(value: str) -> None:
    clean_host(value)


DUPLICATE_URL_MESSAGE = gettext_lazy(
    "Ein Online-Verfahren mit dieser URL existiert für die Kommune bereits (auch in anderer "
    "Schreibweise, etwa mit http statt https)."
)


def number(value: int) -> str:
    """Format a count with the locale's thousands separator ("2.000")."""
    return number_format(value, force_grouping=True)


def too_many_links(municipality: "Municipality", *, stored: int, adding: int) -> str | None:
    """Say why a Kommune with `stored` links cannot take `adding` more, or return None.

    The cap (settings.PROCEDURE_LINKS_PER_KOMMUNE) counts every link, active or not.
    """
    limit = settings.PROCEDURE_LINKS_PER_KOMMUNE
    if adding <= 0 or stored + adding <= limit:
        return None
    return _(
        "%(kommune)s hat %(stored)s Online-Verfahren gespeichert; mit %(adding)s weiteren wären "
        "es mehr als die Höchstzahl von %(limit)s je Kommune (aktive und deaktivierte zusammen). "
        "Bitte ändern Sie vorhandene Verfahren, statt neue anzulegen."
    ) % {
        "kommune": municipality.title,
        "stored": number(stored),
        "adding": number(adding),
        "limit": number(limit),
    }
