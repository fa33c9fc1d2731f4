"""E-mails that belong to the workflow's steps: to the ministry and to a Kommune's staff."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from municipalities.accounts import REVIEWER_GROUP

from .models import Application, ApplicationEvent, Award, Submission
from .tasks import send_mail_task


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


def _send(template: str, context: dict, recipients: list[str]) -> None:
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):
        context = {"site_url": settings.SITE_URL, **context}
        subject, body = render_to_string(f"awards/email/{template}.txt", context).split("\n", 1)
    send_mail_task.enqueue(subject=subject.strip(), body=body.strip() + "\n", recipients=recipients)


def application_submitted(application: Application, submission: Submission) -> None:
    admin_url = reverse("admin:awards_application_change", args=[application.pk])
    _send(
        "submitted",
        {"application": application, "submission": submission, "admin_url": admin_url},
        ministry_recipients(),
    )


def changes_requested(application: Application, event: ApplicationEvent) -> None:
    _send(
        "changes_requested",
        {"application": application, "event": event, "portal_url": reverse("portal:application")},
        kommune_recipients(application.municipality_id),
    )


def application_approved(application: Application, award: Award) -> None:
    _send(
        "approved",
        {"application": application, "award": award, "portal_url": reverse("portal:application")},
        kommune_recipients(application.municipality_id),
    )


def application_rejected(application: Application, event: ApplicationEvent) -> None:
    _send(
        "rejected",
        {"application": application, "event": event, "portal_url": reverse("portal:application")},
        kommune_recipients(application.municipality_id),
    )


def award_revoked(award: Award) -> None:
    _send("revoked", {"award": award}, kommune_recipients(award.municipality_id))
