"""Background work of the register: the nightly sync with the federal dashboard.

`sync_source_records` syncs OZG_SYNC_BATCH_SIZE Kommunen that were neither synced nor tried
within OZG_SYNC_FRESH_HOURS, then queues itself for the rest, so one run stays well within
TASK_STALE_AFTER (100 Kommunen of 1 to 3 pages, 0.5 s apart: about 2 to 3 minutes). Enqueue it
once a night (README, deployment); `manage.py sync_procedures --queue` does.
"""

from django.conf import settings
from django.tasks import task

from .models import Municipality
from .sources import SourceSyncer


@task
def sync_source_records() -> dict[str, int]:
    """Sync the next batch of Kommunen from the source; queue the next batch if any remain."""
    syncer = SourceSyncer()
    pending = syncer.stale(Municipality.objects.order_by("ars"), retry_failed=False)
    batch = list(pending[: settings.OZG_SYNC_BATCH_SIZE])
    if not batch:
        return {}
    summary = syncer.sync_from_source(batch)
    if pending.exists():
        sync_source_records.enqueue()
    return {"synced": summary.synced, "failed": summary.failed, "records": summary.records}
