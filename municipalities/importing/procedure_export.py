"""A Kommune's procedures as rows of the import format, for the export and the template file.

What the export writes, the import reads back unchanged: the stored (canonical) URL, the title,
the scope, every LeiKa key (sorted, `|`-separated), the OZG-ID and `aktiv` as ja/nein. A round
trip (export, then import the file) therefore changes nothing.
"""

from collections.abc import Iterator

from django.conf import settings
from django.utils.translation import gettext as _

from municipalities.constants import Scope
from municipalities.models import Municipality, ProcedureLink

from .procedure_rows import COLUMNS, KEY_SEPARATOR

# One example row of the template: a real LeiKa key of the shipped catalogue (Hundesteuer).
EXAMPLE_LEIKA_KEY = "99102013000000"


def export_rows(municipality: Municipality) -> Iterator[list[str]]:
    """Yield the Kommune's links as import rows, by title; at most the cap per Kommune.

    Two queries whatever the size: the links and their services. The cap
    (settings.PROCEDURE_LINKS_PER_KOMMUNE) bounds what a Kommune can store, so it bounds the file.
    """
    links = (
        ProcedureLink.objects.filter(municipality=municipality)
        .prefetch_related("services")
        .order_by("title", "pk")[: settings.PROCEDURE_LINKS_PER_KOMMUNE]
    )
    for link in links:
        keys = sorted(service.leika_key for service in link.services.all())
        yield [
            municipality.ars,
            link.title,
            link.url,
            link.scope,
            KEY_SEPARATOR.join(keys),
            link.ozg_id,
            "ja" if link.active else "nein",
        ]


def template_rows(municipality: Municipality) -> list[list[str]]:
    """Return the one example row of the template file, with the Kommune's own ARS."""
    return [
        [
            municipality.ars,
            _("Hundesteuer – An- und Abmeldung eines Hundes"),
            "https://www.example.org/buergerservice/hundesteuer",
            Scope.KOMMUNAL.value,
            EXAMPLE_LEIKA_KEY,
            "",
            "ja",
        ]
    ]


HEADER = list(COLUMNS)
