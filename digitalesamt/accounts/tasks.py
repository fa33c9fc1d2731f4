"""Background work of the accounts: the password-reset mail."""

from django.conf import settings
from django.tasks import task
from django.utils import translation

from .forms import PasswordResetRequestForm
from .invitations import link_validity

RESET_MAIL = "accounts/email/password_reset"


@task
def send_password_reset(*, email: str) -> None:
    """Mail a reset link to each active user with this address; to nobody if it has none.

    The request only queues this, whether the address has a user or not, so its answer and
    the time it takes tell nothing about that. Links are built from SITE_URL, never from a
    request's Host header; the mail is German whatever language the page was shown in.
    """
    form = PasswordResetRequestForm({"email": email})
    if not form.is_valid():
        return
    with translation.override(settings.LANGUAGE_CODE):
        form.save(
            domain_override=settings.SITE_URL.split("://", 1)[-1],
            subject_template_name=f"{RESET_MAIL}_subject.txt",
            email_template_name=f"{RESET_MAIL}.txt",
            extra_email_context={"site_url": settings.SITE_URL, "validity": link_validity()},
        )
