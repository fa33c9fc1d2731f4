"""Find LeiKa services by what a clerk types: words, German stems, synonyms, key prefixes.

One index in Python rather than the database's full-text search: PostgreSQL's `german`
configuration and SQLite's FTS5 stem, rank and tokenise differently, so the same query would
list other services on each; the catalogue is small (about 5,000 services), so the index is
built once per catalogue version in each process (a few hundred milliseconds) and a query
scans its vocabulary, not the services (a few milliseconds). The same code ranks on every
database.

Ranking, per word of the query (all words must match for a service to rank first):

1. the word itself in the service's name: the whole word, then its stem, then a word
   beginning with it, then a word containing it (compounds: "anmeldung" in
   "Gewerbeanmeldung"); a match in the name's first word counts a little more;
2. the same in the OZG-Leistung, at half the weight; a service matched in both ranks above one
   matched in the name alone;
3. the Lebens- and Themenfeld, a little;
4. synonyms of the word (data: data/service_synonyms.csv) count as the word, slightly less.

Ties go to the shorter name, then alphabetically. A query of digits searches the LeiKa keys.
"""

import csv
import threading
import time
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.db.models import Count, Max, Sum
from django.db.models.functions import Length

from digitalesamt.lib.german import fold, stem, words

from .models import Service

SYNONYMS_FILE = Path(__file__).resolve().parent / "data" / "service_synonyms.csv"
MAX_QUERY_WORDS = 8
# Shorter words match only whole words and word beginnings, never inside a compound.
MIN_INFIX = 4

NAME, OZG, AREA = 0, 1, 2
EXACT, STEM, PREFIX, STEM_PREFIX, INFIX = range(5)
WEIGHTS = {
    NAME: {EXACT: 100, STEM: 90, PREFIX: 80, STEM_PREFIX: 70, INFIX: 40},
    OZG: {EXACT: 50, STEM: 45, PREFIX: 40, STEM_PREFIX: 35, INFIX: 20},
    AREA: {EXACT: 10, STEM: 10, PREFIX: 8, STEM_PREFIX: 6, INFIX: 4},
}
FIRST_WORD_BONUS = 10
SYNONYM_FACTOR = 0.9


@dataclass(slots=True)
class Entry:
    key: str
    name: str
    length: int
    sort_name: str


@dataclass
class Index:
    """The catalogue as a vocabulary of folded words, each with the services it occurs in."""

    entries: list[Entry] = field(default_factory=list)
    # folded word -> [(entry index, field, is the name's first word)]
    postings: dict[str, list[tuple[int, int, bool]]] = field(default_factory=dict)
    stems: dict[str, str] = field(default_factory=dict)  # folded word -> its stem
    keys: list[tuple[str, int]] = field(default_factory=list)  # (LeiKa key, entry), sorted


def build_index(rows: Iterable[tuple[str, str, str, str, str]]) -> Index:
    """Index (leika_key, name, ozg_name, lebenslage, themenfeld) rows."""
    index = Index()
    for key, name, ozg_name, lebenslage, themenfeld in rows:
        position = len(index.entries)
        name_words = words(name)
        index.entries.append(Entry(key, name, len(name_words), name.casefold()))
        index.keys.append((key, position))
        seen: set[tuple[str, int]] = set()
        for field_id, text in (
            (NAME, name),
            (OZG, ozg_name),
            (AREA, f"{lebenslage} {themenfeld}"),
        ):
            for number, word in enumerate(words(text)):
                folded = fold(word)
                if folded not in index.stems:
                    index.stems[folded] = stem(word)
                first = field_id == NAME and number == 0
                if (folded, field_id) in seen and not first:
                    continue
                seen.add((folded, field_id))
                index.postings.setdefault(folded, []).append((position, field_id, first))
    index.keys.sort()
    return index


@cache
def synonyms() -> dict[str, tuple[str, ...]]:
    """Read the shipped synonyms: folded word -> folded words it also stands for."""
    found: dict[str, list[str]] = {}
    with SYNONYMS_FILE.open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            term, synonym = fold(row["begriff"].strip()), row["synonym"].strip()
            if term and synonym:
                found.setdefault(term, []).extend(fold(word) for word in words(synonym))
    return {term: tuple(dict.fromkeys(alternatives)) for term, alternatives in found.items()}


