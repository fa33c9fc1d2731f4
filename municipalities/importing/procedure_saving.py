"""Save a checked procedure plan in one transaction, by the bulk paths of bulk.py.

A plan that another import overtook raises `ImportConflict` and leaves nothing half-written.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import batched
from typing import Any

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from municipalities.models import Municipality, ProcedureLink
from municipalities.validation import too_many_links

from . import bulk
from .procedure_plan import ID_CHUNK, ImportPlan, PlannedProcedure, kommune_batches


class ProcedureImportError(Exception):
    """An import that cannot go on; the message is for the user."""


class PlanHasErrors(ProcedureImportError):
    """A plan with bad rows was given to `apply_plan`."""


class ImportConflict(ProcedureImportError):
    """The database changed between planning and saving, e.g. by a second import."""


class _StalePlan(Exception):
    """A link of the plan no longer exists."""


def apply_plan(plan: ImportPlan, *, skip_rows_with_errors: bool = False) -> None:
    """Save a checked plan in one transaction: create new links, update changed ones.

    Refuse a plan with errors, unless `skip_rows_with_errors` is given and every error
    belongs to a row: then the rows without errors are saved, all of them or none, and the
    rows with errors are left out (the portal's explicit second choice). An error of the file
    as a whole (too many rows, past the cap of links) always refuses it. Raise ImportConflict,
    with nothing saved, when the database no longer matches the plan (another import saved
    the same links meanwhile).
    """
    if plan.errors and not (skip_rows_with_errors and plan.only_row_errors):
        raise PlanHasErrors(_("Die Datei enthält Fehler; es wurde nichts gespeichert."))
    if not plan.new and not plan.changed:
        return
    try:
        with transaction.atomic():
            now = timezone.now()
            _check_room(plan.new)
            _create_links(plan.new, now)
            _update_links(plan.changed, now)
            _set_services(plan)
    except (IntegrityError, OperationalError, _StalePlan) as exc:
        for procedure in plan.new:
            procedure.link_id = None
        if isinstance(exc, OperationalError):
            # SQLite's lock wait timed out, or PostgreSQL broke a deadlock.
            message = _(
                "Die Datenbank ist gerade durch einen anderen Import belegt. Es wurde nichts "
                "gespeichert; bitte später erneut versuchen."
            )
        else:
            message = _(
                "Die Verfahren wurden inzwischen anderweitig geändert, vermutlich durch einen "
                "gleichzeitigen Import. Es wurde nichts gespeichert; bitte den Import erneut "
                "prüfen und ausführen."
            )
        raise ImportConflict(message) from exc


def _check_room(procedures: list[PlannedProcedure]) -> None:
    """Lock the Kommunen that get new links and check the cap again, now that no one can add.

    Planning checked it without a lock; two imports at the same moment must not pass it
    together. Kommunen are locked in id order, before any link, as the portal's form does.
    """
    adding: dict[int, int] = {}
    for procedure in procedures:
        adding[procedure.municipality_id] = adding.get(procedure.municipality_id, 0) + 1
    for chunk in batched(sorted(adding), ID_CHUNK):
        locked = Municipality.objects.select_for_update().filter(pk__in=chunk).order_by("pk")
        municipalities = {municipality.pk: municipality for municipality in locked}
        stored = dict(
            ProcedureLink.objects.filter(municipality_id__in=chunk)
            .order_by()
            .values("municipality_id")
            .annotate(n=Count("pk"))
            .values_list("municipality_id", "n")
        )
        for pk in chunk:
            if pk not in municipalities:
                raise _StalePlan
            problem = too_many_links(
                municipalities[pk], stored=stored.get(pk, 0), adding=adding[pk]
            )
            if problem:
                raise ImportConflict(
                    _("Es wurde nichts gespeichert: %(reason)s") % {"reason": problem}
                )


def _create_links(procedures: list[PlannedProcedure], now: datetime) -> None:
    """Insert new links and note their ids for the services.

    Prepared rows instead of bulk_create(): building and compiling a model instance per row
    took 12 of 20 seconds for a 150,000-row file on SQLite. Columns the file does not
    fill get the model's defaults, so a field added later needs no change here.
    """
    opts = ProcedureLink._meta
    from_file = ["municipality_id", "title", "url", "scope", "ozg_id", "active"]
    template = ProcedureLink()
    constants = {}
    for model_field in opts.concrete_fields:
        if model_field.primary_key or model_field.generated or model_field.attname in from_file:
            continue  # a generated column (the URL's counting key) is the database's to fill
        if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
            value = now
        else:
            value = model_field.pre_save(template, add=True)
        if hasattr(value, "resolve_expression"):
            continue  # db_default: leave the column to the database
        constants[model_field] = model_field.get_db_prep_save(value, connection)
    row_fields = [opts.get_field(name) for name in ("municipality", *from_file[1:])]
    fixed = list(constants.values())
    active_field = opts.get_field("active")
    yes, no = (active_field.get_db_prep_save(value, connection) for value in (True, False))
    _insert_rows(
        opts.db_table,
        [f.column for f in [*row_fields, *constants]],
        (
            (
                procedure.municipality_id,
                procedure.title,
                procedure.url,
                procedure.scope,
                procedure.ozg_id or "",
                no if procedure.active is False else yes,
                *fixed,
            )
            for procedure in procedures
        ),
    )
    # (Kommune, URL) is unique, so it finds each new row again: a batch of Kommunen at a time.
    by_municipality: dict[int, list[PlannedProcedure]] = {}
    for procedure in procedures:
        by_municipality.setdefault(procedure.municipality_id, []).append(procedure)
    for chunk in kommune_batches(by_municipality):
        by_url = {pk: {p.url: p for p in by_municipality[pk]} for pk in chunk}
        rows = (
            ProcedureLink.objects.filter(municipality_id__in=chunk)
            .order_by()
            .values_list("id", "municipality_id", "url")
        )
        for link_id, municipality_id, url in rows.iterator(chunk_size=2000):
            procedure = by_url[municipality_id].get(url)
            if procedure is not None:
                procedure.link_id = link_id


def _update_links(procedures: list[PlannedProcedure], now: datetime) -> None:
    """Write the changed fields of existing links, one UPDATE statement per set of fields.

    Only the fields that changed, so that an edit made in the portal since the plan was made
    stays. executemany() (SQLite) or one UPDATE … FROM a table filled by COPY (PostgreSQL)
    instead of bulk_update(): bulk_update's CASE WHEN grows with the batch; a file that renamed
    all 150,000 procedures took 45 seconds with it, 3 without.
    """
    # In id order, so that two imports lock shared rows in the same order and do not deadlock.
    ids = sorted(procedure.link_id for procedure in procedures)
    for chunk in batched(ids, ID_CHUNK):
        # Lock the rows (PostgreSQL) and make sure none vanished since planning.
        locked = ProcedureLink.objects.select_for_update().filter(pk__in=chunk)
        if len(locked.values_list("pk", flat=True)) != len(chunk):
            raise _StalePlan
    groups: dict[tuple[str, ...], list[PlannedProcedure]] = {}
    for procedure in procedures:
        # Only the services changed: the link's own row still gets the time of the change.
        names = tuple(sorted(name for name in procedure.changes if name != "services"))
        groups.setdefault(names, []).append(procedure)
    opts = ProcedureLink._meta
    stamp = opts.get_field("updated_at").get_db_prep_save(now, connection)
    for names, group in groups.items():
        fields = [opts.get_field(name) for name in names]
        rows = (
            [
                procedure.link_id,
                *(f.get_db_prep_save(getattr(procedure, f.name), connection) for f in fields),
            ]
            for procedure in group
        )
        bulk.update_rows(opts, fields, opts.get_field("updated_at"), stamp, rows)


def _set_services(plan: ImportPlan) -> None:
    """Give new links their services and replace those of links whose services changed."""
    through = ProcedureLink.services.through
    relinked = [p for p in plan.changed if "services" in p.changes]
    for chunk in batched((p.link_id for p in relinked), ID_CHUNK):
        through.objects.filter(procedurelink_id__in=chunk).delete()
    # Prepared rows instead of bulk_create(): a through instance per pair cost more than the
    # rest of the import together.
    service_ids = plan.service_ids
    _insert_rows(
        through._meta.db_table,
        [
            through._meta.get_field("procedurelink").column,
            through._meta.get_field("service").column,
        ],
        (
            (procedure.link_id, service_ids[key])
            for procedures in (plan.new, relinked)
            for procedure in procedures
            for key in procedure.leika_keys
        ),
    )


def _insert_rows(table: str, columns: list[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert rows of prepared values: COPY on PostgreSQL, executemany() on SQLite."""
    bulk.insert_rows(table, columns, rows)
