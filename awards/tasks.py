"""Background work: link checks and documents (at once in development, by db_worker otherwise).

Every task here ends well within TASK_STALE_AFTER (30 min): `requeue_stale_tasks` runs a task
again that is RUNNING longer, taking its worker for lost.
"""

import math

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.tasks import task
from django.utils import timezone
from django.utils.text import Truncator

from digitalesamt.lib.linkcheck import DETAIL_MAX_LENGTH, check_urls
from municipalities.models import platform_hosts

from . import documents
from .models import Award, EvidenceItem, Submission

CHECK_FIELDS = [
    "check_result",
    "check_status",
    "check_detail",
    "page_kind",
    "page_reason",
    "checked_at",
]


def save_checks(items: list[EvidenceItem]) -> None:
    """Store the check results of evidence items in one statement run for each row.

    Plain SQL: bulk_update() builds a CASE of every row for every field, which costs
    about 0.25 s of Python per 100 rows, ten times what the checks of refused links take.
    """
    table = connection.ops.quote_name(EvidenceItem._meta.db_table)
    columns = [EvidenceItem._meta.get_field(name).column for name in CHECK_FIELDS]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(column)} = %s" for column in columns)
    key = quote(EvidenceItem._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {assignments} WHERE {key} = %s",  # noqa: S608
            [
                (
                    item.check_result,
                    item.check_status,
                    item.check_detail,
                    item.page_kind,
                    item.page_reason,
                    connection.ops.adapt_datetimefield_value(item.checked_at),
                    item.pk,
                )
                for item in items
            ],
        )


def link_check_worst_case(links: int) -> float:
    """Return the longest a link check of `links` links can take, in seconds."""
    batch, workers = settings.LINKCHECK_BATCH_SIZE, settings.LINKCHECK_WORKERS
    per_batch = math.ceil(min(batch, links) / workers) * settings.LINKCHECK_DEADLINE
    return math.ceil(links / batch) * per_batch


@task
def check_submission_links(submission_id: int, check_round: int | None = None) -> dict[str, int]:
    """Check the next batch of a submission's unchecked links, save it, and queue the next.

    One run takes LINKCHECK_BATCH_SIZE links, checks LINKCHECK_WORKERS of them at once and
    each within LINKCHECK_DEADLINE, so it ends after at most
    ceil(batch / workers) × deadline = ceil(100 / 8) × 30 s = 390 s, whatever the servers do.
    A whole submission at the cap of 2,000 links takes ceil(2000 / 100) = 20 runs: at most
    20 × 390 s = 2 h 10 min if every link hangs to its deadline; links that answer or refuse
    at once take milliseconds each. A run that dies (the worker killed) loses only its batch:
    `requeue_stale_tasks` runs it again, or the reviewer restarts the check.

    `check_round` is the submission's link_check_round when the run was queued: a restart
    counts the round on, and a run of an earlier round does nothing.
    """
    submission = Submission.objects.filter(pk=submission_id).first()
    if submission is None or check_round not in (None, submission.link_check_round):
        return {}
    check_round = submission.link_check_round
    this_round = Submission.objects.filter(pk=submission_id, link_check_round=check_round)
    unchecked = EvidenceItem.objects.filter(submission_id=submission_id, checked_at__isnull=True)
    items = list(unchecked.order_by("pk")[: settings.LINKCHECK_BATCH_SIZE])
    if not items:
        return {}
    try:
        # The platforms' hosts once per batch: the page kind a reviewer sees as a hint.
        results = check_urls([item.url for item in items], platforms=platform_hosts())
        for item in items:
            outcome = results[item.url]
            item.check_result = outcome.result
            item.check_status = outcome.status_code
            item.check_detail = outcome.detail
            item.page_kind = outcome.page_kind
            item.page_reason = outcome.page_reason
            item.checked_at = outcome.checked_at
        with transaction.atomic():
            save_checks(items)
            this_round.update(link_check_moved_at=timezone.now(), link_check_error="")
    except Exception as error:
        message = Truncator(f"{type(error).__name__}: {error}").chars(DETAIL_MAX_LENGTH)
        this_round.update(link_check_error=message, link_check_moved_at=timezone.now())
        raise
    summary: dict[str, int] = {}
    for item in items:
        summary[item.check_result] = summary.get(item.check_result, 0) + 1
    if unchecked.exists():
        check_submission_links.enqueue(submission_id, check_round)
    return summary


def start_link_check(submission: Submission) -> int:
    """Queue the link check of a submission in a new round; return the round."""
    Submission.objects.filter(pk=submission.pk).update(
        link_check_round=F("link_check_round") + 1,
        link_check_moved_at=timezone.now(),
        link_check_error="",
    )
    submission.refresh_from_db(
        fields=["link_check_round", "link_check_moved_at", "link_check_error"]
    )
    check_submission_links.enqueue(submission.pk, submission.link_check_round)
    return submission.link_check_round


def render_lock_key(name: str) -> str:
    """Return the shared-cache key that says a document is being rendered."""
    return f"rendering:{name}"


@task
def render_document(*, award_id: int, document: str) -> str:
    """Render and store one document of an award, unless its current version is stored."""
    award = Award.objects.select_related("municipality").get(pk=award_id)
    facts = documents.award_facts(award)
    kind = documents.ALL_DOCUMENTS[document]
    try:
        return documents.store(facts, kind)
    finally:
        cache.delete(render_lock_key(documents.storage_name(facts, kind)))


@task
def render_award_documents(*, award_id: int) -> list[str]:
    """Render the documents of an award ahead of the first download (after approval); the
    sign maker's plaques are rendered on their first request."""
    award = Award.objects.select_related("municipality").get(pk=award_id)
    if award.is_revoked:
        return []
    facts = documents.award_facts(award)
    return [documents.store(facts, document) for document in documents.DOCUMENTS.values()]
