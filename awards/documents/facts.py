"""What an award's documents show, collected once: the part of a document that can change."""

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.urls import reverse
from django.utils import formats, translation

from municipalities.constants import Kind
from municipalities.models import Municipality

from ..models import Award

# Bump when a template or the drawing changes, so every stored document is drawn anew.
LAYOUT_VERSION = 2

ISSUER = "Bayerisches Staatsministerium für Digitales"
ISSUER_DATIVE = "Bayerischen Staatsministerium für Digitales"  # "verliehen vom …"
TAGLINE = "Wir sind für Sie da. Auch online."


def verification_url(number: str) -> str:
    """Return the absolute address printed in every QR code (SITE_URL + /pruefen/<number>/)."""
    return settings.SITE_URL + reverse("awards:verify", args=[number])


@dataclass(frozen=True)
class AwardFacts:
    """What the documents show, in German: the documents are the same in every language."""

    number: str
    title: str
    members: tuple[str, ...]
    issued_on: date
    date_text: str
    url: str
    coat_of_arms: str
    revoked: bool

    @property
    def year(self) -> int:
        return self.issued_on.year

    def version(self) -> str:
        """Return a hash of everything drawn: the part of the storage name that changes."""
        data = {key: str(value) for key, value in self.__dict__.items()}
        data["layout"] = LAYOUT_VERSION
        encoded = json.dumps(data, sort_keys=True).encode()
        return hashlib.sha256(encoded).hexdigest()[:20]


def award_facts(award: Award) -> AwardFacts:
    """Collect the facts of the award's documents (one query for a VG's members)."""
    municipality = award.municipality
    members: tuple[str, ...] = ()
    if municipality.kind == Kind.VG:
        members = tuple(
            Municipality.objects.filter(verwaltungsgemeinschaft=municipality)
            .order_by("name")
            .values_list("name", flat=True)
        )
    with translation.override("de"):
        title = municipality.title
        date_text = formats.date_format(award.issued_on, "j. F Y")
    return AwardFacts(
        number=award.number,
        title=title,
        members=members,
        issued_on=award.issued_on,
        date_text=date_text,
        url=verification_url(award.number),
        coat_of_arms=municipality.coat_of_arms.name or "",
        revoked=award.is_revoked,
    )
