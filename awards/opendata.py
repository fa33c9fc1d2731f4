"""Open data: every valid award as JSON, CSV and an Atom feed, with an OpenAPI description.

The machine-readable answers are always in German, whatever language the visitor chose: the
data set's names and codes are German, and a URL that caches and CDNs keep must give one answer.
Only the overview page for people follows the language switch.

Every answer costs the same few queries however many awards there are: one for the data version
(ETag and Last-Modified, so that an unchanged data set answers 304 without the second query) and
one for the awards with their Kommune, Landkreis and Regierungsbezirk.
"""

import csv
import datetime
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.feedgenerator import Atom1Feed
from django.utils.functional import Promise
from django.utils.html import escape, format_html
from django.utils.http import quote_etag
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import condition, require_safe

from municipalities.models import Kind, Municipality

from .models import Award, AwardsVersion

# Bump when the shape of an answer changes, so that caches drop the old one at once.
FORMAT_VERSION = "1"
MAX_AGE = 300
FEED_LENGTH = 50

LICENCE_NAME = "Datenlizenz Deutschland – Namensnennung – Version 2.0"
LICENCE_URL = "https://www.govdata.de/dl-de/by-2-0"
PUBLISHER = "Bayerisches Staatsministerium für Digitales"
ATTRIBUTION = f"{PUBLISHER}; Gemeindeverzeichnis © Statistisches Bundesamt (Destatis)"

# A spreadsheet runs a cell that starts like a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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


# The data version: one query for ETag and Last-Modified.


def data_version(request: HttpRequest) -> AwardsVersion:
    """Return the version of the awards, read once per request."""
    if not hasattr(request, "_open_data_version"):
        request._open_data_version = Award.objects.version()
    return request._open_data_version


def _etag(request: HttpRequest) -> str:
    key = f"{FORMAT_VERSION}|{settings.SITE_URL}|{data_version(request).token}"
    return quote_etag(hashlib.sha256(key.encode()).hexdigest()[:32])


def _last_modified(request: HttpRequest) -> datetime.datetime | None:
    return data_version(request).latest


