"""The ministry's admin for awards."""

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Award

# Set once on issue and printed on the plaque: changing them would falsify a public record.
ISSUED_FIELDS = ("number", "municipality", "issued_on", "procedure_count", "created_at")


class AwardYearFilter(admin.SimpleListFilter):
    """The years in which awards were issued, newest first."""

    title = _("Jahr")
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        years = Award.objects.dates("issued_on", "year", order="DESC")
        return [(str(day.year), str(day.year)) for day in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is not None and value.isdigit():
            return queryset.filter(issued_on__year=int(value))
        return queryset


class RevokedFilter(admin.SimpleListFilter):
    title = _("widerrufen")
    parameter_name = "revoked"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("1", gettext("ja")), ("0", gettext("nein"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "1":
            return queryset.filter(revoked_at__isnull=False)
        if self.value() == "0":
            return queryset.filter(revoked_at__isnull=True)
        return queryset


@admin.register(Award)
class AwardAdmin(admin.ModelAdmin):
    list_display = ("number", "municipality", "issued_on", "procedure_count", "revoked")
    list_filter = (AwardYearFilter, RevokedFilter)
    search_fields = ("number", "municipality__name", "^municipality__ars")
    search_help_text = _("Nummer, Name oder Regionalschlüssel der Kommune")
    list_select_related = ("municipality",)
    autocomplete_fields = ("municipality",)
    fieldsets = (
        (None, {"fields": ("number", "municipality", "issued_on", "procedure_count")}),
        (_("Widerruf"), {"fields": ("revoked_at", "revocation_reason")}),
        (_("Verlauf"), {"fields": ("created_at",)}),
    )

    @admin.display(description=_("widerrufen"), boolean=True, ordering="revoked_at")
    def revoked(self, obj: Award) -> bool:
        return obj.is_revoked

    def get_readonly_fields(self, request: HttpRequest, obj: Award | None = None) -> tuple:
        return ISSUED_FIELDS if obj is not None else ("created_at",)

    def view_on_site(self, obj: Award) -> str:
        # The verification path is printed on the plaque and never changes.
        return f"/pruefen/{obj.number}/"

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Awards are issued by approving an application; by hand only for seed data.
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # A number once issued stays on record; a wrong award is revoked, not deleted.
        return False
