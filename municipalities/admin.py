"""The ministry's admin for the register, LeiKa catalogue, links, thresholds and platforms."""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Model, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from digitalesamt.lib.admin import (
    BooleanListFilter,
    EstimatedCountPaginator,
    PageRowsChangeList,
    PrimaryKeyFilter,
    RowCheckbox,
    external_link,
)

from .constants import Kind, LinkCheckResult
from .models import (
    Municipality,
    OnlineServicePlatform,
    PostalCode,
    ProcedureLink,
    Service,
    Threshold,
)
from .signals import register_changed
from .validation import DUPLICATE_URL_MESSAGE, clean_procedure_url

# Fields that come from the official register (GV100AD and the Destatis extract) and are
# overwritten by the next import, so editing them by hand would be lost or, worse, kept.
REGISTER_FIELDS = (
    "ars",
    "ags",
    "name",
    "register_name",
    "kind",
    "regierungsbezirk",
    "landkreis",
    "verwaltungsgemeinschaft",
    "seat",
    "postal_code",
    "population",
    "area_ha",
    "latitude",
    "longitude",
    "register_date",
)


def procedure_links_url(**filters: object) -> str:
    """Return the URL of the procedure link changelist with the given filters applied."""
    url = reverse("admin:municipalities_procedurelink_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


class RegierungsbezirkFilter(PrimaryKeyFilter):
    """Offer the seven Bezirke, not every Kommune the foreign key could point to."""

    title = _("Regierungsbezirk")
    parameter_name = "regierungsbezirk"
    field_name = "regierungsbezirk"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        # In the official order (Oberbayern 091 … Schwaben 097), the one people know.
        bezirke = Municipality.objects.of_kind(Kind.BEZIRK).order_by("ars")
        return [(str(pk), name) for pk, name in bezirke.values_list("pk", "name")]

    def filter_by_pk(self, queryset: QuerySet, pk: int) -> QuerySet:
        return queryset.in_regierungsbezirk(pk)


class LandkreisFilter(PrimaryKeyFilter):
    """Offer the Landkreise by name, not every Kommune the foreign key could point to."""

    title = _("Landkreis")
    parameter_name = "landkreis"
    field_name = "landkreis"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        landkreise = Municipality.objects.of_kind(Kind.LANDKREIS).order_by("name", "ars")
        return [(str(pk), name) for pk, name in landkreise.values_list("pk", "name")]

    def filter_by_pk(self, queryset: QuerySet, pk: int) -> QuerySet:
        return queryset.in_landkreis(pk)


class ThresholdReachedFilter(BooleanListFilter):
    """Split the Kommunen by whether their live count reaches their threshold."""

    title = _("erreicht Schwellenwert")
    parameter_name = "threshold_reached"
    # The changelist's queryset carries procedure_count and threshold already.
    condition = Q(procedure_count__gte=F("threshold"))


@admin.register(Municipality)
class MunicipalityAdmin(RowCheckbox, admin.ModelAdmin):
    def save_model(self, request: HttpRequest, obj: Municipality, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change:  # a renamed holder must show on the public list at once
            register_changed.send(sender=Municipality, municipality_ids=[obj.pk])

    list_display = (
        "title_display",
        "ars",
        "kind",
        "regierungsbezirk_display",
        "landkreis_display",
        "population_display",
        "procedure_count_display",
        "threshold_display",
        "reaches_threshold",
    )
    list_filter = ("kind", RegierungsbezirkFilter, LandkreisFilter, ThresholdReachedFilter)
    search_fields = ("name", "^ars", "=postal_code")
    search_help_text = _("Name, Regionalschlüssel (Anfang) oder Postleitzahl")
    # Counting all 2,445 Kommunen again on each page buys nothing: the filtered count is enough.
    show_full_result_count = False
    # Half Django's 100: rendering the rows is most of a page's cost once the queries are cheap.
    list_per_page = 50
    readonly_fields = (
        *REGISTER_FIELDS,
        "members_display",
        "procedures_display",
        "awards_display",
    )

    @admin.display(description=_("Kommune"), ordering="name")
    def title_display(self, obj: Municipality) -> str:
        return obj.title

    @admin.display(description=_("Regierungsbezirk"), ordering="regierungsbezirk__name")
    def regierungsbezirk_display(self, obj: Municipality) -> str | None:
        return obj.regierungsbezirk.name if obj.regierungsbezirk else None

    @admin.display(description=_("Landkreis"), ordering="landkreis__name")
    def landkreis_display(self, obj: Municipality) -> str | None:
        return obj.landkreis.name if obj.landkreis else None

    @admin.display(description=_("Einwohner"), ordering="population")
    def population_display(self, obj: Municipality) -> str | None:
        if obj.population is None:
            return None
        return number_format(obj.population, force_grouping=True)

    @admin.display(description=_("Online-Verfahren"), ordering="procedure_count")
    def procedure_count_display(self, obj: Municipality) -> SafeString:
        return format_html(
            '<a href="{}">{}</a>', procedure_links_url(municipality=obj.pk), obj.procedure_count
        )

    @admin.display(description=_("Schwellenwert"), ordering="threshold")
    def threshold_display(self, obj: Municipality) -> int:
        return obj.threshold

    @admin.display(description=_("erreicht"), boolean=True)
    def reaches_threshold(self, obj: Municipality) -> bool:
        return obj.procedure_count >= obj.threshold

    @admin.display(description=_("Mitgliedsgemeinden"))
    def members_display(self, obj: Municipality) -> SafeString | str:
        members = obj.members.order_by("name")
        if not members:
            return gettext("keine")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a></li>',
                (
                    (reverse("admin:municipalities_municipality_change", args=[m.pk]), m.title)
                    for m in members
                ),
            ),
        )

    @admin.display(description=_("Online-Verfahren"))
    def procedures_display(self, obj: Municipality) -> SafeString:
        total = obj.procedure_links.count()
        reached = (
            gettext("erreicht")
            if obj.procedure_count >= obj.threshold
            else gettext("nicht erreicht")
        )
        link_text = ngettext(
            "%(count)d Online-Verfahren anzeigen", "%(count)d Online-Verfahren anzeigen", total
        ) % {"count": total}
        return format_html(
            "{}<br>{}",
            gettext("%(count)d gezählt, Schwellenwert %(threshold)d: %(reached)s")
            % {"count": obj.procedure_count, "threshold": obj.threshold, "reached": reached},
            format_html('<a href="{}">{}</a>', procedure_links_url(municipality=obj.pk), link_text),
        )

    @admin.display(description=_("Auszeichnungen"))
    def awards_display(self, obj: Municipality) -> SafeString | str:
        awards = obj.awards.order_by("issued_on")
        if not awards:
            return gettext("keine")
        return format_html_join(
            mark_safe("<br>"),  # noqa: S308 - a constant
            '<a href="{}">{}</a> {}',
            (
                (
                    reverse("admin:awards_award_change", args=[award.pk]),
                    award.number,
                    gettext("(widerrufen)") if award.is_revoked else "",
                )
                for award in awards
            ),
        )

    def get_changelist(self, request: HttpRequest, **kwargs: object) -> type:
        # The live count for the page's rows only (see PageRowsChangeList).
        return PageRowsChangeList

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .with_progress()
            .select_related("regierungsbezirk", "landkreis", "verwaltungsgemeinschaft")
        )

    def get_fieldsets(self, request: HttpRequest, obj: Municipality | None = None) -> list:
        area = ["regierungsbezirk", "landkreis", "verwaltungsgemeinschaft"]
        if obj is not None and obj.kind == Kind.VG:
            area = ["regierungsbezirk", "landkreis", "members_display"]
        return [
            (None, {"fields": ["name", "register_name", "kind", "ars", "ags"]}),
            (
                _("Online-Verfahren und Auszeichnung"),
                {"fields": ["procedures_display", "awards_display"]},
            ),
            (_("Kontakt"), {"fields": ["website", "bayernportal_url"]}),
            (_("Gebiet"), {"fields": [*area, "seat", "postal_code"]}),
            (
                _("Aus dem Gemeindeverzeichnis"),
                {
                    "fields": [
                        "population",
                        "area_ha",
                        "latitude",
                        "longitude",
                        "register_date",
                    ],
                    "description": _(
                        "Diese Angaben kommen aus dem amtlichen Gemeindeverzeichnis "
                        "(© Statistisches Bundesamt) und werden beim nächsten Import überschrieben."
                    ),
                },
            ),
        ]

    def view_on_site(self, obj: Municipality) -> str:
        return f"/kommunen/{obj.ars}/"

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Kommunen come from the official register only (import_municipalities).
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Awards, applications and links hang on a Kommune; the register import retires them.
        return False


