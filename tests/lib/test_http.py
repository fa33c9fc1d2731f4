"""The one conditional-response decorator: validators, 304, and who may keep a copy."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import translation
from django.utils.http import http_date

from digitalesamt.lib.http import Version, conditional, newest, time_bucket

CHANGED = datetime.datetime(2026, 11, 21, 9, 30, tzinfo=datetime.UTC)
calls = []


def version(request, **kwargs):
    calls.append(request.path)
    return Version("awards-7", CHANGED)


@conditional(version, max_age=300)
def page(request, status=200):
    return HttpResponse(f"page for {request.version.token}", status=status)


@conditional(version, max_age=3600, per_visitor=False)
def document(request):
    return HttpResponse(b"same bytes for everybody")


@pytest.fixture
def get():
    factory = RequestFactory()

    def get(path="/", user=None, **headers):
        request = factory.get(path, headers=headers)
        request.user = user or AnonymousUser()
        return request

    calls.clear()
    return get


def test_a_page_sends_a_weak_etag_last_modified_and_public_cache_control(get):
    response = page(get())

    assert response["ETag"].startswith('W/"')
    assert response["Last-Modified"] == http_date(CHANGED.timestamp())
    assert response["Cache-Control"] == "public, max-age=300"
    assert "Cookie" in response["Vary"] and "Accept-Language" in response["Vary"]
    assert response.content == b"page for awards-7"
    assert calls == ["/"]  # the version is read once, for the validators and the view


def test_an_unchanged_page_answers_304_with_the_same_headers(get):
    first = page(get())

    again = page(get(if_none_match=first["ETag"]))

    assert again.status_code == 304
    assert again["Cache-Control"] == "public, max-age=300"


def test_a_visitor_with_a_session_or_a_message_gets_a_private_copy(get):
    for cookie in ("sessionid=abc", "messages=xyz"):
        response = page(get(cookie=cookie))

        assert response["Cache-Control"] == "private, max-age=300"


def test_the_etag_differs_by_language(get):
    german = page(get(accept_language="de"))["ETag"]

    with translation.override("en"):
        english = page(get())["ETag"]

    assert german != english


def test_a_document_has_its_token_as_a_strong_etag_and_no_vary(get):
    response = document(get())

    assert response["ETag"] == '"awards-7"'
    assert response["Cache-Control"] == "public, max-age=3600"
    assert not response.has_header("Vary")


def test_an_error_has_no_validators_and_a_failure_no_cache_control(get):
    missing = page(get(), status=404)
    failed = page(get(), status=503)

    assert not missing.has_header("ETag") and not missing.has_header("Last-Modified")
    assert not failed.has_header("ETag") and not failed.has_header("Cache-Control")


def test_a_time_bucket_changes_once_per_period_and_newest_takes_the_latest_time():
    start = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)

    same = time_bucket(300, now=start + datetime.timedelta(seconds=299))
    later = time_bucket(300, now=start + datetime.timedelta(seconds=300))

    assert time_bucket(300, now=start) == same
    assert later.token != same.token
    assert newest(Version("a", CHANGED), later).last_modified == later.last_modified
