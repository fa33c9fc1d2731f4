"""PDF rendering with WeasyPrint, in the Fira Sans that KERN ships, as archivable PDF/A-3b.

Every PDF is PDF/A-3b (ISO 19005-3, level B): fonts embedded, an sRGB output intent, no
encryption, and its metadata in the document information and in XMP, both taken from the
template's head: `<title>`, `<meta name="author">`, `<meta name="description">` (subject),
`<meta name="keywords">`, `<meta name="dcterms.created">` (the creation date) and
`<html lang>`. WeasyPrint writes no wall-clock time into the file, so the same template and
context give the same bytes (the /ID is a hash of the content): a stored version never
changes and its hash stays its ETag.
"""

import atexit
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import SubElement, fromstring, tostring

from django.conf import settings
from django.template.loader import render_to_string

FONT_DIR = Path(settings.BASE_DIR) / "static" / "vendor" / "kern" / "fonts" / "fira-sans"
PDF_VARIANT = "pdf/a-3b"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DC = "http://purl.org/dc/elements/1.1/"


def render_pdf(template_name: str, context: dict[str, Any], *, zoom: float = 1) -> bytes:
    """Render a template to PDF/A-3b with WeasyPrint, in Fira Sans; images resolve from the
    project. The metadata comes from the template's head (see the module's docstring)."""
    from weasyprint import HTML  # imported here: loading Pango is slow and only PDFs need it
    from weasyprint.urls import URLFetcher

    font_config, fonts, ssl_context = _pdf_resources()
    html = render_to_string(template_name, context)
    # Only data: URIs: a document never reaches the network or the file system.
    fetcher = URLFetcher(allowed_protocols=["data"], ssl_context=ssl_context)
    document = HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=fetcher).render(
        stylesheets=[fonts], font_config=font_config
    )
    document.metadata = _archival_metadata_class()(**vars(document.metadata))
    finisher = None if zoom == 1 else _zoomed_page_boxes(zoom)
    return document.write_pdf(zoom=zoom, finisher=finisher, pdf_variant=PDF_VARIANT)


def _zoomed_page_boxes(zoom: float):
    """Return a WeasyPrint finisher that sets each page's TrimBox and BleedBox with the zoom.

    WeasyPrint 70 zooms the MediaBox (the bleed included) but insets the TrimBox by the
    unzoomed bleed, so a zoomed page with bleed (the A3 plaque for the sign maker) would be
    trimmed in the wrong place.
    """

    def finish(document, pdf) -> None:
        pages = [obj for obj in pdf.objects if isinstance(obj, dict) and obj.get("Type") == "/Page"]
        for page, pdf_page in zip(document.pages, pages, strict=True):
            bleed = {side: value * 0.75 * zoom for side, value in page.bleed.items()}
            left, top, right, bottom = pdf_page["MediaBox"]
            trim = [
                left + bleed["left"],
                top + bleed["top"],
                right - bleed["right"],
                bottom - bleed["bottom"],
            ]
            # As WeasyPrint does: the BleedBox at most 10 points beyond the TrimBox.
            pdf_page["TrimBox"] = type(pdf_page["MediaBox"])(trim)
            pdf_page["BleedBox"] = type(pdf_page["MediaBox"])(
                [
                    trim[0] - min(10, bleed["left"]),
                    trim[1] - min(10, bleed["top"]),
                    trim[2] + min(10, bleed["right"]),
                    trim[3] + min(10, bleed["bottom"]),
                ]
            )

    return finish


@cache
def _archival_metadata_class():
    """Return WeasyPrint's metadata with dc:language in XMP too: WeasyPrint writes the language
    only to the catalogue's /Lang, and PDF/A readers look for it in XMP."""
    from weasyprint.document import DocumentMetadata

    class ArchivalMetadata(DocumentMetadata):
        def generate_rdf_metadata(self, variant, version, conformance):
            xml = super().generate_rdf_metadata(variant, version, conformance)
            rdf = fromstring(xml)  # noqa: S314 (WeasyPrint's own XML)
            if self.lang:
                about = {f"{{{RDF}}}about": ""}
                description = SubElement(rdf, f"{{{RDF}}}Description", about)
                bag = SubElement(SubElement(description, f"{{{DC}}}language"), f"{{{RDF}}}Bag")
                SubElement(bag, f"{{{RDF}}}li").text = self.lang
            return tostring(rdf, encoding="utf-8")

    return ArchivalMetadata


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
