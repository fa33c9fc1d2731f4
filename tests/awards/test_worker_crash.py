"""A worker killed in the middle of a link check: its task is run again, the check finishes.

Real processes: `manage.py db_worker` against a file SQLite database with TASKS_BACKEND=database,
killed with SIGKILL while it waits for a local server; then `requeue_stale_tasks` and a new
worker. Nothing here reaches beyond 127.0.0.1.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings

ITEMS = 4
SETUP = """
from awards.models import Application, EvidenceItem, Submission
from awards import tasks
from municipalities.models import Municipality
kommune = Municipality.objects.create(
    ars="096710000001", ags="09671001", name="Hösbach", register_name="Hösbach", kind="markt"
)
application = Application.objects.create(municipality=kommune, status="submitted")
submission = Submission.objects.create(
    application=application, number=1, procedure_count={items}, threshold={items}
)
EvidenceItem.objects.bulk_create(
    EvidenceItem(submission=submission, title=f"Verfahren {{n}}", url=f"{base}/halt/{{n}}",
                 scope="kommunal")
    for n in range({items})
)
tasks.start_link_check(submission)
"""


class Holding(BaseHTTPRequestHandler):
    """Answers 200, but only once the test lets it; says when the first request arrived."""

    server: "HoldingServer"

    def do_HEAD(self) -> None:
        self.server.arrived.set()
        self.server.release.wait(30)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD

    def log_message(self, format: str, *args) -> None:
        pass


class HoldingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Holding)
        self.arrived = threading.Event()
        self.release = threading.Event()

    def handle_error(self, request, client_address) -> None:
        pass  # the killed worker hangs up


@pytest.fixture
def server():
    server = HoldingServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def project(tmp_path, server):
    """Run manage.py against a database file of its own, as production runs it."""
    database = tmp_path / "db.sqlite3"
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "digitalesamt.settings",
        "ENV_FILE": os.devnull,
        "SECRET_KEY": "worker-crash-test-only-0123456789abcdefghijklmnopqrstuvwxyz",
        "DATABASE_URL": f"sqlite:///{database}",
        "TASKS_BACKEND": "database",
        "LINKCHECK_ALLOW_PRIVATE": "true",
        "LINKCHECK_BATCH_SIZE": "2",
        "LOG_LEVEL": "WARNING",
    }
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]

    def run(*args: str, timeout: float = 120, **extra: str) -> str:
        done = subprocess.run(
            [*manage, *args],
            env={**environment, **extra},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
        return done.stdout

    def start(*args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [*manage, *args],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def query(sql: str) -> list[tuple]:
        with sqlite3.connect(database) as connection:
            return connection.execute(sql).fetchall()

    run("migrate", "-v0")
    base = f"http://127.0.0.1:{server.server_port}"
    run("shell", "-c", SETUP.format(items=ITEMS, base=base))
    return run, start, query


def task_states(query) -> list[tuple[str, int]]:
    rows = query(
        "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult ORDER BY enqueued_at"
    )
    return [(status, len(json.loads(workers))) for status, workers in rows]


def unchecked(query) -> int:
    return query("SELECT COUNT(*) FROM awards_evidenceitem WHERE checked_at IS NULL")[0][0]


def test_a_link_check_whose_worker_was_killed_runs_again_and_finishes(project, server):
    run, start, query = project
    worker = start("db_worker", "--no-startup-delay", "--interval", "0.1", "--no-reload")
    try:
        assert server.arrived.wait(60), "the worker never started the link check"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)  # mid-task: waiting for the first answer
        worker.wait(10)

    assert task_states(query) == [("RUNNING", 1)]
    assert unchecked(query) == ITEMS

    # The timer's run: a task RUNNING longer than TASK_STALE_AFTER lost its worker.
    assert "0 Aufgaben erneut eingereiht" in run("requeue_stale_tasks")
    output = run("requeue_stale_tasks", TASK_STALE_AFTER="0")
    assert "1 Aufgaben erneut eingereiht, 0 als fehlgeschlagen markiert." in output
    assert task_states(query) == [("READY", 1)]

    server.release.set()
    run("db_worker", "--batch", "--no-startup-delay", "--interval", "0", "--no-reload")

    assert unchecked(query) == 0
    assert query("SELECT DISTINCT check_result FROM awards_evidenceitem") == [("ok",)]
    # The first batch ran twice (two workers), the second once.
    assert task_states(query) == [("SUCCESSFUL", 2), ("SUCCESSFUL", 1)]