class MunicipalityLinkFilter(PrimaryKeyFilter):
    """Show the Kommune a changelist is narrowed to, without listing all 2,445 of them."""

    title = _("Kommune")
    parameter_name = "municipality"
    field_name = "municipality"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        value = self.value()
        if value is None or not value.isdigit():
            return []
        chosen = Municipality.objects.filter(pk=int(value)).values_list("pk", "name", "ars")
        return [(str(pk), f"{name} ({ars})") for pk, name, ars in chosen]


class ServiceLinkFilter(PrimaryKeyFilter):
    """Show the LeiKa service a changelist is narrowed to, without listing the catalogue."""

    title = _("Leistung")
    parameter_name = "service"
    field_name = "services"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        value = self.value()
        if value is None or not value.isdigit():
            return []
        chosen = Service.objects.filter(pk=int(value)).values_list("pk", "leika_key")
        return [(str(pk), leika_key) for pk, leika_key in chosen]

    def filter_by_pk(self, queryset: QuerySet, pk: int) -> QuerySet:
        # A subquery instead of a join, so a link never appears twice.
        return queryset.filter(
            pk__in=ProcedureLink.services.through.objects.filter(service_id=pk).values(
                "procedurelink_id"
            )
        )


class CheckResultFilter(admin.SimpleListFilter):
    """The results of the link check, including links that were never checked."""

    title = _("Prüfergebnis")
    parameter_name = "check_result"
    NOT_CHECKED = "none"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [*LinkCheckResult.choices, (self.NOT_CHECKED, gettext("noch nicht geprüft"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == self.NOT_CHECKED:
            return queryset.filter(check_result="")
        if value in LinkCheckResult.values:
            return queryset.filter(check_result=value)
        return queryset


class ProcedureLinkForm(forms.ModelForm):
    """The ministry's form for one link: the cap per Kommune holds here as in the portal."""

    class Meta:
        model = ProcedureLink
        # The admin's fieldsets choose what is shown.
        fields = ("municipality", "title", "url", "scope", "ozg_id", "services", "active")

    def clean_url(self) -> str:
        return clean_procedure_url(self.cleaned_data["url"])

    def clean(self) -> dict:
        cleaned = super().clean()
        municipality = cleaned.get("municipality")
        if municipality is None:
            return cleaned
        url = cleaned.get("url")
        # The unique constraint is on the generated key, which model validation of a form
        # skips as a field the form does not have.
        if url and (
            ProcedureLink.objects.same_procedure(municipality, url)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error("url", ValidationError(DUPLICATE_URL_MESSAGE, code="unique"))
        if self.instance.pk is None or self.instance.municipality_id != municipality.pk:
            try:
                ProcedureLink.objects.check_room(municipality)
            except ValidationError as error:
                self.add_error("municipality", error)
        return cleaned


@admin.register(ProcedureLink)
class ProcedureLinkAdmin(RowCheckbox, admin.ModelAdmin):
    form = ProcedureLinkForm
    list_display = (
        "title_display",
        "municipality",
        "scope",
        "active",
        "url_link",
        "check_result",
        "last_checked_at",
    )
    list_filter = ("scope", "active", CheckResultFilter, MunicipalityLinkFilter, ServiceLinkFilter)
    # get_search_results below: the Kommune is searched by a subquery, not over a join.
    search_fields = ("title", "url")
    search_help_text = _("Titel, URL, Name oder Regionalschlüssel der Kommune")
    # The page's Kommunen in one query of their own (get_queryset), not joined: over a join
    # SQLite reads the links Kommune by Kommune and sorts all 500,000 instead of reading the
    # first hundred from the index on (title, id).
    list_select_related = ()
    autocomplete_fields = ("municipality", "services")
    # Counting 150,000 rows on every page load buys nothing: the filtered count is enough.
    show_full_result_count = False
    # With the key as the tie-break the index on (title, id) serves the order: Django would
    # otherwise add "-pk" and sort all 500,000 links for every page.
    ordering = ("title", "pk")
    list_per_page = 50
    # The unfiltered list of 500,000 links numbers its pages from PostgreSQL's estimate.
    paginator = EstimatedCountPaginator
    readonly_fields = (
        "last_checked_at",
        "check_result",
        "check_detail",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("municipality", "title", "url", "scope", "ozg_id", "services")}),
        (
            _("Zählung"),
            {
                "fields": ("active",),
                "description": _("Nur aktive Online-Verfahren zählen für das Prädikat."),
            },
        ),
        (_("Linkprüfung"), {"fields": ("last_checked_at", "check_result", "check_detail")}),
        (_("Verlauf"), {"fields": ("created_at", "updated_at")}),
    )
    actions = ("activate", "deactivate")

    # Titles and URLs are the Kommunen's text: isolated, so that right-to-left characters in
    # one cannot turn the columns around it.
    @admin.display(description=_("Titel"), ordering="title")
    def title_display(self, obj: ProcedureLink) -> SafeString:
        return format_html("<bdi>{}</bdi>", obj.title)

    @admin.display(description=_("URL"), ordering="url")
    def url_link(self, obj: ProcedureLink) -> SafeString:
        return format_html("<bdi>{}</bdi>", external_link(obj.url))

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """Find links whose title or URL contains each word, or whose Kommune's name contains
        it or whose ARS starts with it.

        The Kommunen are looked up first among their 2,445 rows (a query per word) rather
        than joined to every link or asked in a subquery, whose share of the links PostgreSQL
        cannot estimate: with their keys in the query it ORs the trigram indexes on title and
        URL (migration 0012) with the index on the Kommune instead of reading 500,000 links.
        """
        for word in smart_split(search_term):
            if word[:1] in {'"', "'"} and word[-1:] == word[:1]:
                word = unescape_string_literal(word)
            if not word:
                continue
            condition = Q(title__icontains=word) | Q(url__icontains=word)
            kommunen = list(
                Municipality.objects.filter(
                    Q(name__icontains=word) | Q(ars__startswith=word)
                ).values_list("pk", flat=True)
            )
            if kommunen:
                condition |= Q(municipality__in=kommunen)
            queryset = queryset.filter(condition)
        return queryset, False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("municipality")

    @admin.action(description=_("Ausgewählte Online-Verfahren aktivieren"), permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_active(request, queryset, active=True)

    @admin.action(
        description=_("Ausgewählte Online-Verfahren deaktivieren"), permissions=["change"]
    )
    def deactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_active(request, queryset, active=False)

    def _set_active(self, request: HttpRequest, queryset: QuerySet, *, active: bool) -> None:
        # update() skips auto_now, so the change time is set by hand.
        changed = queryset.exclude(active=active).update(active=active, updated_at=timezone.now())
        if active:
            message = ngettext(
                "%(count)d Online-Verfahren aktiviert.",
                "%(count)d Online-Verfahren aktiviert.",
                changed,
            )
        else:
            message = ngettext(
                "%(count)d Online-Verfahren deaktiviert.",
                "%(count)d Online-Verfahren deaktiviert.",
                changed,
            )
        self.message_user(request, message % {"count": changed}, messages.SUCCESS)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("leika_key", "name", "ozg_id", "ozg_name", "themenfeld")
    list_filter = ("themenfeld",)
    search_fields = ("^leika_key", "name", "=ozg_id")
    search_help_text = _("LeiKa-Schlüssel (Anfang), Name der Leistung oder OZG-ID")
    fieldsets = (
        (None, {"fields": ("leika_key", "name", "leika_type")}),
        (_("OZG"), {"fields": ("ozg_id", "ozg_name", "lebenslage", "themenfeld")}),
        (_("Verwendung"), {"fields": ("usage_display",)}),
    )

    @admin.display(description=_("Online-Verfahren"))
    def usage_display(self, obj: Service) -> SafeString | str:
        if obj.pk is None:
            return "–"
        total = obj.procedure_links.count()
        link_text = ngettext(
            "%(count)d Online-Verfahren anzeigen", "%(count)d Online-Verfahren anzeigen", total
        ) % {"count": total}
        return format_html('<a href="{}">{}</a>', procedure_links_url(service=obj.pk), link_text)

    def get_readonly_fields(self, request: HttpRequest, obj: Service | None = None) -> tuple:
        # The catalogue is imported; a superuser may add a missing key but not rewrite one.
        if obj is None:
            return ("usage_display",)
        return (
            "leika_key",
            "name",
            "leika_type",
            "ozg_id",
            "ozg_name",
            "lebenslage",
            "themenfeld",
            "usage_display",
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Deleting would silently drop the service from every procedure link.
        return False


@admin.register(PostalCode)
class PostalCodeAdmin(admin.ModelAdmin):
    """Read only: `import_postcodes` replaces them all, so an edit would be lost."""

    list_display = ("code", "municipality", "place")
    list_select_related = ("municipality",)
    search_fields = ("=code", "municipality__name", "place")
    search_help_text = _("Postleitzahl, Name der Kommune oder Ort")
    fields = ("code", "municipality", "place")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Threshold)
class ThresholdAdmin(admin.ModelAdmin):
    list_display = ("kind", "minimum")
    list_display_links = ("kind",)
    list_editable = ("minimum",)

    def get_readonly_fields(self, request: HttpRequest, obj: Threshold | None = None) -> tuple:
        # A row belongs to its kind; moving it to another kind would leave a gap.
        return ("kind",) if obj is not None else ()

    def formfield_for_choice_field(
        self, db_field: models.Field, request: HttpRequest, **kwargs: object
    ) -> forms.Field | None:
        if db_field.name == "kind":
            taken = set(Threshold.objects.values_list("kind", flat=True))
            kwargs["choices"] = [
                ("", "---------"),
                *((kind, label) for kind, label in Kind.choices if kind not in taken),
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Only a kind without a row can be added; the counting falls back to 50 for it.
        if not super().has_add_permission(request):
            return False
        return Threshold.objects.count() < len(Kind.values)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Every kind keeps its row so that the ministry's figure, not a default, applies.
        return False


@admin.register(OnlineServicePlatform)
class OnlineServicePlatformAdmin(admin.ModelAdmin):
    """The hosts the link check shows as a platform's sign-in (a hint for the reviewer)."""

    list_display = ("name", "host", "active")
    list_filter = ("active",)
    search_fields = ("name", "host")
