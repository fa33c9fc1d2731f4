"""The plaque (PDF) and the online signet (PNG, SVG) of an award, rendered once per version.

Every document carries a QR code to the award's verification page. A document is stored
through the storage API under a name that holds a hash of everything drawn on it, so a
renamed Kommune, a new coat of arms or a new layout makes a new file, and a stored file
never changes: its hash is also its ETag.
"""

import atexit
import base64
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import segno
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, translation

from municipalities.models import Kind, Municipality

from .models import Award

# Bump when a template or the drawing below changes, so every stored document is drawn anew.
LAYOUT_VERSION = 1

FONT_DIR = Path(settings.BASE_DIR) / "static" / "vendor" / "kern" / "fonts" / "fira-sans"
STORAGE_PREFIX = "auszeichnungen"

PLAQUE_PAPERS = ("a4", "a3")
SIGNET_WIDTHS = (160, 320, 640)
SIGNET_DEFAULT_WIDTH = 320
# The signet is 4:5 at every width; the HTML snippet and the public pages state its size.
SIGNET_RATIO = (4, 5)
SIGNET_BLUE = "#004a99"  # white text on it: contrast 8.6:1

ISSUER = "Bayerisches Staatsministerium für Digitales"
ISSUER_DATIVE = "Bayerischen Staatsministerium für Digitales"  # "verliehen vom …"
TAGLINE = "Wir sind für Sie da. Auch online."


@dataclass(frozen=True)
class Document:
    """One kind of file made for an award."""

    name: str
    content_type: str
    paper: str = ""
    width: int = 0

    @property
    def is_plaque(self) -> bool:
        return bool(self.paper)


PLAQUES = {
    paper: Document(f"schild-{paper}.pdf", "application/pdf", paper=paper)
    for paper in PLAQUE_PAPERS
}
SIGNET_PNGS = {
    width: Document(f"signet-{width}.png", "image/png", width=width) for width in SIGNET_WIDTHS
}
SIGNET_SVG = Document("signet.svg", "image/svg+xml")
DOCUMENTS = {doc.name: doc for doc in [*PLAQUES.values(), *SIGNET_PNGS.values(), SIGNET_SVG]}


def signet_height(width: int) -> int:
    return width * SIGNET_RATIO[1] // SIGNET_RATIO[0]


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


def storage_name(facts: AwardFacts, document: Document) -> str:
    return f"{STORAGE_PREFIX}/{facts.number}/{facts.version()}/{document.name}"


# Rendering


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


def qr_code(url: str) -> segno.QRCode:
    return segno.make_qr(url, error="m")


def qr_svg(url: str, *, size_mm: float) -> str:
    """Return the QR code as an inline SVG element of the given size (vector, for the PDF)."""
    code = qr_code(url)
    modules = code.symbol_size(scale=1, border=0)[0]
    path = _qr_path(code)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {modules} {modules}" '
        f'width="{size_mm}mm" height="{size_mm}mm" shape-rendering="crispEdges">'
        f'<path fill="#000" d="{path}"/></svg>'
    )


def _qr_path(code: segno.QRCode, *, x: float = 0, y: float = 0, module: float = 1) -> str:
    """Return SVG path data with one rectangle per run of dark modules (no quiet zone)."""
    parts = []
    for row, line in enumerate(code.matrix):
        column = 0
        while column < len(line):
            if not line[column]:
                column += 1
                continue
            run = 1
            while column + run < len(line) and line[column + run]:
                run += 1
            parts.append(
                f"M{_n(x + column * module)} {_n(y + row * module)}"
                f"h{_n(run * module)}v{_n(module)}h{_n(-run * module)}z"
            )
            column += run
    return "".join(parts)


