"""Background work: mail and link checks (at once in development, by db_worker in production)."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task

from municipalities.linkcheck import check_urls


@task
def send_mail_task(*, subject: str, body: str, recipients: list[str]) -> int:
    """Send one plain-text mail; the worker retries nothing, failures land in its log."""
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


@task
def check_submission_links(submission_id: int) -> dict[str, int]:
    """Check every link of a submission and store each result beside the frozen evidence."""
    from .models import EvidenceItem

    items = list(EvidenceItem.objects.filter(submission_id=submission_id))
    results = check_urls([item.url for item in items])
    for item in items:
        outcome = results[item.url]
        item.check_result = outcome.result
        item.check_status = outcome.status_code
        item.check_detail = outcome.detail[:300]
        item.checked_at = outcome.checked_at
    with transaction.atomic():
        EvidenceItem.objects.bulk_update(
            items, ["check_result", "check_status", "check_detail", "checked_at"], batch_size=500
        )
    summary: dict[str, int] = {}
    for item in items:
        summary[item.check_result] = summary.get(item.check_result, 0) + 1
    return summary


@task
def render_document(*, award_id: int, document: str) -> str:
    """Render and store one document of an award, unless its current version is stored."""
    from django.core.cache import cache

    from . import documents
    from .models import Award

    award = Award.objects.select_related("municipality").get(pk=award_id)
    facts = documents.award_facts(award)
    try:
        return documents.store(facts, documents.DOCUMENTS[document])
    finally:
        cache.delete(f"rendering:{documents.storage_name(facts, documents.DOCUMENTS[document])}")


@task
def render_award_documents(*, award_id: int) -> list[str]:
    """Render every document of an award ahead of the first download (after approval)."""
    from . import documents
    from .models import Award

    award = Award.objects.select_related("municipality").get(pk=award_id)
    if award.is_revoked:
        return []
    facts = documents.award_facts(award)
    return [documents.store(facts, document) for document in documents.DOCUMENTS.values()]
