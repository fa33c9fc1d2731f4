"""Open data: the fields of a record, the records and the data set, always in German.

The machine-readable answers are in German whatever language the visitor chose: the data set's
names and codes are German, and a URL that caches and CDNs keep must give one answer. Only the
overview page for people follows the language switch.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from awards.models import Award
from digitalesamt.lib.http import Version, digest
from municipalities.constants import Kind
from municipalities.models import Municipality

from .version import public_version

# Bump when the shape of an answer changes, so that caches drop the old one at once.
FORMAT_VERSION = "1"
MAX_AGE = 300
FEED_LENGTH = 50

LICENCE_NAME = "Datenlizenz Deutschland – Namensnennung – Version 2.0"
LICENCE_URL = "https://www.govdata.de/dl-de/by-2-0"
PUBLISHER = "Bayerisches Staatsministerium für Digitales"
ATTRIBUTION = f"{PUBLISHER}; Gemeindeverzeichnis © Statistisches Bundesamt (Destatis)"


@dataclass(frozen=True)
class Field:
    """One field of a record: its JSON key and CSV column, schema, and meaning."""

    name: str
    schema: dict[str, Any]
    type_label: str | Promise
    description: str | Promise

    @property
    def breakable_name(self) -> str:
        """Return the name with line-break chances after underscores, for narrow screens."""
        return mark_safe(escape(self.name).replace("_", "_<wbr>"))  # noqa: S308 - escaped


FIELDS = (
    Field(
        "nummer",
        {"type": "string", "pattern": r"^DA-\d{4}-\d{4}$", "examples": ["DA-2023-0200"]},
        gettext_lazy("Text"),
        gettext_lazy(
            "Nummer der Auszeichnung: DA, Jahr der Verleihung und laufende Nummer, "
            "z. B. DA-2021-0001. Sie steht auf dem Schild."
        ),
    ),
    Field(
        "ars",
        {"type": "string", "pattern": r"^09\d{10}$", "examples": ["096710124124"]},
        gettext_lazy("Text (12 Ziffern)"),
        gettext_lazy(
            "Amtlicher Regionalschlüssel der Kommune aus dem Gemeindeverzeichnis; "
            "beginnt mit der führenden Null."
        ),
    ),
    Field(
        "name",
        {"type": "string", "examples": ["Markt Hösbach", "Landratsamt Kitzingen"]},
        gettext_lazy("Text"),
        gettext_lazy(
            "Name der Kommune in der gebräuchlichen Form, z. B. „Markt Hösbach“ oder "
            "„Landratsamt Kitzingen“."
        ),
    ),
    Field(
        "art",
        {"type": "string", "enum": list(Kind.values)},
        gettext_lazy("Text (Code)"),
        gettext_lazy(
            "Art der Kommune: gemeinde, markt, stadt, grosse_kreisstadt, kreisfreie_stadt, "
            "vg (Verwaltungsgemeinschaft), landkreis (Landratsamt) oder bezirk."
        ),
    ),
    Field(
        "regierungsbezirk",
        {"type": ["string", "null"], "examples": ["Unterfranken"]},
        gettext_lazy("Text"),
        gettext_lazy(
            "Regierungsbezirk, in dem die Kommune liegt; bei einem Bezirk sein eigenes Gebiet."
        ),
    ),
    Field(
        "landkreis",
        {"type": ["string", "null"], "examples": ["Aschaffenburg", None]},
        gettext_lazy("Text oder leer"),
        gettext_lazy(
            "Landkreis, zu dem die Kommune gehört; leer (null) bei kreisfreien Städten, "
            "Landkreisen und Bezirken."
        ),
    ),
    Field(
        "verliehen_am",
        {"type": "string", "format": "date", "examples": ["2023-02-01"]},
        gettext_lazy("Datum (JJJJ-MM-TT)"),
        gettext_lazy("Tag der Verleihung nach ISO 8601."),
    ),
    Field(
        "verfahren_bei_verleihung",
        {"type": "integer", "minimum": 0, "examples": [62]},
        gettext_lazy("Ganzzahl"),
        gettext_lazy(
            "Zahl der Online-Verfahren, die bei der Verleihung gezählt wurden; "
            "die heutige Zahl kann davon abweichen."
        ),
    ),
    Field(
        "pruefen_url",
        {"type": "string", "format": "uri"},
        gettext_lazy("URL"),
        gettext_lazy("Seite, auf der jede und jeder die Auszeichnung prüfen kann."),
    ),
    Field(
        "breitengrad",
        {"type": ["number", "null"], "minimum": -90, "maximum": 90, "examples": [50.01783]},
        gettext_lazy("Zahl oder leer"),
        gettext_lazy(
            "Geografische Breite (WGS 84, Dezimalgrad mit Punkt). Gemeinden: ihr Punkt im "
            "Gemeindeverzeichnis; Verwaltungsgemeinschaften, Landkreise und Bezirke: der Ort "
            "ihres Sitzes oder, liegt der Sitz außerhalb, die Mitte ihrer Gemeinden; leer, "
            "wenn unbekannt."
        ),
    ),
    Field(
        "laengengrad",
        {"type": ["number", "null"], "minimum": -180, "maximum": 180, "examples": [9.20922]},
        gettext_lazy("Zahl oder leer"),
        gettext_lazy("Geografische Länge (WGS 84, Dezimalgrad mit Punkt); wie breitengrad."),
    ),
)
FIELD_NAMES = [field.name for field in FIELDS]
NUMERIC_FIELDS = {"verfahren_bei_verleihung", "breitengrad", "laengengrad"}

DATASET_TITLE = gettext_lazy("Digitales Amt – ausgezeichnete Kommunen in Bayern")
DATASET_DESCRIPTION = gettext_lazy(
    "Alle gültigen Auszeichnungen „Digitales Amt“ des Bayerischen Staatsministeriums für "
    "Digitales: Nummer, Kommune, Tag der Verleihung und Zahl der Online-Verfahren bei der "
    "Verleihung. Widerrufene Auszeichnungen sind nicht enthalten."
)


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def in_data_language() -> translation.override:
    """Render the machine-readable answers in German (see the module docstring)."""
    return translation.override(settings.LANGUAGE_CODE)


def opendata_version(request: HttpRequest, *args: object, **kwargs: object) -> Version:
    """Return the version of the open data: the awards', the format and the site's address."""
    awards = public_version(request)
    token = digest(f"{FORMAT_VERSION}|{settings.SITE_URL}|{awards.token}")
    return Version(token, awards.last_modified)


# Records.


def valid_awards() -> QuerySet[Award]:
    """Return the valid awards by number, with only the columns the records need (one query)."""
    return (
        Award.objects.valid()
        .select_related("municipality__regierungsbezirk", "municipality__landkreis")
        .only(
            "number",
            "issued_on",
            "procedure_count",
            "updated_at",
            "municipality__ars",
            "municipality__name",
            "municipality__register_name",
            "municipality__kind",
            "municipality__latitude",
            "municipality__longitude",
            "municipality__regierungsbezirk__name",
            "municipality__landkreis__name",
        )
        .order_by("number")
    )


def regierungsbezirk_name(municipality: Municipality) -> str | None:
    if municipality.kind == Kind.BEZIRK:
        return municipality.name
    return municipality.regierungsbezirk.name if municipality.regierungsbezirk else None


def _coordinate(value: Any) -> float | None:
    return None if value is None else float(value)


def verify_url_maker() -> Callable[[str], str]:
    """Return a function that gives an award's absolute verification URL.

    Reversing once and filling in the number keeps a list of hundreds of awards fast.
    """
    placeholder = "DA-0000-0000"
    template = absolute(reverse("awards:verify", args=[placeholder]))
    return lambda number: template.replace(placeholder, number)


def award_record(award: Award, verify_url: Callable[[str], str] | None = None) -> dict[str, Any]:
    """Return one award as the open data record, keys in the order of FIELDS."""
    verify_url = verify_url or verify_url_maker()
    municipality = award.municipality
    return {
        "nummer": award.number,
        "ars": municipality.ars,
        "name": municipality.title,
        "art": municipality.kind,
        "regierungsbezirk": regierungsbezirk_name(municipality),
        "landkreis": municipality.landkreis.name if municipality.landkreis else None,
        "verliehen_am": award.issued_on.isoformat(),
        "verfahren_bei_verleihung": award.procedure_count,
        "pruefen_url": verify_url(award.number),
        "breitengrad": _coordinate(municipality.latitude),
        "laengengrad": _coordinate(municipality.longitude),
    }


def _timestamp(value: datetime.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def dataset(request: HttpRequest) -> dict[str, Any]:
    """Return the JSON document: metadata, then every valid award."""
    version = request.version
    with in_data_language():
        verify_url = verify_url_maker()
        records = [award_record(award, verify_url) for award in valid_awards()]
        return {
            "titel": str(DATASET_TITLE),
            "beschreibung": str(DATASET_DESCRIPTION),
            "herausgeber": PUBLISHER,
            "lizenz": {"name": LICENCE_NAME, "url": LICENCE_URL},
            "namensnennung": ATTRIBUTION,
            "stand": _timestamp(version.last_modified),
            "anzahl": len(records),
            "dokumentation": absolute(reverse("awards:opendata")),
            "schema": absolute(reverse("awards:openapi")),
            "auszeichnungen": records,
        }