def open_data(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve public open data: GET and HEAD only, any origin, cacheable, licence in a header.

    The headers go on 304 answers as well, which `condition` makes before the view runs.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Expose-Headers"] = "ETag, Last-Modified, Link"
        response["Link"] = (
            f'<{LICENCE_URL}>; rel="license", '
            f'<{absolute(reverse("awards:opendata"))}>; rel="describedby"; type="text/html"'
        )
        patch_cache_control(response, public=True, max_age=MAX_AGE)
        return response

    return require_safe(wrapper)


versioned = condition(etag_func=_etag, last_modified_func=_last_modified)


def cached_body(request: HttpRequest, kind: str, build: Callable[[], bytes]) -> bytes:
    """Build a body once per data version; later requests cost the version query only."""
    key = f"opendata:{kind}:{_etag(request)}"
    body = cache.get(key)
    if body is None:
        body = build()
        cache.set(key, body, timeout=MAX_AGE)
    return body


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


def _regierungsbezirk(municipality: Municipality) -> str | None:
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
        "regierungsbezirk": _regierungsbezirk(municipality),
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
    version = data_version(request)
    with in_data_language():
        verify_url = verify_url_maker()
        records = [award_record(award, verify_url) for award in valid_awards()]
        return {
            "titel": str(DATASET_TITLE),
            "beschreibung": str(DATASET_DESCRIPTION),
            "herausgeber": PUBLISHER,
            "lizenz": {"name": LICENCE_NAME, "url": LICENCE_URL},
            "namensnennung": ATTRIBUTION,
            "stand": _timestamp(version.latest),
            "anzahl": len(records),
            "dokumentation": absolute(reverse("awards:opendata")),
            "schema": absolute(reverse("awards:openapi")),
            "auszeichnungen": records,
        }


# Views.


@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    """Explain the open data for people: the files, their fields, the licence, an example."""
    state = Award.objects.aggregate(
        latest=Max("updated_at"), count=Count("pk", filter=Q(revoked_at__isnull=True))
    )
    sample = valid_awards().first()
    with in_data_language():
        record = award_record(sample) if sample else None
    datasets = [
        {
            "format": "JSON",
            "media_type": "application/json",
            "url": reverse("awards:opendata_json"),
            "description": _(
                "Alle gültigen Auszeichnungen mit Titel, Lizenz, Stand und Anzahl des Datensatzes."
            ),
        },
        {
            "format": "CSV",
            "media_type": "text/csv",
            "url": reverse("awards:opendata_csv"),
            "description": _(
                "Dieselben Felder als Tabelle: UTF-8 mit BOM, Komma als Trennzeichen, "
                "die erste Zeile nennt die Felder."
            ),
        },
        {
            "format": "Atom",
            "media_type": "application/atom+xml",
            "url": reverse("awards:feed"),
            "description": _(
                "Die %(count)d neuesten Auszeichnungen als Feed, zum Abonnieren im Feedreader."
            )
            % {"count": FEED_LENGTH},
        },
        {
            "format": "OpenAPI 3.1",
            "media_type": "application/json",
            "url": reverse("awards:openapi"),
            "description": _(
                "Beschreibung der JSON-Schnittstelle für Entwicklerinnen und Entwickler."
            ),
        },
    ]
    context = {
        "state": state,
        "datasets": datasets,
        "fields": FIELDS,
        "sample": json.dumps(record, ensure_ascii=False, indent=2) if record else "",
        "site_url": settings.SITE_URL,
        "licence_name": LICENCE_NAME,
        "licence_url": LICENCE_URL,
        "attribution": ATTRIBUTION,
        "max_age_minutes": MAX_AGE // 60,
    }
    return render(request, "awards/public/opendata.html", context)


@open_data
@versioned
def awards_json(request: HttpRequest) -> HttpResponse:
    """Serve every valid award as JSON with the data set's metadata."""

    def build() -> bytes:
        return json.dumps(dataset(request), ensure_ascii=False, separators=(",", ":")).encode()

    body = cached_body(request, "json", build)
    return HttpResponse(body, content_type="application/json; charset=utf-8")


def _csv_cell(name: str, value: Any) -> Any:
    """Return a value as a CSV cell; text that a spreadsheet would run as a formula gets a '."""
    if value is None:
        return ""
    if name not in NUMERIC_FIELDS and str(value).startswith(FORMULA_PREFIXES):
        return f"'{value}"
    return value


@open_data
@versioned
def awards_csv(request: HttpRequest) -> HttpResponse:
    """Serve every valid award as CSV (RFC 4180) that Excel opens with its umlauts intact.

    Sent as an attachment: browsers then save it as auszeichnungen.csv instead of showing raw
    text or guessing a name, while scripts (curl, pandas, R) ignore the header anyway.
    """

    def build() -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(FIELD_NAMES)
        verify_url = verify_url_maker()
        with in_data_language():
            for award in valid_awards():
                record = award_record(award, verify_url)
                writer.writerow([_csv_cell(name, record[name]) for name in FIELD_NAMES])
        return buffer.getvalue().encode("utf-8-sig")

    response = HttpResponse(
        cached_body(request, "csv", build), content_type="text/csv; charset=utf-8; header=present"
    )
    response["Content-Disposition"] = 'attachment; filename="auszeichnungen.csv"'
    return response


@open_data
def openapi(request: HttpRequest) -> HttpResponse:
    """Describe the JSON interface (and name the CSV and the feed) in OpenAPI 3.1."""
    with in_data_language():
        document = openapi_document()
    body = json.dumps(document, ensure_ascii=False, indent=2).encode()
    etag = quote_etag(hashlib.sha256(body).hexdigest()[:32])
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["ETag"] = etag
    return response


class AwardFeed(Atom1Feed):
    """Atom with a second link per entry: the Kommune's page beside the verification page."""

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        if item.get("related_link"):
            handler.addQuickElement(
                "link", "", {"rel": "related", "href": item["related_link"], "type": "text/html"}
            )


def _award_summary(award: Award, kommune_url: str) -> str:
    municipality = award.municipality
    places = [
        place
        for place in (
            f"Landkreis {municipality.landkreis.name}" if municipality.landkreis else "",
            _regierungsbezirk(municipality) if municipality.kind != Kind.BEZIRK else "",
        )
        if place
    ]
    where = f" ({', '.join(places)})" if places else ""
    return format_html(
        "<p>{title}{where} trägt seit dem {date} das Prädikat „Digitales Amt“.</p>"
        "<p>Nummer {number}, {count} Online-Verfahren bei der Verleihung. "
        '<a href="{url}">Seite der Kommune</a></p>',
        title=municipality.title,
        where=where,
        date=formats.date_format(award.issued_on, "DATE_FORMAT"),
        number=award.number,
        count=award.procedure_count,
        url=kommune_url,
    )


@open_data
@versioned
def awards_feed(request: HttpRequest) -> HttpResponse:
    """Serve the newest awards as an Atom feed, newest first."""
    awards = valid_awards().order_by("-issued_on", "-number")[:FEED_LENGTH]
    with in_data_language():
        feed = AwardFeed(
            title="Digitales Amt – neue Auszeichnungen",
            link=absolute(reverse("awards:home")),
            description=str(DATASET_DESCRIPTION),
            subtitle="Die neuesten Kommunen mit dem Prädikat „Digitales Amt“ in Bayern",
            language=settings.LANGUAGE_CODE,
            author_name=PUBLISHER,
            author_link=absolute(reverse("awards:home")),
            feed_url=absolute(reverse("awards:feed")),
            feed_guid=absolute(reverse("awards:feed")),
            feed_copyright=f"{LICENCE_NAME} ({LICENCE_URL}); {ATTRIBUTION}",
        )
        for award in awards:
            municipality = award.municipality
            verify_url = absolute(reverse("awards:verify", args=[award.number]))
            kommune_url = absolute(reverse("awards:municipality", args=[municipality.ars]))
            issued = timezone.make_aware(
                datetime.datetime.combine(award.issued_on, datetime.time())
            )
            feed.add_item(
                title=f"{municipality.title} ist „Digitales Amt“",
                link=verify_url,
                description=_award_summary(award, kommune_url),
                unique_id=verify_url,
                pubdate=issued,
                updateddate=max(issued, award.updated_at),
                categories=[municipality.get_kind_display()],
                related_link=kommune_url,
            )
        response = HttpResponse(content_type=feed.content_type)
        feed.write(response, "utf-8")
    return response


# OpenAPI.


def _header(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "schema": schema}


def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI 3.1 description of the open data interface."""
    overview_url = absolute(reverse("awards:opendata"))
    record_schema = {
        "type": "object",
        "description": "Eine gültige Auszeichnung „Digitales Amt“.",
        "required": FIELD_NAMES,
        "additionalProperties": False,
        "properties": {
            field.name: {**field.schema, "description": str(field.description)} for field in FIELDS
        },
    }
    dataset_schema = {
        "type": "object",
        "required": [
            "titel",
            "beschreibung",
            "herausgeber",
            "lizenz",
            "namensnennung",
            "stand",
            "anzahl",
            "auszeichnungen",
        ],
        "properties": {
            "titel": {"type": "string", "description": "Titel des Datensatzes."},
            "beschreibung": {"type": "string", "description": "Beschreibung des Datensatzes."},
            "herausgeber": {"type": "string", "description": "Wer die Daten veröffentlicht."},
            "lizenz": {
                "type": "object",
                "description": "Lizenz, unter der die Daten stehen.",
                "required": ["name", "url"],
                "properties": {
                    "name": {"type": "string", "const": LICENCE_NAME},
                    "url": {"type": "string", "format": "uri", "const": LICENCE_URL},
                },
            },
            "namensnennung": {
                "type": "string",
                "description": "So ist die Quelle bei einer Nutzung zu nennen.",
            },
            "stand": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "Letzte Änderung an den Auszeichnungen; null, wenn es keine gibt.",
            },
            "anzahl": {
                "type": "integer",
                "minimum": 0,
                "description": "Zahl der Einträge in auszeichnungen.",
            },
            "dokumentation": {
                "type": "string",
                "format": "uri",
                "description": "Beschreibung der Daten für Menschen.",
            },
            "schema": {
                "type": "string",
                "format": "uri",
                "description": "Dieses OpenAPI-Dokument.",
            },
            "auszeichnungen": {
                "type": "array",
                "description": "Alle gültigen Auszeichnungen, nach Nummer sortiert.",
                "items": {"$ref": "#/components/schemas/Auszeichnung"},
            },
        },
    }
    cache_headers = {
        "ETag": {"$ref": "#/components/headers/ETag"},
        "Last-Modified": {"$ref": "#/components/headers/Last-Modified"},
        "Cache-Control": {"$ref": "#/components/headers/Cache-Control"},
        "Link": {"$ref": "#/components/headers/Link"},
        "Access-Control-Allow-Origin": {"$ref": "#/components/headers/Access-Control-Allow-Origin"},
    }
    conditional = [
        {"$ref": "#/components/parameters/If-None-Match"},
        {"$ref": "#/components/parameters/If-Modified-Since"},
    ]
    not_modified = {"$ref": "#/components/responses/NotModified"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Digitales Amt – offene Daten",
            "version": "1.0.0",
            "summary": str(DATASET_TITLE),
            "description": (
                f"{DATASET_DESCRIPTION} Die Daten werden bei jedem Abruf aus dem Bestand erzeugt; "
                f"Antworten dürfen {MAX_AGE} Sekunden zwischengespeichert werden, ETag und "
                "Last-Modified erlauben bedingte Abrufe (HTTP 304). Namensnennung: "
                f"„{ATTRIBUTION}“."
            ),
            "contact": {"name": PUBLISHER, "url": overview_url},
            "license": {"name": LICENCE_NAME, "url": LICENCE_URL},
        },
        "servers": [{"url": settings.SITE_URL}],
        "externalDocs": {"description": "Offene Daten – Erläuterung", "url": overview_url},
        "tags": [{"name": "Auszeichnungen", "description": "Kommunen mit dem Prädikat."}],
        "paths": {
            reverse("awards:opendata_json"): {
                "get": {
                    "operationId": "listAwards",
                    "tags": ["Auszeichnungen"],
                    "summary": "Alle gültigen Auszeichnungen als JSON",
                    "description": (
                        "Ein Objekt mit den Metadaten des Datensatzes und der Liste "
                        "auszeichnungen, nach Nummer sortiert. Widerrufene Auszeichnungen "
                        "fehlen."
                    ),
                    "parameters": conditional,
                    "responses": {
                        "200": {
                            "description": "Der Datensatz.",
                            "headers": cache_headers,
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Auszeichnungen"}
                                }
                            },
                        },
                        "304": not_modified,
                    },
                }
            },
            reverse("awards:opendata_csv"): {
                "get": {
                    "operationId": "listAwardsCsv",
                    "tags": ["Auszeichnungen"],
                    "summary": "Alle gültigen Auszeichnungen als CSV",
                    "description": (
                        "Dieselben Felder wie im JSON in derselben Reihenfolge, eine Zeile je "
                        "Auszeichnung: UTF-8 mit BOM, Komma als Trennzeichen, Kopfzeile mit den "
                        "Feldnamen, Quoting nach RFC 4180, leere Zellen für null. Text, der mit "
                        "=, +, -, @ beginnt, erhält ein vorangestelltes ', damit eine "
                        "Tabellenkalkulation ihn nicht als Formel ausführt."
                    ),
                    "parameters": conditional,
                    "responses": {
                        "200": {
                            "description": "Die Tabelle.",
                            "headers": cache_headers,
                            "content": {"text/csv": {"schema": {"type": "string"}}},
                        },
                        "304": not_modified,
                    },
                }
            },
            reverse("awards:feed"): {
                "get": {
                    "operationId": "awardFeed",
                    "tags": ["Auszeichnungen"],
                    "summary": "Neue Auszeichnungen als Atom-Feed",
                    "description": (
                        f"Die {FEED_LENGTH} neuesten Auszeichnungen, die neueste zuerst; jeder "
                        "Eintrag verweist auf die Prüfseite und die Seite der Kommune."
                    ),
                    "parameters": conditional,
                    "responses": {
                        "200": {
                            "description": "Der Feed (Atom 1.0, RFC 4287).",
                            "headers": cache_headers,
                            "content": {"application/atom+xml": {"schema": {"type": "string"}}},
                        },
                        "304": not_modified,
                    },
                }
            },
        },
        "components": {
            "schemas": {"Auszeichnung": record_schema, "Auszeichnungen": dataset_schema},
            "parameters": {
                "If-None-Match": {
                    "name": "If-None-Match",
                    "in": "header",
                    "required": False,
                    "description": "ETag eines früheren Abrufs; unverändert ergibt HTTP 304.",
                    "schema": {"type": "string"},
                },
                "If-Modified-Since": {
                    "name": "If-Modified-Since",
                    "in": "header",
                    "required": False,
                    "description": "Zeitpunkt eines früheren Abrufs (HTTP-Datum).",
                    "schema": {"type": "string"},
                },
            },
            "headers": {
                "ETag": _header("Version des Datensatzes.", {"type": "string"}),
                "Last-Modified": _header(
                    "Letzte Änderung an den Auszeichnungen.", {"type": "string"}
                ),
                "Cache-Control": _header(
                    "Zwischenspeichern erlaubt.",
                    {"type": "string", "examples": ["public, max-age=300"]},
                ),
                "Link": _header("Lizenz (rel=license) und Beschreibung.", {"type": "string"}),
                "Access-Control-Allow-Origin": _header(
                    "Abruf von jeder Website aus erlaubt (CORS).", {"type": "string", "const": "*"}
                ),
            },
            "responses": {
                "NotModified": {
                    "description": "Nicht geändert seit dem Abruf mit diesem ETag bzw. Zeitpunkt.",
                    "headers": {
                        "ETag": {"$ref": "#/components/headers/ETag"},
                        "Cache-Control": {"$ref": "#/components/headers/Cache-Control"},
                    },
                }
            },
        },
    }
