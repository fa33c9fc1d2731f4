"""Documents stored through the storage API, under a name that holds a hash of what is drawn.

A renamed Kommune, a new coat of arms or a new layout makes a new file; a stored file never
changes, so its hash is also its ETag.
"""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from .facts import AwardFacts
from .kinds import SIGNET_PDF, Document
from .plaque import plaque_pdf
from .signet import signet_pdf, signet_png, signet_svg

STORAGE_PREFIX = "auszeichnungen"


def storage_name(facts: AwardFacts, document: Document) -> str:
    return f"{STORAGE_PREFIX}/{facts.number}/{facts.version()}/{document.name}"


def render(facts: AwardFacts, document: Document) -> bytes:
    if document.is_plaque:
        return plaque_pdf(facts, document.paper, for_print=document.for_print)
    if document.width:
        return signet_png(facts, document.width)
    if document == SIGNET_PDF:
        return signet_pdf(facts)
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
