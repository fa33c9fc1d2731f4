"""The check for common passwords, for their core as well as for the whole."""

import re
import string

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Words of this site and of Bavaria's administration that people build passwords from; the
# similarity to the user's own name and address is UserAttributeSimilarityValidator's.
SITE_WORDS = frozenset(
    {
        "digitalesamt",
        "digitales amt",
        "digitales-amt",
        "bayern",
        "freistaat",
        "freistaatbayern",
        "staatsministerium",
        "ministerium",
        "rathaus",
        "gemeinde",
        "verwaltung",
        "landratsamt",
        "landkreis",
        "bezirk",
        "buergerservice",
        "bürgerservice",
        "willkommen",
        "muenchen",
        "münchen",
        "nuernberg",
        "nürnberg",
    }
)
EDGES = string.digits + string.punctuation + string.whitespace + "§°´²³€"
NOT_LETTERS = re.compile(r"[\W\d_]+")
REPEATED = re.compile(r"(.+?)\1+")


def cores(password: str) -> set[str]:
    """Return the password as a list of common ones would find it, and what it is built from.

    Lower-cased; without the digits and marks around it ("Sommer2024!" → "sommer"); its
    letters alone ("p.a.s.s.w.o.r.t" → "passwort"); and for each of those the part it repeats
    ("passwordpassword" → "password").
    """
    whole = password.lower().strip()
    found = {whole, whole.strip(EDGES), NOT_LETTERS.sub("", whole)}
    found |= {match[1] for text in list(found) if (match := REPEATED.fullmatch(text))}
    return {text for text in found if text}


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    """Refuse a common password also when it is padded or doubled to pass the minimum length.

    Django compares the whole password, lower-cased, with its list of 20,000. Of those only
    190 have 12 characters or more, so with a minimum of 12 the list alone refuses almost
    nothing: "passwordpassword", "Passwort2024!" and "Sommer-2025!" passed it. Here each core
    of the password (see `cores`) is looked up in the list and among this site's words, and a
    password that only repeats a part of it is refused as well.
    """

    def validate(self, password: str, user: object = None) -> None:
        found = cores(password)
        if found & self.passwords or found & SITE_WORDS or REPEATED.fullmatch(password.lower()):
            raise ValidationError(self.get_error_message(), code="password_too_common")

    def get_error_message(self) -> str:
        return _(
            "Dieses Passwort ist leicht zu erraten: es ist ein häufiges Passwort oder Wort, "
            "auch mit Ziffern oder Zeichen davor oder dahinter, oder es wiederholt sich. "
            "Wählen Sie zum Beispiel drei oder vier Wörter, die nicht zusammengehören."
        )

    def get_help_text(self) -> str:
        return _(
            "Kein häufiges Passwort oder Wort, auch nicht mit Ziffern davor oder dahinter "
            "und nicht wiederholt."
        )
