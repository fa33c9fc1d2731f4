"""Unsubscribing from the ministry's threshold reminders: a personal, signed link.

The token is the address, signed (django.core.signing) with a salt of its own: nobody can make
one for another address, and it has no timestamp, so a link in an old mail still works. A new
SECRET_KEY keeps old links working while the old key is in SECRET_KEY_FALLBACKS.

Only the reminders can be unsubscribed; the workflow's mails (submitted, changes requested,
approved, rejected, revoked, invitations) are not optional and carry no link.
"""

from collections.abc import Iterable

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import ReminderOptOut

SALT = "awards.reminder-unsubscribe"

# RFC 8058: a mail client may unsubscribe with one POST of this body to the List-Unsubscribe URL.
ONE_CLICK = "List-Unsubscribe=One-Click"


def normalise(address: str) -> str:
    return address.strip().lower()


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def make_token(address: str) -> str:
    return _signer().sign_object(normalise(address))


def read_token(token: str) -> str | None:
    """Return the address a token was made for, or None for a bad or tampered one."""
    try:
        address = _signer().unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeError):
        return None
    return address if isinstance(address, str) and "@" in address else None


def unsubscribe_url(address: str) -> str:
    """The absolute link of the address's unsubscribe page."""
    path = reverse("reminder_unsubscribe", kwargs={"token": make_token(address)})
    return f"{settings.SITE_URL}{path}"


def headers(address: str) -> dict[str, str]:
    """List-Unsubscribe (RFC 2369) with the one-click POST of RFC 8058, for one recipient."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(address)}>",
        "List-Unsubscribe-Post": ONE_CLICK,
    }


def opt_out(address: str) -> None:
    """Stop the reminders to the address; doing it twice changes nothing."""
    ReminderOptOut.objects.get_or_create(address=normalise(address))


def opt_in(address: str) -> None:
    """Send the address reminders again."""
    ReminderOptOut.objects.filter(address=normalise(address)).delete()


def is_opted_out(address: str) -> bool:
    return ReminderOptOut.objects.filter(address=normalise(address)).exists()


def opted_out(addresses: Iterable[str]) -> set[str]:
    """The addresses (as given) that unsubscribed from the reminders."""
    addresses = list(addresses)
    keys = {normalise(address) for address in addresses}
    stopped = set(ReminderOptOut.objects.filter(address__in=keys).values_list("address", flat=True))
    return {address for address in addresses if normalise(address) in stopped}
