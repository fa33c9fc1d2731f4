"""HTTP caching: one conditional-response decorator for every page and document that has a version.

A view says what its answer depends on by a version function; `conditional` turns that into
ETag, Last-Modified and Cache-Control with Django's `condition()`, answers 304 while the
version is unchanged, and keeps the version on the request for the view (`request.version`)::

    @conditional(public_version, max_age=300)
    def holder_map(request): ...
"""

import datetime
import gzip
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import quote_etag
from django.views.decorators.http import condition

from .cache import versioned_bytes

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
    # Nothing is compressed for a visitor with a session (CompressionMiddleware's rule).
    if len(body) < COMPRESS_MIN_BYTES or not accepts_gzip(request) or not is_plain_visitor(request):
        return HttpResponse(body, content_type=content_type)

    def compress() -> bytes:
        return gzip.compress(body, compresslevel=6, mtime=0)

    response = HttpResponse(
        versioned_bytes(f"{key}:gzip", compress, timeout=timeout), content_type=content_type
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

        return wrapper

    return decorator
