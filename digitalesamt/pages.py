"""Impressum, Datenschutz, Barrierefreiheit and Leichte Sprache: what a public site needs."""

from django.http import Http404, HttpRequest, HttpResponse


def imprint(request: HttpRequest) -> HttpResponse:
    raise Http404  # built in issue 5


def privacy(request: HttpRequest) -> HttpResponse:
    raise Http404  # built in issue 5


def accessibility(request: HttpRequest) -> HttpResponse:
    raise Http404  # built in issue 5


def easy_language(request: HttpRequest) -> HttpResponse:
    raise Http404  # built in issue 5
