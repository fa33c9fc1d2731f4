"""The way to the threshold: the Freistaat's central procedures and what Kommunen of a kind offer.

Central procedures are the source's records at the Land's ARS that are "landesweit
flächendeckend" (`SourceRecord` without a Kommune): any Bavarian Kommune can link them, with
scope zentral. `link_central` adds the ticked ones to a Kommune's list; it never removes one.

What Kommunen of a kind offer is one aggregate over every active kommunal link in Bavaria
(`popular_services`): costly at full size (a second or more over 500,000 links), the same
for every clerk, and changing slowly. It is computed once per period of
POPULAR_SERVICES_MAX_AGE seconds for all processes, in the shared cache.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from digitalesamt.lib.cache import versioned_value
from digitalesamt.lib.http import time_bucket
from municipalities.constants import Kind, Scope, SourceCoverage
from municipalities.models import Municipality, ProcedureLink, Service, SourceRecord
from municipalities.validation import clean_procedure_url, clean_text, url_key

# How long the figures of what Kommunen offer are kept before they are counted again.
POPULAR_SERVICES_MAX_AGE = 3600
# Services kept per kind: a Kommune is shown the first of them it does not offer yet.
POPULAR_SERVICES_PER_KIND = 200
# Suggestions the dashboard shows of each sort.
SHOWN_CENTRAL = 10
SHOWN_SERVICES = 10
TITLE_MAX_LENGTH = ProcedureLink._meta.get_field("title").max_length

# "bieten 78 % der Märkte in Bayern an": the share of the Kommunen of the same kind.
OFFERED_BY = {
    Kind.GEMEINDE: _("bieten %(percent)s %% der Gemeinden in Bayern an"),
    Kind.MARKT: _("bieten %(percent)s %% der Märkte in Bayern an"),
    Kind.STADT: _("bieten %(percent)s %% der Städte in Bayern an"),
    Kind.GROSSE_KREISSTADT: _("bieten %(percent)s %% der Großen Kreisstädte in Bayern an"),
    Kind.KREISFREIE_STADT: _("bieten %(percent)s %% der kreisfreien Städte in Bayern an"),
    Kind.VG: _("bieten %(percent)s %% der Verwaltungsgemeinschaften in Bayern an"),
    Kind.LANDKREIS: _("bieten %(percent)s %% der Landkreise in Bayern an"),
    Kind.BEZIRK: _("bieten %(percent)s %% der Bezirke in Bayern an"),
}


def central_records() -> QuerySet[SourceRecord]:
    """The Freistaat's central procedures that the source lists as active."""
    return SourceRecord.objects.filter(
        municipality=None, coverage=SourceCoverage.LAND, active=True
    ).order_by("leika_name", "url_key", "pk")


def linked_keys(municipality: Municipality, keys: list[str]) -> set[str]:
    """Return those of `keys` (counting keys) that the Kommune's list has, active or not."""
    return set(
        ProcedureLink.objects.filter(municipality=municipality, url_key__in=keys).values_list(
            "url_key", flat=True
        )
    )


@dataclass(frozen=True)
class Linked:
    """What `link_central` did: links added, and records whose address is no valid URL."""

    added: int
    already: int
    invalid: list[SourceRecord]


