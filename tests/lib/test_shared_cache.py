"""The cache is shared: two web processes and a worker on one database see the same locks and pages.

Each step runs in a process of its own with production settings (the database cache, the
database task queue, files on disk), as two gunicorn workers and a db_worker would.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest
from django.conf import settings

# Run in a fresh process: set up Django, run the step's code, print its `result` as JSON.
PROLOGUE = """
import json
import django
django.setup()
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult
from awards import documents
from awards.models import Award
from digitalesamt.public.views.documents import render_document_soon
from municipalities.constants import Kind
from municipalities.models import Municipality

def signet():
    award = Award.objects.select_related("municipality").get(number="DA-2021-0001")
    return award, documents.storage_name(documents.award_facts(award), documents.SIGNET_SVG)
"""

STEPS = {
    "seed": """
town = Municipality.objects.create(
    ars="097790000001", name="Teststadt", register_name="Teststadt", kind=Kind.STADT
)
Award.objects.create(
    number="DA-2021-0001", municipality=town, issued_on="2021-07-28", procedure_count=50
)
result = {}
""",
    # A web process finds the signet not stored yet and asks the worker for it.
    "render_soon": """
award, name = signet()
render_document_soon(award, documents.SIGNET_SVG, name)
result = {"queued": DBTaskResult.objects.count(), "locked": cache.get(f"rendering:{name}")}
""",
    "locked": """
award, name = signet()
result = {"locked": cache.get(f"rendering:{name}")}
""",
    "home": """
with CaptureQueriesContext(connection) as queries:
    response = Client().get("/")
result = {
    "status": response.status_code,
    "queries": len(queries.captured_queries),
    "has_holder": "Teststadt" in response.content.decode(),
}
""",
}


@pytest.fixture(scope="module")
def environment(tmp_path_factory):
    """Production settings on a database file of their own, shared by every step."""
    tmp_path = tmp_path_factory.mktemp("shared-cache")
    database = tmp_path / "shared.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "digitalesamt.settings",
        "ENV_FILE": os.devnull,
        "SECRET_KEY": "shared-cache-test-" + "x" * 40,
        "DEBUG": "false",
        "DATABASE_URL": f"sqlite:///{database}",
        "TASKS_BACKEND": "database",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "ERROR",
    }
    env.pop("REDIS_URL", None)
    manage(env, "migrate")
    manage(env, "createcachetable")
    manage(env, "collectstatic", "--no-input")  # production serves from the manifest
    run(env, "seed")
    return env


def manage(env: dict, *command: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *command, "--verbosity", "0"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
    )


def run(env: dict, step: str) -> dict:
    code = PROLOGUE + textwrap.dedent(STEPS[step]) + "\nprint(json.dumps(result))\n"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_render_lock_of_one_process_holds_for_the_others(environment):
    first = run(environment, "render_soon")  # a web process finds the signet missing
    second = run(environment, "render_soon")  # another one, a moment later

    assert first == {"queued": 1, "locked": True}
    assert second == {"queued": 1, "locked": True}  # it saw the lock and queued nothing

    # The worker, a third process, renders the signet and lifts the lock for everybody.
    manage(environment, "db_worker", "--batch", "--no-startup-delay")
    assert run(environment, "locked") == {"locked": None}


def test_a_page_cached_by_one_process_is_served_by_another(environment):
    filled = run(environment, "home")
    served = run(environment, "home")

    assert filled["status"] == served["status"] == 200
    assert filled["has_holder"] and served["has_holder"]
    # The second process renders nothing: the data version and one read of the shared cache.
    assert served["queries"] == 2
    assert filled["queries"] > served["queries"]