def _kind(word: str, word_stem: str, candidate: str, candidate_stem: str) -> int | None:
    """How the catalogue's word `candidate` matches a query word, or None."""
    if candidate == word:
        return EXACT
    if candidate_stem == word_stem:
        return STEM
    if candidate.startswith(word):
        return PREFIX
    if len(word_stem) >= MIN_INFIX and candidate.startswith(word_stem):
        return STEM_PREFIX
    if len(word) >= MIN_INFIX and word in candidate:
        return INFIX
    if len(word_stem) > MIN_INFIX and word_stem in candidate:
        return INFIX
    return None


def _word_scores(index: Index, typed: str) -> dict[int, float]:
    """Score every service for one word of the query, with its synonyms."""
    variants = [(fold(typed), stem(typed), 1.0)]
    variants += [
        (alternative, stem(alternative), SYNONYM_FACTOR)
        for alternative in synonyms().get(fold(typed), ())
    ]
    # entry -> field -> best score
    best: dict[int, dict[int, float]] = {}
    stems = index.stems
    for word, word_stem, factor in variants:
        for candidate, postings in index.postings.items():
            kind = _kind(word, word_stem, candidate, stems[candidate])
            if kind is None:
                continue
            for position, field_id, first in postings:
                score = WEIGHTS[field_id][kind] + (FIRST_WORD_BONUS if first else 0)
                score *= factor
                fields = best.setdefault(position, {})
                if score > fields.get(field_id, 0):
                    fields[field_id] = score
    return {position: sum(fields.values()) for position, fields in best.items()}


def search_index(index: Index, query: str, limit: int) -> list[Entry]:
    """Return the best `limit` services of the index for a query."""
    typed = [word for word in words(query) if word][:MAX_QUERY_WORDS]
    if not typed:
        return []
    if all(word.isdigit() for word in typed) and len(typed) == 1:
        return _by_key(index, typed[0], limit)
    matched: dict[int, int] = {}
    total: dict[int, float] = {}
    for word in typed:
        for position, score in _word_scores(index, word).items():
            matched[position] = matched.get(position, 0) + 1
            total[position] = total.get(position, 0) + score
    ranked = sorted(
        total,
        key=lambda position: (
            -matched[position],
            -total[position],
            index.entries[position].length,
            index.entries[position].sort_name,
            index.entries[position].key,
        ),
    )
    return [index.entries[position] for position in ranked[:limit]]


def _by_key(index: Index, prefix: str, limit: int) -> list[Entry]:
    start = bisect_left(index.keys, (prefix, -1))
    found = []
    for key, position in index.keys[start:]:
        if not key.startswith(prefix) or len(found) == limit:
            break
        found.append(index.entries[position])
    return found


# A rename to a name of the same length leaves the version as it was: the index is rebuilt
# after this many seconds all the same.
INDEX_MAX_AGE = 600

_lock = threading.Lock()
_current: tuple[tuple, float, Index] | None = None


def catalogue_version() -> tuple:
    """Return figures that change when a service is added, removed or renamed: one query."""
    figures = Service.objects.aggregate(
        count=Count("pk"),
        last=Max("pk"),
        name=Sum(Length("name")),
        ozg=Sum(Length("ozg_name")),
        area=Sum(Length("lebenslage") + Length("themenfeld")),
    )
    return tuple(figures.values())


def catalogue_index() -> Index:
    """Return the index of the catalogue as it is now, built once per catalogue version."""
    global _current
    version = catalogue_version()
    now = time.monotonic()

    def fresh() -> Index | None:
        current = _current
        if current is not None and current[0] == version and now - current[1] < INDEX_MAX_AGE:
            return current[2]
        return None

    index = fresh()
    if index is not None:
        return index
    with _lock:
        index = fresh()
        if index is None:
            rows = Service.objects.order_by("leika_key").values_list(
                "leika_key", "name", "ozg_name", "lebenslage", "themenfeld"
            )
            index = build_index(rows)
            _current = (version, now, index)
    return index


def forget_index() -> None:
    """Drop the index of this process (tests, after changing the catalogue in place)."""
    global _current
    _current = None


def search_services(query: str, *, limit: int = 20) -> list[Entry]:
    """Find the services that best match a query, best first (see the module's docstring)."""
    return search_index(catalogue_index(), query, limit)
