"""The award "Digitales Amt" and its public number."""

import datetime
import re

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from digitalesamt.lib.http import Version
from municipalities.constants import LinkCheckResult, PageKind, Scope
from municipalities.models import Municipality

from .constants import ACTIONS, AWAITING_REVIEW, OPEN_STATUSES, STATUS_TONES, Status, Verdict

AWARD_NUMBER_PATTERN = re.compile(r"^DA-(\d{4})-(\d{4})$")


def format_award_number(year: int, sequence: int) -> str:
    return f"DA-{year}-{sequence:04d}"


# How people type a number from a plaque: any case, spaces or dashes anywhere, the prefix left
# out, the running number unpadded ("da 2023 17", "2023-0017"), O for 0 and I or l for 1.
_TYPED_SEPARATORS = re.compile(r"[\s\-‐‑–—_./]+")
_TYPED_LETTERS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_TYPED_NUMBER = re.compile(r"([0-9]{4})(?:-([0-9]{1,4})|([0-9]{4}))", re.ASCII)
# Longer input is no award number nor one slip away from one.
_TYPED_MAX_LENGTH = 16


def _typed_digits(text: str, separator: str = "") -> str:
    """Return a typed number without its prefix and separators, letters read as digits."""
    compact = _TYPED_SEPARATORS.sub(separator, text.strip().upper()).strip(separator)
    if compact.startswith("DA"):
        compact = compact[2:].lstrip(separator)
    return compact.translate(_TYPED_LETTERS)


def normalize_award_number(text: str) -> str | None:
    """Read an award number as people type it: "da 2023 17" is DA-2023-0017; None if no number.

    Without a separator the running number must have its four digits ("DA20230017"): in
    "DA2023017" no one can tell which digit is missing.
    """
    if len(text) > _TYPED_MAX_LENGTH * 2:
        return None
    match = _TYPED_NUMBER.fullmatch(_typed_digits(text, separator="-"))
    if not match:
        return None
    return format_award_number(int(match[1]), int(match[2] or match[3]))


def _slip(typed: str, number: str) -> int | None:
    """Rank how one typing slip turns `number` into `typed`: 0 swapped neighbours, 1 a digit
    too many or too few, 2 a wrong digit; None if it takes more than one (or none)."""
    if typed == number or abs(len(typed) - len(number)) > 1:
        return None
    first = next(
        (i for i, (a, b) in enumerate(zip(typed, number, strict=False)) if a != b),
        min(len(typed), len(number)),
    )
    if len(typed) != len(number):
        shorter, longer = sorted((typed, number), key=len)
        return 1 if shorter[first:] == longer[first + 1 :] else None
    if typed[first + 1 :] == number[first + 1 :]:
        return 2
    swapped = typed[first : first + 2] == number[first : first + 2][::-1]
    return 0 if swapped and typed[first + 2 :] == number[first + 2 :] else None


class AwardQuerySet(models.QuerySet):
    def version(self) -> Version:
        """Read the version of all awards in one query that the index on updated_at answers.

        A new award and a revocation both set `updated_at`; the number catches a deleted award.

        Plain SQL: public pages ask on every request, and building the same query with
        aggregate() costs several times what the database needs to answer it.
        """
        table = connection.ops.quote_name(self.model._meta.db_table)
        column = connection.ops.quote_name(self.model._meta.get_field("updated_at").column)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX({column}), COUNT(*) FROM {table}")  # noqa: S608
            latest, total = cursor.fetchone()
        if isinstance(latest, str):  # SQLite answers an aggregate of datetimes with text
            latest = parse_datetime(latest)
        if latest is not None and timezone.is_naive(latest):
            latest = timezone.make_aware(latest, datetime.UTC)
        token = f"{latest.isoformat() if latest else '-'}|{total}"
        return Version(token, latest)

    def valid(self) -> "AwardQuerySet":
        return self.filter(revoked_at__isnull=True)

    def near(self, typed: str, limit: int = 3) -> list["Award"]:
        """Return the awards whose number is one typing slip away from a number typed.

        Swapped digits rank first, then a digit too many or too few, then a wrong digit.
        Two queries; only asked when the typed number matches no award.
        """
        exact = normalize_award_number(typed)
        typed = _typed_digits(exact or typed)
        if not typed or len(typed) > _TYPED_MAX_LENGTH:
            return []
        ranked = []
        for number in self.values_list("number", flat=True):
            slip = _slip(typed, _typed_digits(number))
            if slip is not None:
                ranked.append((slip, number))
        numbers = [number for _, number in sorted(ranked)[:limit]]
        awards = self.filter(number__in=numbers).select_related("municipality")
        found = {award.number: award for award in awards}
        return [found[number] for number in numbers if number in found]

    def of_year(self, year: int) -> "AwardQuerySet":
        return self.filter(number__startswith=f"DA-{year}-")

    def last_sequence(self, year: int) -> int:
        """Return the highest running number issued in a year (0 if none)."""
        numbers = self.of_year(year).values_list("number", flat=True)
        return max((int(number[-4:]) for number in numbers), default=0)

    def holders_at_risk(self) -> "AwardQuerySet":
        """Valid awards whose Kommune's live count fell below its threshold (one query besides
        the largest threshold's, see Municipality.objects.below_threshold)."""
        at_risk = Municipality.objects.below_threshold()
        return self.valid().filter(municipality__in=at_risk.values("pk"))


