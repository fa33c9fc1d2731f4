"""E-mails that belong to the workflow's steps: to the ministry and to a Kommune's staff.

Also the ministry's list of mails that could not be delivered, whatever sent them.
"""

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.urls import reverse

from digitalesamt.accounts.roles import REVIEWER_GROUP
from digitalesamt.lib import mail

from .models import Application, ApplicationEvent, Award, Submission, UndeliveredMail


def ministry_recipients() -> list[str]:
    reviewers = get_user_model().objects.filter(
        is_active=True, is_staff=True, groups__name=REVIEWER_GROUP
    )
    addresses = set(settings.MINISTRY_NOTIFY_EMAILS)
    addresses.update(reviewers.exclude(email="").values_list("email", flat=True))
    return sorted(addresses)


def kommune_recipients(municipality_id: int) -> list[str]:
    users = get_user_model().objects.filter(
        is_active=True, membership__municipality_id=municipality_id
    )
    return sorted(set(users.exclude(email="").values_list("email", flat=True)))


def _kommune_context(application: Application, **context: object) -> dict:
    return {
        "application": application,
        "portal_url": reverse("portal:application"),
        # Whom to ask when the reviewer who decided has no address of their own.
        "ministry_email": settings.DEFAULT_FROM_EMAIL,
        **context,
    }


def _to_kommune(name: str, application: Application, **context: object) -> None:
    mail.send_later(
        f"awards/email/{name}",
        _kommune_context(application, **context),
        kommune_recipients(application.municipality_id),
    )


def preview_to_kommune(
    name: str, application: Application, *, comment: str, reviewer: AbstractBaseUser
) -> tuple[str, str]:
    """Subject and body of the mail `name` (changes_requested, rejected) as it would go out."""
    event = ApplicationEvent(application=application, actor=reviewer, comment=comment.strip())
    return mail.render(f"awards/email/{name}", _kommune_context(application, event=event))


def application_submitted(application: Application, submission: Submission) -> None:
    admin_url = reverse("admin:awards_application_change", args=[application.pk])
    mail.send_later(
        "awards/email/submitted",
        {"application": application, "submission": submission, "admin_url": admin_url},
        ministry_recipients(),
    )


def changes_requested(application: Application, event: ApplicationEvent) -> None:
    _to_kommune("changes_requested", application, event=event)


def application_approved(application: Application, award: Award) -> None:
    _to_kommune("approved", application, award=award)


def application_rejected(application: Application, event: ApplicationEvent) -> None:
    _to_kommune("rejected", application, event=event)


def award_revoked(award: Award) -> None:
    mail.send_later(
        "awards/email/revoked", {"award": award}, kommune_recipients(award.municipality_id)
    )


def record_undelivered(
    *,
    subject: str,
    body: str,
    recipients: list[str],
    error: str,
    attempts: int,
    first_attempt_at: datetime.datetime | None,
    headers: dict[str, str] | None = None,
    **kwargs: object,
) -> None:
    """Keep a mail that was given up on, for the ministry's list (mail.mail_undelivered)."""
    UndeliveredMail.objects.create(
        recipients=list(recipients),
        subject=subject,
        body=body,
        headers=dict(headers or {}),
        last_error=error,
        attempts=attempts,
        first_attempt_at=first_attempt_at,
    )


def send_again(mails: Iterable[UndeliveredMail]) -> int:
    """Queue undelivered mails again, each as a first attempt with all its retries."""
    count = 0
    for undelivered in mails:
        with transaction.atomic():
            # The row goes before the mail is queued: a new failure makes a new row.
            deleted, _ = UndeliveredMail.objects.filter(pk=undelivered.pk).delete()
            if deleted:
                subject, body, recipients, headers = (
                    undelivered.subject,
                    undelivered.body,
                    undelivered.recipients,
                    undelivered.headers,
                )
                transaction.on_commit(
                    lambda s=subject, b=body, r=recipients, h=headers: mail.queue(
                        subject=s, body=b, recipients=r, headers=h
                    )
                )
                count += 1
    return count
