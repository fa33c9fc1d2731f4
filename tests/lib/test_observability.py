"""JSON logs (a line per request and per task), Prometheus metrics and error reports."""

import json
import logging
import os

import pytest
import sentry_sdk
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from sentry_sdk.transport import Transport

from digitalesamt.lib import error_reports
from digitalesamt.lib.mail import send_mail_task
from digitalesamt.lib.observability import JsonFormatter, user_hash
from tests.factories import MunicipalityFactory
from tests.test_settings import PRODUCTION_ENV, run_manage

pytestmark = pytest.mark.django_db


def request_lines(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "digitalesamt.requests"]


def test_the_json_formatter_writes_one_line_with_the_fields():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "eine\nZeile %s", ("ä",), None)
    record.fields = {"status": 200, "route": "/"}

    line = JsonFormatter().format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "eine\nZeile ä"
    assert entry["status"] == 200
    assert entry["level"] == "INFO"
    assert entry["time"].endswith("+00:00")


def test_a_request_is_logged_by_its_pattern_without_query_values(client, caplog):
    kommune = MunicipalityFactory()
    caplog.set_level(logging.INFO, logger="digitalesamt.requests")

    client.get(f"/kommunen/{kommune.ars}/?q=Erika+Mustermann&seite=2")

    [record] = request_lines(caplog)
    assert record.fields["method"] == "GET"
    assert record.fields["route"] == r"/^kommunen/(?P<ars>\d{12})/$"
    assert record.fields["view"] == "awards:municipality"
    assert record.fields["query"] == ["q", "seite"]
    assert record.fields["status"] == 200
    assert record.fields["duration_ms"] > 0
    assert record.fields["user"] is None
    line = JsonFormatter().format(record)
    assert "Mustermann" not in line
    assert kommune.ars not in line


def test_a_token_in_the_path_never_reaches_the_log(client, caplog):
    caplog.set_level(logging.INFO, logger="digitalesamt.requests")
    token = "geheim-1234567890abcdef"

    client.get(f"/konto/einladung/MTI/{token}/")

    [record] = request_lines(caplog)
    assert token not in JsonFormatter().format(record)
    assert "<" in record.fields["route"]


def test_a_signed_in_user_is_logged_as_a_keyed_hash(clerk_client, clerk, caplog):
    caplog.set_level(logging.INFO, logger="digitalesamt.requests")

    clerk_client.get(reverse("portal:dashboard"))

    record = request_lines(caplog)[-1]
    assert record.fields["user"] == user_hash(clerk.pk)
    assert str(clerk.pk) != record.fields["user"]
    assert clerk.username not in JsonFormatter().format(record)


def test_an_unknown_path_is_logged_without_the_path(client, caplog):
    caplog.set_level(logging.INFO, logger="digitalesamt.requests")

    client.get("/max.mustermann@example.org")

    [record] = request_lines(caplog)
    assert record.fields["status"] == 404
    assert "mustermann" not in JsonFormatter().format(record)


def test_a_finished_task_is_logged_with_outcome_and_duration(caplog):
    caplog.set_level(logging.INFO, logger="digitalesamt.tasks")

    send_mail_task.enqueue(subject="Betreff", body="Text", recipients=["a@example.org"])

    [record] = [r for r in caplog.records if r.name == "digitalesamt.tasks"]
    assert record.fields["task"] == "digitalesamt.lib.mail.send_mail_task"
    assert record.fields["outcome"] == "successful"
    assert record.fields["duration_ms"] >= 0
    assert "a@example.org" not in JsonFormatter().format(record)


# Metrics


@override_settings(METRICS_ENABLED=True)
def test_metrics_are_served_to_an_allowed_address_with_the_task_queue(client):
    send_mail_task.enqueue(subject="Betreff", body="Text", recipients=["a@example.org"])

    response = client.get("/metrics/", REMOTE_ADDR="127.0.0.1")

    assert response.status_code == 200
    text = response.content.decode()
    assert "digitalesamt_tasks_waiting" in text
    assert "digitalesamt_task_queue_oldest_seconds" in text
    assert "django_cache_get_total" in text


@pytest.mark.parametrize(
    "meta",
    [
        {"REMOTE_ADDR": "10.1.2.3"},
        # Through the proxy every request comes from 127.0.0.1: that is no allowed scraper.
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"},
    ],
)
@override_settings(METRICS_ENABLED=True)
def test_metrics_are_refused_to_any_other_address(client, meta):
    assert client.get("/metrics/", **meta).status_code == 404


