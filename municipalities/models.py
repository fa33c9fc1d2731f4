"""Kommunen from the official register, the LeiKa catalogue and the linked online procedures."""

import contextlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Lower
from django.utils.translation import gettext_lazy as _

from digitalesamt.lib import linkcheck

from .constants import TITLE_PREFIXES, Kind, LinkCheckResult, Scope, SourceCoverage
from .search import normalize
from .validation import (
    DUPLICATE_URL_MESSAGE,
    URL_MAX_LENGTH,
    ars_validator,
    clean_host,
    clean_procedure_url,
    control_character,
    control_character_message,
    host_validator,
    leika_validator,
    too_many_links,
    url_key,
    url_key_expression,
    web_url_validator,
)


@dataclass(frozen=True)
class Progress:
    """A Kommune's count by the counting rule against its threshold."""

    count: int
    threshold: int

    @property
    def missing(self) -> int:
        return max(self.threshold - self.count, 0)

    @property
    def reached(self) -> bool:
        return self.count >= self.threshold


class CappedCount(Subquery):
    """COUNT(*) of a sliced subquery's rows: a count that stops reading at the slice's end."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS capped)"


class MunicipalityQuerySet(models.QuerySet):
    def of_kind(self, *kinds: str) -> "MunicipalityQuerySet":
        return self.filter(kind__in=kinds)

    def in_regierungsbezirk(self, bezirk_id: int) -> "MunicipalityQuerySet":
        """Kommunen in a Regierungsbezirk, the Bezirk itself included."""
        return self.filter(Q(regierungsbezirk_id=bezirk_id) | Q(pk=bezirk_id))

    def in_landkreis(self, landkreis_id: int) -> "MunicipalityQuerySet":
        """Kommunen in a Landkreis, the Landratsamt itself included."""
        return self.filter(Q(landkreis_id=landkreis_id) | Q(pk=landkreis_id))

    def with_procedure_count(self) -> "MunicipalityQuerySet":
        """Annotate `procedure_count`: the Kommune's distinct active online procedures.

        This is the counting rule of the programme, used everywhere a count is shown or
        checked. A procedure is one URL however it is spelt: a link serving several LeiKa
        services counts once, and a URL is stored once per Kommune by its counting key
        (`url_key`: canonical, without scheme and trailing slash; unique). Only active links
        count. One query for any number of Kommunen.
        """
        counted = ProcedureLink.objects.filter(municipality=OuterRef("pk")).active()
        # A key is unique per Kommune (procedure_link_unique_url_key_per_municipality), so the
        # distinct keys are the active links: COUNT(*), which the index on (Kommune, active)
        # answers without reading a link (an index-only scan; COUNT(id) would read each row on
        # PostgreSQL), where COUNT(DISTINCT url_key) reads and sorts every one.
        count = counted.order_by().values("municipality").annotate(n=Count("*")).values("n")
        return self.annotate(procedure_count=Coalesce(Subquery(count), 0))

    def with_threshold(self) -> "MunicipalityQuerySet":
        """Annotate `threshold`: the minimum the ministry set for the Kommune's kind."""
        minimum = Threshold.objects.filter(kind=OuterRef("kind")).values("minimum")[:1]
        return self.annotate(threshold=Coalesce(Subquery(minimum), Threshold.DEFAULT_MINIMUM))

    def with_progress(self) -> "MunicipalityQuerySet":
        return self.with_procedure_count().with_threshold()

    def below_threshold(self) -> "MunicipalityQuerySet":
        """Kommunen whose live count is below their threshold (the counting rule; one query
        besides the largest threshold's).

        Whether a count reaches its threshold needs no more links than that: each Kommune's
        active links are counted only up to the largest threshold of any kind, so a Kommune
        with 5,000 links is read 50 deep. The holders at risk at full size (2,445 Kommunen,
        500,000 links): 55 -> 15 ms on SQLite, 47 -> 19 ms on PostgreSQL.
        """
        links = ProcedureLink.objects.filter(municipality=OuterRef("pk")).active().order_by()
        capped = links.values("municipality")[: Threshold.largest()]
        return (
            self.with_threshold()
            .annotate(capped_count=CappedCount(capped, output_field=models.IntegerField()))
            .filter(capped_count__lt=models.F("threshold"))
        )

    def qualifying(self) -> "MunicipalityQuerySet":
        """Kommunen whose live count reaches their threshold."""
        return self.with_progress().filter(procedure_count__gte=models.F("threshold"))


