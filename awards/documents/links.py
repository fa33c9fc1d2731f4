"""The addresses of an award's documents and the HTML snippet a Kommune puts on its website."""

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from ..models import Award
from .facts import verification_url
from .kinds import (
    PLAQUE_PAPERS,
    PLAQUES,
    SIGNET_DEFAULT_WIDTH,
    SIGNET_PDF,
    SIGNET_PNGS,
    SIGNET_PRINT_MM,
    SIGNET_SVG,
    SIGNET_WIDTHS,
    signet_height,
)


def award_documents(award: Award) -> dict[str, Any]:
    """Return the addresses of the award's plaque and signet and the snippet for websites."""
    number = award.number
    plaque_url = reverse("awards:plaque", args=[number])
    png_url = reverse("awards:signet_png", args=[number])
    site = settings.SITE_URL
    width = SIGNET_DEFAULT_WIDTH // 2  # 160 on the page, the 320 file for sharp screens
    with translation.override("de"):
        alt = _(
            "Digitales Amt – %(name)s, ausgezeichnet %(year)s. Zur Prüfung der Auszeichnung"
        ) % {"name": award.municipality.title, "year": award.issued_on.year}
    values = [
        verification_url(number),
        f"{site}{png_url}?breite={width}",
        f"{site}{png_url}?breite={width * 2}",
        width,
        signet_height(width),
        alt,
    ]
    # Plain text, not marked safe: the page shows the code itself, escaped, in a textarea.
    html = '<a href="{}"><img src="{}" srcset="{} 2x" width="{}" height="{}" alt="{}"></a>'
    snippet = html.format(*[escape(value) for value in values])
    return {
        "plaque_urls": [(paper.upper(), f"{plaque_url}?format={paper}") for paper in PLAQUE_PAPERS],
        "plaque_print_urls": [
            (paper.upper(), f"{plaque_url}?format={paper}&druck=1") for paper in PLAQUE_PAPERS
        ],
        "signet_pngs": [(w, f"{png_url}?breite={w}") for w in SIGNET_WIDTHS],
        "signet_svg": reverse("awards:signet_svg", args=[number]),
        "signet_pdf": reverse("awards:signet_pdf", args=[number]),
        "signet_preview": f"{png_url}?breite={width * 2}",
        "signet_width": width,
        "signet_height": signet_height(width),
        "verification_url": reverse("awards:verify", args=[number]),
        "snippet": snippet,
    }


def document_list(number: str) -> list[dict[str, str]]:
    """Return every document of an award for machines: German name, absolute URL, media type."""
    site = settings.SITE_URL
    plaque_url = site + reverse("awards:plaque", args=[number])
    png_url = site + reverse("awards:signet_png", args=[number])
    width_mm, height_mm = SIGNET_PRINT_MM
    entries = [
        (f"Schild im Format {paper.upper()} quer", f"{plaque_url}?format={paper}", PLAQUES[paper])
        for paper in PLAQUE_PAPERS
    ]
    entries += [
        (f"Online-Signet, {width} Pixel breit", f"{png_url}?breite={width}", SIGNET_PNGS[width])
        for width in SIGNET_WIDTHS
    ]
    entries += [
        (
            "Online-Signet, beliebig skalierbar",
            site + reverse("awards:signet_svg", args=[number]),
            SIGNET_SVG,
        ),
        (
            f"Signet für Briefbogen und Druck, {width_mm} × {height_mm} mm",
            site + reverse("awards:signet_pdf", args=[number]),
            SIGNET_PDF,
        ),
    ]
    return [
        {"name": name, "url": url, "encodingFormat": document.content_type}
        for name, url, document in entries
    ]
