"""Load what the first document of a process needs before anybody asks for one.

The first plaque in a fresh process costs seconds (Pango, fontconfig, WeasyPrint's modules,
Fira Sans unpacked from WOFF2) and the first signet PNG about one (fontTools, Pillow's
FreeType); every later one costs a fraction. `warm_up()` pays that once when the process
starts: gunicorn calls it in each worker after the fork (deploy/gunicorn.conf.py), the task
worker may call it before it takes its first task. It renders a plaque and a signet of a sample
award that exists nowhere (the first real plaque after loading the fonts alone still took
0.47 s, the next ones 0.07-0.09 s: templates, the QR code's outline, the subsetter's first
use) and touches neither the database nor the storage.
"""

import datetime
import logging
import time

from .facts import AwardFacts, verification_url
from .kinds import PLAQUES, SIGNET_DEFAULT_WIDTH, SIGNET_PNGS
from .storage import render

logger = logging.getLogger(__name__)


def sample_facts() -> AwardFacts:
    """The facts of an award that exists nowhere, for the warm-up's sample documents."""
    number = "DA-2021-0001"
    return AwardFacts(
        number=number,
        title="Markt Musterhausen",
        members=(),
        issued_on=datetime.date(2021, 9, 28),
        date_text="28. September 2021",
        url=verification_url(number),
        coat_of_arms="",
        revoked=False,
    )


def warm_up() -> float:
    """Load WeasyPrint, Pango, the fonts, Pillow and the QR encoder by rendering a sample
    plaque and signet (the signet draws all three weights); return the seconds it took."""
    started = time.perf_counter()
    sample = sample_facts()
    for document in (PLAQUES["a4"], SIGNET_PNGS[SIGNET_DEFAULT_WIDTH]):
        render(sample, document)
    elapsed = time.perf_counter() - started
    logger.info("documents warmed up in %.2f s", elapsed)
    return elapsed
