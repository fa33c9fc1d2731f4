"""PDF rendering with WeasyPrint, in the Fira Sans that KERN ships."""

import atexit
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

FONT_DIR = Path(settings.BASE_DIR) / "static" / "vendor" / "kern" / "fonts" / "fira-sans"


def render_pdf(template_name: str, context: dict[str, Any], *, zoom: float = 1) -> bytes:
    """Render a template to PDF with WeasyPrint, in Fira Sans; images resolve from the project."""
    from weasyprint import HTML  # imported here: loading Pango is slow and only PDFs need it
    from weasyprint.urls import URLFetcher

    font_config, fonts, ssl_context = _pdf_resources()
    html = render_to_string(template_name, context)
    # Only data: URIs: a document never reaches the network or the file system.
    fetcher = URLFetcher(allowed_protocols=["data"], ssl_context=ssl_context)
    document = HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[fonts], font_config=font_config, zoom=zoom)


@cache
def _pdf_resources():
    """Load Fira Sans for WeasyPrint once per process: unpacking WOFF2 costs half a second."""
    import ssl

    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    faces = "".join(
        f'@font-face {{ font-family: "Fira Sans"; font-weight: {weight}; '
        f'src: url("{(FONT_DIR / f"FiraSans-{name}.woff2").as_uri()}"); }}'
        for weight, name in ((400, "Regular"), (600, "SemiBold"), (700, "Bold"))
    )
    font_config = FontConfiguration()
    atexit.register(_pdf_resources.cache_clear)  # release Pango's fonts before it unloads
    # WeasyPrint's fetcher builds an unused HTTPS context per document (20 ms) unless given one.
    return font_config, CSS(string=faces, font_config=font_config), ssl.create_default_context()
