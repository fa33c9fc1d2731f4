"""The plaque: A4 or A3 landscape, vector text, embedded Fira Sans, a vector QR code.

Two variants of each paper: the plaque to print in the office, and the print-ready file for a
sign maker (`druck`): the same page plus 3 mm bleed on every side and crop marks, every colour
a solid RGB fill named in a colophon line in the bleed and in the PDF's subject and keywords.
Both are PDF/A-3b (see `pdf`), without transparency: a coat of arms is flattened onto white.

Sizes are set on A4 (297 × 210 mm); A3 is the same page zoomed by √2 (A-series sizes), so a
size in millimetres or points here is the A4 size and ×1.41 on A3. What must stay in reach at
1 m: the QR code (QR_SIZE_MM, modules of at least MIN_QR_MODULE_MM), the verification address
(VERIFICATION_PT) and the award number (NUMBER_PT).
"""

import base64
import io
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.utils import translation
from django.utils.translation import gettext as _

from municipalities.constants import TITLE_PREFIXES

from .facts import ISSUER, ISSUER_DATIVE, TAGLINE, AwardFacts
from .pdf import render_pdf
from .qr import qr_code, qr_outline_svg

ZOOM = {"a4": 1.0, "a3": 2**0.5}
TRIM_MM = {"a4": (297, 210), "a3": (420, 297)}
BLEED_MM = 3  # on every side, as sign makers ask for
QR_SIZE_MM = 50  # A4; a version-4 code (33 modules, every address up to 62 bytes): 1.52 mm
MIN_QR_MODULE_MM = 0.8
VERIFICATION_PT = 16
NUMBER_PT = 18
COLOPHON_PT = 5.5  # in the 3 mm bleed: trimmed off, read by the sign maker on the proof

# Every colour on the plaque, solid, as a sign maker matches it (name, RGB).
COLOURS = (("Blau", (0, 74, 153)), ("Schwarz", (0, 0, 0)), ("Weiß", (255, 255, 255)))

# The Kommune's name at reading distance, by the characters of its longest line (a long title
# breaks after its kind: "Verwaltungsgemeinschaft" / "Bad Königshofen i.Grabfeld"): each step
# keeps a line within the 201 mm beside a coat of arms (Fira Sans SemiBold averages 0.49 em a
# character). (up to characters, points); never below MIN_NAME_PT.
NAME_STEPS = ((24, 46), (28, 40), (33, 34))
MIN_NAME_PT = 30
# "mit den Mitgliedsgemeinden …" of a VG: up to nine names (VG Uffenheim), 115 characters.
MEMBER_STEPS = ((90, 15), (150, 13.5))
MIN_MEMBERS_PT = 12


@dataclass(frozen=True)
class Sizes:
    """The type sizes (points, A4) that depend on the length of the names."""

    name_pt: float
    members_pt: float


def sizes(facts: AwardFacts) -> Sizes:
    """Return the largest type sizes at which the Kommune's names fit (on two lines)."""
    members = len(members_text(facts))
    lines = name_lines(facts.title)
    longest = max(len(line) for line in lines)
    steps = NAME_STEPS if len(lines) == 1 else NAME_STEPS[1:]  # two lines: 40 pt at most
    name_pt = next((pt for up_to, pt in steps if longest <= up_to), MIN_NAME_PT)
    members_pt = next((pt for up_to, pt in MEMBER_STEPS if members <= up_to), MIN_MEMBERS_PT)
    return Sizes(name_pt=name_pt, members_pt=members_pt)


def name_lines(title: str) -> tuple[str, ...]:
    """Return the title in lines: a title too long for one line breaks after its kind
    ("Landratsamt" / "Neustadt a.d.Aisch-Bad Windsheim"), not within the name."""
    if len(title) <= NAME_STEPS[0][0]:
        return (title,)
    prefixes = sorted({str(prefix) for prefix in TITLE_PREFIXES.values()}, key=len, reverse=True)
    for prefix in [*prefixes, str(_("Landeshauptstadt"))]:
        if title.startswith(f"{prefix} "):
            return (prefix, title.removeprefix(f"{prefix} "))
    return (title,)


def members_text(facts: AwardFacts) -> str:
    return f"mit den Mitgliedsgemeinden {', '.join(facts.members)}" if facts.members else ""


