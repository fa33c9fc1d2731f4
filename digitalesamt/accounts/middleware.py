"""Hold a signed-in session at the second step until a second factor has verified it."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from . import second_factor

# What a session waiting for its second factor may reach: the second step itself, the passkey
# check it offers, signing out and the language switch.
SECOND_STEP_VIEWS = frozenset(
    {
        "account:second_factor",
        "account:second_factor_recovery",
        "account:second_factor_setup",
        "account:second_factor_codes",
        "account:logout",
        "admin:logout",
        "otp_webauthn:credential-authentication-begin",
        "otp_webauthn:credential-authentication-complete",
        "set_language",
    }
)
# Views that never read the user: they must not load the session for the hold (the liveness
# check stays a no-query answer, a signed-in browser's stray /favicon.ico too).
USERLESS_VIEWS = frozenset({"health", "health_ready", "metrics", "favicon"})
# With new recovery codes on screen, only the page that shows them (and signing out).
CODES_VIEWS = frozenset(
    {"account:second_factor_codes", "account:logout", "admin:logout", "set_language"}
)


class SecondFactorMiddleware:
    """Send staff (and clerks with a device) who have only given their password to the second
    step, whatever they ask for and however they signed in (the login form, an invitation link,
    a session from before); and whoever was just shown new recovery codes back to them until
    they confirm they saved them.

    Costs no query: whether a clerk needs the step was noted in the session at login.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        view_name = request.resolver_match.view_name if request.resolver_match else ""
        if view_name in USERLESS_VIEWS or not request.user.is_authenticated:
            return None
        if second_factor.NEW_CODES_SESSION_KEY in request.session:
            if view_name in CODES_VIEWS:
                return None
            return HttpResponseRedirect(reverse("account:second_factor_codes"))
        if view_name in SECOND_STEP_VIEWS:
            return None
        if request.user.is_verified() or not second_factor.is_required(request):
            return None
        query = urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})
        return HttpResponseRedirect(f"{reverse('account:second_factor')}?{query}")
