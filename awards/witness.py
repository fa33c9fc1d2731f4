"""The federal dashboard as second witness of an application's evidence.

The rule of what the source confirms lives in `municipalities.confirmation`.
"""

import datetime
from dataclasses import dataclass

from django.db.models import OuterRef, QuerySet, Subquery

from municipalities.confirmation import (
    SourceIndex,
    UnlinkedRecord,
    Witness,
    last_synced,
    source_index,
    with_confirmed_count,
)
from municipalities.models import Municipality

from .models import Award

# Filter values of the evidence table (?bundesdaten=bestaetigt|fehlt).
CONFIRMED = "confirmed"
MISSING = "missing"
# The records "in den Bundesdaten, aber nicht verlinkt" the page lists at most.
UNLINKED_SHOWN = 50


@dataclass(frozen=True)
class SourceComparison:
    """The source beside one submission: what it confirms, and what the Kommune does not link."""

    synced_at: datetime.datetime | None  # None: never synced, the source says nothing yet
    index: SourceIndex
    confirmed_keys: frozenset[str]  # counting keys of the frozen evidence the source knows
    evidence: int  # items of the frozen evidence
    unlinked: list[UnlinkedRecord]  # the first UNLINKED_SHOWN, by title
    unlinked_total: int

    @property
    def synced(self) -> bool:
        return self.synced_at is not None

    @property
    def confirmed(self) -> int:
        return len(self.confirmed_keys)

    @property
    def unconfirmed(self) -> int:
        return self.evidence - self.confirmed

    def witness(self, key: str, scope: str) -> Witness | None:
        return self.index.witness(key, scope) if self.synced else None

    def confirms(self, key: str) -> bool | None:
        """Whether the source knows an item of the frozen evidence; None: never synced."""
        return key in self.confirmed_keys if self.synced else None


def compare_with_source(
    municipality_id: int, frozen_scopes: dict[str, str], live_keys: set[str] | dict
) -> SourceComparison:
    """Match the frozen evidence (counting key -> scope) against the source, in two queries.

    The Kommune's own records whose URL is not among its live links are the ones it could
    still link ("in den Bundesdaten, aber nicht verlinkt").
    """
    synced_at = last_synced(municipality_id)
    index = source_index(municipality_id)
    if synced_at is None:
        # Central records may be there, but a Kommune never synced has no own records yet:
        # "not in the source" would be a claim the page cannot make.
        return SourceComparison(None, index, frozenset(), len(frozen_scopes), [], 0)
    confirmed = frozenset(
        key for key, scope in frozen_scopes.items() if index.witness(key, scope) is not None
    )
    unlinked = index.unlinked(live_keys)
    return SourceComparison(
        synced_at=synced_at,
        index=index,
        confirmed_keys=confirmed,
        evidence=len(frozen_scopes),
        unlinked=unlinked[:UNLINKED_SHOWN],
        unlinked_total=len(unlinked),
    )


def with_confirmed_progress(awards: QuerySet[Award]) -> QuerySet[Award]:
    """Annotate `confirmed_count` and `synced_at` of each holder (None: never synced).

    The source's count of the Kommune's links by the same counting rule, one subquery each,
    so a list of any length costs one query.
    """
    kommune = with_confirmed_count(Municipality.objects.filter(pk=OuterRef("municipality_id")))
    return awards.annotate(
        confirmed_count=Subquery(kommune.values("confirmed_count")[:1]),
        synced_at=Subquery(kommune.values("synced_at")[:1]),
    )
