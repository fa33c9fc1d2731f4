"""Accounts and roles: clerks of one Kommune, reviewers and administrators of the ministry.

A clerk belongs to exactly one Kommune through `Membership`; ministry users are staff and get
their permissions from the groups `setup_roles` maintains. Nobody signs up: the ministry invites
a user by e-mail, and the link in that mail (Django's password-reset token) sets the password.
"""

import datetime
import math
import unicodedata

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet
from django.forms.boundfield import BoundField
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .models import Membership, Municipality

REVIEWER_GROUP = "Prüfung"
ADMIN_GROUP = "Administration"

# What each group may do, as (app_label, codename) or (app_label, "*") for every permission of
# the app's models. The admin shows a model to a user only with a permission on it.
WORKFLOW_APPS = ("municipalities", "awards")
ROLE_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    REVIEWER_GROUP: [
        *((app, "view_*") for app in WORKFLOW_APPS),
        # Review actions change the application; its status stays read-only in the admin.
        ("awards", "change_application"),
        ("awards", "add_spotcheck"),
        ("awards", "change_spotcheck"),
        # Revoking an award.
        ("awards", "change_award"),
        ("auth", "view_user"),
    ],
    ADMIN_GROUP: [
        *((app, "*") for app in WORKFLOW_APPS),
        ("auth", "add_user"),
        ("auth", "change_user"),
        ("auth", "delete_user"),
        ("auth", "view_user"),
        ("auth", "add_group"),
        ("auth", "change_group"),
        ("auth", "delete_group"),
        ("auth", "view_group"),
        # Deleting a lockout record of django-axes unlocks the login at once.
        ("axes", "view_accessattempt"),
        ("axes", "delete_accessattempt"),
    ],
}


class RoleSetupError(Exception):
    """A permission the roles need does not exist (migrations have not run)."""


def role_permissions(group_name: str) -> QuerySet[Permission]:
    """Return the permissions `group_name` is meant to have."""
    condition = Q(pk__in=[])
    wanted = ROLE_PERMISSIONS[group_name]
    for app_label, codename in wanted:
        if codename == "*":
            condition |= Q(content_type__app_label=app_label)
        elif codename.endswith("*"):
            condition |= Q(content_type__app_label=app_label, codename__startswith=codename[:-1])
        else:
            condition |= Q(content_type__app_label=app_label, codename=codename)
    permissions = Permission.objects.filter(condition)
    found = set(permissions.values_list("content_type__app_label", "codename"))
    missing = [
        f"{app_label}.{codename}"
        for app_label, codename in wanted
        if "*" not in codename and (app_label, codename) not in found
    ]
    if missing:
        raise RoleSetupError(
            _("Berechtigungen fehlen: %(missing)s. Bitte zuerst „migrate“ ausführen.")
            % {"missing": ", ".join(missing)}
        )
    return permissions


@transaction.atomic
def setup_roles() -> dict[str, tuple[int, int]]:
    """Create the ministry's groups and give each exactly its permissions.

    Returns per group the number of permissions added and removed; a second run returns zeros.
    """
    changes = {}
    for name in ROLE_PERMISSIONS:
        group, _created = Group.objects.get_or_create(name=name)
        wanted = set(role_permissions(name).values_list("pk", flat=True))
        current = set(group.permissions.values_list("pk", flat=True))
        group.permissions.add(*(wanted - current))
        group.permissions.remove(*(current - wanted))
        changes[name] = (len(wanted - current), len(current - wanted))
    return changes


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


def link_validity() -> str:
    """Say how long invitation and reset links stay valid: "3 Tagen", "12 Stunden"."""
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    if hours and hours % 24 == 0:
        days = hours // 24
        return ngettext("%(count)d Tag", "%(count)d Tage", days) % {"count": days}
    hours = max(hours, 1)
    return ngettext("%(count)d Stunde", "%(count)d Stunden", hours) % {"count": hours}


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """Answer a login django-axes refused with the German lockout page (HTTP 429)."""
    cool_off = get_cool_off(request) or datetime.timedelta(0)
    return render(
        request,
        "registration/locked_out.html",
        {"cooloff_minutes": math.ceil(cool_off.total_seconds() / 60)},
        status=429,
    )


