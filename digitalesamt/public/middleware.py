"""Stored documents answered before the rest of the stack, the way WhiteNoise answers static files.

A plaque or signet this process has looked up (digitalesamt.public.views.documents keeps the
lookup for DOCUMENT_LOOKUP_SECONDS) needs no session, language, CSRF check or user: right after
WhiteNoise, this middleware answers it with the file (or nginx's X-Accel-Redirect) or a 304 and
the view's headers. Everything else, a first request for a document too, goes on to the view.
The outer middleware (security headers, CSP, compression, the request log) still applies.
"""

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .views.documents import kept_response

PATH = re.compile(r"/auszeichnungen/([^/]{1,40})/(schild\.pdf|signet\.(?:png|svg|pdf))")


class StoredDocumentMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("GET", "HEAD"):
            match = PATH.fullmatch(request.path_info)
            if match:
                request.get_host()  # a Host not in ALLOWED_HOSTS gets its 400 here too
                try:
                    response = kept_response(request, *match.groups())
                except UnicodeError:  # a query string no WSGI server would pass on:
                    response = None  # RequestGuardMiddleware answers it with 400
                if response is not None:
                    return response
        return self.get_response(request)
