"""Unsubscribing from the ministry's threshold reminders through the link in the mail.

GET shows what stops and a button; it changes nothing (mail scanners follow links). POST (the
button, or a mail client's one-click POST of RFC 8058 with the body
`List-Unsubscribe=One-Click`) records the opt-out and offers to undo it. The signed link is the
only credential: CSRF-exempt (a mail client posts without a cookie), idempotent, and only
ever for the address it was made for. Never cached: the page names an address.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from awards import unsubscribe

# The undo button's field; anything else that is posted unsubscribes.
RESUBSCRIBE = "wieder-erhalten"


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def reminder_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    address = unsubscribe.read_token(token)
    if address is None:
        context = {"contact_email": settings.DEFAULT_FROM_EMAIL}
        return render(request, "public/unsubscribe_invalid.html", context, status=404)
    if request.method == "POST":
        if RESUBSCRIBE in request.POST:
            unsubscribe.opt_in(address)
            state = "resubscribed"
        else:
            unsubscribe.opt_out(address)
            state = "unsubscribed"
    else:
        state = "unsubscribed" if unsubscribe.is_opted_out(address) else "ask"
    context = {"address": address, "state": state, "resubscribe": RESUBSCRIBE}
    response = render(request, "public/unsubscribe.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response
