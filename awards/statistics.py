"""The map of holders and the statistics, drawn on the server as SVG."""

from django.http import Http404, HttpRequest, HttpResponse


def holder_map(request: HttpRequest) -> HttpResponse:
    raise Http404  # built in issue 5


def statistics(request: HttpRequest) -> HttpResponse:
    raise Http404  # built in issue 5
