"""Impressum, Datenschutz, Barrierefreiheit and Leichte Sprache: what a public site needs."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from digitalesamt.accounts.backends import client_ip
from digitalesamt.lib import mail
from digitalesamt.lib.middleware import too_many_requests
from digitalesamt.lib.ratelimit import Limit, RateLimited, address_key
from municipalities.constants import Kind
from municipalities.models import Threshold

from ..forms import AccessibilityFeedbackForm

# The days the statements were written or last reviewed: change them with their text.
ACCESSIBILITY_STATEMENT_DATE = datetime.date(2026, 11, 21)
PRIVACY_STATEMENT_DATE = datetime.date(2026, 12, 1)
# Shown on the accessibility statement for everyone who cannot or will not use the form.
ACCESSIBILITY_CONTACT_EMAIL = "barrierefreiheit@stmd.bayern.de"

# Each message becomes a mail to the ministry: a limit per address and one for everybody.
FEEDBACK_PER_ADDRESS = Limit(
    "feedback-address",
    "RATE_LIMIT_FEEDBACK_PER_ADDRESS",
    gettext_lazy(
        "Von Ihrem Internetanschluss kamen schon so viele Rückmeldungen, wie das Formular "
        "annimmt: höchstens %(count)s je %(period)s."
    ),
)
FEEDBACK = Limit(
    "feedback",
    "RATE_LIMIT_FEEDBACK",
    gettext_lazy(
        "Das Formular hat gerade so viele Rückmeldungen erhalten, wie es annimmt: höchstens "
        "%(count)s je %(period)s von allen zusammen."
    ),
)


@require_safe
def imprint(request: HttpRequest) -> HttpResponse:
    return render(request, "public/pages/imprint.html")


@require_safe
def privacy(request: HttpRequest) -> HttpResponse:
    """Say what this installation processes; cookie names and lifetimes come from its settings."""
    return render(
        request,
        "public/pages/privacy.html",
        {
            "session_cookie_name": settings.SESSION_COOKIE_NAME,
            "session_hours": settings.SESSION_COOKIE_AGE // 3600,
            "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
            "csrf_cookie_weeks": settings.CSRF_COOKIE_AGE // (7 * 24 * 3600),
            "language_cookie_name": settings.LANGUAGE_COOKIE_NAME,
            "language_cookie_days": (
                settings.LANGUAGE_COOKIE_AGE // (24 * 3600)
                if settings.LANGUAGE_COOKIE_AGE
                else None
            ),
            "login_failure_limit": settings.AXES_FAILURE_LIMIT,
            "login_cooloff_minutes": round(settings.AXES_COOLOFF_TIME * 60),
            "audit_log_days": settings.AUDIT_LOG_RETENTION_DAYS,
            "statement_date": PRIVACY_STATEMENT_DATE,
        },
    )


def site_host() -> str:
    """Return the site's address as people type it: "digitales-amt.bayern.de"."""
    return settings.SITE_URL.split("://", 1)[-1]


def feedback_recipients() -> list[str]:
    """Return who receives accessibility feedback: its own setting, else the ministry's inbox."""
    # An empty variable in the environment reads as [""]: no address.
    own = [address for address in settings.ACCESSIBILITY_FEEDBACK_EMAILS if address]
    return own or [address for address in settings.MINISTRY_NOTIFY_EMAILS if address]


@require_http_methods(["GET", "HEAD", "POST"])
def accessibility(request: HttpRequest) -> HttpResponse:
    """Show the accessibility statement and take feedback about barriers (post, redirect, get)."""
    recipients = feedback_recipients()
    if request.method == "POST" and recipients:
        form = AccessibilityFeedbackForm(request.POST)
        if form.is_valid():
            if not form.is_spam():
                try:
                    FEEDBACK_PER_ADDRESS.hit(address_key(client_ip(request)))
                    FEEDBACK.hit()
                except RateLimited as refusal:
                    # The form comes back with the message in it: nothing typed is lost.
                    context = _accessibility_context(form)
                    return too_many_requests(
                        request, refusal, "public/pages/accessibility.html", context
                    )
                _send_feedback(form.cleaned_data, recipients=recipients)
            # A bot that filled the trap is told the same as a person: nothing to learn from.
            messages.success(
                request,
                _(
                    "Vielen Dank für Ihre Rückmeldung. Wir haben sie an die zuständige Stelle "
                    "im Staatsministerium weitergeleitet."
                ),
            )
            # To the top of the content, where the confirmation is shown.
            return redirect(reverse("accessibility") + "#main")
    elif request.method == "POST":
        messages.warning(
            request,
            _("Das Formular ist derzeit nicht verfügbar. Bitte schreiben Sie uns an %(email)s.")
            % {"email": ACCESSIBILITY_CONTACT_EMAIL},
        )
        return redirect(reverse("accessibility") + "#main")
    else:
        page = request.GET.get("seite", "")[:500]
        form = AccessibilityFeedbackForm(initial={"page": page} if page else None)
    context = _accessibility_context(form if recipients else None)
    return render(request, "public/pages/accessibility.html", context)


def _accessibility_context(form: AccessibilityFeedbackForm | None) -> dict:
    return {
        "form": form,
        "statement_date": ACCESSIBILITY_STATEMENT_DATE,
        "contact_email": ACCESSIBILITY_CONTACT_EMAIL,
        "site_host": site_host(),
    }


def _send_feedback(data: dict[str, str], *, recipients: list[str]) -> None:
    """Mail the feedback as plain text, in German: the ministry's staff read it."""
    context = {
        **data,
        "language": translation.get_language(),
        "received": timezone.localtime(),
        "page_url": settings.SITE_URL + reverse("accessibility"),
    }
    mail.send_later("public/email/accessibility_feedback", context, recipients)


@require_safe
def easy_language(request: HttpRequest) -> HttpResponse:
    """Explain the award and this site in Leichte Sprache, with the thresholds in force."""
    minimums = dict(Threshold.objects.values_list("kind", "minimum"))
    return render(
        request,
        "public/pages/easy_language.html",
        {
            "minimum": minimums.get(Kind.GEMEINDE, Threshold.DEFAULT_MINIMUM),
            "minimum_bezirk": minimums.get(Kind.BEZIRK, Threshold.DEFAULT_MINIMUM),
            "site_host": site_host(),
        },
    )
