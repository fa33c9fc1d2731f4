"""The second factor's pages under /konto/zweiter-faktor/: the second step of the login, setting
up an authenticator app, the recovery codes, and the user's own page of devices."""

import math
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.cache import never_cache

from . import second_factor
from .backends import lockout_response
from .forms import AppCodeForm, RecoveryCodeForm
from .views import home_url_for


def next_url(request: HttpRequest) -> str:
    """Where to go once the second factor is done: a safe `next`, or where the user works."""
    for candidate in (
        request.POST.get(REDIRECT_FIELD_NAME),
        request.GET.get(REDIRECT_FIELD_NAME),
        request.session.get(second_factor.NEXT_SESSION_KEY),
    ):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return home_url_for(request.user)


def with_next(url_name: str, next_to: str) -> str:
    return f"{reverse(url_name)}?{urlencode({REDIRECT_FIELD_NAME: next_to})}"


def locked_out(request: HttpRequest) -> HttpResponse:
    """End the half-done login and show django-axes' lockout page."""
    logout(request)
    return lockout_response(request)


def code_refused(form, outcome: second_factor.Outcome) -> None:
    if outcome.retry_at is not None:
        seconds = max(1, math.ceil((outcome.retry_at - timezone.now()).total_seconds()))
        form.add_error(
            "code",
            ngettext(
                "Zu viele falsche Codes nacheinander. Warten Sie %(seconds)s Sekunde und "
                "versuchen Sie es dann erneut.",
                "Zu viele falsche Codes nacheinander. Warten Sie %(seconds)s Sekunden und "
                "versuchen Sie es dann erneut.",
                seconds,
            )
            % {"seconds": seconds},
        )
    else:
        form.add_error("code", form.wrong_code_message)


@method_decorator(never_cache, name="dispatch")
class SecondStepView(LoginRequiredMixin, View):
    """The second step of the login: a code from the app, or a passkey."""

    template_name = "accounts/second_factor/verify.html"
    form_class = AppCodeForm

    def device(self, user):
        return second_factor.totp_device(user)

    def wrong_code_message(self) -> str:
        return _(
            "Der Code stimmt nicht. Geben Sie den Code ein, den die App jetzt zeigt; "
            "jeder Code gilt nur einmal."
        )

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if request.user.is_verified():
            return HttpResponseRedirect(next_url(request))
        if not second_factor.has_confirmed_device(request.user):
            if request.user.is_staff:
                return HttpResponseRedirect(
                    with_next("account:second_factor_setup", next_url(request))
                )
            # A clerk whose devices an administrator removed: nothing left to ask for.
            request.session.pop(second_factor.REQUIRED_SESSION_KEY, None)
            return HttpResponseRedirect(next_url(request))
        if second_factor.is_locked_out(request, request.user):
            return locked_out(request)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(request, self.form_class())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self.form_class(request.POST)
        form.wrong_code_message = self.wrong_code_message()
        device = self.device(request.user)
        if form.is_valid() and device is not None:
            outcome = second_factor.check_code(
                request, request.user, device, form.cleaned_data["code"]
            )
            if outcome.locked_out:
                return locked_out(request)
            if outcome.device is not None:
                second_factor.verify_session(request, outcome.device)
                self.verified(request)
                return HttpResponseRedirect(next_url(request))
            code_refused(form, outcome)
        return self.render(request, form)

    def verified(self, request: HttpRequest) -> None:
        pass

    def render(self, request: HttpRequest, form) -> HttpResponse:
        user = request.user
        context = {
            "form": form,
            "next": next_url(request),
            "has_app": second_factor.totp_device(user) is not None,
            "has_passkey": second_factor.passkeys(user).exists(),
            "has_recovery": second_factor.recovery_device(user) is not None,
        }
        return render(request, self.template_name, context)


class RecoveryStepView(SecondStepView):
    """The second step with a recovery code, when the app is out of reach."""

    template_name = "accounts/second_factor/recovery.html"
    form_class = RecoveryCodeForm

    def device(self, user):
        return second_factor.recovery_device(user)

    def wrong_code_message(self) -> str:
        return _(
            "Diesen Wiederherstellungscode gibt es nicht oder er wurde schon verwendet. "
            "Prüfen Sie die Eingabe oder nehmen Sie einen anderen Code Ihrer Liste."
        )

    def verified(self, request: HttpRequest) -> None:
        left = second_factor.remaining_recovery_codes(request.user)
        messages.warning(
            request,
            ngettext(
                "Sie haben einen Wiederherstellungscode verwendet; %(count)s ist noch übrig. "
                "Erzeugen Sie unter „Zweiter Faktor“ neue Codes.",
                "Sie haben einen Wiederherstellungscode verwendet; %(count)s sind noch übrig. "
                "Erzeugen Sie unter „Zweiter Faktor“ neue Codes, wenn es wenige werden.",
                left,
            )
            % {"count": left},
        )


