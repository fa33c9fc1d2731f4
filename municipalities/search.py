"""Finding Kommunen by what people type: the one normalisation and the ranking of names.

`normalize()` is the one home of the rule that makes "München", "Muenchen", "MÜNCHEN" and
"münchen" the same word, and "Neunburg-vorm-Wald" the same as "Neunburg vorm Wald": lower
case, umlauts and ß folded to their two-letter spelling (ä → ae, ö → oe, ü → ue, ß → ss; "ae"
typed stays "ae", so the fold works both ways), accents dropped, and any run of punctuation
or spaces one space. `Municipality.search_name` stores it for every Kommune (the importer and
`save()` write it), and a query is normalised with the same function before it is compared.

`rank()` compares a normalised query with a normalised name, in Python and so the same on
every database: exact, then prefix, then part of the name, then fuzzy (every query word is a
word of the name, the start of one, or, from five letters on, one edit away from one: a
letter left out, added, changed or two swapped). The names of all Kommunen are a few thousand
short strings; the public list keeps them once per data version (digitalesamt/public).
"""

import re
import unicodedata

# Ranks of a match, best first; None is no match.
EXACT = 0
PREFIX = 1
CONTAINS = 2
FUZZY = 3
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
    limit = len(a)
    while start < limit and a[start] == b[start]:
        start += 1
    if len(a) == len(b):
        if a[start + 1 :] == b[start + 1 :]:  # one letter changed
            return True
        # two neighbours swapped
        return (
            start + 1 < len(a)
            and a[start] == b[start + 1]
            and a[start + 1] == b[start]
            and a[start + 2 :] == b[start + 2 :]
        )
    return a[start:] == b[start + 1 :]  # one letter more in b


def _word_matches(query_word: str, name_words: list[str]) -> bool:
    for word in name_words:
        if word.startswith(query_word):
            return True
        if len(query_word) >= FUZZY_MIN_LENGTH and (
            one_edit_apart(query_word, word) or one_edit_apart(query_word, word[: len(query_word)])
        ):
            return True
    return False


def rank(query: str, name: str) -> int | None:
    """Return how well a normalised query names a normalised name (EXACT … FUZZY) or None."""
    if not query or not name:
        return None
    if name == query or name.replace(" ", "") == query.replace(" ", ""):
        return EXACT
    if name.startswith(query):
        return PREFIX
    if query in name:
        return CONTAINS
    name_words = name.split()
    if all(_word_matches(word, name_words) for word in query.split()):
        return FUZZY
    if len(query) >= FUZZY_MIN_LENGTH and one_edit_apart(
        query.replace(" ", ""), name.replace(" ", "")
    ):
        return FUZZY
    return None


def names_exactly(query: str, name: str) -> bool:
    """Tell whether a normalised query is the name itself, allowing one typo from 5 letters on."""
    if rank(query, name) == EXACT:
        return True
    return len(query) >= FUZZY_MIN_LENGTH and one_edit_apart(query, name)
