"""The plaque (PDF) and the signet (PNG, SVG, PDF) of an award, rendered once per version.

Every document carries a QR code to the award's verification page. `kinds` names the files,
`facts` collects what they show, `plaque` and `signet` draw them (with `qr` and `pdf`),
`storage` keeps each version once and `links` gives the addresses the portal offers.
"""

from .facts import AwardFacts, award_facts, verification_url
from .kinds import (
    ALL_DOCUMENTS,
    DOCUMENTS,
    PLAQUE_PAPERS,
    PLAQUES,
    PRINT_PLAQUES,
    SIGNET_DEFAULT_WIDTH,
    SIGNET_PDF,
    SIGNET_PNGS,
    SIGNET_SVG,
    SIGNET_WIDTHS,
    Document,
    signet_height,
)
from .storage import render, storage_name, store

__all__ = [
    "ALL_DOCUMENTS",
    "DOCUMENTS",
    "PLAQUE_PAPERS",
    "PLAQUES",
    "PRINT_PLAQUES",
    "SIGNET_DEFAULT_WIDTH",
    "SIGNET_PDF",
    "SIGNET_PNGS",
    "SIGNET_SVG",
    "SIGNET_WIDTHS",
    "AwardFacts",
    "Document",
    "award_facts",
    "render",
    "signet_height",
    "storage_name",
    "store",
    "verification_url",
]