class Municipality(models.Model):
    """A Kommune of the official register (GV100AD): anything that can hold the award."""

    ars = models.CharField(
        _("Regionalschlüssel (ARS)"), max_length=12, unique=True, validators=[ars_validator]
    )
    ags = models.CharField(_("Gemeindeschlüssel (AGS)"), max_length=8, blank=True, db_index=True)
    name = models.CharField(_("Name"), max_length=120, db_index=True)
    # The name as search compares it (municipalities.search.normalize), kept by save() and
    # the register import; never edited by hand.
    search_name = models.CharField(
        _("Name für die Suche"), max_length=120, db_index=True, blank=True, editable=False
    )
    register_name = models.CharField(
        _("Name im Gemeindeverzeichnis"),
        max_length=120,
        help_text=_("Wie im Gemeindeverzeichnis (GV100AD) geführt, mit Zusätzen."),
    )
    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices, db_index=True)
    regierungsbezirk = models.ForeignKey(
        "self",
        verbose_name=_("Regierungsbezirk"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": Kind.BEZIRK},
    )
    landkreis = models.ForeignKey(
        "self",
        verbose_name=_("Landkreis"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": Kind.LANDKREIS},
    )
    verwaltungsgemeinschaft = models.ForeignKey(
        "self",
        verbose_name=_("Verwaltungsgemeinschaft"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        limit_choices_to={"kind": Kind.VG},
    )
    seat = models.CharField(_("Sitz der Verwaltung"), max_length=120, blank=True)
    population = models.PositiveIntegerField(_("Einwohner"), null=True, blank=True)
    area_ha = models.PositiveIntegerField(_("Fläche (ha)"), null=True, blank=True)
    latitude = models.DecimalField(
        _("Breitengrad"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("Längengrad"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    postal_code = models.CharField(_("Postleitzahl"), max_length=5, blank=True, db_index=True)
    website = models.URLField(_("Website"), blank=True)
    bayernportal_url = models.URLField(
        _("Seite im BayernPortal"),
        blank=True,
        help_text=_("Die Seite der Behörde im BayernPortal, auf der ihre Online-Verfahren stehen."),
    )
    register_date = models.DateField(_("Gebietsstand"), null=True, blank=True)
    coat_of_arms = models.FileField(
        _("Wappen"),
        upload_to="wappen/",
        blank=True,
        help_text=_("PNG, vom Portal geprüft und neu gespeichert; erscheint auf dem Schild."),
    )

    objects = MunicipalityQuerySet.as_manager()

    class Meta:
        verbose_name = _("Kommune")
        verbose_name_plural = _("Kommunen")
        ordering = ["name", "ars"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=Kind.values), name="municipality_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.ars})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_name = normalize(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "search_name"}
        super().save(*args, **kwargs)

    @property
    def title(self) -> str:
        """Name in the form people use: "Markt Hösbach", "Landratsamt Kitzingen"."""
        prefix = str(TITLE_PREFIXES[self.kind])
        if self.register_name.endswith(", Landeshauptstadt"):
            prefix = str(_("Landeshauptstadt"))
        if self.name.startswith(f"{prefix} "):  # "Markt Einersheim" is already a Markt's title
            return self.name
        return f"{prefix} {self.name}"

    def progress(self) -> Progress:
        """Count this Kommune's online procedures against its threshold (one query)."""
        row = (
            Municipality.objects.filter(pk=self.pk)
            .with_progress()
            .values("procedure_count", "threshold")
            .get()
        )
        return Progress(row["procedure_count"], row["threshold"])


class Threshold(models.Model):
    """The number of online procedures a kind of Kommune needs; the ministry edits these."""

    DEFAULT_MINIMUM = 50

    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices, unique=True)
    minimum = models.PositiveSmallIntegerField(_("Mindestzahl an Online-Verfahren"))

    class Meta:
        verbose_name = _("Schwellenwert")
        verbose_name_plural = _("Schwellenwerte")
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(condition=Q(minimum__gte=1), name="threshold_minimum_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.minimum}"

    @classmethod
    def largest(cls) -> int:
        """The largest threshold of any kind (one query)."""
        largest = cls.objects.aggregate(largest=models.Max("minimum"))["largest"]
        return max(largest or 0, cls.DEFAULT_MINIMUM)

    @classmethod
    def for_kind(cls, kind: str) -> int:
        minimum = cls.objects.filter(kind=kind).values_list("minimum", flat=True).first()
        return cls.DEFAULT_MINIMUM if minimum is None else minimum


class Service(models.Model):
    """A service (Leistung) of the federal LeiKa catalogue with its OZG-Leistung."""

    leika_key = models.CharField(
        _("LeiKa-Schlüssel"), max_length=14, unique=True, validators=[leika_validator]
    )
    name = models.CharField(_("Leistung"), max_length=300)
    leika_type = models.CharField(_("LeiKa-Typ"), max_length=20, blank=True)
    ozg_id = models.CharField(_("OZG-ID"), max_length=10, blank=True, db_index=True)
    ozg_name = models.CharField(_("OZG-Leistung"), max_length=300, blank=True)
    lebenslage = models.CharField(_("Lebens-/Unternehmenslage"), max_length=200, blank=True)
    themenfeld = models.CharField(_("Themenfeld"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("Leistung (LeiKa)")
        verbose_name_plural = _("Leistungen (LeiKa)")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.leika_key})"


class ProcedureLinkQuerySet(models.QuerySet):
    def active(self) -> "ProcedureLinkQuerySet":
        return self.filter(active=True)

    def same_procedure(self, municipality: Municipality, url: str) -> "ProcedureLinkQuerySet":
        """The Kommune's links that are the procedure of a canonical URL, however spelt."""
        return self.filter(municipality=municipality, url_key=url_key(url))

    def check_room(
        self, municipality: Municipality, *, adding: int = 1, lock: bool = False
    ) -> None:
        """Raise ValidationError if `adding` links would take the Kommune past the cap.

        With `lock` (inside a transaction) the Kommune's row is locked first, so that two
        clerks adding at the same moment cannot pass the cap together.
        """
        if lock:
            Municipality.objects.select_for_update().filter(pk=municipality.pk).exists()
        stored = self.filter(municipality=municipality).count()
        problem = too_many_links(municipality, stored=stored, adding=adding)
        if problem:
            raise ValidationError(problem, code="too_many_links")


class ProcedureLink(models.Model):
    """An online procedure a Kommune links on its authority page in the BayernPortal."""

    # No index of its own: the unique key and the indexes below start with the Kommune.
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("Kommune"),
        on_delete=models.CASCADE,
        related_name="procedure_links",
        db_index=False,
    )
    title = models.CharField(_("Titel"), max_length=300)
    url = models.URLField(_("URL"), max_length=URL_MAX_LENGTH, validators=[web_url_validator])
    # Computed by the database for every writer (forms, imports, bulk_create) alike.
    url_key = models.GeneratedField(
        verbose_name=_("Zählschlüssel der URL"),
        expression=url_key_expression("url"),
        output_field=models.CharField(max_length=URL_MAX_LENGTH),
        db_persist=True,
    )
    scope = models.CharField(_("Zuständigkeit"), max_length=10, choices=Scope.choices)
    services = models.ManyToManyField(
        Service, verbose_name=_("Leistungen"), related_name="procedure_links", blank=True
    )
    ozg_id = models.CharField(_("OZG-ID"), max_length=10, blank=True)
    active = models.BooleanField(_("aktiv"), default=True)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)
    last_checked_at = models.DateTimeField(_("zuletzt geprüft"), null=True, blank=True)
    check_result = models.CharField(
        _("Prüfergebnis"), max_length=10, choices=LinkCheckResult.choices, blank=True
    )
    check_detail = models.CharField(
        _("Prüfdetail"), max_length=linkcheck.DETAIL_MAX_LENGTH, blank=True
    )

    objects = ProcedureLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("Online-Verfahren")
        verbose_name_plural = _("Online-Verfahren")
        ordering = ["title"]
        constraints = [
            # By the key, so that http and https of one address cannot both be stored.
            models.UniqueConstraint(
                fields=["municipality", "url_key"],
                name="procedure_link_unique_url_key_per_municipality",
                violation_error_message=DUPLICATE_URL_MESSAGE,
            ),
            models.CheckConstraint(
                condition=Q(scope__in=Scope.values), name="procedure_link_scope_valid"
            ),
            models.CheckConstraint(
                condition=Q(url__startswith="http://") | Q(url__startswith="https://"),
                name="procedure_link_url_http",
            ),
        ]
        indexes = [
            # The counting rule: a Kommune's active links, counted from this index alone.
            models.Index(fields=["municipality", "active"], name="municipalit_municip_6d36d6_idx"),
            # A Kommune's list in the portal, by title: read in order, a page at a time.
            models.Index(fields=["municipality", "title", "id"], name="procedure_link_own_title"),
            # The admin's list of every link, by title (its default order).
            models.Index(fields=["title", "id"], name="procedure_link_title"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.url:
            try:
                self.url = clean_procedure_url(self.url)
            except ValidationError as error:
                raise ValidationError({"url": error.messages}) from None
        if self.title:
            control = control_character(self.title)
            if control is not None:
                raise ValidationError({"title": control_character_message(control)})


class OnlineServicePlatform(models.Model):
    """A platform Kommunen run their online services on, such as the AKDB's Bürgerservice-Portal.

    A link whose check ends on the host, or a subdomain of it, is shown to the reviewer as the
    platform's sign-in: a hint, never a verdict. Administrators keep the list in the admin;
    `awards.tasks` hands the active hosts to the link check, which knows no model.
    """

    host = models.CharField(
        _("Hostname"),
        max_length=253,
        unique=True,
        validators=[host_validator],
        help_text=_(
            "Nur der Hostname, ohne https:// und ohne Pfad, zum Beispiel buergerserviceportal.de."
            " Er gilt auch für alle Subdomains."
        ),
    )
    name = models.CharField(_("Name"), max_length=100)
    active = models.BooleanField(_("aktiv"), default=True)

    class Meta:
        verbose_name = _("Plattform für Online-Dienste")
        verbose_name_plural = _("Plattformen für Online-Dienste")
        ordering = ["name", "host"]
        constraints = [
            # Hosts are matched in lower case; the database keeps every writer to that.
            models.CheckConstraint(
                condition=Q(host=Lower("host")), name="online_service_platform_host_lower"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.host})"

    def clean(self) -> None:
        # A host that is no host name is left as it is: the field's validator says so.
        with contextlib.suppress(ValidationError):
            self.host = clean_host(self.host)


def platform_hosts() -> dict[str, str]:
    """Return the active platforms' names by host, for the link check (one query)."""
    return dict(OnlineServicePlatform.objects.filter(active=True).values_list("host", "name"))


class Membership(models.Model):
    """Makes a user a member of staff of one Kommune: they see and change only its data."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Benutzer"),
        on_delete=models.CASCADE,
        related_name="membership",
    )
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("Kommune"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Zugang einer Kommune")
        verbose_name_plural = _("Zugänge der Kommunen")

    def __str__(self) -> str:
        return f"{self.user} – {self.municipality}"


class PostalCode(models.Model):
    """One postal code of a Kommune: the OSM-derived assignment of postcodes to AGS.

    A Kommune has its seat's postal code on `Municipality.postal_code` from the register; a
    city has many more (München some 70), and one postal code can reach several Gemeinden.
    Loaded by `import_postcodes` (ODbL, the attribution on the open-data page).
    """

    code = models.CharField(_("Postleitzahl"), max_length=5, db_index=True)
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("Kommune"),
        on_delete=models.CASCADE,
        related_name="postal_codes",
    )
    place = models.CharField(_("Ort"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("Postleitzahl")
        verbose_name_plural = _("Postleitzahlen")
        ordering = ["code", "municipality"]
        constraints = [
            models.UniqueConstraint(fields=["code", "municipality"], name="postal_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.place}".strip()


class SourceRecord(models.Model):
    """One online service the federal "Dashboard Digitale Verwaltung" lists (PVOG data).

    The second witness beside what a Kommune's clerk maintains: stored apart from the
    Kommune's own links and never written into them. `municipality` is the Kommune whose ARS
    the record carries; None for a central procedure of the Freistaat (the record's ARS is
    LAND_ARS). `url_key` is `validation.count_key(url)`, so a record meets a link by the
    counting rule.
    """

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("Kommune"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="source_records",
    )
    ars = models.CharField(_("Regionalschlüssel (ARS)"), max_length=12, db_index=True)
    leika_key = models.CharField(_("LeiKa-Schlüssel"), max_length=14, db_index=True)
    leika_name = models.CharField(_("Leistung"), max_length=500, blank=True)
    ozg_id = models.PositiveIntegerField(_("OZG-ID"), null=True, blank=True)
    ozg_name = models.CharField(_("OZG-Leistung"), max_length=500, blank=True)
    url = models.URLField(_("URL"), max_length=1000)
    url_key = models.CharField(_("Zählschlüssel der URL"), max_length=1000, db_index=True)
    online = models.BooleanField(_("online erreichbar (laut Quelle)"), default=False)
    active = models.BooleanField(_("aktiv (laut Quelle)"), default=True)
    coverage = models.CharField(
        _("Flächendeckung"), max_length=10, choices=SourceCoverage.choices, blank=True
    )
    fetched_at = models.DateTimeField(_("abgerufen am"))

    class Meta:
        verbose_name = _("Eintrag der Bundesdaten")
        verbose_name_plural = _("Einträge der Bundesdaten")
        ordering = ["ars", "leika_key", "url_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "url_key", "leika_key"],
                condition=Q(municipality__isnull=False),
                name="source_record_unique_per_kommune",
            ),
            models.UniqueConstraint(
                fields=["url_key", "leika_key"],
                condition=Q(municipality__isnull=True),
                name="source_record_unique_central",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.leika_name or self.leika_key}: {self.url}"


class SourceSync(models.Model):
    """When a Kommune's records were last fetched from the source, and how that went."""

    municipality = models.OneToOneField(
        Municipality,
        verbose_name=_("Kommune"),
        on_delete=models.CASCADE,
        related_name="source_sync",
    )
    synced_at = models.DateTimeField(_("abgeglichen am"), null=True, blank=True)
    records = models.PositiveIntegerField(_("Einträge"), default=0)
    error = models.CharField(_("Fehler beim Abgleich"), max_length=300, blank=True)
    attempted_at = models.DateTimeField(_("zuletzt versucht am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Abgleich mit den Bundesdaten")
        verbose_name_plural = _("Abgleiche mit den Bundesdaten")

    def __str__(self) -> str:
        return str(self.municipality)


class CountSnapshot(models.Model):
    """A Kommune's count on one day: its own list, and how many of those the source confirms."""

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("Kommune"),
        on_delete=models.CASCADE,
        related_name="count_snapshots",
    )
    day = models.DateField(_("Tag"))
    own_count = models.PositiveIntegerField(_("Online-Verfahren (eigene Liste)"))
    confirmed_count = models.PositiveIntegerField(
        _("davon in den Bundesdaten bestätigt"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("Zählstand")
        verbose_name_plural = _("Zählstände")
        ordering = ["municipality", "day"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "day"], name="count_snapshot_daily"),
        ]

    def __str__(self) -> str:
        return f"{self.municipality} {self.day}: {self.own_count}"
