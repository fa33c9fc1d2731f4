"""What several portal pages share."""

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from awards.models import Application
from municipalities.models import Municipality


def review_notice(municipality: Municipality) -> Application | None:
    """Return the Kommune's application while the ministry holds its frozen evidence."""
    return (
        Application.objects.filter(municipality=municipality)
        .awaiting_review()
        .order_by("-created_at")
        .first()
    )


def isolated(text: str) -> str:
    """Wrap a user's text in Unicode isolates (FSI … PDI) for a message that quotes it.

    A message is plain text, so <bdi> cannot do it: right-to-left characters in a title would
    otherwise reorder the words of the message around it.
    """
    return f"\u2068{text}\u2069"


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) and target.startswith(reverse("portal:procedures")):
        return target
    return default
