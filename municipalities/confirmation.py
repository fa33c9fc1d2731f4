"""The second witness: which of a Kommune's links the federal dashboard's records confirm.

The one place of the rule. A link (or a frozen evidence item) is confirmed when its counting
key (`validation.count_key`, the counting rule's `url_key`) equals the `url_key` of an active
SourceRecord of the same Kommune, or, for a link with scope zentral, of an active central
record (municipality None: a procedure of the Freistaat at LAND_ARS). A record of the Landkreis
above a Gemeinde belongs to the Landkreis and confirms nothing of the Gemeinde; a central record
confirms no kommunal link. The source's `online` status is shown beside, not required.

Only records "landesweit flächendeckend" at LAND_ARS are stored as central ones
(`sources.map_record`, the scope rule), so the rule need not ask the coverage again.

`source_index` answers it in Python for one Kommune (one query, for a page of rows);
`CONFIRMED` is the same rule as a filter on links, which `confirmed_links`,
`with_confirmed_count` and the count history (`history.current_counts`) use in SQL.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from .constants import Scope
from .models import Municipality, ProcedureLink, SourceRecord, SourceSync

# How a link is known to the source.
OWN = "own"  # a record at the Kommune's own ARS
CENTRAL = "central"  # a central procedure of the Freistaat


@dataclass(frozen=True)
class Witness:
    """What the source says about one URL: whose record it is and whether it is online."""

    kind: str  # OWN or CENTRAL
    online: bool


@dataclass(frozen=True)
class UnlinkedRecord:
    """A URL the source lists for the Kommune that the Kommune does not link."""

    url: str
    titles: list[str]  # the LeiKa names of its records, sorted
    online: bool

    @property
    def title(self) -> str:
        return self.titles[0] if self.titles else ""

    @property
    def more(self) -> int:
        return max(len(self.titles) - 1, 0)


@dataclass
class SourceIndex:
    """The active source records of one Kommune and the central ones, by counting key."""

    own: dict[str, bool] = field(default_factory=dict)  # url_key -> online (any record)
    central: dict[str, bool] = field(default_factory=dict)
    own_records: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # url, names

    def witness(self, key: str, scope: str) -> Witness | None:
        """The source's word on a link of this Kommune: None when it does not know the URL."""
        if key in self.own:
            return Witness(OWN, self.own[key])
        if scope == Scope.ZENTRAL and key in self.central:
            return Witness(CENTRAL, self.central[key])
        return None

    def unlinked(self, linked: set[str] | dict) -> list[UnlinkedRecord]:
        """The Kommune's own records whose URL is not among `linked` keys, by title."""
        records = [
            UnlinkedRecord(
                url=url, titles=sorted(set(titles), key=str.casefold), online=self.own[key]
            )
            for key, (url, titles) in self.own_records.items()
            if key not in linked
        ]
        return sorted(records, key=lambda record: (record.title.casefold(), record.url))


def source_index(municipality_id: int) -> SourceIndex:
    """Load the Kommune's active records and the central ones in one query."""
    index = SourceIndex()
    rows = (
        SourceRecord.objects.filter(
            Q(municipality_id=municipality_id) | Q(municipality__isnull=True), active=True
        )
        .order_by()
        .values_list("municipality_id", "url_key", "url", "leika_name", "online")
    )
    for owner, key, url, name, online in rows:
        if owner is None:
            index.central[key] = index.central.get(key, False) or online
            continue
        index.own[key] = index.own.get(key, False) or online
        _url, titles = index.own_records.setdefault(key, (url, []))
        if name:
            titles.append(name)
    return index


def _known(**owner) -> Exists:
    """An active source record of `owner` whose counting key is the link's."""
    return Exists(SourceRecord.objects.filter(url_key=OuterRef("url_key"), active=True, **owner))


# The rule as a filter on ProcedureLink rows (see the module's docstring). The scope before
# the central records: SQLite tests the conditions as written, and only a central link needs
# that second lookup (the award list's confirmed counts took half the time at full size).
CONFIRMED = Q(_known(municipality=OuterRef("municipality"))) | (
    Q(scope=Scope.ZENTRAL) & Q(_known(municipality__isnull=True))
)


def confirmed_links(municipality: Municipality | OuterRef | int) -> QuerySet:
    """The active links of a Kommune that the source confirms."""
    return ProcedureLink.objects.filter(municipality=municipality).active().filter(CONFIRMED)


def confirmed_count(municipality: Municipality | int) -> int:
    """How many of the Kommune's procedures (by the counting rule) the source confirms."""
    return confirmed_links(municipality).count()  # a key is unique per Kommune


def with_confirmed_count(municipalities: QuerySet[Municipality]) -> QuerySet[Municipality]:
    """Annotate `confirmed_count` (links the source confirms, once per URL) and `synced_at`.

    `synced_at` is the Kommune's last successful sync, None when it was never synced: its
    `confirmed_count` then says nothing. One query for any number of Kommunen.
    """
    # Once per URL: a key is unique per Kommune, so that is the number of confirmed links.
    count = (
        confirmed_links(OuterRef("pk"))
        .order_by()
        .values("municipality")
        .annotate(n=Count("pk"))
        .values("n")
    )
    synced = SourceSync.objects.filter(municipality=OuterRef("pk")).values("synced_at")[:1]
    return municipalities.annotate(
        confirmed_count=Coalesce(Subquery(count), 0), synced_at=Subquery(synced)
    )


def last_synced(municipality_id: int) -> datetime.datetime | None:
    """When the Kommune's records were last fetched from the source (one query)."""
    return (
        SourceSync.objects.filter(municipality_id=municipality_id)
        .values_list("synced_at", flat=True)
        .first()
    )
