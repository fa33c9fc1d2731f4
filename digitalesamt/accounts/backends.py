"""Login throttling: the rate limit per address, django-axes' lockout, the client's address."""

import datetime
import ipaddress
import math

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from digitalesamt.lib.ratelimit import Limit, address_key

TOO_MANY_LOGINS = _(
    "Von Ihrem Internetanschluss kamen zu viele Anmeldeversuche: höchstens %(count)s je "
    "%(period)s, gleich mit welchem Benutzernamen."
)
LOGINS_PER_ADDRESS = Limit("login-address", "RATE_LIMIT_LOGIN_PER_ADDRESS", TOO_MANY_LOGINS)
# The same in a short window: each attempt costs a password hash (0.7 s of a worker), so a
# burst from one address must not hold the workers even before the longer limit is reached.
LOGIN_BURST_PER_ADDRESS = Limit(
    "login-address-burst", "RATE_LIMIT_LOGIN_BURST_PER_ADDRESS", TOO_MANY_LOGINS
)


class LoginThrottleBackend(AxesStandaloneBackend):
    """The rate limit per address and django-axes' lockout, before any password is hashed.

    Every login form (ours, the admin's) passes the request, so every login over HTTP is
    counted and checked. The limit counts attempts from one address whatever the username,
    which axes' lockout (per username and address) does not: spraying usernames would cost a
    password hash each. A refused attempt raises RateLimited, which authenticate() lets through
    to the middleware's 429 page: no failure is recorded for it and no hash computed.

    Code that calls authenticate() directly (tests, `client.login()`, a shell) has no client
    address to throttle by; plain axes would raise there instead of authenticating.
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
        address = address_key(client_ip(request))
        LOGIN_BURST_PER_ADDRESS.hit(address)
        LOGINS_PER_ADDRESS.hit(address)
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


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _trusted_proxy(address: str) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    for network in settings.TRUSTED_PROXY_ADDRESSES:
        try:
            if parsed in ipaddress.ip_network(network.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


def client_ip(request: HttpRequest) -> str | None:
    """Return the client's address behind TRUSTED_PROXY_COUNT proxies at TRUSTED_PROXY_ADDRESSES.

    Each proxy appends the address it saw to X-Forwarded-For; anything further left is the
    client's to invent. So the header counts only if the request came from a trusted proxy and
    each proxy between it and the outermost one is trusted too; then the client is the address
    the outermost proxy saw. Otherwise, or if that is no address, it is the socket's.
    """
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0 or not remote or not _trusted_proxy(remote):
        return remote
    forwarded = [
        address.strip()
        for address in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if address.strip()
    ]
    if len(forwarded) < count:
        return remote
    inner_proxies = forwarded[len(forwarded) - count + 1 :]
    client = forwarded[-count]
    if all(_trusted_proxy(proxy) for proxy in inner_proxies) and _is_address(client):
        return client
    return remote


USERNAME_MAX_LENGTH = AccessAttempt._meta.get_field("username").max_length


def attempted_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """Return the username axes records for an attempt, cut to the length its column takes."""
    if credentials is not None:
        username = credentials.get(settings.AXES_USERNAME_FORM_FIELD)
    else:
        username = request.POST.get(settings.AXES_USERNAME_FORM_FIELD)
    return username[:USERNAME_MAX_LENGTH] if isinstance(username, str) else username