def qr_data_uri(text: str) -> str:
    """Return a QR code of `text` as an SVG data URI (the CSP allows data: images)."""
    return segno.make_qr(text, error="m").svg_data_uri(scale=5, border=4)


@method_decorator(never_cache, name="dispatch")
class SetupView(LoginRequiredMixin, View):
    """Set up an authenticator app: scan the QR code (or type the secret), confirm with a code."""

    template_name = "accounts/second_factor/setup.html"

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        user = request.user
        if not user.is_verified() and second_factor.has_confirmed_device(user):
            # A new device only with one of the old: else a password alone could add one.
            return HttpResponseRedirect(with_next("account:second_factor", next_url(request)))
        if second_factor.totp_device(user) is not None:
            return HttpResponseRedirect(reverse("account:second_factor_manage"))
        if second_factor.is_locked_out(request, user):
            return locked_out(request)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(request, AppCodeForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = AppCodeForm(request.POST)
        form.wrong_code_message = _(
            "Der Code stimmt nicht. Prüfen Sie, ob Sie den QR-Code dieser Seite gescannt haben, "
            "und geben Sie den Code ein, den die App jetzt zeigt."
        )
        user = request.user
        device = second_factor.pending_totp_device(user)
        if form.is_valid():
            outcome = second_factor.check_code(request, user, device, form.cleaned_data["code"])
            if outcome.locked_out:
                return locked_out(request)
            if outcome.device is not None:
                return self.confirmed(request, outcome.device)
            code_refused(form, outcome)
        return self.render(request, form)

    def confirmed(self, request: HttpRequest, device) -> HttpResponse:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        second_factor.verify_session(request, device)
        request.session[second_factor.NEXT_SESSION_KEY] = next_url(request)
        if second_factor.recovery_device(request.user) is None:
            codes = second_factor.new_recovery_codes(request.user)
            request.session[second_factor.NEW_CODES_SESSION_KEY] = codes
            return HttpResponseRedirect(reverse("account:second_factor_codes"))
        messages.success(request, _("Die Authenticator-App ist eingerichtet."))
        return HttpResponseRedirect(request.session.pop(second_factor.NEXT_SESSION_KEY))

    def render(self, request: HttpRequest, form) -> HttpResponse:
        device = second_factor.pending_totp_device(request.user)
        context = {
            "form": form,
            "next": next_url(request),
            "qr": qr_data_uri(device.config_url),
            "secret": second_factor.secret_text(device),
        }
        return render(request, self.template_name, context)


@method_decorator(never_cache, name="dispatch")
class CodesView(LoginRequiredMixin, View):
    """Show new recovery codes, once: until the user says they saved them."""

    template_name = "accounts/second_factor/codes.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        codes = request.session.get(second_factor.NEW_CODES_SESSION_KEY)
        if not codes:
            return HttpResponseRedirect(reverse("account:second_factor_manage"))
        return render(request, self.template_name, {"codes": codes})

    def post(self, request: HttpRequest) -> HttpResponse:
        request.session.pop(second_factor.NEW_CODES_SESSION_KEY, None)
        messages.success(
            request,
            _(
                "Ihr zweiter Faktor ist eingerichtet. Bewahren Sie die Codes getrennt "
                "von Ihrem Gerät auf."
            ),
        )
        target = request.session.pop(second_factor.NEXT_SESSION_KEY, None)
        return HttpResponseRedirect(target or home_url_for(request.user))


@method_decorator(never_cache, name="dispatch")
class ManageView(LoginRequiredMixin, View):
    """The user's own page: what is set up, a passkey to add, new recovery codes."""

    template_name = "accounts/second_factor/manage.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        context = {
            **second_factor.device_summary(request.user),
            "passkey_added": "passkey" in request.GET,
            "required": request.user.is_staff,
        }
        return render(request, self.template_name, context)

    def post(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        # Only a session a device has verified changes the devices (any other has none).
        if request.POST.get("action") == "new-codes" and user.is_verified():
            codes = second_factor.new_recovery_codes(user)
            request.session[second_factor.NEW_CODES_SESSION_KEY] = codes
            request.session[second_factor.NEXT_SESSION_KEY] = reverse(
                "account:second_factor_manage"
            )
            return HttpResponseRedirect(reverse("account:second_factor_codes"))
        return HttpResponseRedirect(reverse("account:second_factor_manage"))


@method_decorator(never_cache, name="dispatch")
class RemovePasskeyView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.is_verified():
            return HttpResponseRedirect(reverse("account:second_factor"))
        passkey = get_object_or_404(second_factor.passkeys(request.user), pk=pk)
        passkey.delete()
        messages.success(request, _("Der Passkey ist entfernt."))
        return HttpResponseRedirect(reverse("account:second_factor_manage"))