class Award(models.Model):
    """The title "Digitales Amt" held by one Kommune, with its public number."""

    number = models.CharField(
        _("Nummer"),
        max_length=12,
        unique=True,
        validators=[RegexValidator(AWARD_NUMBER_PATTERN.pattern)],
        help_text=_("DA-Jahr-laufende Nummer (vierstellig), z. B. DA-2021-0001"),
    )
    municipality = models.ForeignKey(
        Municipality, verbose_name=_("Kommune"), on_delete=models.PROTECT, related_name="awards"
    )
    issued_on = models.DateField(_("verliehen am"))
    procedure_count = models.PositiveIntegerField(_("Online-Verfahren bei Verleihung"))
    application = models.OneToOneField(
        "Application",
        verbose_name=_("Antrag"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="award",
    )
    revoked_at = models.DateTimeField(_("widerrufen am"), null=True, blank=True)
    revocation_reason = models.TextField(_("Grund des Widerrufs"), blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("widerrufen von"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Why the ministry approved although the confirmation step listed concerns (blank if none).
    approval_justification = models.TextField(_("Begründung der Bewilligung"), blank=True)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    # Public pages and open data use the latest change as their version (ETag, Last-Modified).
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True, db_index=True)

    objects = AwardQuerySet.as_manager()

    class Meta:
        verbose_name = _("Auszeichnung")
        verbose_name_plural = _("Auszeichnungen")
        ordering = ["-issued_on", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality"],
                condition=Q(revoked_at__isnull=True),
                name="award_one_valid_per_municipality",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revocation_reason=""),
                name="award_revocation_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class TransitionError(Exception):
    """A workflow step that is not allowed now; the message says why, for the user."""


class ApplicationQuerySet(models.QuerySet):
    def open(self) -> "ApplicationQuerySet":
        return self.filter(status__in=OPEN_STATUSES)

    def awaiting_review(self) -> "ApplicationQuerySet":
        return self.filter(status__in=AWAITING_REVIEW)


class Application(models.Model):
    """A Kommune's application for the title; its status changes only through the services."""

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("Kommune"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    status = models.CharField(
        _("Status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("angelegt von"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("zuletzt eingereicht am"), null=True, blank=True)
    decided_at = models.DateTimeField(_("entschieden am"), null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Prüferin/Prüfer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("Antrag")
        verbose_name_plural = _("Anträge")
        ordering = ["submitted_at", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="application_status_valid"
            ),
            models.UniqueConstraint(
                fields=["municipality"],
                condition=Q(status__in=OPEN_STATUSES),
                name="application_one_open_per_municipality",
            ),
        ]

    def __str__(self) -> str:
        return _("Antrag %(kommune)s") % {"kommune": self.municipality.title}

    def can(self, action: str) -> bool:
        """Tell whether the workflow step `action` (awards.constants) is allowed now."""
        return self.status in ACTIONS[action].sources

    @property
    def allowed_actions(self) -> frozenset[str]:
        """The workflow steps allowed now, for templates: {% if "submit" in ... %}."""
        return frozenset(name for name in ACTIONS if self.can(name))

    def ensure_allowed(self, action: str) -> None:
        """Raise TransitionError, saying why, unless the step `action` is allowed now."""
        if self.can(action):
            return
        rule = ACTIONS[action]
        refusal = rule.refusals.get(self.status, rule.refusal)
        raise TransitionError(
            str(refusal) % {"status": Status(self.status).label, "kommune": self.municipality.title}
        )

    @property
    def status_tone(self) -> str:
        """Return KERN's status colour of the state: info, warning, success or danger."""
        return STATUS_TONES[self.status]

    @property
    def is_open(self) -> bool:
        """Whether the application is still going (it blocks a new one)."""
        return self.status in OPEN_STATUSES

    @property
    def awaits_ministry(self) -> bool:
        """Whether the ministry holds the frozen evidence (submitted or in review)."""
        return self.status in AWAITING_REVIEW

    def latest_submission(self) -> "Submission | None":
        return self.submissions.order_by("-number").first()


class ApplicationEvent(models.Model):
    """One step in an application's history: who moved it from where to where, and why."""

    application = models.ForeignKey(
        Application, verbose_name=_("Antrag"), on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("durch"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    from_status = models.CharField(_("von"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("nach"), max_length=20, choices=Status.choices)
    comment = models.TextField(_("Kommentar"), blank=True)
    created_at = models.DateTimeField(_("am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Verlaufseintrag")
        verbose_name_plural = _("Verlauf")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


class ApplicationNote(models.Model):
    """A reviewer's internal note on an application: the ministry's alone, never the Kommune's."""

    application = models.ForeignKey(
        Application, verbose_name=_("Antrag"), on_delete=models.CASCADE, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("von"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    text = models.TextField(_("Notiz"))
    created_at = models.DateTimeField(_("am"), auto_now_add=True)

    class Meta:
        verbose_name = _("interne Notiz")
        verbose_name_plural = _("interne Notizen")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:50]


class Submission(models.Model):
    """The evidence frozen when an application was (re)submitted; it never changes afterwards."""

    application = models.ForeignKey(
        Application,
        verbose_name=_("Antrag"),
        on_delete=models.CASCADE,
        related_name="submissions",
    )
    number = models.PositiveSmallIntegerField(_("Einreichung Nr."))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("eingereicht von"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("eingereicht am"), auto_now_add=True)
    procedure_count = models.PositiveIntegerField(_("gezählte Online-Verfahren"))
    threshold = models.PositiveSmallIntegerField(_("Schwellenwert"))
    comment = models.TextField(_("Anmerkung der Kommune"), blank=True)
    # The declaration the clerk affirmed before submitting, word for word as shown.
    declaration = models.TextField(_("Versicherung der Kommune"), blank=True)
    # The link check (awards.tasks.check_submission_links) works in batches, each a task of its
    # own; a restart counts the round on, and a batch of an earlier round stops.
    link_check_round = models.PositiveIntegerField(_("Durchgang der Linkprüfung"), default=0)
    link_check_moved_at = models.DateTimeField(
        _("Linkprüfung zuletzt angestoßen oder vorangekommen"), null=True, blank=True
    )
    link_check_error = models.CharField(_("Fehler der Linkprüfung"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("Einreichung")
        verbose_name_plural = _("Einreichungen")
        ordering = ["application", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "number"], name="submission_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return _("Einreichung %(number)d") % {"number": self.number}


class EvidenceItem(models.Model):
    """One counted procedure as it stood at submission, with the result of its link check."""

    submission = models.ForeignKey(
        Submission,
        verbose_name=_("Einreichung"),
        on_delete=models.CASCADE,
        related_name="items",
    )
    title = models.CharField(_("Titel"), max_length=300)
    url = models.URLField(_("URL"), max_length=1000)
    scope = models.CharField(_("Zuständigkeit"), max_length=10, choices=Scope.choices)
    leika_keys = models.CharField(_("LeiKa-Schlüssel"), max_length=1000, blank=True)
    check_result = models.CharField(
        _("Linkprüfung"), max_length=10, choices=LinkCheckResult.choices, blank=True
    )
    check_status = models.PositiveSmallIntegerField(_("HTTP-Status"), null=True, blank=True)
    check_detail = models.CharField(_("Prüfdetail"), max_length=300, blank=True)
    # What the page looks like, and why the check thinks so ("kein Formular gefunden").
    page_kind = models.CharField(
        _("Art der Seite"), max_length=12, choices=PageKind.choices, blank=True
    )
    page_reason = models.CharField(_("Grund der Einordnung"), max_length=300, blank=True)
    checked_at = models.DateTimeField(_("geprüft am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Nachweis")
        verbose_name_plural = _("Nachweise")
        ordering = ["submission", "title", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "url"], name="evidence_url_unique"),
        ]

    def __str__(self) -> str:
        return self.title


class SpotCheck(models.Model):
    """A reviewer's verdict on one sampled link of a submission."""

    item = models.OneToOneField(
        EvidenceItem,
        verbose_name=_("Nachweis"),
        on_delete=models.CASCADE,
        related_name="spot_check",
    )
    verdict = models.CharField(_("Bewertung"), max_length=12, choices=Verdict.choices, blank=True)
    note = models.TextField(_("Notiz"), blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Prüferin/Prüfer"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    drawn_at = models.DateTimeField(_("gezogen am"), auto_now_add=True)
    decided_at = models.DateTimeField(_("bewertet am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Stichprobe")
        verbose_name_plural = _("Stichproben")
        ordering = ["drawn_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(verdict__in=[*Verdict.values, ""]), name="spot_check_verdict_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.get_verdict_display() or '–'}"


class AwardSequence(models.Model):
    """The last number issued in a year; its row is locked while an award is numbered."""

    year = models.PositiveSmallIntegerField(_("Jahr"), primary_key=True)
    last = models.PositiveSmallIntegerField(_("zuletzt vergeben"), default=0)

    class Meta:
        verbose_name = _("Nummernkreis")
        verbose_name_plural = _("Nummernkreise")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class UndeliveredMail(models.Model):
    """A mail that could not be sent after every retry; the ministry can send it again."""

    recipients = models.JSONField(_("Empfänger"))
    subject = models.TextField(_("Betreff"))
    body = models.TextField(_("Text"))
    # The sender's own headers (List-Unsubscribe of a reminder): a mail sent again keeps them.
    headers = models.JSONField(_("zusätzliche Kopfzeilen"), default=dict, blank=True)
    last_error = models.TextField(_("letzter Fehler"))
    attempts = models.PositiveSmallIntegerField(_("Versuche"))
    first_attempt_at = models.DateTimeField(_("erster Versuch am"), null=True, blank=True)
    failed_at = models.DateTimeField(_("aufgegeben am"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("nicht zugestellte E-Mail")
        verbose_name_plural = _("nicht zugestellte E-Mails")
        ordering = ["-failed_at", "-pk"]

    def __str__(self) -> str:
        return self.subject


class NearThreshold(Municipality):
    """A Kommune as the ministry's list of those close to their threshold shows it."""

    class Meta:
        proxy = True
        verbose_name = _("Kommune kurz vor dem Schwellenwert")
        verbose_name_plural = _("Kommunen kurz vor dem Schwellenwert")


class ThresholdReminder(models.Model):
    """A reminder the ministry mailed to a Kommune's clerks: how many procedures are missing.

    At most one per Kommune in settings.THRESHOLD_REMINDER_INTERVAL_DAYS (awards.reminders).
    """

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("Kommune"),
        on_delete=models.CASCADE,
        related_name="threshold_reminders",
    )
    sent_at = models.DateTimeField(_("gesendet am"), default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("gesendet von"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    procedure_count = models.PositiveIntegerField(_("Online-Verfahren beim Versand"))
    threshold = models.PositiveIntegerField(_("Schwellenwert beim Versand"))
    recipients = models.JSONField(_("Empfänger"))
    subject = models.TextField(_("Betreff"))
    body = models.TextField(_("Text"))

    class Meta:
        verbose_name = _("Erinnerung an den Schwellenwert")
        verbose_name_plural = _("Erinnerungen an den Schwellenwert")
        ordering = ["-sent_at", "-pk"]
        indexes = [models.Index(fields=["municipality", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.municipality}: {self.sent_at:%Y-%m-%d}"


class ReminderOptOut(models.Model):
    """An address that unsubscribed from the threshold reminders (awards.unsubscribe).

    Only the reminders stop: the mails of the workflow (submitted, decided, revoked) are not
    optional. Deleting the row subscribes the address again.
    """

    address = models.EmailField(_("E-Mail-Adresse"), unique=True)  # stored in lower case
    opted_out_at = models.DateTimeField(_("abbestellt am"), default=timezone.now)

    class Meta:
        verbose_name = _("abbestellte Erinnerung")
        verbose_name_plural = _("abbestellte Erinnerungen")
        ordering = ["-opted_out_at", "-pk"]

    def __str__(self) -> str:
        return self.address
