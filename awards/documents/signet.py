"""The signet: one layout, drawn as SVG paths, PNG pixels and PDF text from the same metrics."""

import io
from dataclasses import dataclass
from functools import cache
from xml.sax.saxutils import escape, quoteattr

from django.utils import translation

from .facts import ISSUER, AwardFacts
from .kinds import SIGNET_BLUE, SIGNET_PRINT_MM, signet_height
from .pdf import FONT_DIR, render_pdf
from .qr import qr_code, qr_path
from .qr import svg_number as _n


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
    qr_box: tuple[float, float, float] | None  # x, y, size of the white square around the QR


BASE_WIDTH = 320
PADDING = 20
# The white square holds the QR code and a quiet zone of QR_QUIET modules on each side. 148
# holds the 33 modules of every verification URL (version 4, level M: up to 62 characters, so a
# SITE_URL of up to 40) on whole pixels of at least 2 at 160 px: 33 + 4 modules of 2 px = 74 px.
QR_BOX = 148
QR_QUIET = 2
MIN_MODULE_PIXELS = 2  # below, a scanner reads a screen's pixels unreliably
NAME_TOP = 168  # baseline of the name's first line
NAME_GAP = 8  # at least this much between the name's last line and the QR square
DESCENT = 0.3  # Fira Sans' descenders reach below the baseline by at most this part of the size


def signet_layout(facts: AwardFacts, *, qr: bool = True) -> SignetLayout:
    """Lay the signet out; without the QR code (too small to scan) the year takes its space."""
    inner = BASE_WIDTH - 2 * PADDING
    lines = [
        TextLine("Digitales Amt", "Bold", _fit("Digitales Amt", "Bold", 44, inner), PADDING, 62)
    ]
    lines += [
        TextLine("Wir sind für Sie da.", "Regular", 20, PADDING, 94),
        TextLine("Auch online.", "Regular", 20, PADDING, 118),
    ]
    qr_top = 400 - PADDING - QR_BOX
    # The name takes up to three lines above the QR square; a long one gets a smaller size
    # rather than a fourth line.
    for size in (24, 21, 18, 16, 14):
        name_lines = _wrap(facts.title, "SemiBold", size, inner)
        bottom = NAME_TOP + (len(name_lines) - 1) * size * 1.2 + size * DESCENT
        if (
            len(name_lines) <= 3
            and bottom <= qr_top - NAME_GAP
            and all(_text_width(line, "SemiBold", size) <= inner for line in name_lines)
        ):
            break
    lines += [
        TextLine(line, "SemiBold", size, PADDING, NAME_TOP + index * size * 1.2)
        for index, line in enumerate(name_lines)
    ]
    if not qr:
        lines += [
            TextLine("Ausgezeichnet", "Regular", 20, PADDING, 292),
            TextLine(str(facts.year), "Bold", 60, PADDING, 350),
            TextLine(facts.number, "Regular", 16, PADDING, 400 - PADDING - 4),
        ]
        return SignetLayout(tuple(lines), rule_y=136, qr_box=None)
    lines += [
        TextLine("Ausgezeichnet", "Regular", 16, PADDING, qr_top + 64),
        TextLine(str(facts.year), "Bold", 34, PADDING, qr_top + 102),
        TextLine(facts.number, "Regular", 16, PADDING, qr_top + QR_BOX - 4),
    ]
    return SignetLayout(
        tuple(lines), rule_y=136, qr_box=(BASE_WIDTH - PADDING - QR_BOX, qr_top, QR_BOX)
    )


def qr_module_pixels(modules: int, width: int) -> int:
    """Return the whole pixels per QR module at a signet width, 0 if too small to scan."""
    box = round(QR_BOX * width / BASE_WIDTH)
    module = box // (modules + 2 * QR_QUIET)
    return module if module >= MIN_MODULE_PIXELS else 0


def _fit(text: str, weight: str, size: float, width: float) -> float:
    natural = _text_width(text, weight, size)
    return size if natural <= width else size * width / natural


