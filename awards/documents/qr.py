"""QR codes to the verification page, as vector paths for the PDF and the SVG signet.

Drawn here rather than with segno's own writers: those draw modules as stroked lines, one
per row, and the PNG writer makes a picture of its own, while the signet needs filled
rectangles it can place at any offset and scale, and pixels on its own canvas.
"""

import segno


def qr_code(url: str) -> segno.QRCode:
    return segno.make_qr(url, error="m")


def qr_svg(url: str, *, size_mm: float) -> str:
    """Return the QR code as an inline SVG element of the given size (vector, for the PDF)."""
    code = qr_code(url)
    modules = code.symbol_size(scale=1, border=0)[0]
    path = qr_path(code)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {modules} {modules}" '
        f'width="{size_mm}mm" height="{size_mm}mm" shape-rendering="crispEdges">'
        f'<path fill="#000" d="{path}"/></svg>'
    )


def qr_path(code: segno.QRCode, *, x: float = 0, y: float = 0, module: float = 1) -> str:
    """Return SVG path data with one rectangle per run of dark modules (no quiet zone)."""
    n = svg_number
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
                f"M{n(x + column * module)} {n(y + row * module)}"
                f"h{n(run * module)}v{n(module)}h{n(-run * module)}z"
            )
            column += run
    return "".join(parts)


def svg_number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")
