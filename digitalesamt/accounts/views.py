"""Login, logout, password reset and the invitation link under /konto/."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.base_user import AbstractBaseUser
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _

from municipalities.models import Membership

from .forms import LoginForm, NewPasswordForm, PasswordResetRequestForm
from .invitations import link_validity


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
    form_class = PasswordResetRequestForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("account:password_reset_done")

    def form_valid(self, form: PasswordResetRequestForm):
        # Links are built from SITE_URL, never from the request's Host header.
        self.extra_email_context = {"site_url": settings.SITE_URL, "validity": link_validity()}
        # The mail is German whatever language the page was shown in.
        with translation.override(settings.LANGUAGE_CODE):
            return super().form_valid(form)


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
