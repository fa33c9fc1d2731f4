"""/health/ready/: database, cache, storage and task queue, 503 with a reason when one fails."""

import datetime

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from awards.tasks import render_document
from digitalesamt.lib import health

pytestmark = pytest.mark.django_db

QUEUED = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def queued_task(*, waiting: float, run_after: datetime.datetime | None = None) -> DBTaskResult:
    with override_settings(TASKS=QUEUED):
        result = render_document.using(backend="default").enqueue(award_id=1, document="x")
    row = DBTaskResult.objects.get(id=result.id)
    row.enqueued_at = timezone.now() - datetime.timedelta(seconds=waiting)
    update = ["enqueued_at"]
    if run_after is not None:
        row.run_after = run_after
        update.append("run_after")
    row.save(update_fields=update)
    return row


def test_ready_answers_ok_with_every_check(client):
    response = client.get("/health/ready/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "storage", "tasks"}
    assert all(check["ok"] for check in body["checks"].values())
    assert "no-cache" in response["Cache-Control"]


def test_ready_leaves_no_probe_behind(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.get("/health/ready/")

    assert default_storage.listdir(health.PROBE_FOLDER)[1] == []


def test_a_broken_cache_makes_the_instance_not_ready(client, monkeypatch):
    monkeypatch.setattr(cache, "get", lambda key, default=None: None)

    response = client.get("/health/ready/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["cache"]["ok"] is False
    assert "Cache" in body["checks"]["cache"]["reason"]
    assert body["checks"]["database"]["ok"] is True


def test_a_failing_storage_answers_503_without_details(client, monkeypatch):
    def refuse(name, content, max_length=None):
        raise PermissionError("/srv/secret/path: permission denied")

    monkeypatch.setattr(default_storage, "save", refuse)

    response = client.get("/health/ready/")

    assert response.status_code == 503
    reason = response.json()["checks"]["storage"]["reason"]
    assert "secret" not in reason
    assert "abgebrochen" in reason


@override_settings(TASKS=QUEUED, HEALTH_TASK_QUEUE_MAX_AGE=600)
def test_a_task_waiting_too_long_makes_the_instance_not_ready(client):
    queued_task(waiting=900)

    response = client.get("/health/ready/")

    assert response.status_code == 503
    reason = response.json()["checks"]["tasks"]["reason"]
    assert "900 Sekunden" in reason
    assert "600" in reason


@override_settings(TASKS=QUEUED, HEALTH_TASK_QUEUE_MAX_AGE=600)
def test_a_fresh_queue_and_a_delayed_retry_are_fine(client):
    queued_task(waiting=30)
    # A mail's retry queued two hours ago to run in an hour is not waiting yet.
    queued_task(waiting=7200, run_after=timezone.now() + datetime.timedelta(hours=1))
    # One whose delay ended a minute ago waits since then, not since it was queued.
    queued_task(waiting=7200, run_after=timezone.now() - datetime.timedelta(minutes=1))

    response = client.get("/health/ready/")

    assert response.status_code == 200, response.json()


def test_without_a_queue_in_the_database_the_task_check_passes(client):
    queued_task(waiting=10_000)  # the immediate backend of the tests never waits for a worker

    assert client.get("/health/ready/").status_code == 200


def test_ready_refuses_posts(client):
    assert client.post("/health/ready/").status_code == 405
