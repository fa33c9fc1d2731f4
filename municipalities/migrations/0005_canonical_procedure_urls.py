"""Store every procedure URL in its canonical form and merge the spellings of one procedure.

Before, http and https, ":443", a trailing dot or slash, "%61" for "a", "//", "/./", a user
name or a zero-width character in the host made one address count several times. Each
Kommune's links are put in the canonical form (`normalize_url`); links that then share a
counting key (`url_key`) are one procedure: the oldest is kept, with the services of all and
active if any was. The Kommunen whose count changes are printed with old and new count.

The reverse leaves the canonical URLs and the merged links as they are: both are valid in the
old schema too, and the merged duplicates cannot be told apart again.
"""

from dataclasses import dataclass, field
from itertools import batched, groupby
from operator import itemgetter

from django.db import migrations
from django.utils.translation import gettext

from municipalities.validation import normalize_url, url_key

ID_CHUNK = 900


@dataclass
class Keeper:
    pk: int
    url: str
    canonical: str
    active: bool
    was_active: bool
    duplicates: list[int] = field(default_factory=list)


def canonical(url: str) -> str:
    try:
        return normalize_url(url)
    except ValueError:
        return url  # cannot be read as a URL (a bad port): leave it for the ministry to see


def merge_spellings(apps, schema_editor) -> None:
    ProcedureLink = apps.get_model("municipalities", "ProcedureLink")
    Municipality = apps.get_model("municipalities", "Municipality")
    rows = (
        ProcedureLink.objects.order_by("municipality_id", "created_at", "pk")
        .values_list("municipality_id", "pk", "url", "active")
        .iterator(chunk_size=10_000)
    )
    counts: dict[int, tuple[int, int]] = {}
    for municipality_id, links in groupby(rows, key=itemgetter(0)):
        keepers: dict[str, Keeper] = {}
        counted_before = set()
        for _municipality_id, pk, url, active in links:
            if active:
                counted_before.add(url)  # the old rule: distinct stored URLs
            normal = canonical(url)
            key = url_key(normal)
            keeper = keepers.get(key)
            if keeper is None:
                keepers[key] = Keeper(pk, url, normal, active, active)
            else:
                keeper.duplicates.append(pk)
                keeper.active = keeper.active or active
        _save(ProcedureLink, list(keepers.values()))
        counted_after = sum(keeper.active for keeper in keepers.values())
        if counted_after != len(counted_before):
            counts[municipality_id] = (len(counted_before), counted_after)
    if not counts:
        return
    print()
    print(gettext("Kommunen, deren Zahl der Online-Verfahren sich ändert (vorher → nachher):"))
    names = Municipality.objects.filter(pk__in=counts).order_by("name", "ars")
    for pk, name, ars in names.values_list("pk", "name", "ars"):
        before, after = counts[pk]
        print(f"  {name} ({ars}): {before} → {after}")


def _save(ProcedureLink, keepers: list[Keeper]) -> None:
    """Fold duplicates into their keeper, then give the keepers their canonical URL."""
    through = ProcedureLink.services.through
    merged = [keeper for keeper in keepers if keeper.duplicates]
    for keeper in merged:
        services = set(
            through.objects.filter(procedurelink_id__in=[keeper.pk, *keeper.duplicates])
            .values_list("service_id", flat=True)
            .distinct()
        )
        own = set(
            through.objects.filter(procedurelink_id=keeper.pk).values_list("service_id", flat=True)
        )
        through.objects.bulk_create(
            through(procedurelink_id=keeper.pk, service_id=service_id)
            for service_id in sorted(services - own)
        )
    duplicates = [pk for keeper in merged for pk in keeper.duplicates]
    for chunk in batched(duplicates, ID_CHUNK):
        through.objects.filter(procedurelink_id__in=chunk).delete()
        ProcedureLink.objects.filter(pk__in=chunk).delete()
    # After the deletions: every keeper's canonical URL is now free (canonical forms are fixed
    # points, so no other remaining link holds it).
    for keeper in keepers:
        changes = {}
        if keeper.canonical != keeper.url:
            changes["url"] = keeper.canonical
        if keeper.active != keeper.was_active:
            changes["active"] = keeper.active
        if changes:
            ProcedureLink.objects.filter(pk=keeper.pk).update(**changes)


class Migration(migrations.Migration):
    dependencies = [
        ("municipalities", "0004_coat_of_arms"),
    ]

    operations = [
        migrations.RunPython(merge_spellings, migrations.RunPython.noop, elidable=False),
    ]
