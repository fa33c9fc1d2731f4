"""The audit trail of changes to Kommunen, thresholds, users, memberships and awards.

django-auditlog writes one `LogEntry` per saved change of the models that
settings.AUDITLOG_INCLUDE_TRACKING_MODELS names, with the fields old → new as JSON; its actor
is the request's user, which `AuditActorMiddleware` hands it. This module also turns an entry's
JSON into lines a person reads in German ("Mindestzahl: 50 → 40"), without a query.
"""

import datetime
from dataclasses import dataclass

from auditlog.middleware import AuditlogMiddleware
from auditlog.models import LogEntry
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# A value longer than this (a revocation reason) is cut in the list; the entry shows it all.
LIST_VALUE_LENGTH = 80

M2M_OPERATIONS = {"add": _("hinzugefügt"), "delete": _("entfernt")}


class AuditActorMiddleware(AuditlogMiddleware):
    """auditlog's middleware, handing it the request's user without loading it.

    The stock one asks `request.user.is_authenticated` on every request, which costs the session
    and the user on a cached public page; the lazy user is only looked at when an entry is
    written. No address or port is kept (AUDITLOG_DISABLE_REMOTE_ADDR): the account says who.
    """

    @staticmethod
    def _get_actor(request):
        return getattr(request, "user", None)

    @staticmethod
    def _get_remote_port(request) -> None:
        return None


@dataclass(frozen=True)
class Change:
    """One field of an entry: its German label and the values before and after."""

    label: str
    old: str | None  # None: the entry has no "before" (created) or it is a list change
    new: str


def changes(entry: LogEntry, max_length: int | None = None) -> list[Change]:
    """Return the entry's changes as German lines, in the model's field order; no query.

    A new or deleted object shows the values it had that are not empty; many-to-many changes
    (a user's groups) show what was added or removed.
    """
    model = entry.content_type.model_class()
    data = entry.changes_dict or {}
    order = {field.name: index for index, field in enumerate(_fields(model))}
    lines = []
    for name in sorted(data, key=lambda name: order.get(name, len(order))):
        value = data[name]
        field = _field(model, name)
        label = str(field.verbose_name) if field is not None else name
        if isinstance(value, dict) and value.get("type") == "m2m":
            operation = M2M_OPERATIONS.get(value.get("operation"), value.get("operation"))
            objects = ", ".join(str(item) for item in value.get("objects", []))
            lines.append(Change(label, None, f"{operation}: {_cut(objects, max_length)}"))
            continue
        old, new = value if isinstance(value, list | tuple) and len(value) == 2 else (None, value)
        if entry.action != LogEntry.Action.UPDATE:
            if field is not None and field.primary_key:
                continue
            shown = new if entry.action == LogEntry.Action.CREATE else old
            if shown in (None, ""):
                continue
            lines.append(Change(label, None, _cut(display_value(field, shown), max_length)))
            continue
        lines.append(
            Change(
                label,
                _cut(display_value(field, old), max_length),
                _cut(display_value(field, new), max_length),
            )
        )
    return lines


def display_value(field: models.Field | None, value: object) -> str:
    """A stored value as the admin would show it: choice labels, ja/nein, German dates."""
    if value is None or value == "" or value == "None":
        return gettext("(leer)")
    if field is None:
        return str(value)
    choices = dict(field.flatchoices) if field.choices else {}
    if value in choices:
        return str(choices[value])
    if isinstance(field, models.BooleanField):
        return gettext("ja") if value in (True, "True") else gettext("nein")
    if isinstance(field, models.DateTimeField):
        return _datetime(value)
    if isinstance(field, models.DateField):
        try:
            return date_format(datetime.date.fromisoformat(str(value)), "j. F Y")
        except ValueError:
            return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return number_format(value, force_grouping=True)
    return str(value)


def _datetime(value: object) -> str:
    """auditlog stores a date and time as naive UTC text ("2026-12-01 16:35:03.123456")."""
    try:
        moment = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=datetime.UTC)
    return date_format(timezone.localtime(moment), "j. F Y, H:i")


def _fields(model: type[models.Model] | None) -> list:
    if model is None:
        return []
    return [*model._meta.concrete_fields, *model._meta.many_to_many]


def _field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    # Not a reverse relation, which has no verbose name and is never recorded as a field.
    return field if field.concrete or field.many_to_many and not field.auto_created else None


def _cut(text: str, max_length: int | None) -> str:
    return Truncator(text).chars(max_length) if max_length else text
