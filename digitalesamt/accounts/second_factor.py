"""The second factor: who needs one, the devices, and checking a code with every limit.

Built on django-otp (TOTP apps, recovery codes as its static device) and django-otp-webauthn
(passkeys), plugged into this project's own login rather than django-allauth's, which would
replace the whole account system (login, password reset, invitations, django-axes' lockout).

A session is verified once a device has confirmed it (`django_otp.login`, which OTPMiddleware
reads back as `request.user.is_verified()`). Staff always need that; a clerk only once they
have set up a device. Until then SecondFactorMiddleware lets such a session reach only the
second step (digitalesamt.accounts.factor_views).
"""

import base64
import datetime
from dataclasses import dataclass

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import user_logged_in, user_login_failed
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential

from digitalesamt.lib.ratelimit import Limit

# A clerk who has a device must use it: set at login, so that no request has to look it up.
REQUIRED_SESSION_KEY = "second_factor_required"
# Recovery codes not yet acknowledged, and where to go afterwards.
NEW_CODES_SESSION_KEY = "second_factor_new_codes"
NEXT_SESSION_KEY = "second_factor_next"
RECOVERY_CODE_COUNT = 10
# The apps whose models are devices, and what an administrator needs to reset a user's.
DEVICE_APPS = ("otp_totp", "otp_static", "django_otp_webauthn")
RESET_PERMISSIONS = (
    "auth.change_user",
    "otp_totp.delete_totpdevice",
    "otp_static.delete_staticdevice",
    "django_otp_webauthn.delete_webauthncredential",
)
TOTP_NAME = "Authenticator-App"
RECOVERY_NAME = "Wiederherstellungscodes"

CODES_PER_USER = Limit(
    "otp-user",
    "RATE_LIMIT_OTP_PER_USER",
    gettext_lazy(
        "Für diesen Zugang wurden zu viele Codes eingegeben: höchstens %(count)s je %(period)s."
    ),
)


def is_required(request: HttpRequest) -> bool:
    """Whether this session must be verified by a second factor before anything else."""
    user = request.user
    return bool(user.is_staff or request.session.get(REQUIRED_SESSION_KEY))


@receiver(user_logged_in)
def remember_requirement(sender: object, request: HttpRequest | None, user, **kwargs) -> None:
    """Note at login whether a clerk has set up a second factor (staff always need one)."""
    if request is None or not hasattr(request, "session"):
        return
    if user.is_staff or user_has_device(user):
        request.session[REQUIRED_SESSION_KEY] = True


class PasskeyHelper(WebAuthnHelper):
    """django-otp-webauthn's helper, naming each new passkey ("Passkey 2") for the user's page."""

    def create_credential(self, user: AbstractBaseUser, *args: object, **kwargs: object):
        device = super().create_credential(user, *args, **kwargs)
        device.name = f"Passkey {WebAuthnCredential.objects.filter(user=user).count() + 1}"
        return device


def totp_device(user: AbstractBaseUser, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()


def recovery_device(user: AbstractBaseUser) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def passkeys(user: AbstractBaseUser):
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at")


def has_confirmed_device(user: AbstractBaseUser) -> bool:
    return user_has_device(user, confirmed=True)


def pending_totp_device(user: AbstractBaseUser) -> TOTPDevice:
    """Return the app the user is setting up: the same secret on every visit until confirmed."""
    device = totp_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """Return the secret as an app takes it by hand: Base32 in groups of four."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[start : start + 4] for start in range(0, len(secret), 4))


def format_code(token: str) -> str:
    return f"{token[:4]}-{token[4:]}"


def normalise_code(text: str) -> str:
    """Accept a code however it was typed: spaces, hyphens, either case."""
    return "".join(text.split()).replace("-", "").lower()


@transaction.atomic
def new_recovery_codes(user: AbstractBaseUser) -> list[str]:
    """Replace the user's recovery codes with ten new ones; each works once."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    tokens = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=token) for token in tokens)
    return [format_code(token) for token in tokens]


def remaining_recovery_codes(user: AbstractBaseUser) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@dataclass(frozen=True)
class Outcome:
    """What became of a code: the device it verified, or why not."""

    device: Device | None = None
    locked_out: bool = False  # django-axes locks this user at this address now
    retry_at: datetime.datetime | None = None  # the device waits after wrong codes


def _credentials(user: AbstractBaseUser) -> dict:
    return {settings.AXES_USERNAME_FORM_FIELD: user.get_username()}


def is_locked_out(request: HttpRequest, user: AbstractBaseUser) -> bool:
    """Whether django-axes refuses this user at this address: the second step then ends too."""
    return AxesProxyHandler.is_locked(request, credentials=_credentials(user))


def check_code(request: HttpRequest, user: AbstractBaseUser, device: Device, code: str) -> Outcome:
    """Check a code against `device`, counting it against every limit.

    Every entry counts towards RATE_LIMIT_OTP_PER_USER (raises RateLimited past it); a wrong
    one also counts as a failed login for django-axes, so that the second step cannot guess
    on once the password step would be locked, and makes the device wait (1, 2, 4 … seconds).
    """
    CODES_PER_USER.hit(str(user.pk))
    if is_locked_out(request, user):
        return Outcome(locked_out=True)
    with transaction.atomic():
        device = type(device).objects.select_for_update().get(pk=device.pk)
        allowed, details = device.verify_is_allowed()
        if not allowed:
            return Outcome(retry_at=(details or {}).get("locked_until"))
        verified = device.verify_token(code)
    if verified:
        return Outcome(device=device)
    user_login_failed.send(sender=__name__, credentials=_credentials(user), request=request)
    return Outcome(locked_out=bool(getattr(request, "axes_locked_out", False)))


def verify_session(request: HttpRequest, device: Device) -> None:
    """Mark the session as verified by `device`."""
    otp_login(request, device)
    request.session[REQUIRED_SESSION_KEY] = True


def parse_code(text: str) -> str:
    """Return a six-digit app code without spaces, or "" when it is none."""
    digits = "".join(text.split())
    return digits if len(digits) == 6 and digits.isascii() and digits.isdigit() else ""


@transaction.atomic
def reset(user: AbstractBaseUser) -> int:
    """Delete every device of `user` (an administrator's reset): they set one up again."""
    count = 0
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
        count += 1
    return count


def device_summary(user: AbstractBaseUser) -> dict:
    """What the user has set up, for their page and the user admin."""
    totp = totp_device(user)
    return {
        "totp": totp,
        "passkeys": list(passkeys(user)),
        "recovery_left": remaining_recovery_codes(user),
        "has_recovery": recovery_device(user) is not None,
    }
