"""The award "Digitales Amt" and its public number."""

import re

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from municipalities.models import Municipality

AWARD_NUMBER_PATTERN = re.compile(r"^DA-(\d{4})-(\d{4})$")


def format_award_number(year: int, sequence: int) -> str:
    return f"DA-{year}-{sequence:04d}"


class AwardQuerySet(models.QuerySet):
    def valid(self) -> "AwardQuerySet":
        return self.filter(revoked_at__isnull=True)

    def of_year(self, year: int) -> "AwardQuerySet":
        return self.filter(number__startswith=f"DA-{year}-")

    def next_number(self, year: int) -> str:
        """Return the next free number of the year; callers serialise on the year themselves."""
        numbers = self.of_year(year).values_list("number", flat=True)
        used = [int(number[-4:]) for number in numbers]
        return format_award_number(year, max(used, default=0) + 1)


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
    revoked_at = models.DateTimeField(_("widerrufen am"), null=True, blank=True)
    revocation_reason = models.TextField(_("Grund des Widerrufs"), blank=True)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

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
