from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from municipalities.models import Municipality

from .models import Award


def home(request: HttpRequest) -> HttpResponse:
    """List the Kommunen that hold the title, newest first."""
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
