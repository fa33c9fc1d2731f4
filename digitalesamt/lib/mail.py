"""Plain-text mail from templates: `<name>_subject.txt` and `<name>.txt`, in the site's language.

    send_later("awards/email/approved", context, recipients)  # through the task queue
    send_now("accounts/email/invitation", context, [user.email])  # raises on SMTP failure

Every mail is one text/plain part in UTF-8 and says it was sent by a program (RFC 3834
`Auto-Submitted: auto-generated`, and `X-Auto-Response-Suppress: All` for Exchange), so that
out-of-office replies do not come back. A caller may add headers of its own (`headers=`, e.g.
`List-Unsubscribe`); they travel with the task's JSON arguments through every retry.

Mail goes out in German (LANGUAGE_CODE) whatever language the page that caused it was in:
the people who read it are the ministry's staff and the Kommunen's.

A queued mail that cannot be sent (SMTP down, refused, timed out) is tried again after each
delay of MAIL_RETRY_DELAYS in turn (60 s, 5 min, 30 min, 2 h, 6 h: about 8.6 hours in all);
after the last try it is given up, `mail_undelivered` tells whoever keeps a list of them
(awards: the ministry's list of undelivered mails) and the task fails.
A backend that cannot run a task later (the immediate one of development and the tests) gives
up at the first failure.
"""

import datetime
import email.policy
import logging
import smtplib
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.dispatch import Signal
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime

logger = logging.getLogger(__name__)

# Sent once for a mail given up on, with subject, body, recipients, headers (the caller's own),
# error (the last one, as text), attempts and first_attempt_at (a datetime).
mail_undelivered = Signal()

# What a mail server or the way to it can do wrong; anything else is a bug and fails the task.
DELIVERY_ERRORS = (smtplib.SMTPException, OSError)

# On every mail: sent by a program, not a person (RFC 3834), so no auto-reply comes back.
AUTOMATIC_HEADERS = {
    "Auto-Submitted": "auto-generated",
    "X-Auto-Response-Suppress": "All",
}


def render(name: str, context: dict[str, Any]) -> tuple[str, str]:
    """Return the subject (one line) and the body of a mail."""
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"{name}_subject.txt", context)
        body = render_to_string(f"{name}.txt", context)
    return " ".join(subject.split()), body.strip() + "\n"


@task
def send_mail_task(
    *,
    subject: str,
    body: str,
    recipients: list[str],
    headers: dict[str, str] | None = None,
    attempt: int = 1,
    first_attempt_at: str | None = None,
) -> int:
    """Send one plain-text mail from the worker; on failure queue the next try or give up."""
    first = parse_datetime(first_attempt_at) if first_attempt_at else timezone.now()
    try:
        return deliver(subject=subject, body=body, recipients=recipients, headers=headers)
    except DELIVERY_ERRORS as error:
        delays = settings.MAIL_RETRY_DELAYS
        later = send_mail_task.get_backend().supports_defer
        if later and attempt <= len(delays):
            run_after = timezone.now() + datetime.timedelta(seconds=delays[attempt - 1])
            logger.warning(
                "Mail %r to %s failed (attempt %d, %s); trying again at %s",
                subject,
                recipients,
                attempt,
                error,
                run_after.isoformat(),
            )
            send_mail_task.using(run_after=run_after).enqueue(
                subject=subject,
                body=body,
                recipients=recipients,
                headers=headers,
                attempt=attempt + 1,
                first_attempt_at=first.isoformat(),
            )
            return 0
        logger.error(
            "Mail %r to %s given up after %d attempts: %s", subject, recipients, attempt, error
        )
        mail_undelivered.send(
            sender=send_mail_task.func,
            subject=subject,
            body=body,
            recipients=recipients,
            headers=headers or {},
            error=f"{type(error).__name__}: {error}",
            attempts=attempt,
            first_attempt_at=first,
        )
        raise  # the task fails too, for whoever watches the queue


# RFC 2369's headers hold URLs in angle brackets, which may not be cut into RFC 2047 encoded
# words (a mail client would no longer find the link); the email package would do that to a
# line longer than 78 characters. They are written as given, on one line (under 998).
URL_HEADERS = frozenset(
    {"list-unsubscribe", "list-help", "list-subscribe", "list-post", "list-owner", "list-archive"}
)


class _OneLine(str):
    """A header the email package writes as it is (email.policy: an object with `name` and
    `fold` is stored and folded by itself)."""

    name: str

    def __new__(cls, name: str, value: str) -> "_OneLine":
        header = super().__new__(cls, value)
        header.name = name
        return header

    def fold(self, *, policy: email.policy.Policy) -> str:
        return f"{self.name}: {self}{policy.linesep}"


class PlainTextMail(EmailMessage):
    """Django's EmailMessage, with URL headers kept on one line."""

    def message(self, *, policy: email.policy.Policy = email.policy.default):
        message = super().message(policy=policy)
        for name, value in self.extra_headers.items():
            if name.lower() in URL_HEADERS and value.isascii() and len(value) < 900:
                message.replace_header(name, _OneLine(name, value))
        return message


def deliver(
    *, subject: str, body: str, recipients: Sequence[str], headers: dict[str, str] | None = None
) -> int:
    """Send one mail now: a single text/plain part in UTF-8, with the automatic headers."""
    message = PlainTextMail(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        list(recipients),
        headers={**(headers or {}), **AUTOMATIC_HEADERS},
    )
    message.encoding = "utf-8"
    return message.send()


def send_later(
    name: str,
    context: dict[str, Any],
    recipients: Sequence[str],
    headers: dict[str, str] | None = None,
) -> None:
    """Render a mail now and queue it for the worker; no recipients, no mail."""
    recipients = sorted(set(filter(None, recipients)))
    if not recipients:
        return
    subject, body = render(name, context)
    queue(subject=subject, body=body, recipients=recipients, headers=headers)


def queue(
    *,
    subject: str,
    body: str,
    recipients: Sequence[str],
    headers: dict[str, str] | None = None,
) -> None:
    """Queue a mail already rendered (a mail sent again), as its first attempt."""
    send_mail_task.enqueue(
        subject=subject, body=body, recipients=list(recipients), headers=dict(headers or {})
    )


def send_now(
    name: str,
    context: dict[str, Any],
    recipients: Sequence[str],
    headers: dict[str, str] | None = None,
) -> int:
    """Render and send a mail at once; SMTP errors reach the caller, who can tell the user."""
    subject, body = render(name, context)
    return deliver(subject=subject, body=body, recipients=recipients, headers=headers)
