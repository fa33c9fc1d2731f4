"""The warm-up of a fresh worker: WeasyPrint, the fonts and Pillow loaded before a request, in
every gunicorn worker and in the task worker before its first task."""

import runpy
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV

from awards import documents
from awards.documents import pdf, signet, warmup

CONFIG = Path(__file__).resolve().parent.parent.parent / "deploy" / "gunicorn.conf.py"


def test_warm_up_loads_the_fonts_without_the_database_or_the_storage():
    # No django_db mark: any query would fail the test.
    seconds = warmup.warm_up()

    assert seconds > 0
    assert pdf._pdf_resources.cache_info().currsize == 1
    assert signet._font_bytes.cache_info().currsize >= 3  # Regular, SemiBold and Bold


def test_warm_up_renders_a_sample_plaque_and_signet_the_way_an_award_is_rendered():
    # Loading the fonts alone left the first real plaque at 0.47 s (templates, the QR code's
    # outline, the subsetter's first use); after the sample it takes what any later one does.
    rendered = []

    def render(facts, document):
        rendered.append(document)
        return documents.render(facts, document)

    with mock.patch.object(warmup, "render", render):
        warmup.warm_up()

    assert rendered == [documents.PLAQUES["a4"], documents.SIGNET_PNGS[320]]


def test_gunicorn_warms_up_each_worker_after_the_fork(monkeypatch):
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    config = runpy.run_path(str(CONFIG))
    server = SimpleNamespace(log=mock.Mock())

    with mock.patch.object(warmup, "warm_up", return_value=1.25) as warm_up:
        config["post_fork"](server, SimpleNamespace(pid=4711))

    warm_up.assert_called_once_with()
    assert config["workers"] == 3
    assert config["worker_class"] == "sync"
    assert config["preload_app"] is False
    server.log.info.assert_called_once()


TASK_DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.django_db
@override_settings(TASKS=TASK_DATABASE)
def test_the_task_worker_warms_up_once_before_its_first_task(monkeypatch):
    from django_tasks_db.management.commands import db_worker

    calls = []
    monkeypatch.setattr(warmup, "warm_up", lambda: calls.append("warm up") or 1.0)
    monkeypatch.setattr(db_worker.Worker, "run", lambda worker: calls.append("run tasks"))

    call_command("task_worker", "--batch", "--no-startup-delay", "--worker-id", "host-1")

    assert calls == ["warm up", "run tasks"]


@pytest.mark.django_db
@override_settings(TASKS=TASK_DATABASE)
def test_with_reload_only_the_process_that_runs_tasks_warms_up(monkeypatch):
    from django_tasks_db.management.commands import db_worker

    calls = []
    monkeypatch.setattr(warmup, "warm_up", lambda: calls.append("warm up") or 1.0)
    monkeypatch.setattr(db_worker, "run_with_reloader", lambda run: calls.append("reloader"))

    monkeypatch.delenv(DJANGO_AUTORELOAD_ENV, raising=False)
    call_command("task_worker", "--reload", "--no-startup-delay")  # the one that watches files
    monkeypatch.setenv(DJANGO_AUTORELOAD_ENV, "true")
    monkeypatch.setattr(db_worker.Worker, "configure_signals", lambda worker: None)
    call_command("task_worker", "--reload", "--no-startup-delay")  # the one it starts

    assert calls == ["reloader", "warm up", "reloader"]


def test_the_worker_unit_runs_the_worker_that_warms_up():
    unit = (CONFIG.parent / "systemd" / "digitalesamt-worker@.service").read_text()

    (command,) = [line for line in unit.splitlines() if line.startswith("ExecStart=")]
    assert command.endswith("/python manage.py task_worker --worker-id %H-%i")
