"""QR codes to the verification page, as vector paths for the PDFs and the SVG signet.

Drawn here rather than with segno's own writers: those draw modules as stroked lines, one
per row, and the PNG writer makes a picture of its own, while the signet needs filled
rectangles it can place at any offset and scale, and pixels on its own canvas.
"""

import segno


def qr_code(url: str) -> segno.QRCode:
    return segno.make_qr(url, error="m")


def qr_outline_svg(url: str, *, size_mm: float) -> str:
    """Return the QR code as an inline SVG of one path that outlines its dark areas.

    The outlines take 40 % fewer path commands than a rectangle per run of modules (qr_path):
    WeasyPrint's SVG path parser is the plaque's largest cost. A sign maker's plotter cuts
    clean outlines, not overlapping rectangles.
    """
    code = qr_code(url)
    modules = code.symbol_size(scale=1, border=0)[0]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {modules} {modules}" '
        f'width="{size_mm}mm" height="{size_mm}mm" shape-rendering="crispEdges">'
        f'<path fill="#000" d="{outline_path(code.matrix)}"/></svg>'
    )


def outline_path(matrix) -> str:
    """Return SVG path data outlining the dark modules, every outline clockwise.

    Each dark module adds its four edges clockwise; an edge two dark modules share cancels.
    The edges left are the outlines (holes run the other way), so the nonzero fill is right
    however they are chained into loops.
    """
    edges: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if not dark:
                continue
            corners = [(x, y), (x + 1, y), (x + 1, y + 1), (x, y + 1)]
            for start, end in zip(corners, corners[1:] + corners[:1], strict=True):
                if start in edges.get(end, ()):
                    edges[end].remove(start)
                else:
                    edges.setdefault(start, []).append(end)
    commands = []
    for origin in sorted(edges):
        while edges[origin]:
            commands.append(f"M{origin[0]} {origin[1]}")
            point, direction, length = origin, (0, 0), 0
            while True:  # every corner has as many edges in as out: the loop comes back
                end = edges[point].pop()
                step = (end[0] - point[0], end[1] - point[1])
                if step != direction:
                    if length:
                        commands.append(_line(direction, length))
                    direction, length = step, 0
                length += 1
                point = end
                if point == origin:
                    break
            commands.append("z")  # draws the last line back to the start
    return "".join(commands)


def _line(direction: tuple[int, int], length: int) -> str:
    dx, dy = direction
    return f"h{dx * length}" if dx else f"v{dy * length}"


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
