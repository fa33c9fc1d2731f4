"""The one data version of the public site: what every public page and document is cached by.

Pages, open data and their caches change with the awards: a new award and a revocation set
`Award.updated_at`. A Kommune renamed by a register import or in the admin changes what its
award's public record says, so the register's signal renews the records of the awards that
show it, its own and its VG's (a VG lists its members), and the version follows.

Figures that follow every procedure link (a Kommune's live count, the statistics) are not
versioned exactly, since that would cost a scan of all links per request: `live_version`
adds the current period of LIVE_MAX_AGE seconds, the time a cache may keep them anyway.
It also follows the syncs with the federal dashboard exactly (a Kommune page says when its
count was last confirmed there): every sync stamps `SourceSync.synced_at`, so the newest
stamp and the number of syncs change with every run, read in the same query as the awards.

A Kommune page lists the Kommune's own links, so `municipality_version` follows them exactly
as well: every writer of a link stamps `ProcedureLink.updated_at` (forms, the import, the
admin's actions; a change of its services too), and a deleted link lowers their number.
"""

import datetime

from django.db import connection
from django.db.models import Model, Q
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from awards.models import Award
from digitalesamt.lib.http import Version, newest, time_bucket
from municipalities.models import Municipality, ProcedureLink, SourceSync
from municipalities.signals import register_changed

# How long browsers and shared caches may keep a public page before they ask again.
MAX_AGE = 300
# Pages with live counts take a new version every period.
LIVE_MAX_AGE = 300


def public_version(request: HttpRequest, *args: object, **kwargs: object) -> Version:
    """Return the version of the awards as the public site shows them (one query)."""
    return Award.objects.version()


def live_version(request: HttpRequest, *args: object, **kwargs: object) -> Version:
    """Return the version of a page that also shows live counts and the syncs (one query)."""
    awards, syncs = newest_of((Award, "updated_at"), (SourceSync, "synced_at"))
    return newest(awards, syncs, time_bucket(LIVE_MAX_AGE, now=timezone.now()))


def municipality_version(request: HttpRequest, ars: str, **kwargs: object) -> Version:
    """Return the live version of a Kommune page with its own links' (one query)."""
    quote = connection.ops.quote_name
    municipalities = Municipality._meta
    # The Kommune's links by its ARS from the URL, a parameter of the query.
    owner = (
        f"{quote(ProcedureLink._meta.get_field('municipality').column)} = "  # noqa: S608
        f"(SELECT {quote(municipalities.pk.column)} FROM {quote(municipalities.db_table)} "
        f"WHERE {quote(municipalities.get_field('ars').column)} = %s)"
    )
    awards, syncs, links = newest_of(
        (Award, "updated_at"), (SourceSync, "synced_at"), (ProcedureLink, "updated_at", owner, ars)
    )
    return newest(awards, syncs, links, time_bucket(LIVE_MAX_AGE, now=timezone.now()))


def newest_of(
    *columns: tuple[type[Model], str] | tuple[type[Model], str, str, str],
) -> list[Version]:
    """Read MAX(column) and COUNT(*) of each table in one plain query (see Award.version).

    A column is (model, field name) or (model, field name, SQL condition, its one parameter).
    """
    quote = connection.ops.quote_name
    selects, params = [], []
    for model, name, *condition in columns:
        table = quote(model._meta.db_table)
        column = quote(model._meta.get_field(name).column)
        where = ""
        if condition:
            where = f" WHERE {condition[0]}"
            params += [condition[1], condition[1]]
        # Names from the models, quoted by the backend: nothing of a request is in the SQL.
        selects += [
            f"(SELECT MAX({column}) FROM {table}{where})",  # noqa: S608
            f"(SELECT COUNT(*) FROM {table}{where})",  # noqa: S608
        ]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(selects)}", params)
        row = cursor.fetchone()
    versions = []
    for latest, total in zip(row[::2], row[1::2], strict=True):
        latest = _aware(latest)
        versions.append(Version(f"{latest.isoformat() if latest else '-'}|{total}", latest))
    return versions


def _aware(value: datetime.datetime | str | None) -> datetime.datetime | None:
    """Return a datetime as a plain query gives it, aware: SQLite answers with naive text."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return value


def award_record(number: str) -> tuple[int, datetime.datetime] | None:
    """Return the key and last change of the award with this (normalised) number, or None.

    One plain query, like the other versions: a kept verification answer needs no more, and
    building the query through the ORM would cost as much as the rest of the request.
    """
    quote = connection.ops.quote_name
    meta = Award._meta
    sql = (
        f"SELECT {quote(meta.pk.column)}, {quote(meta.get_field('updated_at').column)} "  # noqa: S608
        f"FROM {quote(meta.db_table)} WHERE {quote(meta.get_field('number').column)} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [number])
        row = cursor.fetchone()
    return None if row is None else (row[0], _aware(row[1]))


@receiver(register_changed, dispatch_uid="public.renew_award_records")
def renew_award_records(sender: object, municipality_ids: list[int], **kwargs: object) -> None:
    """Mark the awards that show a changed Kommune as changed, so every cache renews them."""
    if municipality_ids:
        Award.objects.filter(
            Q(municipality__in=municipality_ids) | Q(municipality__members__in=municipality_ids)
        ).update(updated_at=timezone.now())