def signet_png(facts: AwardFacts, width: int) -> bytes:
    """Draw the signet at a width in pixels: text at that size, QR modules on whole pixels.

    Where the QR code's modules would be smaller than MIN_MODULE_PIXELS, the signet has none
    (the website's link around it still leads to the verification page).
    """
    from PIL import Image, ImageDraw, ImageFont

    scale = width / BASE_WIDTH
    height = signet_height(width)
    code = qr_code(facts.url)
    modules = len(code.matrix)
    module = qr_module_pixels(modules, width)
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(
        (0, 0, width - 1, height - 1), radius=round(12 * scale), fill=SIGNET_BLUE
    )
    layout = signet_layout(facts, qr=bool(module))
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

    if layout.qr_box is not None:
        x, y, _size = layout.qr_box
        box = round(QR_BOX * scale)
        left, top = round(x * scale), round(y * scale)
        draw.rounded_rectangle(
            (left, top, left + box - 1, top + box - 1), radius=round(6 * scale), fill="white"
        )
        offset = (box - module * modules) // 2  # the quiet zone: at least QR_QUIET modules
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


def _qr_modules(layout: SignetLayout, url: str) -> str:
    """Return the QR code as path data in the layout's white square, inside the quiet zone."""
    assert layout.qr_box is not None  # the vector signets always have one
    x, y, size = layout.qr_box
    code = qr_code(url)
    module = size / (len(code.matrix) + 2 * QR_QUIET)
    return qr_path(code, x=x + QR_QUIET * module, y=y + QR_QUIET * module, module=module)


def _label(facts: AwardFacts) -> str:
    return f"Digitales Amt – {facts.title}, ausgezeichnet {facts.year} ({facts.number})"


def signet_svg(facts: AwardFacts) -> str:
    """Draw the signet as the scalable original: outlined text, a vector QR code."""
    layout = signet_layout(facts)
    height = signet_height(BASE_WIDTH)
    text = "".join(
        _glyph_path(line.text, line.weight, line.size, line.x, line.baseline)
        for line in layout.lines
    )
    x, y, size = layout.qr_box
    modules = _qr_modules(layout, facts.url)
    rule_width = BASE_WIDTH - 2 * PADDING
    label = _label(facts)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {BASE_WIDTH} {height}" '
        f'width="{BASE_WIDTH}" height="{height}" role="img" aria-label={quoteattr(label)}>'
        f"<title>{escape(label)}</title>"
        f'<rect width="{BASE_WIDTH}" height="{height}" rx="12" fill="{SIGNET_BLUE}"/>'
        f'<path fill="#fff" d="{text}"/>'
        f'<rect x="{PADDING}" y="{layout.rule_y}" width="{rule_width}" height="2" fill="#fff"/>'
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(size)}" height="{_n(size)}" rx="6" fill="#fff"/>'
        f'<path fill="#000" shape-rendering="crispEdges" d="{modules}"/>'
        "</svg>\n"
    )


WEIGHTS = {"Regular": 400, "SemiBold": 600, "Bold": 700}


def signet_pdf(facts: AwardFacts) -> bytes:
    """Render the signet at its print size (SIGNET_PRINT_MM) for letterheads and print.

    The same layout as the SVG, drawn by WeasyPrint as an inline SVG: real text in the embedded
    Fira Sans (selectable, extractable) at the layout's baselines, a vector QR code, solid fills.
    """
    layout = signet_layout(facts)
    x, y, size = layout.qr_box
    width_mm, height_mm = SIGNET_PRINT_MM
    with translation.override("de"):
        return render_pdf(
            "awards/documents/signet.html",
            {
                "facts": facts,
                "issuer": ISSUER,
                "label": _label(facts),
                "width_mm": width_mm,
                "height_mm": height_mm,
                "blue": SIGNET_BLUE,
                "lines": [
                    {
                        "text": line.text,
                        "weight": WEIGHTS[line.weight],
                        "size": _n(line.size),
                        "x": _n(line.x),
                        "baseline": _n(line.baseline),
                    }
                    for line in layout.lines
                ],
                "rule": {"x": PADDING, "y": layout.rule_y, "width": BASE_WIDTH - 2 * PADDING},
                "qr_box": {"x": _n(x), "y": _n(y), "size": _n(size)},
                "qr_path": _qr_modules(layout, facts.url),
            },
        )
