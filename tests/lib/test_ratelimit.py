"""Rate limits in the shared cache: rates, windows, keys, and exact counts under concurrency."""

import datetime
import json
import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from digitalesamt.lib import ratelimit
from digitalesamt.lib.ratelimit import Limit, Rate, RateLimited, address_key, parse_rate

LIMIT = Limit("test", "RATE_LIMIT_TEST", "Höchstens %(count)s je %(period)s.")


@pytest.fixture
def frozen_clock(monkeypatch):
    """Hold the clock 90 s into an hour, so that no window ends mid-test."""
    now = [
        timezone.now().replace(minute=0, second=0, microsecond=0) + datetime.timedelta(seconds=90)
    ]
    monkeypatch.setattr(ratelimit.timezone, "now", lambda: now[0])
    return now


def uses(limit: Limit, times: int, key: str = "") -> list[bool]:
    allowed = []
    for _ in range(times):
        try:
            limit.hit(key)
        except RateLimited:
            allowed.append(False)
        else:
            allowed.append(True)
    return allowed


# Rates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("5/h", Rate(5, 3600)),
        ("30/5m", Rate(30, 300)),
        ("100/d", Rate(100, 86400)),
        (" 2 / 10s ", Rate(2, 10)),
        ("0", None),
        ("", None),
    ],
)
def test_a_rate_is_uses_per_period(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["5", "5/x", "0/h", "5/0m", "often", "-1/h"])
def test_anything_else_is_no_rate(text):
    with pytest.raises(ValueError, match="not a rate"):
        parse_rate(text)


@pytest.mark.parametrize(
    ("seconds", "label"),
    [(3600, "Stunde"), (300, "5 Minuten"), (60, "Minute"), (86400, "Tag"), (7200, "2 Stunden")]
    + [(90, "90 Sekunden"), (172800, "2 Tage")],
)
def test_a_period_reads_after_je(seconds, label):
    assert ratelimit.period_label(seconds) == label


def test_the_settings_are_checked_at_start(settings):
    settings.RATE_LIMIT_FEEDBACK = "often"

    (error,) = ratelimit.check_rate_settings()

    assert error.id == "digitalesamt.E001"
    assert "RATE_LIMIT_FEEDBACK" in error.msg


def test_the_shipped_settings_are_rates():
    assert ratelimit.check_rate_settings() == []


# Keys -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::ffff", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("not an address", "unknown"),
        (None, "unknown"),
    ],
)
def test_a_client_is_counted_by_its_address_or_its_ipv6_network(address, key):
    assert address_key(address) == key


# Counting -------------------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(RATE_LIMIT_TEST="3/h")
def test_a_limit_allows_its_count_per_window_and_names_the_wait(frozen_clock):
    assert uses(LIMIT, 3) == [True, True, True]

    with pytest.raises(RateLimited) as refused:
        LIMIT.hit()

    assert refused.value.retry_after == 3600 - 90
    assert refused.value.retry_minutes == 59
    assert refused.value.message == "Höchstens 3 je Stunde."
    frozen_clock[0] += datetime.timedelta(seconds=3600 - 90)
    assert uses(LIMIT, 4) == [True, True, True, False]


@pytest.mark.django_db
@override_settings(RATE_LIMIT_TEST="2/h")
def test_each_key_has_its_own_count(frozen_clock):
    assert uses(LIMIT, 3, "203.0.113.9") == [True, True, False]
    assert uses(LIMIT, 3, "203.0.113.10") == [True, True, False]


@pytest.mark.django_db
@override_settings(RATE_LIMIT_TEST="2/h")
def test_a_lost_hint_costs_tries_but_never_a_use(frozen_clock):
    uses(LIMIT, 2)
    cache.delete_many([key for key in _keys() if key.count(":") == 4])  # the hint only

    assert uses(LIMIT, 2) == [False, False]


def _entries() -> dict[str, datetime.datetime]:
    """Return the rate-limit keys of the database cache (the tests' shared cache) and when
    each expires."""
    table = connection.ops.quote_name(settings.CACHES["default"]["LOCATION"])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key, expires FROM {table}")  # noqa: S608 - our own table
        rows = cursor.fetchall()
    return {
        key.split(":", 2)[-1]: expires
        if timezone.is_aware(expires)
        else timezone.make_aware(expires, datetime.UTC)
        for key, expires in rows
        if ":ratelimit:" in key
    }


def _keys() -> list[str]:
    return list(_entries())


@pytest.mark.django_db
@override_settings(RATE_LIMIT_TEST="0")
def test_a_limit_of_zero_is_no_limit():
    assert all(uses(LIMIT, 50))