def link_central(municipality: Municipality, records: list[SourceRecord]) -> Linked:
    """Add the central procedures `records` to the Kommune's list, with scope zentral.

    One link per URL (by the counting rule), titled with the first record's LeiKa name and
    serving the LeiKa services of all records of that URL that the catalogue knows. A URL the
    list already has is left as it is, so a second POST adds nothing. All or nothing: the cap
    (settings.PROCEDURE_LINKS_PER_KOMMUNE) is checked with the Kommune locked, and a refusal
    raises ValidationError naming the limit.
    """
    procedures: dict[str, dict] = {}
    invalid = []
    for record in records:
        try:
            url = clean_procedure_url(record.url)
        except ValidationError:
            invalid.append(record)
            continue
        title = " ".join(clean_text(record.leika_name).split())[:TITLE_MAX_LENGTH] or url[:100]
        procedure = procedures.setdefault(
            url_key(url), {"url": url, "title": title, "ozg_id": record.ozg_id, "keys": []}
        )
        procedure["keys"].append(record.leika_key)
    with transaction.atomic():
        # Locked first, so that two clerks cannot pass the cap together, nor add a URL twice.
        ProcedureLink.objects.check_room(municipality, adding=0, lock=True)
        existing = linked_keys(municipality, list(procedures))
        new = {key: procedure for key, procedure in procedures.items() if key not in existing}
        ProcedureLink.objects.check_room(municipality, adding=len(new))
        links = ProcedureLink.objects.bulk_create(
            ProcedureLink(
                municipality=municipality,
                title=procedure["title"],
                url=procedure["url"],
                scope=Scope.ZENTRAL,
                ozg_id=str(procedure["ozg_id"] or "")[:10],
            )
            for procedure in new.values()
        )
        wanted = {key for procedure in new.values() for key in procedure["keys"]}
        services = dict(Service.objects.filter(leika_key__in=wanted).values_list("leika_key", "pk"))
        through = ProcedureLink.services.through
        through.objects.bulk_create(
            through(procedurelink_id=link.pk, service_id=services[key])
            for link, procedure in zip(links, new.values(), strict=True)
            for key in dict.fromkeys(procedure["keys"])
            if key in services
        )
    return Linked(added=len(new), already=len(existing), invalid=invalid)


def _count_popular_services() -> dict:
    """Count per kind of Kommune how many Kommunen offer each LeiKa service (kommunal, active).

    One aggregate over the links' services, and the number of Kommunen per kind.
    """
    rows = (
        ProcedureLink.services.through.objects.filter(
            procedurelink__active=True, procedurelink__scope=Scope.KOMMUNAL
        )
        .values("procedurelink__municipality__kind", "service__leika_key", "service__name")
        .annotate(kommunen=Count("procedurelink__municipality", distinct=True))
        .order_by()
    )
    by_kind: dict[str, list[tuple[int, str, str]]] = {}
    for row in rows:
        by_kind.setdefault(row["procedurelink__municipality__kind"], []).append(
            (row["kommunen"], row["service__leika_key"], row["service__name"])
        )
    for kind, services in by_kind.items():
        # Most Kommunen first; among equals by name, then key, so that the order is stable.
        services.sort(key=lambda item: (-item[0], item[2], item[1]))
        by_kind[kind] = services[:POPULAR_SERVICES_PER_KIND]
    totals = dict(
        Municipality.objects.order_by()
        .values("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    return {"services": by_kind, "totals": totals}


def popular_services() -> dict:
    """Return `_count_popular_services()` as counted in the current period, for all processes."""
    period = time_bucket(POPULAR_SERVICES_MAX_AGE, now=timezone.now())
    key = f"portal:popular-services:{period.token}"
    return versioned_value(key, _count_popular_services, timeout=POPULAR_SERVICES_MAX_AGE)


@dataclass(frozen=True)
class Suggestion:
    leika_key: str
    name: str
    percent: int
    offered_by: str


def suggested_services(municipality: Municipality, limit: int = SHOWN_SERVICES) -> list:
    """The services most Kommunen of this kind offer kommunal that this one does not yet.

    Two queries at most: the cached figures and the services on the Kommune's active links.
    """
    figures = popular_services()
    total = figures["totals"].get(municipality.kind, 0)
    services = figures["services"].get(municipality.kind, [])
    if not total or not services:
        return []
    own = set(
        Service.objects.filter(
            procedure_links__municipality=municipality, procedure_links__active=True
        ).values_list("leika_key", flat=True)
    )
    wording = OFFERED_BY[municipality.kind]
    suggestions = []
    for kommunen, key, name in services:
        if key in own:
            continue
        percent = round(kommunen * 100 / total)
        if percent < 1:
            break
        suggestions.append(Suggestion(key, name, percent, wording % {"percent": percent}))
        if len(suggestions) == limit:
            break
    return suggestions


def unlinked_central(municipality: Municipality, limit: int = SHOWN_CENTRAL) -> list:
    """The first central procedures (by name) whose URL the Kommune has not linked (one query)."""
    own = ProcedureLink.objects.filter(municipality=municipality).values("url_key")
    return list(central_records().filter(~Q(url_key__in=own))[:limit])
