"""Prometheus metrics (METRICS_ENABLED): requests, database, cache and the task queue.

django-prometheus measures requests (its two middlewares), the database (its engine
wrappers) and Redis; the database cache and the task queue are measured here. The
endpoint `/metrics/` answers only addresses of METRICS_ALLOWED_ADDRESSES that reach an
instance directly, not through the proxy: each gunicorn instance is scraped on its own
address, and nothing from outside reaches the figures through nginx (which also refuses the
path). With several gunicorn workers set PROMETHEUS_MULTIPROC_DIR (see deploy/) so that
the figures of every worker are added up.
"""

import ipaddress
import os

import prometheus_client
from django.conf import settings
from django.core.cache.backends import db
from django.db.models import Count, Min, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.tasks import TaskResultStatus
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django_prometheus.cache.metrics import (
    django_cache_get_total,
    django_cache_hits_total,
    django_cache_misses_total,
)
from django_tasks_db.models import DBTaskResult
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily


class DatabaseCache(db.DatabaseCache):
    """Django's database cache, counting gets, hits and misses as django-prometheus does."""

    def get(self, key, default=None, version=None):
        django_cache_get_total.labels(backend="db").inc()
        missing = object()
        value = super().get(key, missing, version=version)
        if value is missing:
            django_cache_misses_total.labels(backend="db").inc()
            return default
        django_cache_hits_total.labels(backend="db").inc()
        return value


class TaskQueueCollector:
    """The task queue at the moment of the scrape, in one query: waiting, running, failed."""

    def collect(self):
        now = timezone.now()
        figures = DBTaskResult.objects.aggregate(
            waiting=Count("pk", filter=Q(status=TaskResultStatus.READY)),
            running=Count("pk", filter=Q(status=TaskResultStatus.RUNNING)),
            failed=Count("pk", filter=Q(status=TaskResultStatus.FAILED)),
            oldest=Min("enqueued_at", filter=Q(status=TaskResultStatus.READY)),
        )
        for name, documentation in (
            ("waiting", "Tasks queued and not yet taken by a worker."),
            ("running", "Tasks a worker is running."),
            ("failed", "Failed tasks kept (until prune_db_task_results)."),
        ):
            yield GaugeMetricFamily(f"digitalesamt_tasks_{name}", documentation, figures[name])
        oldest = figures["oldest"]
        yield GaugeMetricFamily(
            "digitalesamt_task_queue_oldest_seconds",
            "Seconds since the oldest waiting task was queued (0: none waits).",
            (now - oldest).total_seconds() if oldest else 0,
        )


TASK_QUEUE = TaskQueueCollector()
# This process's figures (django-prometheus registers in the default registry) and the queue.
PROCESS_REGISTRY = prometheus_client.CollectorRegistry()
PROCESS_REGISTRY.register(prometheus_client.REGISTRY)
PROCESS_REGISTRY.register(TASK_QUEUE)


def _allowed(request: HttpRequest) -> bool:
    if "HTTP_X_FORWARDED_FOR" in request.META:
        return False  # through the proxy: from anywhere
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(allowed, strict=False)
        for allowed in settings.METRICS_ALLOWED_ADDRESSES
    )


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Serve the metrics in Prometheus' text format to an allowed address; 404 to any other."""
    if not settings.METRICS_ENABLED or not _allowed(request):
        raise Http404
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        # Every worker's figures from the shared folder, and the queue once.
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(TASK_QUEUE)
    else:
        registry = PROCESS_REGISTRY
    return HttpResponse(
        prometheus_client.generate_latest(registry),
        content_type=prometheus_client.CONTENT_TYPE_LATEST,
    )