def _n(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


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


# The signet: one layout, drawn as SVG paths and as PNG pixels from the same font metrics.


@cache
def _font(weight: str):
    """Return Fira Sans of a weight as a fontTools font (decompressed from KERN's WOFF2)."""
    from fontTools.ttLib import TTFont

    return TTFont(FONT_DIR / f"FiraSans-{weight}.woff2")


@cache
def _font_bytes(weight: str) -> bytes:
    """Return the font as plain TrueType for Pillow, which does not read WOFF2."""
    font = _font(weight)
    font.flavor = None
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


def _text_width(text: str, weight: str, size: float) -> float:
    font = _font(weight)
    cmap, metrics = font.getBestCmap(), font["hmtx"].metrics
    units = sum(metrics[cmap.get(ord(char), ".notdef")][0] for char in text)
    return units * size / font["head"].unitsPerEm


def _wrap(text: str, weight: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and _text_width(candidate, weight, size) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


@dataclass(frozen=True)
class TextLine:
    text: str
    weight: str
    size: float
    x: float
    baseline: float


@dataclass(frozen=True)
class SignetLayout:
    """Positions on a 320 × 400 canvas; every size scales from there."""

    lines: tuple[TextLine, ...]
    rule_y: float
    qr_box: tuple[float, float, float]  # x, y, size of the white square around the QR code


BASE_WIDTH = 320
PADDING = 20


def signet_layout(facts: AwardFacts) -> SignetLayout:
    inner = BASE_WIDTH - 2 * PADDING
    lines = [
        TextLine("Digitales Amt", "Bold", _fit("Digitales Amt", "Bold", 44, inner), PADDING, 62)
    ]
    lines += [
        TextLine("Wir sind für Sie da.", "Regular", 20, PADDING, 94),
        TextLine("Auch online.", "Regular", 20, PADDING, 118),
    ]
    # The name takes up to three lines; a long one gets a smaller size rather than a fourth.
    for size in (24, 21, 18, 16, 14):
        name_lines = _wrap(facts.title, "SemiBold", size, inner)
        if len(name_lines) <= 3 and all(
            _text_width(line, "SemiBold", size) <= inner for line in name_lines
        ):
            break
    step = size * 1.2
    lines += [
        TextLine(line, "SemiBold", size, PADDING, 168 + index * step)
        for index, line in enumerate(name_lines)
    ]
    qr_size = 124
    qr_top = 400 - PADDING - qr_size
    lines += [
        TextLine("Ausgezeichnet", "Regular", 16, PADDING, qr_top + 40),
        TextLine(str(facts.year), "Bold", 34, PADDING, qr_top + 78),
        TextLine(facts.number, "Regular", 14, PADDING, qr_top + qr_size - 4),
    ]
    return SignetLayout(
        tuple(lines), rule_y=136, qr_box=(BASE_WIDTH - PADDING - qr_size, qr_top, qr_size)
    )


def _fit(text: str, weight: str, size: float, width: float) -> float:
    natural = _text_width(text, weight, size)
    return size if natural <= width else size * width / natural


def signet_png(facts: AwardFacts, width: int) -> bytes:
    """Draw the signet at a width in pixels: text at that size, QR modules on whole pixels."""
    from PIL import Image, ImageDraw, ImageFont

    scale = width / BASE_WIDTH
    height = signet_height(width)
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(
        (0, 0, width - 1, height - 1), radius=round(12 * scale), fill=SIGNET_BLUE
    )
    layout = signet_layout(facts)
    for line in layout.lines:
        font = ImageFont.truetype(
            io.BytesIO(_font_bytes(line.weight)), size=round(line.size * scale)
        )
        draw.text(
            (line.x * scale, line.baseline * scale), line.text, font=font, fill="white", anchor="ls"
        )
    rule = max(1, round(2 * scale))
    top = round(layout.rule_y * scale)
    draw.rectangle((PADDING * scale, top, width - PADDING * scale, top + rule - 1), fill="white")

    x, y, size = (value * scale for value in layout.qr_box)
    box, left, top = round(size), round(x), round(y)
    draw.rounded_rectangle(
        (left, top, left + box - 1, top + box - 1), radius=round(6 * scale), fill="white"
    )
    code = qr_code(facts.url)
    modules = len(code.matrix)
    module = max(1, (box - round(8 * scale)) // modules)  # whole pixels per module keep edges crisp
    offset = (box - module * modules) // 2
    for row, line in enumerate(code.matrix):
        for column, dark in enumerate(line):
            if dark:
                px, py = left + offset + column * module, top + offset + row * module
                draw.rectangle((px, py, px + module - 1, py + module - 1), fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _glyph_path(text: str, weight: str, size: float, x: float, baseline: float) -> str:
    """Return the outline of a line of text as SVG path data, so no viewer needs the font."""
    from fontTools.pens.svgPathPen import SVGPathPen
    from fontTools.pens.transformPen import TransformPen

    font = _font(weight)
    glyphs, cmap, metrics = font.getGlyphSet(), font.getBestCmap(), font["hmtx"].metrics
    factor = size / font["head"].unitsPerEm
    pen = SVGPathPen(glyphs, ntos=_n)
    cursor = x
    for char in text:
        name = cmap.get(ord(char), ".notdef")
        glyphs[name].draw(TransformPen(pen, (factor, 0, 0, -factor, cursor, baseline)))
        cursor += metrics[name][0] * factor
    return pen.getCommands()


def signet_svg(facts: AwardFacts) -> str:
    """Draw the signet as the scalable original: outlined text, a vector QR code."""
    layout = signet_layout(facts)
    height = signet_height(BASE_WIDTH)
    text = "".join(
        _glyph_path(line.text, line.weight, line.size, line.x, line.baseline)
        for line in layout.lines
    )
    x, y, size = layout.qr_box
    code = qr_code(facts.url)
    qr_path = _qr_path(code, x=x + 4, y=y + 4, module=(size - 8) / len(code.matrix))
    rule_width = BASE_WIDTH - 2 * PADDING
    label = f"Digitales Amt – {facts.title}, ausgezeichnet {facts.year} ({facts.number})"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {BASE_WIDTH} {height}" '
        f'width="{BASE_WIDTH}" height="{height}" role="img" aria-label={quoteattr(label)}>'
        f"<title>{escape(label)}</title>"
        f'<rect width="{BASE_WIDTH}" height="{height}" rx="12" fill="{SIGNET_BLUE}"/>'
        f'<path fill="#fff" d="{text}"/>'
        f'<rect x="{PADDING}" y="{layout.rule_y}" width="{rule_width}" height="2" fill="#fff"/>'
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(size)}" height="{_n(size)}" rx="6" fill="#fff"/>'
        f'<path fill="#000" shape-rendering="crispEdges" d="{qr_path}"/>'
        "</svg>\n"
    )


def render(facts: AwardFacts, document: Document) -> bytes:
    if document.is_plaque:
        return plaque_pdf(facts, document.paper)
    if document.width:
        return signet_png(facts, document.width)
    return signet_svg(facts).encode()


# Storing


def store(facts: AwardFacts, document: Document) -> str:
    """Render and store a document unless this version is stored already; return its name."""
    name = storage_name(facts, document)
    if default_storage.exists(name):
        return name
    saved = default_storage.save(name, ContentFile(render(facts, document)))
    if saved != name:  # another worker stored the same version meanwhile: keep one copy
        default_storage.delete(saved)
    _delete_old_versions(facts)
    return name


def _delete_old_versions(facts: AwardFacts) -> None:
    folder = f"{STORAGE_PREFIX}/{facts.number}"
    try:
        versions, _files = default_storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        return
    current = facts.version()
    for version in versions:
        if version == current:
            continue
        _subfolders, files = default_storage.listdir(f"{folder}/{version}")
        for file in files:
            default_storage.delete(f"{folder}/{version}/{file}")
