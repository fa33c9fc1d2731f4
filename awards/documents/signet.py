"""The online signet: one layout, drawn as SVG paths and PNG pixels from the same font metrics."""

import io
from dataclasses import dataclass
from functools import cache
from xml.sax.saxutils import escape, quoteattr

from .facts import AwardFacts
from .kinds import SIGNET_BLUE, signet_height
from .pdf import FONT_DIR
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
    modules = qr_path(code, x=x + 4, y=y + 4, module=(size - 8) / len(code.matrix))
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
        f'<path fill="#000" shape-rendering="crispEdges" d="{modules}"/>'
        "</svg>\n"
    )
