"""What a search on the public list names: Kommunen ranked by how well, and the areas it names.

A search term is a name as people type it ("Muenchen", "MÜNCHEN", "Neunburg-vorm-Wald", one
typo from five letters on: municipalities.search), a postal code (every postal code of a
Kommune once `import_postcodes` has run, otherwise the seats' codes of the register) or the
start of a Regionalschlüssel. The names are compared in Python against an index of every
Kommune (pk, normalised name, kind, VG, seat's postal code, ARS), built with one query once per
data version and kept in the versioned cache, so the ranking is the same on every database.

Ranks, best first: exact name, prefix, part of the name, fuzzy; within each, a Gemeinde before
a VG and a VG before a Landkreis or Bezirk of the same name ("Coburg" is the Stadt first, the
Landkreis second), unless a title word asks for a kind ("Landkreis Coburg"); a VG found through
a member right after the member would be. A term that names a Landkreis or Regierungsbezirk
also offers the list filtered by it.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.db.models import Case, Exists, Q, Value, When

from digitalesamt.lib.cache import memory, process_value
from digitalesamt.lib.http import digest
from municipalities.constants import GEMEINDE_KINDS, Kind
from municipalities.models import Municipality, PostalCode
from municipalities.search import EXACT, PREFIX, NameIndex, names_exactly, normalize

INDEX_TIMEOUT = 300
AREA_KINDS = (Kind.LANDKREIS, Kind.BEZIRK)
LAST = 1_000  # the rank of what a term does not name

# Words people put before a name ("Markt Hösbach", "Landkreis Regensburg") and the kinds they
# mean; normalised like the names.
TITLE_WORDS = {
    "gemeinde": GEMEINDE_KINDS,
    "markt": (Kind.MARKT,),
    "stadt": (Kind.STADT, Kind.GROSSE_KREISSTADT, Kind.KREISFREIE_STADT),
    "grosse kreisstadt": (Kind.GROSSE_KREISSTADT,),
    "kreisfreie stadt": (Kind.KREISFREIE_STADT,),
    "landeshauptstadt": (Kind.KREISFREIE_STADT,),
    "verwaltungsgemeinschaft": (Kind.VG,),
    "vg": (Kind.VG,),
    "landkreis": (Kind.LANDKREIS,),
    "landratsamt": (Kind.LANDKREIS,),
    "lkr": (Kind.LANDKREIS,),
    "kreis": (Kind.LANDKREIS,),
    "regierungsbezirk": (Kind.BEZIRK,),
    "bezirk": (Kind.BEZIRK,),
}
_TITLES_LONGEST_FIRST = sorted(TITLE_WORDS.items(), key=lambda item: -len(item[0]))


class Entry(NamedTuple):
    """One Kommune as search sees it; the fields are the columns read."""

    pk: int
    search_name: str
    kind: str
    verwaltungsgemeinschaft_id: int | None
    postal_code: str
    ars: str
    name: str


@dataclass(frozen=True)
class SearchIndex:
    entries: tuple[Entry, ...]
    names: NameIndex
    # Whether `import_postcodes` has run; without it only the seats' postal codes are known.
    postcodes: bool


@dataclass
class Found:
    """The Kommunen a term names, each with its rank (lower is better), and the areas."""

    # Kommunen the term names themselves.
    ranks: dict[int, int] = field(default_factory=dict)
    # The same and the VGs of the members found: the Kommunen whose award the term finds.
    holder_ranks: dict[int, int] = field(default_factory=dict)
    areas: list[Entry] = field(default_factory=list)
    postcodes: bool = False

    def holders(self) -> Q:
        """The condition on awards: held by a Kommune found or the VG of a member found."""
        return Q(municipality_id__in=list(self.holder_ranks))

    def holder_order(self) -> Case:
        return _order("municipality_id", self.holder_ranks)

    def order(self) -> Case:
        return _order("pk", self.ranks)


def _order(column: str, ranks: dict[int, int]) -> Case:
    by_rank: dict[int, list[int]] = defaultdict(list)
    for pk, value in ranks.items():
        by_rank[value].append(pk)
    whens = [When(**{f"{column}__in": pks}, then=Value(v)) for v, pks in sorted(by_rank.items())]
    return Case(*whens, default=Value(LAST))


def search_index(token: str) -> SearchIndex:
    """Return the index of every Kommune for the data version `token` (one query, or none).

    The index is needed on every search the results cache misses. Each process keeps the one of
    the newest version (not in the shared cache, whose read would cost more than the query) as
    long as its mark in the memory of digitalesamt.lib.cache lives: INDEX_TIMEOUT seconds at
    most, since a Kommune renamed without an award changes no version.
    """
    key = f"public:search-index:{token}"
    kept = _kept.get(key)
    if kept is not None and memory.get(key) is not None:
        return kept
    # Whether any postal code is stored, in the same query: an uncorrelated EXISTS, which both
    # SQLite and PostgreSQL evaluate once.
    rows = list(
        Municipality.objects.order_by("ars")
        .annotate(postcodes=Exists(PostalCode.objects.all()))
        .values_list(*Entry._fields, "postcodes")
    )
    entries = tuple(Entry._make(row[:-1]) for row in rows)
    index = SearchIndex(
        entries=entries,
        names=NameIndex([entry.search_name for entry in entries]),
        postcodes=any(row[-1] for row in rows[:1]),
    )
    if settings.VERSIONED_MEMORY_BYTES:
        _kept.clear()
        _kept[key] = index
        memory.put(key, b"1", settings.VERSIONED_MEMORY_BYTES, INDEX_TIMEOUT)
    return index


# The index of the newest version this process was asked for, valid while its mark lives.
_kept: dict[str, SearchIndex] = {}


def split_title(query: str) -> tuple[str, tuple[str, ...]]:
    """Return a normalised query without a leading title word, and the kinds the word means."""
    for word, kinds in _TITLES_LONGEST_FIRST:
        rest = query.removeprefix(f"{word} ")
        if rest != query and rest:
            return rest, kinds
    return query, ()


def find(term: str, index: SearchIndex) -> Found:
    """Rank the Kommunen that `term` names (one query for a postal code, none otherwise)."""
    found = Found(postcodes=index.postcodes)
    compact = "".join(term.split())
    if compact.isdigit():
        _find_number(compact, index, found)
    else:
        _find_name(normalize(term), index, found)
    vgs = {entry.pk: entry.verwaltungsgemeinschaft_id for entry in index.entries}
    found.holder_ranks = {pk: value * 2 for pk, value in found.ranks.items()}
    for pk, value in found.ranks.items():
        vg_id = vgs[pk]
        if vg_id is not None:
            via_member = value * 2 + 1
            found.holder_ranks[vg_id] = min(found.holder_ranks.get(vg_id, via_member), via_member)
    return found


def search_key(term: str) -> str:
    """Return what `find` reads of a term: spellings with the same key find the same.

    A number without its spaces; a name as search compares it (case, umlauts, punctuation
    and spaces folded: "MÜNCHEN", "muenchen" and " München " are one search).
    """
    compact = "".join(term.split())
    return f"number:{compact}" if compact.isdigit() else f"name:{normalize(term)}"


def find_cached(term: str, token: str) -> Found:
    """Return `find` for the data version `token`, computed once per search key and process.

    Ranking a name against every Kommune is the costly part of a search the page cache misses;
    every spelling of it shares the result. Kept in the process's memory like the index (a
    read of the shared cache would cost a query more than a miss of the list's own caches).
    """
    key = f"public:search-found:{digest(f'{token}|{search_key(term)}', 64)}"
    return process_value(key, lambda: find(term, search_index(token)), timeout=INDEX_TIMEOUT)


def _find_number(digits: str, index: SearchIndex, found: Found) -> None:
    codes: set[int] = set()
    if len(digits) == len("80331"):
        codes = set(PostalCode.objects.filter(code=digits).values_list("municipality", flat=True))
    for entry in index.entries:
        if entry.pk in codes or entry.postal_code == digits or entry.ars == digits:
            found.ranks[entry.pk] = EXACT * 3 + _penalty(entry.kind, ())
        elif entry.ars.startswith(digits):
            found.ranks[entry.pk] = PREFIX * 3 + _penalty(entry.kind, ())


def _penalty(kind: str, kinds: tuple[str, ...]) -> int:
    """Within a rank: a Gemeinde, then a VG, then a Landkreis or Bezirk; a title's kinds first."""
    base = 2 if kind in AREA_KINDS else 1 if kind == Kind.VG else 0
    if kinds:
        return 0 if kind in kinds else max(base, 1)
    return base


def _find_name(query: str, index: SearchIndex, found: Found) -> None:
    if not query:
        return
    rest, kinds = split_title(query)
    scores: dict[int, int] = {}
    for position, tier in index.names.match(query).items():
        scores[position] = tier * 3 + _penalty(index.entries[position].kind, kinds)
    if kinds:
        for position, tier in index.names.match(rest).items():
            score = tier * 3 + _penalty(index.entries[position].kind, kinds)
            scores[position] = min(scores.get(position, score), score)
    found.ranks = {index.entries[position].pk: score for position, score in scores.items()}
    for entry in index.entries:
        if entry.kind in AREA_KINDS and (
            names_exactly(query, entry.search_name)
            or (entry.kind in kinds and names_exactly(rest, entry.search_name))
        ):
            found.areas.append(entry)
    # Landkreise before Bezirke, each in register order.
    found.areas.sort(key=lambda entry: (entry.kind != Kind.LANDKREIS, entry.ars))
