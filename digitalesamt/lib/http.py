"""HTTP caching: one conditional-response decorator for every page and document that has a version.

A view says what its answer depends on by a version function; `conditional` turns that into
ETag, Last-Modified and Cache-Control with Django's `condition()`, answers 304 while the
version is unchanged, and keeps the version on the request for the view (`request.version`)::

    @conditional(public_version, max_age=300)
    def holder_map(request): ...

`shared_page` inside it keeps a public page's whole answer per version for every visitor
without a session, so that a busy page costs the version's query and no rendering.
"""

import datetime
import gzip
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse, QueryDict
from django.middleware.csp import get_nonce
from django.template.response import SimpleTemplateResponse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import quote_etag
from django.views.decorators.http import condition

from .cache import keep_bytes, kept_bytes, versioned_bytes

View = Callable[..., HttpResponse]


@dataclass(frozen=True)
class Version:
    """What an answer depends on: a token that changes with it, and when it last changed."""

    token: str
    last_modified: datetime.datetime | None = None

    def combine(self, *parts: object) -> "Version":
        """Return a version that also changes with `parts` (a format, a parameter)."""
        return Version("|".join([self.token, *map(str, parts)]), self.last_modified)


def digest(text: str, length: int = 32) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def time_bucket(seconds: int, *, now: datetime.datetime) -> Version:
    """Return a version that changes every `seconds`: for figures too costly to version exactly."""
    bucket = int(now.timestamp()) // seconds
    started = datetime.datetime.fromtimestamp(bucket * seconds, tz=datetime.UTC)
    return Version(str(bucket), started)


def newest(*versions: Version) -> Version:
    """Return a version that changes when any of `versions` does."""
    times = [version.last_modified for version in versions if version.last_modified]
    return Version("|".join(version.token for version in versions), max(times, default=None))


# Below this many bytes compression saves less than its header costs (GZipMiddleware's limit).
COMPRESS_MIN_BYTES = 200


def accepts_gzip(request: HttpRequest) -> bool:
    return "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", "").lower()


def versioned_response(
    request: HttpRequest,
    key: str,
    build: Callable[[], bytes],
    *,
    timeout: int,
    content_type: str | None = None,
) -> HttpResponse:
    """Answer with a body built once per version (digitalesamt.lib.cache), gzipped once too.

    A client that accepts gzip gets the compressed copy kept beside the plain one, so a cached
    page costs no compression per request; the answer says it varies on Accept-Encoding.
    Only for bodies that are the same for everybody and hold no secret (the key says so), and
    only for a visitor without a session, as CompressionMiddleware decides for other answers.
    """
    body = versioned_bytes(key, build, timeout=timeout)
    return _kept_response(request, key, body, timeout=timeout, content_type=content_type)


def _kept_response(
    request: HttpRequest,
    key: str,
    body: bytes,
    *,
    timeout: int,
    content_type: str | None,
    status: int = 200,
) -> HttpResponse:
    """Answer with a kept body, or its gzipped copy (kept under `key` + ":gzip") if accepted."""
    # Nothing is compressed for a visitor with a session (CompressionMiddleware's rule).
    if len(body) < COMPRESS_MIN_BYTES or not accepts_gzip(request) or not is_plain_visitor(request):
        return HttpResponse(body, content_type=content_type, status=status)

    def compress() -> bytes:
        return gzip.compress(body, compresslevel=6, mtime=0)

    response = HttpResponse(
        versioned_bytes(f"{key}:gzip", compress, timeout=timeout),
        content_type=content_type,
        status=status,
    )
    response["Content-Encoding"] = "gzip"
    patch_vary_headers(response, ("Accept-Encoding",))
    return response


def is_plain_visitor(request: HttpRequest) -> bool:
    """Tell whether a page's header is the same for this visitor as for anybody.

    Without a session cookie nobody is logged in and no message waits in the session; without
    the messages cookie none waits there either.
    """
    return not any(
        request.COOKIES.get(name)
        for name in (settings.SESSION_COOKIE_NAME, CookieStorage.cookie_name)
    )


def conditional(
    version: Callable[..., Version | None], *, max_age: int, per_visitor: bool = True
) -> Callable[[View], View]:
    """Serve a view with ETag, Last-Modified and Cache-Control; answer 304 while unchanged.

    `version(request, *args, **kwargs)` runs once per request; None means the answer has no
    version (an unknown object), so the view answers as it would without this decorator.
    The token of an answer that is the same for everybody is its strong ETag as it stands.
    With `per_visitor` the page carries the site's header (language switch, signed-in user,
    messages): the ETag is weak and covers the language and the user, caches vary on Cookie
    and Accept-Language, and the copy of a visitor with a session or a message stays in their
    browser. Without it (open data, documents) the answer is the same for everybody, byte for
    byte, and any cache may keep it.
    """

    def version_of(request: HttpRequest, *args: Any, **kwargs: Any) -> Version | None:
        if not hasattr(request, "version"):
            request.version = version(request, *args, **kwargs)
        return request.version

    def etag(request: HttpRequest, *args: Any, **kwargs: Any) -> str | None:
        current = version_of(request, *args, **kwargs)
        if current is None:
            return None
        if not per_visitor:
            return quote_etag(current.token)
        user = request.user.pk if request.user.is_authenticated else "-"
        return "W/" + quote_etag(digest(f"{current.token}|{translation.get_language()}|{user}"))

    def last_modified(request: HttpRequest, *args: Any, **kwargs: Any):
        current = version_of(request, *args, **kwargs)
        return current.last_modified if current is not None else None

    def decorator(view: View) -> View:
        conditioned = condition(etag_func=etag, last_modified_func=last_modified)(view)

        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = conditioned(request, *args, **kwargs)
            if response.status_code >= 400:
                # An error answers for no version: nothing to revalidate against.
                del response["ETag"]
                del response["Last-Modified"]
            if response.status_code >= 500 or response.has_header("Retry-After"):
                return response  # a passing failure or "not ready yet" must not be kept
            private = per_visitor and not is_plain_visitor(request)
            patch_cache_control(response, **{"private" if private else "public": True})
            patch_cache_control(response, max_age=max_age)
            if per_visitor:
                patch_vary_headers(response, ("Cookie", "Accept-Language"))
            return response

        # For SharedPageMiddleware: the version of a `shared_page` inside (wraps copies its mark).
        wrapper.page_version = version
        return wrapper

    return decorator


