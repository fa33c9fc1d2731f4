"""What a cached `/` costs through the whole WSGI handler: one query, no health check.

The test client leaves out the signals that recycle connections between requests; here the
handler sends them as gunicorn's workers do, on a connection kept between requests.
"""

import io

import pytest
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections
from django.test.utils import CaptureQueriesContext

from digitalesamt.lib.cache import memory
from tests.factories import AwardFactory
from tests.helpers import QueryCount


def call(handler: WSGIHandler, path: str) -> tuple[str, bytes]:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
    }
    status = []
    body = handler(environ, lambda line, headers, exc_info=None: status.append(line))
    try:
        return status[0], b"".join(body)
    finally:
        body.close()  # request_finished, as a WSGI server sends it


def test_connections_are_not_health_checked_by_default(settings):
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is False
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] >= 0


@pytest.mark.django_db(transaction=True)
def test_a_cached_list_costs_one_query_and_no_health_check(monkeypatch):
    AwardFactory()
    cache.clear()
    memory.clear()
    connection = connections["default"]
    # Keep the connection between requests as production does (CONN_MAX_AGE=60).
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    connection.close()
    checks = []
    usable = type(connection).is_usable
    monkeypatch.setattr(
        type(connection), "is_usable", lambda self: checks.append(1) or usable(self)
    )
    handler = WSGIHandler()
    assert call(handler, "/")[0].startswith("200")  # renders and caches the page

    with CaptureQueriesContext(connection) as context:
        status, body = call(handler, "/")

    assert status.startswith("200")
    assert b"Digitale \xc3\x84mter in Bayern" in body
    assert len(QueryCount(context).own) == 1  # the data version: what the README promises
    assert len(QueryCount(context).cache) == 0
    assert checks == []
    cache.clear()
    memory.clear()
    connection.close()
