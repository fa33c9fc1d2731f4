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
- `SharedPageMiddleware` answers a visitor without a session from this process's copy of a
  `shared_page`'s whole answer, before sessions, language, CSRF and user: see its docstring.
"""

import re
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.middleware.gzip import GZipMiddleware
from django.shortcuts import render
from django.urls import Resolver404, ResolverMatch, resolve
from django.utils import translation
from django.utils.cache import get_conditional_response
from django.utils.functional import Promise
from django.utils.http import parse_http_date_safe
from django.utils.translation import gettext_lazy

from .cache import keep_process_value, kept_process_value
from .http import SharedPage, accepts_gzip, digest, is_plain_visitor
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


def refuses_query(request: HttpRequest) -> bool:
    """Tell whether RequestGuardMiddleware refuses this request's path or query string."""
    try:
        return bool(PATH_REFUSED.search(request.path_info)) or _refused(request.GET)
    except UnicodeError:  # a query string no WSGI server would pass on
        return True


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
            refused = refuses_query(request) or (
                request.method == "POST"
                and request.content_type != MULTIPART
                and _refused(request.POST)
            )
        except UnicodeError:  # a form body no browser would send
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


# Paths resolved by SharedPageMiddleware, with their match or None; emptied when full.
RESOLVED_PATHS_KEPT = 2048
NOT_RESOLVED = object()
# What describes a body, which a 304 has none of.
BODY_HEADERS = frozenset({"content-type", "content-length", "content-encoding"})
# CSP overrides a view sets on its answer (django.views.decorators.csp), kept with it.
CSP_ATTRIBUTES = ("_csp_config", "_csp_ro_config")


class SharedPageMiddleware:
    """Answer a plain visitor's GET of a `shared_page` from this process's copy of the whole answer.

    Sessions, language, CSRF, user, second factor and the rest of the stack add nothing to a page
    that is the same for everybody, yet they cost as much as the rest of a kept page. So the
    first plain GET of a page's version goes through the stack as ever; if `shared_page` kept
    its answer, the final answer (status, headers, the view's CSP override, body) is kept in
    this process's memory (digitalesamt.lib.cache) under the version's token, the language
    LocaleMiddleware would choose, the path, the view's normalised parameters and whether the
    client takes gzip. The next one costs the version's query and nothing else: 200 from
    memory, or 304. A new version is a new key. For SHARED_PAGE_RECHECK_SECONDS after an answer
    the process does not even ask for the version (the query is as dear as the rest of the
    answer, on PostgreSQL more): a decision shows on it that much later, well within the
    max-age every cache is told.

    Right after StoredDocumentMiddleware; the outer middleware still applies. Anybody with a
    session or a message, a HEAD, a path with no `shared_page` and whatever RequestGuard-
    Middleware refuses go down the stack. Decorators outside `conditional` must answer every
    plain GET alike (require_safe, csp_override, cross_origin do): a kept answer skips them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.resolved: dict[str, ResolverMatch | None] = {}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "GET" or not is_plain_visitor(request):
            return self.get_response(request)
        match = self._match(request.path_info)
        if match is None or refuses_query(request):
            return self.get_response(request)
        request.get_host()  # a Host not in ALLOWED_HOSTS gets its 400, as CommonMiddleware gives it
        spec: SharedPage = match.func.shared_page
        language = translation.get_language_from_request(request)
        with translation.override(language):
            try:
                if spec.when is None or spec.when(request, *match.args, **match.kwargs):
                    asked = self._asked(request, spec, language)
                    recent = f"{spec.prefix}:recent:{digest(asked, 64)}"
                    found = kept_process_value(recent)
                    key = found or self._key(request, match, spec, asked)
                else:
                    key = None
            except Exception:  # noqa: BLE001 - the view answers it (a 404, the database away)
                key = None
        if key is None:
            return self.get_response(request)
        kept = kept_process_value(key)
        if kept is not None:
            if found is None:  # the version was asked: not again for SHARED_PAGE_RECHECK_SECONDS
                keep_process_value(recent, key, timeout=settings.SHARED_PAGE_RECHECK_SECONDS)
        else:
            response = self.get_response(request)
            entry = self._entry(request, response, spec)
            if entry is not None:
                keep_process_value(key, entry, timeout=spec.timeout)
            return response
        request.resolver_match = match  # for the request log's route and view
        return self._answer(request, *kept)

    def _match(self, path: str) -> ResolverMatch | None:
        # One look-up per step, so that another thread emptying the memo cannot fail this one.
        found = self.resolved.get(path, NOT_RESOLVED)
        if found is not NOT_RESOLVED:
            return found
        if len(self.resolved) >= RESOLVED_PATHS_KEPT:
            self.resolved.clear()
        try:
            match = resolve(path)
        except Resolver404:
            match = None
        shared = match is not None and hasattr(match.func, "shared_page")
        found = match if shared and hasattr(match.func, "page_version") else None
        self.resolved[path] = found
        return found

    @staticmethod
    def _asked(request: HttpRequest, spec: SharedPage, language: str) -> str:
        """Name what a request asks for, but for the version.

        With Accept, which a version may read (the verification page's JSON) and which the
        answer varies on; anything else a version reads is in the path or the parameters.
        """
        return "|".join(
            (
                language,
                request.path,
                spec.query(request),
                str(accepts_gzip(request)),
                request.META.get("HTTP_ACCEPT", ""),
            )
        )

    @staticmethod
    def _key(
        request: HttpRequest, match: ResolverMatch, spec: SharedPage, asked: str
    ) -> str | None:
        version = match.func.page_version(request, *match.args, **match.kwargs)
        if version is None:
            return None
        request.version = version  # the view's `conditional` asks no second time
        return f"{spec.prefix}:answer:{digest(f'{version.token}|{asked}', 64)}"

    @staticmethod
    def _entry(request: HttpRequest, response: HttpResponse, spec: SharedPage) -> tuple | None:
        if (
            not getattr(request, "shared_page_kept", False)
            or response.streaming
            or response.cookies
            or response.status_code not in spec.statuses
            or not is_plain_visitor(request)
        ):
            return None
        overrides = {
            name: getattr(response, name) for name in CSP_ATTRIBUTES if hasattr(response, name)
        }
        return response.status_code, dict(response.items()), overrides, response.content

    @staticmethod
    def _answer(
        request: HttpRequest, status: int, headers: dict, overrides: dict, body: bytes
    ) -> HttpResponse:
        response = HttpResponse(body, status=status, headers=headers)
        for name, value in overrides.items():
            setattr(response, name, value)
        modified = headers.get("Last-Modified")
        response = get_conditional_response(
            request,
            etag=headers.get("ETag"),
            last_modified=parse_http_date_safe(modified) if modified else None,
            response=response,
        )
        if response.status_code == 304:  # with the answer's headers, as the view's 304 has
            for name, value in headers.items():
                if name.lower() not in BODY_HEADERS:
                    response.headers.setdefault(name, value)
        return response
