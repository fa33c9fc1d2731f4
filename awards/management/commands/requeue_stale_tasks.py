"""Run again the background tasks whose worker died under them; safe to run every few minutes.

django-tasks-db marks a task RUNNING when a worker takes it and never looks at it again: after
`kill -9` of its worker (or a crash of the machine) it stays RUNNING for ever. This command
puts a task that is RUNNING longer than TASK_STALE_AFTER back to READY, so that the next free
worker runs it again; a task that has lost its worker MAX_ATTEMPTS times is marked FAILED
instead, so that one task that kills its worker cannot do so for ever. Every task of this
project ends well within TASK_STALE_AFTER (the link check works in batches for that reason).

Each row changes only if it is still RUNNING since the same moment, so two runs at once, or a
worker that finishes the task just then, change nothing twice.

    */5 * * * *  manage.py requeue_stale_tasks
"""

import datetime
import logging

from django.conf import settings
from django.core.management import BaseCommand
from django.tasks import TaskResultStatus
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks_db.models import DBTaskResult

# A task's worker_ids grows by one each time a worker takes it.
MAX_ATTEMPTS = 3
LOST = "awards.management.commands.requeue_stale_tasks.WorkerLost"

logger = logging.getLogger(__name__)


class WorkerLost(Exception):
    """The worker running a task stopped without finishing it (recorded on FAILED tasks)."""


class Command(BaseCommand):
    help = _(
        "Stellt Hintergrundaufgaben, die länger als TASK_STALE_AFTER laufen, erneut in die "
        "Warteschlange (ihr Prozess ist beendet); nach drei verlorenen Läufen gelten sie als "
        "fehlgeschlagen."
    )

    def handle(self, *args: object, **options: object) -> None:
        now = timezone.now()
        limit = now - datetime.timedelta(seconds=settings.TASK_STALE_AFTER)
        stale = DBTaskResult.objects.filter(
            status=TaskResultStatus.RUNNING, started_at__lt=limit
        ).only("id", "started_at", "worker_ids", "task_path")
        requeued = failed = 0
        for task in stale:
            same = DBTaskResult.objects.filter(
                pk=task.pk, status=TaskResultStatus.RUNNING, started_at=task.started_at
            )
            attempts = len(task.worker_ids)
            if attempts < MAX_ATTEMPTS:
                if same.update(status=TaskResultStatus.READY):
                    requeued += 1
                    logger.warning(
                        "Task %s (%s), started %s, lost its worker; queued again (attempt %d)",
                        task.pk,
                        task.task_path,
                        task.started_at.isoformat(),
                        attempts + 1,
                    )
                continue
            if same.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=LOST,
                traceback=(
                    f"{LOST}: the worker stopped without finishing the task, {attempts} times "
                    f"(workers {', '.join(task.worker_ids)})\n"
                ),
            ):
                failed += 1
                logger.error(
                    "Task %s (%s) lost %d workers; marked failed", task.pk, task.task_path, attempts
                )
        self.stdout.write(
            _("%(requeued)d Aufgaben erneut eingereiht, %(failed)d als fehlgeschlagen markiert.")
            % {"requeued": requeued, "failed": failed}
        )
