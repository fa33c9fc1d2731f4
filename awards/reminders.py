"""Reminders to Kommunen close to their threshold: who is close, the mail, once per period.

A Kommune is close when it misses at most THRESHOLD_REMINDER_DISTANCE procedures and neither
it nor its Verwaltungsgemeinschaft holds the award. The ministry may mail its clerks a
reminder at most once in THRESHOLD_REMINDER_INTERVAL_DAYS days; each reminder is kept with
its text, recipients and sender.

Each clerk gets a mail of their own, with a personal link to unsubscribe (awards.unsubscribe)
in the text and in List-Unsubscribe; addresses that unsubscribed are left out. The text kept
with the reminder, and the ministry's preview, show a placeholder where the link goes.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from digitalesamt.lib import mail
from municipalities.models import Municipality, ProcedureLink

from . import unsubscribe
from .models import Award, ThresholdReminder
from .notifications import kommune_recipients

MAIL = "awards/email/threshold_reminder"


class ReminderRefused(Exception):
    """A reminder that may not go out (too soon, nobody to write to); the message says why."""


def near_threshold(queryset: QuerySet | None = None) -> QuerySet:
    """Kommunen at most THRESHOLD_REMINDER_DISTANCE below their threshold, without the award.

    Annotates `procedure_count`, `threshold`, `missing` and `last_reminder_at`.
    """
    queryset = Municipality.objects.all() if queryset is None else queryset
    holders = Award.objects.valid().values("municipality")
    last = ThresholdReminder.objects.filter(municipality=OuterRef("pk")).order_by("-sent_at")
    # The counting rule (`with_procedure_count`) counts distinct URL keys; a key is stored once
    # per Kommune (a unique constraint), so that is the number of active links, which the
    # index on (Kommune, active) answers without reading a link (see public live_counts).
    count = (
        ProcedureLink.objects.filter(municipality=OuterRef("pk"), active=True)
        .order_by()
        .values("municipality")
        .annotate(n=Count("*"))
        .values("n")
    )
    return (
        queryset.with_threshold()
        .annotate(
            procedure_count=Coalesce(Subquery(count), 0),
            missing=F("threshold") - F("procedure_count"),
            last_reminder_at=Subquery(last.values("sent_at")[:1]),
        )
        .filter(missing__gt=0, missing__lte=settings.THRESHOLD_REMINDER_DISTANCE)
        .exclude(Q(pk__in=holders) | Q(verwaltungsgemeinschaft__in=holders))
    )


def _mail_context(municipality: Municipality) -> dict:
    progress = municipality.progress()
    return {
        "municipality": municipality,
        "count": progress.count,
        "threshold": progress.threshold,
        "missing": progress.missing,
        "dashboard_url": reverse("portal:dashboard"),
        "central_url": reverse("portal:central_procedures"),
        "ministry_email": settings.DEFAULT_FROM_EMAIL,
    }


# Lazy: the mail's language (LANGUAGE_CODE), not the ministry user's.
PERSONAL_LINK = gettext_lazy("[persönlicher Link zum Abbestellen]")


def _general_text(context: dict) -> tuple[str, str]:
    """Subject and body with a placeholder for each recipient's own unsubscribe link."""
    return mail.render(MAIL, {**context, "unsubscribe_url": PERSONAL_LINK})


@dataclass(frozen=True)
class Preview:
    subject: str
    body: str
    recipients: list[str]  # who will get it
    opted_out: list[str]  # the Kommune's clerks who unsubscribed


def _addressees(municipality: Municipality) -> tuple[list[str], list[str]]:
    """The clerks' addresses that get the reminder, and those that unsubscribed."""
    clerks = kommune_recipients(municipality.pk)
    stopped = unsubscribe.opted_out(clerks)
    return [a for a in clerks if a not in stopped], [a for a in clerks if a in stopped]


def preview(municipality: Municipality) -> Preview:
    """The reminder as it would go out now, with whom it goes to and who unsubscribed."""
    subject, body = _general_text(_mail_context(municipality))
    recipients, opted_out = _addressees(municipality)
    return Preview(subject, body, recipients, opted_out)


def next_allowed(municipality: Municipality, now: datetime.datetime) -> datetime.datetime | None:
    """Return when the Kommune may be reminded again, or None if it may be now."""
    interval = datetime.timedelta(days=settings.THRESHOLD_REMINDER_INTERVAL_DAYS)
    last = (
        ThresholdReminder.objects.filter(municipality=municipality, sent_at__gt=now - interval)
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
    return None if last is None else last + interval


def _day(moment: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "j. F Y")


def send_reminder(*, municipality: Municipality, by: AbstractBaseUser) -> ThresholdReminder:
    """Mail the Kommune's clerks how many procedures they miss, and keep the reminder.

    Refused (ReminderRefused) within the interval of the last reminder, when no clerk of
    the Kommune has an address, or when every one of them unsubscribed. One mail per
    recipient is queued once the reminder is stored.
    """
    now = timezone.now()
    with transaction.atomic():
        # Locked: two clicks, or two ministry users, send one reminder.
        municipality = Municipality.objects.select_for_update().get(pk=municipality.pk)
        allowed = next_allowed(municipality, now)
        if allowed is not None:
            raise ReminderRefused(
                _(
                    "%(kommune)s wurde zuletzt vor weniger als %(days)d Tagen erinnert. Eine "
                    "neue Erinnerung ist ab dem %(date)s möglich."
                )
                % {
                    "kommune": municipality.title,
                    "days": settings.THRESHOLD_REMINDER_INTERVAL_DAYS,
                    "date": _day(allowed),
                }
            )
        context = _mail_context(municipality)
        recipients, opted_out = _addressees(municipality)
        if not recipients and not opted_out:
            raise ReminderRefused(
                _(
                    "%(kommune)s hat keinen Zugang zum Portal mit E-Mail-Adresse. Laden Sie "
                    "zuerst jemanden aus der Verwaltung ein."
                )
                % {"kommune": municipality.title}
            )
        if not recipients:
            raise ReminderRefused(
                _(
                    "%(kommune)s wird nicht erinnert: alle aus der Verwaltung mit Zugang zum "
                    "Portal haben die Erinnerungen abbestellt (%(addresses)s)."
                )
                % {"kommune": municipality.title, "addresses": ", ".join(opted_out)}
            )
        subject, body = _general_text(context)
        reminder = ThresholdReminder.objects.create(
            municipality=municipality,
            sent_at=now,
            sent_by=by,
            procedure_count=context["count"],
            threshold=context["threshold"],
            recipients=recipients,
            subject=subject,
            body=body,
        )
        for address in recipients:
            # Each their own: the link in the text and the header unsubscribes that address.
            personal = {**context, "unsubscribe_url": unsubscribe.unsubscribe_url(address)}
            own_subject, own_body = mail.render(MAIL, personal)
            transaction.on_commit(
                lambda s=own_subject, b=own_body, a=address: mail.queue(
                    subject=s, body=b, recipients=[a], headers=unsubscribe.headers(a)
                )
            )
    return reminder


def reminded_on(reminder_at: datetime.datetime | None) -> str:
    """The day of the last reminder for a list, or "–"."""
    return _day(reminder_at) if reminder_at else "–"
