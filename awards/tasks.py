"""Background work: link checks and documents (at once in development, by db_worker otherwise)."""

from django.core.cache import cache
from django.db import transaction
from django.tasks import task

from digitalesamt.lib.linkcheck import check_urls

from . import documents
from .models import Award, EvidenceItem


@task
def check_submission_links(submission_id: int) -> dict[str, int]:
    """Check every link of a submission and store each result beside the frozen evidence."""
    items = list(EvidenceItem.objects.filter(submission_id=submission_id))
    results = check_urls([item.url for item in items])
    for item in items:
        outcome = results[item.url]
        item.check_result = outcome.result
        item.check_status = outcome.status_code
        item.check_detail = outcome.detail
        item.checked_at = outcome.checked_at
    with transaction.atomic():
        EvidenceItem.objects.bulk_update(
            items, ["check_result", "check_status", "check_detail", "checked_at"], batch_size=500
        )
    summary: dict[str, int] = {}
    for item in items:
        summary[item.check_result] = summary.get(item.check_result, 0) + 1
    return summary


def render_lock_key(name: str) -> str:
    """Return the shared-cache key that says a document is being rendered."""
    return f"rendering:{name}"


@task
def render_document(*, award_id: int, document: str) -> str:
    """Render and store one document of an award, unless its current version is stored."""
    award = Award.objects.select_related("municipality").get(pk=award_id)
    facts = documents.award_facts(award)
    kind = documents.DOCUMENTS[document]
    try:
        return documents.store(facts, kind)
    finally:
        cache.delete(render_lock_key(documents.storage_name(facts, kind)))


@task
def render_award_documents(*, award_id: int) -> list[str]:
    """Render every document of an award ahead of the first download (after approval)."""
    award = Award.objects.select_related("municipality").get(pk=award_id)
    if award.is_revoked:
        return []
    facts = documents.award_facts(award)
    return [documents.store(facts, document) for document in documents.DOCUMENTS.values()]
