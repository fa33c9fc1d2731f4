"""Readiness: whether this instance can serve, for the proxy and the monitoring.

`/health/` answers "ok" without touching anything (liveness: the process runs). `/health/ready/`
checks what a request needs: the database answers, the shared cache stores and returns a
value, the storage takes and gives back a file, and the task queue's oldest waiting task is
younger than HEALTH_TASK_QUEUE_MAX_AGE (a queue nobody works on means no mail and no
documents). It answers 503 with the reason of every failed check, so a balancer takes the
instance out and an operator sees why. The answer names no host, path or exception text.
"""

import logging
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Case, F, When
from django.db.models.functions import Greatest
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_tasks_db.models import DBTaskResult, get_date_max

logger = logging.getLogger(__name__)

QUEUED_IN_DATABASE = "django_tasks_db.DatabaseBackend"
PROBE_FOLDER = "health"


class NotReady(Exception):
    """A check failed; the message says what in German, without details of the system."""


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise NotReady(_("Die Datenbank antwortet falsch."))


def check_cache() -> None:
    key, value = f"health:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=30)
    stored = cache.get(key)
    cache.delete(key)
    if stored != value:
        raise NotReady(_("Der gemeinsame Cache gibt einen gespeicherten Wert nicht zurück."))


def check_storage() -> None:
    content = uuid.uuid4().hex.encode()
    name = default_storage.save(f"{PROBE_FOLDER}/{uuid.uuid4().hex}.txt", ContentFile(content))
    try:
        with default_storage.open(name, "rb") as file:
            if file.read() != content:
                raise NotReady(_("Der Dateispeicher gibt eine Datei verändert zurück."))
    finally:
        default_storage.delete(name)


def check_task_queue() -> None:
    if settings.TASKS["default"]["BACKEND"] != QUEUED_IN_DATABASE:
        return  # tasks run in the request: there is no queue that could stand still
    # A task may wait on purpose (a mail's retry runs after a delay): it waits from then on.
    due = Case(
        When(run_after=get_date_max(), then=F("enqueued_at")),
        default=Greatest("enqueued_at", "run_after"),
    )
    oldest = (
        DBTaskResult.objects.ready()
        .annotate(due=due)
        .order_by("due")
        .values_list("due", flat=True)
        .first()
    )
    if oldest is None:
        return
    waiting = (timezone.now() - oldest).total_seconds()
    limit = settings.HEALTH_TASK_QUEUE_MAX_AGE
    if waiting > limit:
        raise NotReady(
            _(
                "Die älteste wartende Hintergrundaufgabe wartet seit %(waiting)s Sekunden "
                "(Grenze: %(limit)s); läuft ein Worker?"
            )
            % {"waiting": round(waiting), "limit": limit}
        )


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "storage": check_storage,
    "tasks": check_task_queue,
}


@never_cache
@require_safe
def ready(request: HttpRequest) -> JsonResponse:
    """Run every check; 200 when all pass, 503 with the reason of each one that failed."""
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except NotReady as failure:
            outcome = {"ok": False, "reason": str(failure)}
        except Exception:  # noqa: BLE001 - any failure of a dependency means "not ready"
            logger.exception("Readiness check %s failed", name)
            outcome = {"ok": False, "reason": _("Die Prüfung ist mit einem Fehler abgebrochen.")}
        else:
            outcome = {"ok": True}
        outcome["ms"] = round((time.perf_counter() - started) * 1000, 1)
        results[name] = outcome
    ok = all(result["ok"] for result in results.values())
    status = 200 if ok else 503
    return JsonResponse({"status": "ok" if ok else "fail", "checks": results}, status=status)
