"""The kinds of file made for an award: plaques by paper size (to print in the office, and for a
sign maker with bleed and crop marks), signets by width, as SVG and as PDF."""

from dataclasses import dataclass

PLAQUE_PAPERS = ("a4", "a3")
SIGNET_WIDTHS = (160, 320, 640)
SIGNET_DEFAULT_WIDTH = 320
# The signet is 4:5 at every width; the HTML snippet and the public pages state its size.
SIGNET_RATIO = (4, 5)
SIGNET_BLUE = "#004a99"  # white text on it: contrast 8.6:1
SIGNET_PRINT_MM = (40, 50)  # the signet PDF's page: width and height in millimetres


@dataclass(frozen=True)
class Document:
    """One kind of file made for an award."""

    name: str
    content_type: str
    paper: str = ""
    width: int = 0
    for_print: bool = False  # a plaque for a sign maker: bleed, crop marks, colour values

    @property
    def is_plaque(self) -> bool:
        return bool(self.paper)


PLAQUES = {
    paper: Document(f"schild-{paper}.pdf", "application/pdf", paper=paper)
    for paper in PLAQUE_PAPERS
}
# Made on first request only: few Kommunen order a sign, and the office plaque is the same.
PRINT_PLAQUES = {
    paper: Document(f"schild-{paper}-druck.pdf", "application/pdf", paper=paper, for_print=True)
    for paper in PLAQUE_PAPERS
}
SIGNET_PNGS = {
    width: Document(f"signet-{width}.png", "image/png", width=width) for width in SIGNET_WIDTHS
}
SIGNET_SVG = Document("signet.svg", "image/svg+xml")
SIGNET_PDF = Document("signet.pdf", "application/pdf")  # print size, for letterheads
DOCUMENTS = {
    doc.name: doc for doc in [*PLAQUES.values(), *SIGNET_PNGS.values(), SIGNET_SVG, SIGNET_PDF]
}
# DOCUMENTS are rendered ahead on approval; every kind, by name, for the task that renders one.
ALL_DOCUMENTS = {**DOCUMENTS, **{doc.name: doc for doc in PRINT_PLAQUES.values()}}


def signet_height(width: int) -> int:
    return width * SIGNET_RATIO[1] // SIGNET_RATIO[0]