@dataclass(frozen=True)
class SharedPage:
    """What `shared_page` declares of a view; SharedPageMiddleware reads it from the URL's view."""

    prefix: str
    timeout: int
    when: Callable[..., bool] | None
    parameters: Callable[[HttpRequest], str] | None
    statuses: tuple[int, ...]

    def query(self, request: HttpRequest) -> str:
        return self.parameters(request) if self.parameters else ""


def shared_page(
    prefix: str,
    *,
    timeout: int,
    when: Callable[..., bool] | None = None,
    parameters: Callable[[HttpRequest], str] | None = None,
    statuses: tuple[int, ...] = (200,),
) -> Callable[[View], View]:
    """Keep a page's whole answer once per version for every visitor without a session.

    Goes inside `conditional` (it reads `request.version`)::

        @conditional(municipality_version, max_age=LIVE_MAX_AGE)
        @shared_page("public:municipality", timeout=LIVE_MAX_AGE)
        def municipality_detail(request, ars): ...

    For a plain visitor (`is_plain_visitor`) the body, its status and its content type are kept
    (digitalesamt.lib.cache: shared cache, this process's memory and a gzipped copy) under the
    version's token, the language and `request.path`; the view's arguments (an ARS, a slug)
    are in the path. The query string is not: the view renders the kept copy from a request
    without one, so no `next` of the language switch or tracking parameter ends up in it and
    `?fbclid=…` is the same entry. A view that reads parameters names the ones it uses by
    `parameters(request)`, a normalised query string: it is part of the key and all the view
    sees. Anyone else (signed in, a message waiting), a view without a version (an unknown
    object) and a request `when(request, *args, **kwargs)` declines get the view as it is.

    Kept are only answers of `statuses` that are the same for anybody: not streamed, setting
    no cookie and no header of their own, with no CSRF token (which renews the CSRF cookie),
    no CSP nonce, no signed-in user and no message; any other is returned as rendered. A kept
    answer marks the request (`shared_page_kept`): SharedPageMiddleware may then keep the whole
    answer the stack made of it, so that the next one skips the stack too.
    """
    spec = SharedPage(prefix, timeout, when, parameters, statuses)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            version = getattr(request, "version", None)
            if (
                version is None
                or not is_plain_visitor(request)
                or (when is not None and not when(request, *args, **kwargs))
            ):
                return view(request, *args, **kwargs)
            query = spec.query(request)
            named = f"{version.token}|{translation.get_language()}|{request.path}|{query}"
            key = f"{prefix}:page:{digest(named, 64)}"
            entry = kept_bytes(key, timeout=timeout)
            if entry is None:
                response = _render_with_query(view, request, query, args, kwargs)
                if not _keepable(request, response, statuses):
                    return response
                entry = f"{response.status_code} {response['Content-Type']}\n".encode()
                entry += response.content
                keep_bytes(key, entry, timeout=timeout)
            head, _newline, body = entry.partition(b"\n")
            status, _space, content_type = head.decode().partition(" ")
            request.shared_page_kept = True
            return _kept_response(
                request, key, body, timeout=timeout, content_type=content_type, status=int(status)
            )

        wrapper.shared_page = spec
        return wrapper

    return decorator


def shared_answer(prefix: str, *, timeout: int) -> Callable[[View], View]:
    """Mark a view whose every answer is the same for everybody, whatever the query string.

    For bodies built once per version with `versioned_response` (open data), inside
    `conditional(..., per_visitor=False)`: SharedPageMiddleware may keep the whole answer, as
    it does a `shared_page`'s, under the version, the path and the client's gzip.
    """
    spec = SharedPage(prefix, timeout, None, None, (200,))

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = view(request, *args, **kwargs)
            request.shared_page_kept = True
            return response

        wrapper.shared_page = spec
        return wrapper

    return decorator


def _render_with_query(
    view: View, request: HttpRequest, query: str, args: tuple, kwargs: dict
) -> HttpResponse:
    """Render `view` for a request whose query string is `query` alone, then restore it."""
    original_get, original_query = request.GET, request.META.get("QUERY_STRING")
    request.GET = QueryDict(query)
    request.META["QUERY_STRING"] = query
    try:
        response = view(request, *args, **kwargs)
        if isinstance(response, SimpleTemplateResponse):
            response.render()  # while the request has the query string the key names
        return response
    finally:
        request.GET = original_get
        if original_query is None:
            del request.META["QUERY_STRING"]
        else:
            request.META["QUERY_STRING"] = original_query


# Headers a kept answer may carry: the content type is kept with it; anything else is refused.
KEPT_HEADERS = frozenset({"content-type"})


def _keepable(request: HttpRequest, response: HttpResponse, statuses: tuple[int, ...]) -> bool:
    """Tell whether an answer is the same for anybody, so that it may be kept for everybody."""
    if response.streaming or response.status_code not in statuses:
        return False
    if response.cookies or {name.lower() for name in response.headers} - KEPT_HEADERS:
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False  # the body holds a CSRF token (get_token asks for the cookie)
    if get_nonce(request):
        return False  # the body names this request's CSP nonce
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    return not len(get_messages(request))
