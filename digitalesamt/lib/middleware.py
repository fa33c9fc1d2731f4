"""The project's middleware: input no form could mean, limits crossed, and two security headers.

- `RequestGuardMiddleware` answers 400 with a German page for a NUL, a control character or a
  lone surrogate in the path or in any parameter, before a view, a query or a log line sees it
  (PostgreSQL refuses NUL in text; nothing a person types contains one).
- `RateLimitMiddleware` answers a `RateLimited` from any view with the German 429 page and
  `Retry-After`.
- `SecurityHeadersMiddleware` adds `Permissions-Policy` and `Cross-Origin-Resource-Policy`
  (same-origin, unless a view marked its answer `cross_origin`: open data, the signet).
- `CompressionMiddleware` gzips HTML, JSON, CSV, SVG and Atom for clients that accept it,
  except answers that may carry a secret (BREACH): see its docstring.
"""

import re
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.middleware.gzip import GZipMiddleware
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from .ratelimit import RateLimited

View = Callable[..., HttpResponse]

# In a path nothing below a space belongs; in a value tab, line feed and carriage return do
# (a textarea's lines). DEL and lone surrogates (which no UTF-8 can carry) never.
PATH_REFUSED = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
VALUE_REFUSED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
MULTIPART = "multipart/form-data"
PATH_REFUSED_MESSAGE = gettext_lazy(
    "Die Adresse enthält ein Steuerzeichen oder ein ungültiges Zeichen."
)
FIELD_REFUSED = gettext_lazy(
    "Ein Feld oder ein Parameter enthält ein Steuerzeichen oder ein ungültiges Zeichen."
)


def _refused(values: QueryDict) -> bool:
    return any(
        VALUE_REFUSED.search(text) for key, items in values.lists() for text in (key, *items)
    )


def bad_input(request: HttpRequest, message: str | Promise) -> HttpResponse:
    # The page's language switch returns to this address: not with what was refused in it.
    request.META["QUERY_STRING"] = ""
    return render(request, "400.html", {"message": message}, status=400)


class RequestGuardMiddleware:
    """Refuse a request whose path or parameters hold characters no person can have typed.

    A form's body is read here unless it is multipart: an upload view must be able to put its
    size limit in place before the body is read (digitalesamt.lib.uploads), so a multipart
    body is checked once something before the view (the CSRF check) has read it anyway.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if PATH_REFUSED.search(request.path_info):
            return bad_input(request, PATH_REFUSED_MESSAGE)
        try:
            refused = _refused(request.GET) or (
                request.method == "POST"
                and request.content_type != MULTIPART
                and _refused(request.POST)
            )
        except UnicodeError:  # a query string no WSGI server would pass on
            refused = True
        if refused:
            return bad_input(request, FIELD_REFUSED)
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: View, args: Iterable[Any], kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        already_read = "_post" in request.__dict__
        if request.content_type == MULTIPART and already_read and _refused(request.POST):
            return bad_input(request, FIELD_REFUSED)
        return None


class RateLimitMiddleware:
    """Answer a use beyond its limit with the German 429 page: what, the limit, and when."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, RateLimited):
            return None
        return too_many_requests(request, exception)


def too_many_requests(
    request: HttpRequest,
    refusal: RateLimited,
    template_name: str = "429.html",
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """Render the answer to a refused use (a page of its own, or a form kept with its input)."""
    response = render(request, template_name, {**(context or {}), "refusal": refusal}, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response


def cross_origin(view: View) -> View:
    """Let pages of other sites embed this view's answers (the signet) or read them (open data).

    Outermost, so that a 304 that the view never sees carries the header too.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Cross-Origin-Resource-Policy"] = "cross-origin"
        return response

    return wrapper


class SecurityHeadersMiddleware:
    """Add the headers Django's SecurityMiddleware has no setting for."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if settings.CROSS_ORIGIN_RESOURCE_POLICY:
            response.headers.setdefault(
                "Cross-Origin-Resource-Policy", settings.CROSS_ORIGIN_RESOURCE_POLICY
            )
        return response


# What is worth compressing and served by views; static files come compressed from WhiteNoise,
# PDFs and PNGs are compressed already.
COMPRESSED_TYPES = frozenset(
    {
        "text/html",
        "text/plain",
        "text/csv",
        "application/json",
        "application/atom+xml",
        "application/xml",
        "image/svg+xml",
    }
)


def carries_no_secret(request: HttpRequest, response: HttpResponse) -> bool:
    """Tell whether an answer is safe to compress although it reflects what a request sent.

    BREACH reads a secret out of a compressed body by the length of answers to requests that
    put guesses into the same body. The public pages hold none: no CSRF token, no session, no
    cookie. An answer that sets a cookie (the CSRF cookie is renewed whenever a page uses the
    token, the session's, the messages') or is made for a visitor with a session (portal,
    account, admin: recovery codes, tokens, a user's data) is sent as it is.
    """
    if response.cookies or request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False
    return not request.COOKIES.get(settings.SESSION_COOKIE_NAME)


class CompressionMiddleware(GZipMiddleware):
    """Django's GZipMiddleware for text answers that carry no secret (`carries_no_secret`).

    Every answer it may compress varies on Accept-Encoding, so caches keep the two encodings
    apart. GZipMiddleware makes a strong ETag weak when it compresses; `conditional`
    compares If-None-Match weakly, so the weak ETag a browser sends back still gets a 304.
    """

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        etag = response.get("ETag", "")
        if response.get("Content-Encoding") == "gzip" and etag.startswith('"'):
            # Compressed by the view (digitalesamt.lib.http.versioned_response): another
            # representation than the plain one, so its ETag is weak, as GZipMiddleware's.
            response["ETag"] = f"W/{etag}"
        media_type = response.get("Content-Type", "").partition(";")[0].strip().lower()
        if media_type in COMPRESSED_TYPES and carries_no_secret(request, response):
            return super().process_response(request, response)
        return response
