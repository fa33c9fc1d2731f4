"""Open data for people and machines: the overview, JSON, CSV, the Atom feed and OpenAPI.

Every answer costs the same few queries however many awards there are: one for the data version
(ETag and Last-Modified, so that an unchanged data set answers 304 without the second query) and
one for the awards with their Kommune, Landkreis and Regierungsbezirk; the bodies are built once
per data version and kept in the shared cache.
"""

import csv
import datetime
import io
import json
from collections.abc import Callable
from functools import cache as memoize
from functools import wraps
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from awards.models import Award
from digitalesamt.lib.http import Version, conditional, digest, shared_answer, versioned_response
from digitalesamt.lib.middleware import cross_origin
from digitalesamt.lib.spreadsheet import FORMULA_PREFIXES
from municipalities.constants import Kind

from ..openapi import openapi_document
from ..opendata import (
    ATTRIBUTION,
    DATASET_DESCRIPTION,
    FEED_LENGTH,
    FIELD_NAMES,
    FIELDS,
    LICENCE_NAME,
    LICENCE_URL,
    MAX_AGE,
    NUMERIC_FIELDS,
    PUBLISHER,
    absolute,
    award_record,
    dataset,
    in_data_language,
    opendata_version,
    regierungsbezirk_name,
    valid_awards,
    verify_url_maker,
)


def open_data(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve public open data: GET and HEAD only, any origin, cacheable, licence in a header.

    The headers go on 304 answers as well, which `conditional` makes before the view runs.
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
        return response

    return cross_origin(require_safe(wrapper))


def versioned(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer with the data version as ETag and Last-Modified, and 304 while it is unchanged."""
    shared = shared_answer("opendata", timeout=MAX_AGE)(view)
    return conditional(opendata_version, max_age=MAX_AGE, per_visitor=False)(shared)


def cached_body(
    request: HttpRequest, kind: str, build: Callable[[], bytes], content_type: str
) -> HttpResponse:
    """Build a body once per data version (and its gzip copy); later requests cost the version
    query only."""
    key = f"opendata:{kind}:{request.version.token}"
    return versioned_response(request, key, build, timeout=MAX_AGE, content_type=content_type)


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
    return render(request, "public/opendata.html", context)


@open_data
@versioned
def awards_json(request: HttpRequest) -> HttpResponse:
    """Serve every valid award as JSON with the data set's metadata."""

    def build() -> bytes:
        return json.dumps(dataset(request), ensure_ascii=False, separators=(",", ":")).encode()

    return cached_body(request, "json", build, "application/json; charset=utf-8")


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

    response = cached_body(request, "csv", build, "text/csv; charset=utf-8; header=present")
    response["Content-Disposition"] = 'attachment; filename="auszeichnungen.csv"'
    return response


@memoize
def _openapi_body(site_url: str) -> bytes:
    """Return the OpenAPI document; it changes with a release and the site's address only."""
    with in_data_language():
        return json.dumps(openapi_document(), ensure_ascii=False, indent=2).encode()


def _openapi_version(request: HttpRequest) -> Version:
    return Version(digest(_openapi_body(settings.SITE_URL).decode()))


@open_data
@conditional(_openapi_version, max_age=MAX_AGE, per_visitor=False)
def openapi(request: HttpRequest) -> HttpResponse:
    """Describe the JSON interface (and name the CSV and the feed) in OpenAPI 3.1."""
    body = _openapi_body(settings.SITE_URL)
    return HttpResponse(body, content_type="application/json; charset=utf-8")


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
            regierungsbezirk_name(municipality) if municipality.kind != Kind.BEZIRK else "",
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
    return cached_body(request, "atom", _feed_body, AwardFeed.content_type)


def _feed_body() -> bytes:
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
        return feed.writeString("utf-8").encode("utf-8")