def test_metrics_are_off_by_default(client):
    assert client.get("/metrics/", REMOTE_ADDR="127.0.0.1").status_code == 404


def same_kind_of_database(tmp_path) -> str:
    """A database of the suite's kind: a new SQLite file, or the PostgreSQL test database."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'metrics.sqlite3'}"
    config = connection.settings_dict
    user = f"{config['USER']}@" if config["USER"] else ""
    return f"postgres://{user}{config['HOST']}:{config['PORT']}/{config['NAME']}"


def test_enabled_metrics_measure_requests_database_and_cache(tmp_path):
    script = (
        "from django.core.management import call_command;"
        "call_command('createcachetable', verbosity=0);"
        "from django.conf import settings; from django.db import connection;"
        "from django.core.cache import cache; import prometheus_client;"
        "connection.cursor().execute('SELECT 1'); cache.get('x');"
        "text = prometheus_client.generate_latest().decode();"
        "print(settings.DATABASES['default']['ENGINE']);"
        "print(settings.CACHES['default']['BACKEND']);"
        "print(settings.MIDDLEWARE[0], settings.MIDDLEWARE[-1]);"
        "print('django_db_execute_total' in text, 'django_cache_get_total{backend=\"db\"}' in text)"
    )
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        script,
        env={
            **PRODUCTION_ENV,
            "METRICS_ENABLED": "true",
            "DATABASE_URL": same_kind_of_database(tmp_path),
        },
    )

    assert result.returncode == 0, result.stderr
    engine, cache_backend, middleware, measured = result.stdout.split("\n")[:4]
    assert (
        engine == f"django_prometheus.db.backends.{connection.vendor.replace('sqlite', 'sqlite3')}"
    )
    assert cache_backend == "digitalesamt.lib.metrics.DatabaseCache"
    assert middleware == (
        "django_prometheus.middleware.PrometheusBeforeMiddleware "
        "django_prometheus.middleware.PrometheusAfterMiddleware"
    )
    assert measured == "True True"


# Error reports


class Captured(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.events = []

    def capture_envelope(self, envelope):
        self.events.extend(item.payload.json for item in envelope.items if item.type == "event")


def test_error_reports_carry_no_personal_data(clerk):
    transport = Captured()
    sentry_sdk.init(
        dsn="https://key@errors.example.invalid/1",
        before_send=error_reports.scrub,
        transport=transport,
    )
    try:
        sentry_sdk.capture_event(
            {
                "message": "kaputt",
                "request": {
                    "url": "https://digitales-amt.bayern.de/?q=Erika",
                    "query_string": "q=Erika",
                    "cookies": {"sessionid": "geheim"},
                    "headers": {"Cookie": "sessionid=geheim", "User-Agent": "Firefox"},
                    "data": {"password": "geheim"},
                },
                "user": {"id": clerk.pk, "email": clerk.email},
            }
        )
        sentry_sdk.flush()
    finally:
        sentry_sdk.init(dsn=None)

    [event] = transport.events
    text = json.dumps(event)
    assert "kaputt" in text
    assert "geheim" not in text
    assert "Erika" not in text
    assert clerk.email not in text
    assert event["request"]["headers"] == {"User-Agent": "Firefox"}


def test_a_dsn_starts_error_reports_without_personal_data():
    script = (
        "import sentry_sdk; c = sentry_sdk.get_client();"
        "d = c.options['data_collection'];"
        "print(c.is_active(), d['user_info'], d['stack_frame_variables'], d['http_bodies'],"
        " c.options['before_send'].__name__, c.options['traces_sample_rate'])"
    )
    env = {**PRODUCTION_ENV, "SENTRY_DSN": "https://key@errors.example.invalid/1"}

    result = run_manage("shell", "--no-imports", "-c", script, env=env)

    assert result.stdout.strip() == "True False False [] scrub 0", result.stderr


def test_without_a_dsn_no_error_reports_are_set_up():
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        "import sentry_sdk; print(sentry_sdk.get_client().is_active())",
        env={**PRODUCTION_ENV, "SENTRY_DSN": ""},
    )

    assert result.stdout.strip() == "False", result.stderr
    assert os.environ.get("SENTRY_DSN", "") == ""
