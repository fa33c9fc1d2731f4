"""The plaque: A4 or A3 landscape, vector text, embedded Fira Sans, a vector QR code."""

import base64

from django.core.files.storage import default_storage
from django.utils import translation

from .facts import ISSUER, ISSUER_DATIVE, TAGLINE, AwardFacts
from .pdf import render_pdf
from .qr import qr_svg


def coat_of_arms_data_uri(name: str) -> str:
    """Return the stored (already re-encoded) coat of arms as a data URI for the PDF."""
    if not name:
        return ""
    with default_storage.open(name, "rb") as image:
        return "data:image/png;base64," + base64.b64encode(image.read()).decode()


def plaque_pdf(facts: AwardFacts, paper: str) -> bytes:
    """Render the plaque: A4 or A3 landscape, vector text, embedded Fira Sans, a vector QR code.

    The template is laid out on A4; A3 is the same page zoomed by √2 (A-series sizes).
    """
    with translation.override("de"):
        return render_pdf(
            "awards/documents/plaque.html",
            {
                "facts": facts,
                "qr": qr_svg(facts.url, size_mm=36),
                "coat_of_arms": coat_of_arms_data_uri(facts.coat_of_arms),
                "issuer": ISSUER,
                "issuer_dative": ISSUER_DATIVE,
                "tagline": TAGLINE,
            },
            zoom=1 if paper == "a4" else 2**0.5,
        )
