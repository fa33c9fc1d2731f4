"""Login, logout, password reset and the invitation link under /konto/."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpResponseRedirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from digitalesamt.lib.ratelimit import Limit, address_key
from municipalities.models import Membership

from .backends import client_ip
from .forms import LoginForm, NewPasswordForm, PasswordResetRequestForm
from .invitations import link_validity
from .tasks import send_password_reset

RESETS_PER_ADDRESS = Limit(
    "password-reset-address",
    "RATE_LIMIT_PASSWORD_RESET_PER_ADDRESS",
    gettext_lazy(
        "Von Ihrem Internetanschluss wurden zu viele neue Passwörter angefordert: höchstens "
        "%(count)s je %(period)s."
    ),
)
RESETS_PER_EMAIL = Limit(
    "password-reset-email",
    "RATE_LIMIT_PASSWORD_RESET_PER_EMAIL",
    gettext_lazy(
        "Für diese E-Mail-Adresse wurden zu viele neue Passwörter angefordert: höchstens "
        "%(count)s je %(period)s. Sehen Sie in Ihr Postfach, auch in den Spam-Ordner."
    ),
)


def home_url_for(user: AbstractBaseUser) -> str:
    """Return where a user works: clerks in the portal, the ministry in the admin."""
    if Membership.objects.filter(user_id=user.pk).exists():
        return reverse("portal:dashboard")
    if user.is_staff:
        return reverse("admin:index")
    return reverse("awards:home")


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"

    def get_default_redirect_url(self) -> str:
        return home_url_for(self.request.user)


class LogoutView(auth_views.LogoutView):
    """Log out on POST only (Django refuses GET) and show the German confirmation."""

    template_name = "accounts/logged_out.html"


class PasswordResetView(auth_views.PasswordResetView):
    """Take an address and queue the reset mail: the same answer, as fast, with or without a
    user behind it (the worker finds out; digitalesamt.accounts.tasks)."""

    form_class = PasswordResetRequestForm
    template_name = "accounts/password_reset_form.html"
    success_url = reverse_lazy("account:password_reset_done")

    def form_valid(self, form: PasswordResetRequestForm) -> HttpResponseRedirect:
        # Counted whether the address has a user or not: a refusal tells nothing either way.
        RESETS_PER_ADDRESS.hit(address_key(client_ip(self.request)))
        RESETS_PER_EMAIL.hit(form.cleaned_data["email"].strip().casefold())
        send_password_reset.enqueue(email=form.cleaned_data["email"])
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"

    def get_context_data(self, **kwargs: object) -> dict:
        return {**super().get_context_data(**kwargs), "validity": link_validity()}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = NewPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("account:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class InvitationView(auth_views.PasswordResetConfirmView):
    """Set the first password from the invitation link, log in and go to work."""

    form_class = NewPasswordForm
    template_name = "accounts/invitation.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"

    def form_valid(self, form: NewPasswordForm):
        response = super().form_valid(form)
        messages.success(
            self.request, _("Ihr Passwort ist gespeichert. Sie sind jetzt angemeldet.")
        )
        return response

    def get_success_url(self) -> str:
        return home_url_for(self.user)
