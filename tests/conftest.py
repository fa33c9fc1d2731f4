"""The people every test area shares, and the switches most tests need.

The personas, defined here once:

- `kommune`: Markt Hösbach; `clerk` (Kim Huber, kaemmerei@hoesbach.example) is its member.
- `other_kommune`: Stadt Iphofen; `other_kommune_clerk` (rathaus@iphofen.example) is its member.
- `reviewer`: ministry staff in the reviewers' group (pruefer@stmd.example).
- `administrator`: ministry staff in the administrators' group (verwaltung@stmd.example).
- A superuser is pytest-django's `admin_user` (`admin_client`), for what is a superuser's alone.

Each persona signs in with `tests.helpers.PASSWORD`; `clerk_client`, `other_kommune_clerk_client`,
`reviewer_client` and `administrator_client` are clients already logged in as that persona.
Staff must pass a second factor: `reviewer`, `administrator` and `admin_user` have an
authenticator app (`tests.helpers.totp_code(user)` gives its current code). In tests
`Client.force_login` stands for the whole login, both steps: a staff user (given an app if they
have none) or a user with an app comes out verified by it, as after the second step. So every
client here, `admin_client` included, reaches the admin. Tests of the second step itself log
in with `client.login()` or the login form, which stop after the password.
"""

import sys

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import timezone, translation
from django_otp import DEVICE_ID_SESSION_KEY

from awards import services
from digitalesamt.accounts.roles import ADMIN_GROUP, REVIEWER_GROUP, setup_roles
from digitalesamt.lib import ratelimit
from digitalesamt.lib.cache import memory
from municipalities.constants import Kind
from municipalities.models import Membership
from tests.factories import MunicipalityFactory
from tests.helpers import PASSWORD, give_app


def pytest_collection_modifyitems(config, items):
    """Skip the tests marked `postgres` on any other database, and say so."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason=f"needs PostgreSQL (CI runs it), not {connection.vendor}")
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, dropped with no session of this run left on it.

    In CI, PostgreSQL's DROP DATABASE at the end of a run refused a database "being accessed by
    other users" (a warning, and the database left behind), in some runs once, in others for
    both workers. Which test leaves the session is not known; the likeliest are the live
    server's daemon threads, which keep a database connection each until a kept-alive client
    (Chromium, nginx's upstream) hangs up. Those sessions are ended first, and named on stderr
    (seen with `-s -n 0`).
    """
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state, left(query, 80), pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        for pid, state, query, _ended in cursor.fetchall():
            print(f"\nended session {pid} ({state}): {query}", file=sys.__stderr__)


@pytest.fixture
def frozen_clock(monkeypatch):
    """Hold the clock in the middle of a window, so that no limit starts afresh mid-test.

    Limits count in fixed windows: a test that used one across a window's end (at :45:00, say)
    would see its count start again. The list holds the time; a test may move it.
    """
    now = [timezone.now().replace(minute=2, second=0, microsecond=0)]
    monkeypatch.setattr(ratelimit.timezone, "now", lambda: now[0])
    return now


@pytest.fixture(autouse=True)
def default_language():
    """Start every test in German: a request in English leaves its language on the thread."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def no_link_check(monkeypatch):
    """Queue no link check on submission: it would reach for the factories' .example hosts."""
    monkeypatch.setattr(services, "enqueue_link_check", lambda submission: None)


# Kommunen and their clerks


@pytest.fixture
def kommune(db):
    return MunicipalityFactory(name="Hösbach", kind=Kind.MARKT, ars="096710000001")


@pytest.fixture
def other_kommune(db):
    return MunicipalityFactory(name="Iphofen", kind=Kind.STADT, ars="096750000002")


def member_of(municipality, username: str, email: str, **names: str):
    user = get_user_model().objects.create_user(username, email, PASSWORD, **names)
    Membership.objects.create(user=user, municipality=municipality)
    return user


@pytest.fixture
def clerk(kommune):
    return member_of(
        kommune, "kaemmerei", "kaemmerei@hoesbach.example", first_name="Kim", last_name="Huber"
    )


@pytest.fixture
def other_kommune_clerk(other_kommune):
    return member_of(other_kommune, "rathaus", "rathaus@iphofen.example")


# The ministry


@pytest.fixture
def roles(db):
    """The ministry's groups with their permissions, as `setup_roles` makes them."""
    setup_roles()


def ministry_user(username: str, email: str, group: str):
    user = get_user_model().objects.create_user(username, email, PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    give_app(user)
    return user


@pytest.fixture
def reviewer(roles):
    return ministry_user("pruefer", "pruefer@stmd.example", REVIEWER_GROUP)


@pytest.fixture
def administrator(roles):
    return ministry_user("verwaltung", "verwaltung@stmd.example", ADMIN_GROUP)


# Logged-in clients


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def force_login_passes_the_second_step(monkeypatch):
    """Make `Client.force_login` a completed login: password and, where needed, second factor."""
    force_login = Client.force_login

    def log_in_verified(client: Client, user, backend: str | None = None) -> None:
        force_login(client, user, backend)
        device = user.totpdevice_set.filter(confirmed=True).first()
        if device is None and user.is_staff:
            device = give_app(user)
        if device is not None:
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", log_in_verified)


@pytest.fixture
def clerk_client(clerk):
    return logged_in(clerk)


@pytest.fixture
def other_kommune_clerk_client(other_kommune_clerk):
    return logged_in(other_kommune_clerk)


@pytest.fixture
def reviewer_client(reviewer):
    return logged_in(reviewer)


@pytest.fixture
def administrator_client(administrator):
    return logged_in(administrator)


@pytest.fixture
def empty_cache(db):
    """Start and end a test with an empty shared cache, where the public pages are cached."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def fresh_process_memory():
    """Start every test with an empty memory of versioned bodies, as a new worker would."""
    memory.clear()
    yield
    memory.clear()