def home_url_for(user: AbstractBaseUser) -> str:
    """Return where a user works: clerks in the portal, the ministry in the admin."""
    if Membership.objects.filter(user_id=user.pk).exists():
        return reverse("portal:dashboard")
    if user.is_staff:
        return reverse("admin:index")
    return reverse("awards:home")


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


# Forms in the KERN design ------------------------------------------------------------------


class KernBoundField(BoundField):
    """Give a field's input KERN's classes; templates/accounts/field.html lays out the rest."""

    def build_widget_attrs(self, attrs: dict, widget: forms.Widget | None = None) -> dict:
        attrs = super().build_widget_attrs(attrs, widget)
        classes = [(widget or self.field.widget).attrs.get("class", ""), "kern-form-input__input"]
        if self.errors:
            classes.append("kern-form-input__input--error")
        attrs["class"] = " ".join(filter(None, classes))
        return attrs


class KernFormMixin:
    bound_field_class = KernBoundField


class LoginForm(KernFormMixin, AuthenticationForm):
    """Log in by e-mail address (the username of invited users) or username."""

    error_messages = {
        "invalid_login": gettext_lazy(
            "Anmeldung fehlgeschlagen: E-Mail-Adresse oder Passwort ist falsch. "
            "Achten Sie auf Groß- und Kleinschreibung beim Passwort."
        ),
        "inactive": gettext_lazy("Dieser Zugang ist gesperrt."),
    }

    def __init__(self, request: HttpRequest | None = None, *args: object, **kwargs: object):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("E-Mail-Adresse oder Benutzername")
        self.fields["password"].label = _("Passwort")

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        # Invited users' usernames are their lower-cased addresses.
        return username.lower() if "@" in username else username


def pending_invitation(user: AbstractBaseUser) -> bool:
    """Whether the user was invited and has not set a password yet."""
    return not user.has_usable_password() and user.last_login is None


def same_address(first: str, second: str) -> bool:
    """Compare two e-mail addresses case-insensitively, Unicode-safe."""

    def fold(address: str) -> str:
        return unicodedata.normalize("NFKC", address).casefold()

    return fold(first) == fold(second)


class PasswordResetRequestForm(KernFormMixin, PasswordResetForm):
    """Send the reset link from SITE_URL; an invited user who lost the invitation gets one too."""

    def __init__(self, *args: object, **kwargs: object):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("E-Mail-Adresse")

    def get_users(self, email: str):
        users = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
        return (
            user
            for user in users
            # As Django does: iexact may match a different address under Unicode case folding.
            if same_address(email, user.email)
            and (user.has_usable_password() or pending_invitation(user))
        )


class NewPasswordForm(KernFormMixin, SetPasswordForm):
    """Choose a password, with German labels."""

    def __init__(self, *args: object, **kwargs: object):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("Neues Passwort")
        self.fields["new_password2"].label = _("Neues Passwort wiederholen")


# Invitations --------------------------------------------------------------------------------


