"""Invitations: nobody signs up; the ministry invites a user by e-mail.

The link in the mail is Django's password-reset token; it sets the first password.
"""

import datetime
import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from digitalesamt.lib import mail
from municipalities.models import Membership, Municipality

from .roles import reviewer_group


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
    }
    mail.send_now("accounts/email/invitation", context, [user.email])


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


def pending_invitation(user: AbstractBaseUser) -> bool:
    """Whether the user was invited and has not set a password yet."""
    return not user.has_usable_password() and user.last_login is None


def same_address(first: str, second: str) -> bool:
    """Compare two e-mail addresses case-insensitively, Unicode-safe."""

    def fold(address: str) -> str:
        return unicodedata.normalize("NFKC", address).casefold()

    return fold(first) == fold(second)


def link_validity() -> str:
    """Say how long invitation and reset links stay valid: "3 Tagen", "12 Stunden"."""
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    if hours and hours % 24 == 0:
        days = hours // 24
        return ngettext("%(count)d Tag", "%(count)d Tage", days) % {"count": days}
    hours = max(hours, 1)
    return ngettext("%(count)d Stunde", "%(count)d Stunden", hours) % {"count": hours}
