"""Load what the first document of a process needs before anybody asks for one.

The first plaque in a fresh process costs seconds (Pango, fontconfig, WeasyPrint's modules,
Fira Sans unpacked from WOFF2) and the first signet PNG about one (fontTools, Pillow's
FreeType); every later one costs a fraction. `warm_up()` pays that once when the process
starts: gunicorn calls it in each worker after the fork (deploy/gunicorn.conf.py), the task
worker may call it before it takes its first task. It renders nothing of an award and touches
neither the database nor the storage.
"""

import io
import logging
import time

from .pdf import _pdf_resources
from .qr import qr_code
from .signet import _font_bytes

logger = logging.getLogger(__name__)

# The weights the plaque and the signet use.
WEIGHTS = ("Regular", "SemiBold", "Bold")
PAGE = (
    "<p style=\"font-family: 'Fira Sans'\">Digitales Amt "
    '<b style="font-weight: 600">Wir sind für Sie da.</b> <b>Auch online.</b></p>'
)


def warm_up() -> float:
    """Load WeasyPrint, the fonts, Pillow and the QR encoder; return the seconds it took."""
    started = time.perf_counter()
    from PIL import Image, ImageDraw, ImageFont
    from weasyprint import HTML

    font_config, fonts, _ssl_context = _pdf_resources()
    # One line in each weight: Pango loads its font map and WeasyPrint its modules once.
    HTML(string=PAGE).write_pdf(stylesheets=[fonts], font_config=font_config)
    image = Image.new("RGBA", (64, 16))
    draw = ImageDraw.Draw(image)
    for weight in WEIGHTS:
        font = ImageFont.truetype(io.BytesIO(_font_bytes(weight)), size=12)
        draw.text((0, 12), "Amt", font=font, anchor="ls")
    image.save(io.BytesIO(), format="PNG", optimize=True)
    qr_code("https://digitales-amt.bayern.de/pruefen/DA-2023-0001/").matrix  # noqa: B018
    elapsed = time.perf_counter() - started
    logger.info("documents warmed up in %.2f s", elapsed)
    return elapsed
