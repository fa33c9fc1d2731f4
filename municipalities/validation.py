"""The rules for the values a Kommune enters: ARS, procedure URLs and LeiKa keys.

One place for the model, the portal's form and the file importer, so that a URL the form
refuses is refused by an import with the same words.
"""

import re
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ARS_PATTERN = re.compile(r"^09\d{10}$")
LEIKA_PATTERN = re.compile(r"^\d{14}$")
URL_MAX_LENGTH = 1000
# How much of a bad value a message quotes.
SHOWN_VALUE_LENGTH = 80

ars_validator = RegexValidator(
    ARS_PATTERN.pattern, gettext_lazy("Ein bayerischer ARS hat 12 Ziffern und beginnt mit 09.")
)
leika_validator = RegexValidator(
    LEIKA_PATTERN.pattern, gettext_lazy("Ein LeiKa-Schlüssel hat genau 14 Ziffern.")
)
web_url_validator = URLValidator(schemes=["http", "https"])


def shown(value: str) -> str:
    """Return a value as a message quotes it: at most SHOWN_VALUE_LENGTH characters."""
    if len(value) <= SHOWN_VALUE_LENGTH:
        # Most values are short; Truncator costs more than the rest of a row's checks.
        return value
    return Truncator(value).chars(SHOWN_VALUE_LENGTH)


def normalize_url(url: str) -> str:
    """Return the URL in the form used to tell procedures apart.

    Scheme and host are case-insensitive and a fragment never selects another procedure,
    so "HTTPS://Amt.example/antrag#start" and "https://amt.example/antrag" are one procedure.
    """
    parts = urlsplit(url.strip())
    netloc = parts.netloc.lower()
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, parts.query, ""))


def clean_procedure_url(value: str) -> str:
    """Return a procedure's URL in its normalized form; raise ValidationError saying why not."""
    url = value.strip()
    if not url:
        raise ValidationError(_("Die URL fehlt."), code="required")
    if not url.lower().startswith(("http://", "https://")):
        raise ValidationError(
            _(
                "Die URL „%(url)s“ ist keine http- oder https-Adresse; sie muss mit https:// "
                "beginnen."
            )
            % {"url": shown(url)},
            code="scheme",
        )
    try:
        web_url_validator(url)
        normalized = normalize_url(url)
    except (ValidationError, ValueError):
        raise ValidationError(
            _("Die URL „%(url)s“ ist keine gültige Internetadresse.") % {"url": shown(url)},
            code="invalid",
        ) from None
    if len(normalized) > URL_MAX_LENGTH:
        raise ValidationError(
            _("Die URL ist zu lang (%(length)d Zeichen, höchstens %(max)d).")
            % {"length": len(normalized), "max": URL_MAX_LENGTH},
            code="max_length",
        )
    return normalized


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
