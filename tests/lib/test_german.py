"""The German stemmer follows Snowball; folding forgives umlauts typed as ae, oe, ue."""

import pytest

from digitalesamt.lib.german import fold, stem, words


# Pairs from the Snowball German vocabulary and its output (umlauts removed at the end).
@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("aufeinanderfolgenden", "aufeinanderfolg"),
        ("kategorien", "kategori"),
        ("häuser", "haus"),
        ("kenntnisse", "kenntnis"),
        ("freundlichkeit", "freundlich"),
        ("möglichkeiten", "moglich"),
        ("kräftigsten", "kraftig"),
        ("anmeldungen", "anmeld"),
        ("anmeldung", "anmeld"),
        ("anmelden", "anmeld"),
        ("hunde", "hund"),
        ("hundert", "hundert"),
    ],
)
def test_stem(word, expected):
    assert stem(word) == expected


def test_fold_makes_every_spelling_of_an_umlaut_one():
    assert fold("Führerschein") == fold("Fuehrerschein") == fold("fuhrerschein")
    assert fold("Straße") == "strasse"
    assert fold("Café") == "cafe"


def test_words_splits_at_everything_but_letters_and_digits():
    assert words("Kfz-Zulassung (§ 3), Straße 12") == ["kfz", "zulassung", "3", "strasse", "12"]