@pytest.mark.django_db
@override_settings(RATE_LIMIT_TEST="2/h")
def test_a_slot_lives_as_long_as_its_window_not_the_caches_default(frozen_clock):
    started = datetime.datetime.now(datetime.UTC)  # the cache's own clock
    LIMIT.hit("k")
    LIMIT.hit("k")

    # 90 s into the hour: the window has 3510 s left, the cache's default would be 300 s.
    left = 3600 - 90 + ratelimit.EXPIRY_FUDGE
    for expires in _entries().values():
        assert left - 2 <= (expires - started).total_seconds() <= left + 1


# Concurrency ----------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(RATE_LIMIT_TEST="10/d")
def test_concurrent_uses_never_pass_the_limit_on_postgresql():
    allowed: list[bool] = []

    def worker() -> None:
        try:
            allowed.extend(uses(LIMIT, 5, "race"))
        finally:
            connection.close()  # each thread has a connection of its own

    try:
        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        cache.clear()  # committed, unlike every other test's cache entries

    assert allowed.count(True) == 10
    assert len(allowed) == 40


# Across processes: as gunicorn workers on one database would, started at the same moment.

CHILD = """
import json, os, sys, time
import django
django.setup()
from django.conf import settings
from django.core.cache import cache
from django_tasks_db.models import DBTaskResult
from awards import documents
from awards.models import Award
from digitalesamt.lib.ratelimit import Limit, RateLimited
from digitalesamt.public.views.documents import render_document_soon
from municipalities.models import Municipality

go = sys.argv[1]
open(sys.argv[2], "w").close()  # ready
while not os.path.exists(go):
    time.sleep(0.005)
"""

STEPS = {
    "limit": """
from types import SimpleNamespace
from django.utils import timezone
from digitalesamt.lib import ratelimit
noon = timezone.now().replace(hour=12)  # the same window for every process
# The limit's clock only. Patching timezone.now itself also moved the clock of the database
# cache, imported after it: at night (UTC) its slots, stored to expire by the real clock, were
# already expired at the patched noon, and every use passed.
ratelimit.timezone = SimpleNamespace(now=lambda: noon)
settings.RATE_LIMIT_TEST = "10/d"
limit = Limit("test", "RATE_LIMIT_TEST", "")
allowed = 0
for _ in range(5):
    try:
        limit.hit("race")
        allowed += 1
    except RateLimited:
        pass
result = {"allowed": allowed}
""",
    "render": """
award = Award.objects.select_related("municipality").get(number="DA-2021-0001")
name = documents.storage_name(documents.award_facts(award), documents.SIGNET_SVG)
render_document_soon(award, documents.SIGNET_SVG, name, client="203.0.113.9")
result = {"queued": DBTaskResult.objects.count()}
""",
}

SEED = """
import django
django.setup()
from awards.models import Award
from municipalities.constants import Kind
from municipalities.models import Municipality
town = Municipality.objects.create(
    ars="097790000001", name="Teststadt", register_name="Teststadt", kind=Kind.STADT
)
Award.objects.create(
    number="DA-2021-0001", municipality=town, issued_on="2021-07-28", procedure_count=50
)
"""


@pytest.fixture(scope="module")
def processes(tmp_path_factory):
    """Production settings on a database file of their own, as in test_shared_cache."""
    tmp_path = tmp_path_factory.mktemp("concurrent-limits")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "digitalesamt.settings",
        "ENV_FILE": os.devnull,
        "SECRET_KEY": "concurrent-limits-test-" + "x" * 40,
        "DEBUG": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        "TASKS_BACKEND": "database",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "ERROR",
    }
    env.pop("REDIS_URL", None)
    for command in ("migrate", "createcachetable"):
        subprocess.run(
            [sys.executable, "manage.py", command, "--verbosity", "0"],
            cwd=settings.BASE_DIR,
            env=env,
            check=True,
        )
    subprocess.run([sys.executable, "-c", SEED], cwd=settings.BASE_DIR, env=env, check=True)
    return env, tmp_path


def run_at_once(processes, step: str, count: int) -> list[dict]:
    """Start `count` processes, let them set up, then release them together; return results."""
    env, tmp_path = processes
    go = tmp_path / f"go-{step}"
    ready = [tmp_path / f"ready-{step}-{n}" for n in range(count)]
    code = CHILD + textwrap.dedent(STEPS[step]) + "\nprint(json.dumps(result))\n"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(go), str(path)],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for path in ready
    ]
    deadline = time.monotonic() + 120
    while not all(path.exists() for path in ready) and time.monotonic() < deadline:
        time.sleep(0.05)
    go.touch()
    results = []
    for child in children:
        out, _err = child.communicate(timeout=120)
        assert child.returncode == 0
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def test_processes_using_a_limit_at_once_pass_it_not_even_by_one(processes):
    results = run_at_once(processes, "limit", 6)

    assert sum(result["allowed"] for result in results) == 10  # of 30 tries


def test_processes_asking_at_once_for_a_document_not_stored_queue_one_render(processes):
    results = run_at_once(processes, "render", 6)

    assert max(result["queued"] for result in results) == 1