class InvitationError(Exception):
    """An invitation cannot be sent; the message says why, in German."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def normalize_email(email: str) -> str:
    """Return the address as username and e-mail of an invited user: trimmed, lower case."""
    return email.strip().lower()


def check_new_email(email: str) -> str:
    """Return the normalized address or raise InvitationError if it cannot be invited."""
    email = normalize_email(email)
    try:
        validate_email(email)
    except ValidationError:
        raise InvitationError(
            _("„%(email)s“ ist keine gültige E-Mail-Adresse.") % {"email": email}, code="invalid"
        ) from None
    User = get_user_model()
    if len(email) > User._meta.get_field("username").max_length:
        raise InvitationError(
            _("Die E-Mail-Adresse %(email)s ist zu lang für einen Benutzernamen.")
            % {"email": email},
            code="invalid",
        )
    if User._default_manager.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists():
        raise InvitationError(
            _("Es gibt bereits einen Benutzer mit der E-Mail-Adresse %(email)s.")
            % {"email": email},
            code="exists",
        )
    return email


def invitation_url(user: AbstractBaseUser) -> str:
    """Return the absolute one-time link that lets the user set a password."""
    path = reverse(
        "account:invitation",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return f"{settings.SITE_URL}{path}"


def send_invitation(user: AbstractBaseUser) -> None:
    """Mail the user a fresh invitation link (German text, the site's language)."""
    membership = Membership.objects.filter(user=user).select_related("municipality").first()
    context = {
        "user": user,
        "municipality": membership.municipality if membership else None,
        "link": invitation_url(user),
        "expires": timezone.now() + datetime.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT),
        "site_url": settings.SITE_URL,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("registration/invitation_subject.txt", context)
        body = render_to_string("registration/invitation_email.txt", context)
    send_mail(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [user.email])


def check_can_resend(user: AbstractBaseUser) -> None:
    """Raise InvitationError if the user cannot be sent an invitation (again)."""
    if not user.is_active:
        raise InvitationError(
            _("Der Zugang %(user)s ist gesperrt.") % {"user": user.get_username()},
            code="inactive",
        )
    if not user.email:
        raise InvitationError(
            _("Der Benutzer %(user)s hat keine E-Mail-Adresse.") % {"user": user.get_username()},
            code="no_email",
        )
    if user.has_usable_password():
        raise InvitationError(
            _(
                "Der Benutzer %(user)s hat bereits ein Passwort festgelegt; "
                "über „Passwort vergessen“ lässt es sich neu setzen."
            )
            % {"user": user.get_username()},
            code="has_password",
        )


def reviewer_group() -> Group:
    """Return the reviewers' group, setting up the roles if that has not happened yet."""
    group = Group.objects.filter(name=REVIEWER_GROUP).first()
    if group is None:
        setup_roles()
        group = Group.objects.get(name=REVIEWER_GROUP)
    return group


def invite_user(
    *, email: str, municipality: Municipality | None = None, ministry: bool = False
) -> AbstractBaseUser:
    """Create a user without a password for a Kommune or the ministry and mail the invitation.

    The mail goes out once the user is committed, so a rolled-back invitation sends nothing.
    """
    if municipality is not None and ministry:
        raise InvitationError(
            _(
                "Ein Benutzer gehört entweder zu einer Kommune oder zum Ministerium, "
                "nicht zu beiden."
            ),
            code="role",
        )
    if municipality is None and not ministry:
        raise InvitationError(_("Bitte eine Kommune oder das Ministerium angeben."), code="role")
    email = check_new_email(email)
    with transaction.atomic():
        user = get_user_model()(username=email, email=email, is_staff=ministry)
        user.set_unusable_password()
        user.save()
        if ministry:
            user.groups.add(reviewer_group())
        else:
            Membership.objects.create(user=user, municipality=municipality)
        transaction.on_commit(lambda: send_invitation(user))
    return user


# Views --------------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    form_class = LoginForm

    def get_default_redirect_url(self) -> str:
        return home_url_for(self.request.user)


class LogoutView(auth_views.LogoutView):
    """Log out on POST only (Django refuses GET) and show the German confirmation."""


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetRequestForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("account:password_reset_done")

    def form_valid(self, form: PasswordResetRequestForm):
        # Links are built from SITE_URL, never from the request's Host header.
        self.extra_email_context = {"site_url": settings.SITE_URL, "validity": link_validity()}
        # The mail is German whatever language the page was shown in.
        with translation.override(settings.LANGUAGE_CODE):
            return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    def get_context_data(self, **kwargs: object) -> dict:
        return {**super().get_context_data(**kwargs), "validity": link_validity()}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = NewPasswordForm
    success_url = reverse_lazy("account:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    pass


class InvitationView(auth_views.PasswordResetConfirmView):
    """Set the first password from the invitation link, log in and go to work."""

    form_class = NewPasswordForm
    template_name = "registration/invitation.html"
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
