"""Login throttling with django-axes: the backend, the client's address and the lockout page."""

import datetime
import math

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check, skipped for authenticate() calls without a request.

    Every login form (ours, the admin's) passes the request, so every login over HTTP is
    checked. Code that calls authenticate() directly (tests, `client.login()`, a shell) has no
    client address to throttle by; plain axes would raise there instead of authenticating.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: object,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """Answer a login django-axes refused with the German lockout page (HTTP 429)."""
    cool_off = get_cool_off(request) or datetime.timedelta(0)
    return render(
        request,
        "accounts/locked_out.html",
        {"cooloff_minutes": math.ceil(cool_off.total_seconds() / 60)},
        status=429,
    )


def client_ip(request: HttpRequest) -> str | None:
    """Return the client's address for django-axes, behind TRUSTED_PROXY_COUNT proxies."""
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        forwarded = [
            address.strip()
            for address in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if address.strip()
        ]
        # Each trusted proxy appends the address it saw; anything further left is the
        # client's to invent, so the address the outermost trusted proxy saw is the one.
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR")
