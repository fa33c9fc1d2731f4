"""Pieces of the Django admin that know no app: filters and safe external links."""

from urllib.parse import urlsplit

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext


def external_link(url: str, max_length: int = 60) -> SafeString | str:
    """Render a web address as a link that opens in a new tab; anything else as plain text.

    Only http and https become links, so a stored "javascript:" address can never run.
    """
    label = Truncator(url).chars(max_length)
    if urlsplit(url).scheme.lower() not in {"http", "https"}:
        return label
    return format_html('<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>', url, label)


class BooleanListFilter(admin.SimpleListFilter):
    """A yes/no filter; a subclass says what "yes" means with `condition` (or the two methods)."""

    condition: Q

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("1", gettext("ja")), ("0", gettext("nein"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "1":
            return self.yes(queryset)
        if self.value() == "0":
            return self.no(queryset)
        return queryset

    def yes(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(self.condition)

    def no(self, queryset: QuerySet) -> QuerySet:
        return queryset.exclude(self.condition)


class PrimaryKeyFilter(admin.SimpleListFilter):
    """A filter whose values are primary keys; rejects anything else instead of crashing."""

    field_name: str

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        if not value.isdigit():
            raise IncorrectLookupParameters(f"{self.parameter_name}={value!r}")
        return self.filter_by_pk(queryset, int(value))

    def filter_by_pk(self, queryset: QuerySet, pk: int) -> QuerySet:
        return queryset.filter(**{f"{self.field_name}_id": pk})
