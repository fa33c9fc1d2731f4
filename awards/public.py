"""The public list of holders and the public page of every Kommune."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from municipalities.models import Municipality

from .models import Award


def holder_list(request: HttpRequest) -> HttpResponse:
    """List the Kommunen that hold the title, newest first (replaced in issue 5)."""
    awards = Award.objects.valid().select_related("municipality").order_by("-issued_on", "-number")
    return render(
        request,
        "awards/home.html",
        {
            "awards": awards[:50],
            "award_total": awards.count(),
            "municipality_total": Municipality.objects.count(),
        },
    )


def municipality_detail(request: HttpRequest, ars: str) -> HttpResponse:
    raise Http404  # built in issue 5
