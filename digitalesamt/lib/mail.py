"""Plain-text mail from templates: `<name>_subject.txt` and `<name>.txt`, in the site's language.

    send_later("awards/email/approved", context, recipients)  # through the task queue
    send_now("accounts/email/invitation", context, [user.email])  # raises on SMTP failure

Mail goes out in German (LANGUAGE_CODE) whatever language the page that caused it was in:
the people who read it are the ministry's staff and the Kommunen's.
"""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import translation


def render(name: str, context: dict[str, Any]) -> tuple[str, str]:
    """Return the subject (one line) and the body of a mail."""
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"{name}_subject.txt", context)
        body = render_to_string(f"{name}.txt", context)
    return " ".join(subject.split()), body.strip() + "\n"


@task
def send_mail_task(*, subject: str, body: str, recipients: list[str]) -> int:
    """Send one plain-text mail from the worker."""
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def send_later(name: str, context: dict[str, Any], recipients: Sequence[str]) -> None:
    """Render a mail now and queue it for the worker; no recipients, no mail."""
    recipients = sorted(set(filter(None, recipients)))
    if not recipients:
        return
    subject, body = render(name, context)
    send_mail_task.enqueue(subject=subject, body=body, recipients=recipients)


def send_now(name: str, context: dict[str, Any], recipients: Sequence[str]) -> int:
    """Render and send a mail at once; SMTP errors reach the caller, who can tell the user."""
    subject, body = render(name, context)
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, list(recipients))
