"""The project's middleware: 400 for characters nobody types, 429 for limits, two headers."""

from urllib.parse import urlencode

import pytest
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.urls import include, path

from digitalesamt.lib.middleware import (
    RateLimitMiddleware,
    RequestGuardMiddleware,
    SecurityHeadersMiddleware,
    cross_origin,
)
from digitalesamt.lib.ratelimit import Limit, Rate, RateLimited
from tests.helpers import main_text

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"


def echo(request, rest: str = ""):
    """Read the parameters, as every view does."""
    return HttpResponse(f"{rest}{dict(request.GET)}{dict(request.POST)}")


def refuse(request):
    raise RateLimited(
        Limit("test", "RATE_LIMIT_TEST", "Höchstens %(count)s je %(period)s."), Rate(3, 3600), 125
    )


@cross_origin
def shared(request):
    return HttpResponse("shared")


# The test views beside the project's, whose names the site's layout links.
urlpatterns = [
    path("echo/", echo),
    path("echo/<path:rest>", echo),
    path("refuse/", refuse),
    path("shared/", shared),
    path("", include("digitalesamt.urls")),
]


@pytest.fixture
def guarded(settings):
    settings.ROOT_URLCONF = __name__


@pytest.mark.parametrize(
    "url",
    ["/echo/%00/", "/echo/a%0Ab/", "/echo/%7F", "/echo/?q=a%00b", "/echo/?q=%01", "/echo/?%00=x"],
)
def test_control_characters_in_the_path_or_a_parameter_get_a_german_400(client, guarded, url):
    response = client.get(url)

    assert response.status_code == 400
    assert "Steuerzeichen" in main_text(response)
    assert "Anfrage nicht verständlich" in response.content.decode()


def test_a_lone_surrogate_in_the_query_string_gets_400(client, guarded):
    # No UTF-8 carries one; a WSGI server hands on what it was given.
    response = client.get("/echo/", QUERY_STRING="q=\udc80")

    assert response.status_code == 400


def test_a_control_character_in_a_form_gets_400_before_the_view(client, guarded):
    response = client.post("/echo/", urlencode({"message": "a\x00b"}), content_type=FORM)

    assert response.status_code == 400


@pytest.mark.parametrize("value", ["Zeile 1\r\nZeile 2", "Tab\tgetrennt", "Ümläut ß €"])
def test_lines_tabs_and_any_letter_pass(client, guarded, value):
    assert client.get("/echo/", {"q": value}).status_code == 200
    assert client.post("/echo/", urlencode({"m": value}), content_type=FORM).status_code == 200


def test_a_multipart_body_is_left_unread_for_the_view(guarded):
    # An upload view puts its size limit in place before the body is read.
    request = RequestFactory().post("/echo/", {"message": "a\x00b"})
    seen = []
    middleware = RequestGuardMiddleware(lambda request: seen.append(request) or HttpResponse())

    middleware(request)

    assert seen and "_post" not in request.__dict__


def test_a_multipart_body_read_by_the_csrf_check_is_checked_before_the_view(guarded):
    request = RequestFactory().post("/echo/", {"message": "a\x00b"})
    request.POST  # noqa: B018 - as CsrfViewMiddleware reads it
    middleware = RequestGuardMiddleware(lambda request: HttpResponse())

    response = middleware.process_view(request, echo, (), {})

    assert response.status_code == 400


def test_a_rate_limited_view_gets_the_german_429_page_with_retry_after(client, guarded):
    response = client.get("/refuse/")

    assert response.status_code == 429
    assert response["Retry-After"] == "125"
    text = main_text(response)
    assert "Zu viele Anfragen" in text
    assert "Höchstens 3 je Stunde." in text
    assert "Bitte versuchen Sie es in 3 Minuten erneut, ab" in text


def test_other_exceptions_pass_the_rate_limit_middleware(rf):
    assert RateLimitMiddleware(echo).process_exception(rf.get("/"), ValueError()) is None


def test_every_answer_says_which_features_and_origins_it_allows(client, guarded):
    response = client.get("/echo/")

    assert "camera=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


def test_a_view_meant_for_other_sites_says_cross_origin(client, guarded):
    assert client.get("/shared/")["Cross-Origin-Resource-Policy"] == "cross-origin"


@override_settings(PERMISSIONS_POLICY="", CROSS_ORIGIN_RESOURCE_POLICY="")
def test_empty_settings_send_neither_header(rf):
    response = SecurityHeadersMiddleware(echo)(rf.get("/"))

    assert "Permissions-Policy" not in response
    assert "Cross-Origin-Resource-Policy" not in response
