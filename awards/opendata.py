"""Open data: every valid award as JSON, CSV and an Atom feed, with an OpenAPI description."""

from django.http import Http404, HttpRequest, HttpResponse


def overview(request: HttpRequest) -> HttpResponse:
    raise Http404  # built in issue 5


def awards_json(request: HttpRequest) -> HttpResponse:
    raise Http404  # built in issue 5


def awards_csv(request: HttpRequest) -> HttpResponse:
    raise Http404  # built in issue 5


def openapi(request: HttpRequest) -> HttpResponse:
    raise Http404  # built in issue 5


def awards_feed(request: HttpRequest) -> HttpResponse:
    raise Http404  # built in issue 5
