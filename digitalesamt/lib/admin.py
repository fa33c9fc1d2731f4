"""Pieces of the Django admin that know no app: filters, safe external links, a lean changelist.

Every filter here refuses a value it cannot use (a NUL byte, a number too big for the
database, a choice that does not exist) with IncorrectLookupParameters, which the admin answers
with the plain list and "?e=1", instead of a database error and a 500.
"""

import re
from urllib.parse import urlsplit

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Field, Model, Q, QuerySet
from django.http import HttpRequest
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext

# The largest value a 64-bit integer column holds: SQLite raises OverflowError past it.
MAX_INTEGER = 2**63 - 1
# Longer filter values are never meant: primary keys, years and choices are short.
MAX_VALUE_LENGTH = 100
# PostgreSQL refuses NUL in text ("DataError"); no other control character belongs in a filter.
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")
ASCII_DIGITS = re.compile(r"[0-9]+")


def external_link(url: str, max_length: int = 60) -> SafeString | str:
    """Render a web address as a link that opens in a new tab; anything else as plain text.

    Only http and https become links, so a stored "javascript:" address can never run.
    """
    label = Truncator(url).chars(max_length)
    if urlsplit(url).scheme.lower() not in {"http", "https"}:
        return label
    return format_html('<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>', url, label)


def refuse(parameter: str, value: str) -> IncorrectLookupParameters:
    return IncorrectLookupParameters(f"{parameter}={value[:MAX_VALUE_LENGTH]!r}")


def check_text(parameter: str, value: str) -> str:
    """Return a filter value that is safe to hand to any database, or refuse it."""
    if len(value) > MAX_VALUE_LENGTH or CONTROL_CHARACTER.search(value):
        raise refuse(parameter, value)
    return value


def check_integer(parameter: str, value: str, minimum: int = 0, maximum: int = MAX_INTEGER) -> int:
    """Return a filter value as a whole number in [minimum, maximum], or refuse it.

    Only ASCII digits count: "²".isdigit() is true, but int("²") fails.
    """
    if len(value) > len(str(MAX_INTEGER)) or not ASCII_DIGITS.fullmatch(value):
        raise refuse(parameter, value)
    number = int(value)
    if not minimum <= number <= maximum:
        raise refuse(parameter, value)
    return number


class CheckedListFilter(admin.SimpleListFilter):
    """A filter that checks its value before anything (its lookups included) uses it.

    A subclass says what a valid value is in `check_value`, which raises through `refuse`.
    """

    def __init__(self, request: HttpRequest, params: dict, model: type[Model], model_admin):
        for value in params.get(self.parameter_name, []):
            self.check_value(check_text(self.parameter_name, value))
        super().__init__(request, params, model, model_admin)

    def check_value(self, value: str) -> None:
        pass


class BooleanListFilter(CheckedListFilter):
    """A yes/no filter; a subclass says what "yes" means with `condition` (or the two methods)."""

    condition: Q

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("1", gettext("ja")), ("0", gettext("nein"))]

    def check_value(self, value: str) -> None:
        if value not in ("0", "1"):
            raise refuse(self.parameter_name, value)

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


class IntegerListFilter(CheckedListFilter):
    """A filter whose values are whole numbers between `min_value` and `max_value`."""

    min_value = 0
    max_value = MAX_INTEGER

    def check_value(self, value: str) -> None:
        check_integer(self.parameter_name, value, self.min_value, self.max_value)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        return self.filter_by_number(queryset, int(value))

    def filter_by_number(self, queryset: QuerySet, number: int) -> QuerySet:
        raise NotImplementedError


class PrimaryKeyFilter(IntegerListFilter):
    """A filter whose values are primary keys; rejects anything else instead of crashing."""

    field_name: str

    def filter_by_number(self, queryset: QuerySet, number: int) -> QuerySet:
        return self.filter_by_pk(queryset, number)

    def filter_by_pk(self, queryset: QuerySet, pk: int) -> QuerySet:
        return queryset.filter(**{f"{self.field_name}_id": pk})


class ChoicesFieldListFilter(admin.ChoicesFieldListFilter):
    """Django's filter of a field with choices, refusing any value that is not one of them.

    Use it as `list_filter = [("kind", ChoicesFieldListFilter)]`.
    """

    def __init__(
        self,
        field: Field,
        request: HttpRequest,
        params: dict,
        model: type[Model],
        model_admin: admin.ModelAdmin,
        field_path: str,
    ) -> None:
        allowed = {str(value) for value, _label in field.flatchoices}
        for parameter in (f"{field_path}__exact", f"{field_path}__isnull", field_path):
            for value in params.get(parameter, []):
                check_text(parameter, value)
                if parameter.endswith("__isnull"):
                    if value not in ("True", "False", "1", "0", "true", "false"):
                        raise refuse(parameter, value)
                elif value not in allowed:
                    raise refuse(parameter, value)
        super().__init__(field, request, params, model, model_admin, field_path)


# Django's own label of a row's checkbox, translated by Django's catalogue (not extracted here).
ROW_CHECKBOX_LABEL = "Select this object for an action - {}"


class RowCheckbox:
    """A ModelAdmin mixin: each row's action checkbox as one `format_html`, the same markup.

    Django renders it with a CheckboxInput through the form renderer's template, once per row:
    a fifth of a 50-row changelist's time (tests/lib/test_admin_rows.py compares the two).
    """

    def action_checkbox(self, obj: Model) -> SafeString:
        label = format_html(translation.gettext(ROW_CHECKBOX_LABEL), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )


class PageRowsChangeList(ChangeList):
    """A changelist that computes the queryset's annotations for the rows of its page only.

    A ModelAdmin whose `get_queryset` annotates costly subqueries (a live count per row) sets
    `get_changelist` to return this. The page's primary keys come from a query that selects no
    annotation, so the database sorts and limits the rows without computing them (SQLite
    computes every selected column of every row before it sorts); a second query, by those
    keys, reads the page's rows with their annotations. An annotation the list is sorted or
    filtered by is still computed for every row, as it must be. Two queries instead of one.
    """

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        if self.list_editable:
            return  # the formset of an editable list needs the page as a queryset
        ids = list(self.result_list.values_list("pk", flat=True))
        rows = self.queryset.order_by().in_bulk(ids)
        self.result_list = [rows[pk] for pk in ids if pk in rows]


class EstimatedCountPaginator(Paginator):
    """A paginator that takes PostgreSQL's estimate for the row count of an unfiltered list.

    Counting 500,000 links exactly costs 60-300 ms on every page of the unfiltered list; the
    planner's estimate (`pg_class.reltuples`, kept by ANALYZE and autovacuum) is free and
    enough to number the pages of so long a list. Filtered lists, short tables (under
    ESTIMATE_FROM rows) and every other database count exactly.
    """

    ESTIMATE_FROM = 100_000

    @cached_property
    def count(self) -> int:
        objects = self.object_list
        query = getattr(objects, "query", None)
        connection = connections[objects.db] if query is not None else None
        if connection is not None and connection.vendor == "postgresql" and not query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [objects.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] >= self.ESTIMATE_FROM:
                return row[0]
        return super().count