def hex_colour(rgb: tuple[int, int, int]) -> str:
    return "#{:02X}{:02X}{:02X}".format(*rgb)


def colophon() -> str:
    """Return the colour values as a sign maker reads them: "Blau RGB 0 74 153 · #004A99 · …"."""
    return " · ".join(
        f"{name} RGB {' '.join(str(value) for value in rgb)} · {hex_colour(rgb)}"
        for name, rgb in COLOURS
    )


def issuer_lines() -> tuple[str, str]:
    """Return the issuer's wordmark on two lines: "Bayerisches Staatsministerium", "für …"."""
    head, _sep, tail = ISSUER.partition(" für ")
    return (head, f"für {tail}") if tail else (ISSUER, "")


def qr_module_mm(url: str, paper: str = "a4") -> float:
    """Return the side of one QR module on the printed plaque, in millimetres."""
    modules = qr_code(url).symbol_size(scale=1, border=0)[0]
    return QR_SIZE_MM * ZOOM[paper] / modules


def coat_of_arms_data_uri(name: str) -> str:
    """Return the stored coat of arms as a data URI for the PDF, flattened onto white.

    The portal stores it as RGBA PNG; an alpha channel would become a soft mask in the PDF,
    a transparency that PDF/A-1 forbids and sign makers' RIPs may choke on.
    """
    if not name:
        return ""
    from PIL import Image  # imported here: only a plaque with a coat of arms needs it

    with default_storage.open(name, "rb") as file, Image.open(file) as image:
        rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    buffer = io.BytesIO()
    flat.save(buffer, format="PNG", optimize=False)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def plaque_pdf(facts: AwardFacts, paper: str, *, for_print: bool = False) -> bytes:
    """Render the plaque (A4 or A3 landscape) or, `for_print`, its sign maker's file."""
    zoom = ZOOM[paper]
    width, height = TRIM_MM[paper]
    subject = f"Schild der Auszeichnung „Digitales Amt“ Nr. {facts.number}, {facts.title}"
    keywords = ["Digitales Amt", facts.number, facts.title]
    if for_print:
        subject += (
            f" – Druckvorlage {paper.upper()} quer ({width} × {height} mm) mit {BLEED_MM} mm "
            f"Beschnitt und Schnittmarken; Farben: {colophon()}"
        )
        keywords += [
            "Druckvorlage",
            *(f"{name} RGB {' '.join(map(str, rgb))} {hex_colour(rgb)}" for name, rgb in COLOURS),
        ]
    # Lengths the template sets in A4 units that must come out exact after the zoom.
    unit = 1 / zoom
    with translation.override("de"):
        return render_pdf(
            "awards/documents/plaque.html",
            {
                "facts": facts,
                "display_url": facts.url.removeprefix("https://"),
                "name_lines": name_lines(facts.title),
                "members_text": members_text(facts),
                "sizes": sizes(facts),
                "qr": qr_outline_svg(facts.url, size_mm=QR_SIZE_MM),
                "qr_size_mm": QR_SIZE_MM,
                "verification_pt": VERIFICATION_PT,
                "number_pt": NUMBER_PT,
                "coat_of_arms": coat_of_arms_data_uri(facts.coat_of_arms),
                "issuer": ISSUER,
                "issuer_lines": issuer_lines(),
                "issuer_dative": ISSUER_DATIVE,
                "tagline": TAGLINE,
                "subject": subject,
                "keywords": ", ".join(keywords),
                "for_print": for_print,
                "page_w": f"{width / zoom:.4f}",
                "page_h": f"{height / zoom:.4f}",
                "bleed_mm": f"{BLEED_MM * unit:.4f}",
                "mark_mm": f"{BLEED_MM * unit / 2:.4f}",
                "colophon": f"{paper.upper()} quer · {width} × {height} mm Endformat, "
                f"{BLEED_MM} mm Beschnitt · Farben: {colophon()}",
                "colophon_pt": f"{COLOPHON_PT * unit:.3f}",
                "colophon_top_mm": f"{height / zoom + 0.5 * unit:.4f}",
                "blue": hex_colour(COLOURS[0][1]),
                "black": hex_colour(COLOURS[1][1]),
            },
            zoom=zoom,
        )
