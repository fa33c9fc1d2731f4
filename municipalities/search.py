"""Finding Kommunen by what people type: the one normalisation and the ranking of names.

`normalize()` is the one home of the rule that makes "München", "Muenchen", "MÜNCHEN" and
"münchen" the same word, and "Neunburg-vorm-Wald" the same as "Neunburg vorm Wald": lower
case, umlauts and ß folded to their two-letter spelling (ä → ae, ö → oe, ü → ue, ß → ss; "ae"
typed stays "ae", so the fold works both ways), accents dropped, and any run of punctuation
or spaces one space. `Municipality.search_name` stores it for every Kommune (the importer and
`save()` write it), and a query is normalised with the same function before it is compared.

`NameIndex` ranks normalised names for a normalised query, in Python and so the same on every
database: exact (spaces aside), then prefix, then part of the name, then fuzzy: from five
letters on, the whole name one edit away (a letter left out, added, changed, or two neighbours
swapped), then every query word the start of a word of the name or one edit away from one.
The fuzzy candidates are the query's own one-edit variants over the letters the names use (a
few hundred dictionary look-ups), so a query compares no name letter by letter.
"""

import bisect
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence

# Ranks of a match, best first.
EXACT = 0
PREFIX = 1
CONTAINS = 2
FUZZY = 3  # the whole name one edit away ("Muenchn")
FUZZY_WORD = 4  # each query word a word of the name or near one ("Muenchn" in "Garching b.München")
# Query words shorter than this must be typed right (a typo in "Au" matches half of Bavaria).
FUZZY_MIN_LENGTH = 5

_FOLDS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "œ": "oe"})
_NOT_WORD = re.compile(r"[\W_]+")


def normalize(text: str) -> str:
    """Return the form of a name or query that search compares: "Hösbach" → "hoesbach"."""
    text = unicodedata.normalize("NFC", text).casefold().translate(_FOLDS)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", text).split())


def one_edit_apart(a: str, b: str) -> bool:
    """Tell whether `a` and `b` differ by at most one edit (insert, delete, change, swap)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    start = 0
    while start < len(a) and a[start] == b[start]:
        start += 1
    if len(a) < len(b):
        return a[start:] == b[start + 1 :]  # one letter more in b
    if a[start + 1 :] == b[start + 1 :]:  # one letter changed
        return True
    return (  # two neighbours swapped
        start + 1 < len(a)
        and a[start] == b[start + 1]
        and a[start + 1] == b[start]
        and a[start + 2 :] == b[start + 2 :]
    )


def names_exactly(query: str, name: str) -> bool:
    """Tell whether a normalised query is the name itself, allowing one typo from 5 letters on."""
    if query.replace(" ", "") == name.replace(" ", ""):
        return True
    return len(query) >= FUZZY_MIN_LENGTH and one_edit_apart(query, name)


def _edits(word: str, alphabet: str) -> set[str]:
    """Every string one edit away from `word`: a letter left out, swapped, changed or added."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return {
        *(left + right[1:] for left, right in splits if right),
        *(left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1),
        *(left + letter + right[1:] for left, right in splits if right for letter in alphabet),
        *(left + letter + right for left, right in splits for letter in alphabet),
    }


class NameIndex:
    """The normalised names of many Kommunen, ready to rank for a query (`match`)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        self.compact = [name.replace(" ", "") for name in self.names]
        self.by_word: dict[str, list[int]] = defaultdict(list)
        self.by_compact: dict[str, list[int]] = defaultdict(list)
        for position, name in enumerate(self.names):
            for word in set(name.split()):
                self.by_word[word].append(position)
            self.by_compact[self.compact[position]].append(position)
        self.words = sorted(self.by_word)
        self.alphabet = "".join(sorted(set("".join(self.compact))))

    def match(self, query: str) -> dict[int, int]:
        """Return {position of a name: rank} for every name the normalised query matches."""
        if not query:
            return {}
        compact = query.replace(" ", "")
        ranks: dict[int, int] = {}
        for position, name in enumerate(self.names):
            if name == query or self.compact[position] == compact:
                ranks[position] = EXACT
            elif name.startswith(query):
                ranks[position] = PREFIX
            elif query in name:
                ranks[position] = CONTAINS
        if len(compact) >= FUZZY_MIN_LENGTH:
            for position in self._near(compact, self.by_compact):
                ranks.setdefault(position, FUZZY)
        fuzzy = None
        for word in query.split():
            found = self._starting(word)
            if len(word) >= FUZZY_MIN_LENGTH:
                found |= self._near(word, self.by_word)
            fuzzy = found if fuzzy is None else fuzzy & found
        for position in fuzzy or ():
            ranks.setdefault(position, FUZZY_WORD)
        return ranks

    def _starting(self, prefix: str) -> set[int]:
        """Positions of the names with a word that starts with `prefix`."""
        found: set[int] = set()
        for word in self.words[bisect.bisect_left(self.words, prefix) :]:
            if not word.startswith(prefix):
                break
            found.update(self.by_word[word])
        return found

    def _near(self, word: str, table: dict[str, list[int]]) -> set[int]:
        """Positions under the keys of `table` one edit away from `word`."""
        return {
            position
            for candidate in _edits(word, self.alphabet)
            for position in table.get(candidate, ())
        }
