"""German words for search: the Snowball German stemmer and a folding that forgives spelling.

`stem` follows the published Snowball algorithm for German
(https://snowballstem.org/algorithms/german/stemmer.html) step by step, so that "Anmeldungen",
"Anmeldung" and "anmelden" share the stem "anmeld". `fold` makes what people type on any
keyboard meet the catalogue's spelling: lower case, "ß" as "ss", umlauts and "ae"/"oe"/"ue" as
the plain vowel, other accents dropped. Both sides of a search go through the same `fold`, so
"Fuehrerschein", "Fuhrerschein" and "Führerschein" are one word.
"""

import re
import unicodedata
from functools import lru_cache

VOWELS = frozenset("aeiouyäöü")
S_ENDING = frozenset("bdfghklmnrt")
ST_ENDING = frozenset("bdfghklmnt")
WORD = re.compile(r"[^\W_]+")
TRANSLITERATIONS = (("ae", "a"), ("oe", "o"), ("ue", "u"))


def words(text: str) -> list[str]:
    """Split text into its words (letters and digits), lower case, "ß" as "ss"."""
    return WORD.findall(text.lower().replace("ß", "ss"))


@lru_cache(maxsize=65_536)
def fold(word: str) -> str:
    """Return a word without umlauts and accents, with "ae"/"oe"/"ue" as "a"/"o"/"u"."""
    word = word.lower().replace("ß", "ss")
    if not word.isascii():
        plain = unicodedata.normalize("NFKD", word)
        word = "".join(character for character in plain if not unicodedata.combining(character))
    for spelt, vowel in TRANSLITERATIONS:
        word = word.replace(spelt, vowel)
    return word


def _regions(word: str) -> tuple[int, int]:
    """Return the start of R1 and R2: after the first non-vowel that follows a vowel."""

    def after(start: int) -> int:
        for index in range(start + 1, len(word)):
            if word[index] not in VOWELS and word[index - 1] in VOWELS:
                return index + 1
        return len(word)

    r1 = after(0)
    r2 = after(r1)
    # R1 starts after at least three letters.
    return max(r1, 3), r2


def stem(word: str) -> str:
    """Return the Snowball German stem of a lower-case word, umlauts removed."""
    word = word.lower().replace("ß", "ss")
    if len(word) < 3 or not word.isalpha():
        return fold(word)
    # u and y between vowels are consonants: mark them upper case while stemming.
    letters = list(word)
    for index in range(1, len(letters) - 1):
        between_vowels = letters[index - 1] in VOWELS and letters[index + 1] in VOWELS
        if letters[index] in "uy" and between_vowels:
            letters[index] = letters[index].upper()
    word = "".join(letters)
    r1, r2 = _regions(word)

    # Step 1
    for suffix in ("ern", "em", "er"):
        if word.endswith(suffix):
            if len(word) - len(suffix) >= r1:
                word = word[: -len(suffix)]
            break
    else:
        for suffix in ("en", "es", "e"):
            if word.endswith(suffix):
                if len(word) - len(suffix) >= r1:
                    word = word[: -len(suffix)]
                    if word.endswith("niss"):
                        word = word[:-1]
                break
        else:
            if word.endswith("s") and len(word) - 1 >= r1 and word[-2:-1] in S_ENDING:
                word = word[:-1]

    # Step 2
    for suffix in ("est", "en", "er"):
        if word.endswith(suffix):
            if len(word) - len(suffix) >= r1:
                word = word[: -len(suffix)]
            break
    else:
        if (
            word.endswith("st")
            and len(word) - 2 >= r1
            and word[-3:-2] in ST_ENDING
            and len(word) - 3 >= 3
        ):
            word = word[:-2]

    # Step 3: d-suffixes
    def in_r2(suffix: str) -> bool:
        return len(word) - len(suffix) >= r2

    for suffix in ("heit", "lich", "keit", "isch", "end", "ung", "ig", "ik"):
        if not word.endswith(suffix):
            continue
        if in_r2(suffix):
            if suffix in ("end", "ung"):
                word = word[: -len(suffix)]
                if word.endswith("ig") and len(word) - 2 >= r2 and word[-3:-2] != "e":
                    word = word[:-2]
            elif suffix in ("ig", "ik", "isch"):
                if word[-len(suffix) - 1 : -len(suffix)] != "e":
                    word = word[: -len(suffix)]
            elif suffix in ("lich", "heit"):
                word = word[: -len(suffix)]
                for before in ("er", "en"):
                    if word.endswith(before) and len(word) - 2 >= r1:
                        word = word[:-2]
                        break
            else:  # keit
                word = word[: -len(suffix)]
                for before in ("lich", "ig"):
                    if word.endswith(before) and len(word) - len(before) >= r2:
                        word = word[: -len(before)]
                        break
        break

    return fold(word.lower())
