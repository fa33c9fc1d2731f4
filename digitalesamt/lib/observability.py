"""What the service is doing: a JSON line per log record, one per request and one per task.

`JsonFormatter` writes every log record as one JSON object on one line (LOG_FORMAT=json, the
production default), so a log shipper reads fields instead of parsing text. Written here on
the standard library: the formatter is a few lines, not worth a dependency.

A request line holds the method, the URL pattern that matched (`kommunen/<str:ars>/`, never
the values in it: an invitation's token is a path segment), the names of the query
parameters without their values (a search for a person's Kommune is theirs), the status, the
duration and a keyed hash of the user id, which tells one user's requests apart without
naming the user. A task line holds the task's name, its outcome and its duration.
"""

import datetime
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.tasks.signals import task_finished

request_logger = logging.getLogger("digitalesamt.requests")
task_logger = logging.getLogger("digitalesamt.tasks")


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON: time, level, logger, message and its fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def user_hash(user_id: object) -> str:
    """Return a keyed hash of a user id: the same user, the same value; no way back to the id."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"user:{user_id}".encode(), hashlib.sha256).hexdigest()[:16]


def _route(request: HttpRequest) -> str:
    match = request.resolver_match
    if match is not None:
        return "/" + match.route
    if request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "/" + settings.STATIC_URL.lstrip("/") + "…"
    return "–"  # no pattern matched (a 404): the path itself may hold anything


class RequestLogMiddleware:
    """Log one line per request (outermost, so the duration is the whole answer's)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        if request_logger.isEnabledFor(logging.INFO):
            duration = round((time.perf_counter() - started) * 1000, 1)
            # Only a user the request already loaded: looking one up would cost a query.
            user = getattr(request, "_cached_user", None)
            fields = {
                "method": request.method,
                "route": _route(request),
                "view": request.resolver_match.view_name if request.resolver_match else None,
                "query": sorted(request.GET.keys()),
                "status": response.status_code,
                "duration_ms": duration,
                "user": user_hash(user.pk) if user is not None and user.is_authenticated else None,
            }
            request_logger.info(
                "%s %s %s %.1f ms",
                fields["method"],
                fields["route"],
                fields["status"],
                duration,
                extra={"fields": fields},
            )
        return response


def log_task(sender, task_result, **kwargs) -> None:
    """Log one line per finished task: its name, outcome and duration."""
    started, finished = task_result.started_at, task_result.finished_at
    duration = (
        round((finished - started).total_seconds() * 1000, 1) if started and finished else None
    )
    fields = {
        "task": task_result.task.module_path,
        "outcome": str(task_result.status.value).lower(),
        "duration_ms": duration,
        "attempts": task_result.attempts,
    }
    level = logging.INFO if fields["outcome"] == "successful" else logging.WARNING
    task_logger.log(
        level,
        "%s %s %s ms",
        fields["task"],
        fields["outcome"],
        duration,
        extra={"fields": fields},
    )


def connect_task_log() -> None:
    task_finished.connect(log_task, dispatch_uid="digitalesamt.lib.observability.log_task")
