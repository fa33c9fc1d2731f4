"""Check the rows of a procedure file and plan what importing it would change; save nothing.

Planning costs a few queries, never one a row: the register's ARS, the LeiKa catalogue, then the
existing links of the affected Kommunen and their services (two queries per batch of up to 900
Kommunen and about 20,000 of the file's procedures, read as a stream and compared batch by batch).
Its memory grows with the rows of the file up to the row limit, never with its problems: they
are kept up to settings.IMPORT_MAX_REPORTED_PROBLEMS and the rest counted.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from municipalities.constants import Scope
from municipalities.models import Municipality, ProcedureLink, Service
from municipalities.validation import (
    ARS_PATTERN,
    clean_procedure_url,
    leika_key_problem,
    shown,
    too_many_links,
    url_key,
)

from .files import ImportFileError, Problem, ProblemList, too_many_rows
from .procedure_rows import KEY_SEPARATOR, Records, read_file

PROGRESS_EVERY = 10_000
# Ids per IN (...): below every backend's parameter limit.
ID_CHUNK = 900

TITLE_MAX_LENGTH = ProcedureLink._meta.get_field("title").max_length
OZG_ID_MAX_LENGTH = ProcedureLink._meta.get_field("ozg_id").max_length
SCOPES = frozenset(Scope.values)
# Excel turns "091620000000" into the number 91620000000 unless the column is text.
ARS_WITHOUT_ZERO = re.compile(r"^9\d{10}$")
TRUE_VALUES = frozenset({"", "ja"})
# Distinct URLs the checker remembers before it starts afresh.
URL_CACHE_SIZE = 20_000
# A Kommune's stored links are compared with the file this many procedures at a time (and
# at most ID_CHUNK Kommunen): what is read from the database is held for one batch only.
COMPARE_BATCH = 20_000
FALSE_VALUES = frozenset({"nein"})


class PlannedProcedure:
    """One procedure of the file: what it will look like and how it differs from the database.

    `ozg_id` and `active` are None while the file has no such column; planning fills them in
    from the existing link (or the defaults for a new one). `changes` maps a field name to
    (old, new); "services" holds sorted LeiKa keys.

    Kept small, since the ministry's file holds half a million: what every row shares (the
    Kommune's ARS, the scope, the catalogue's keys, the label's wording) is the shared object,
    not a copy; one line is a number, not a list; the counting key (`key`), the label and
    `changes` are computed when asked for. Two procedures are equal when they are one by the
    format's rule, the same Kommune and `key`; a (municipality_id, key) tuple finds one in a
    dict or set.
    """

    __slots__ = (
        "_changes",
        "_keys",
        "_label",
        "_lines",
        "active",
        "ars",
        "link_id",
        "municipality_id",
        "ozg_id",
        "scope",
        "title",
        "url",
    )

    def __init__(
        self,
        *,
        line: int,
        label: str,
        ars: str,
        municipality_id: int,
        url: str,
        title: str,
        scope: str,
        leika_keys: list[str],
        ozg_id: str | None,
        active: bool | None,
    ) -> None:
        self._lines: int | list[int] = line
        self._label = label  # the wording, e.g. "Zeile %(line)s"
        self.ars = ars
        self.municipality_id = municipality_id
        self.url = url
        self.title = title
        self.scope = scope
        self._keys: str | tuple[str, ...] = (
            leika_keys[0] if len(leika_keys) == 1 else tuple(leika_keys)
        )
        self.ozg_id = ozg_id
        self.active = active
        self.link_id: int | None = None
        # (name, old, new) of each change: a dict per procedure would double what a file that
        # changes every link costs.
        self._changes: tuple[tuple[str, Any, Any], ...] = ()

    @property
    def lines(self) -> list[int]:
        lines = self._lines
        return list(lines) if isinstance(lines, list) else [lines]

    @property
    def line(self) -> int:
        lines = self._lines
        return lines[0] if isinstance(lines, list) else lines

    @property
    def label(self) -> str:
        return self._label % {"line": self.line}

    @property
    def key(self) -> str:
        """The counting key of the URL (`url_key`): rows with the same one are one procedure."""
        return url_key(self.url)

    @property
    def leika_keys(self) -> list[str]:
        keys = self._keys
        return [keys] if isinstance(keys, str) else list(keys)

    @property
    def changes(self) -> dict[str, tuple[Any, Any]]:
        """Field name -> (old, new), in the order the fields are compared (a new dict)."""
        return {name: (old, new) for name, old, new in self._changes}

    @property
    def has_changes(self) -> bool:
        return bool(self._changes)

    def merge_row(self, line: int, leika_keys: list[str]) -> None:
        """Note a later row of the same procedure: its line, and its keys not yet named."""
        lines = self._lines
        self._lines = [*lines, line] if isinstance(lines, list) else [lines, line]
        known = self.leika_keys
        added = [key for key in leika_keys if key not in known]
        if added:
            self._keys = (*known, *added)

    def __hash__(self) -> int:
        return hash((self.municipality_id, url_key(self.url)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PlannedProcedure):
            other = (other.municipality_id, url_key(other.url))
        if isinstance(other, tuple):
            return other == (self.municipality_id, url_key(self.url))
        return NotImplemented

    def __repr__(self) -> str:
        return f"<PlannedProcedure {self.label}: {self.ars} {self.url}>"


@dataclass
class ImportPlan:
    """What importing a file would do; `errors` must be empty before `apply_plan`."""

    new: list[PlannedProcedure] = field(default_factory=list)
    changed: list[PlannedProcedure] = field(default_factory=list)
    unchanged: list[PlannedProcedure] = field(default_factory=list)
    errors: ProblemList = field(default_factory=ProblemList)
    warnings: ProblemList = field(default_factory=ProblemList)
    rows: int = 0
    service_ids: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def only_row_errors(self) -> bool:
        """True if every error belongs to a row, so that the other rows could be taken."""
        return all(problem.line is not None for problem in self.errors)

    @property
    def rows_without_errors(self) -> int:
        """Number of rows read that have no error."""
        return max(self.rows - self.error_lines, 0)

    @property
    def procedures(self) -> list[PlannedProcedure]:
        return [*self.new, *self.changed, *self.unchanged]

    @property
    def error_lines(self) -> int:
        """Number of distinct rows with at least one error, listed or only counted."""
        return self.errors.lines


Progress = Callable[[int, int], None]


def field_label(name: str) -> str:
    """Return the German label of a field named in `PlannedProcedure.changes`."""
    return str(ProcedureLink._meta.get_field(name).verbose_name)


def plan_import(
    data: bytes | BinaryIO,
    *,
    filename: str = "",
    only_municipality: Municipality | None = None,
    progress: Progress | None = None,
    limit_rows: bool = True,
) -> ImportPlan:
    """Read and check a procedure file and compare it with the database; save nothing.

    `data` is the file's bytes or a seekable binary file (the command's, read as a stream).

    With `only_municipality` every row must belong to that Kommune. `progress(done, total)` is
    called every PROGRESS_EVERY rows while checking. With `limit_rows`, a file of more than
    settings.PROCEDURE_FILE_MAX_ROWS rows is refused as a whole, and read no further than the
    row after the limit; the ministry's command imports files of all Kommunen without it.
    """
    max_rows = settings.PROCEDURE_FILE_MAX_ROWS if limit_rows else None
    plan = ImportPlan()
    try:
        records = read_file(data, filename, max_rows=max_rows)
        plan.errors.extend(records.errors)
        plan.warnings.extend(records.warnings)
        if not records.rows_follow:
            return plan
        _check_rows(plan, records, only_municipality, progress, max_rows)
    except ImportFileError as exc:
        # The file as a whole: what its rows said so far does not matter.
        plan = ImportPlan()
        plan.errors.extend(exc.problems)
    return plan


def _check_rows(
    plan: ImportPlan,
    records: Records,
    only_municipality: Municipality | None,
    progress: Progress | None,
    max_rows: int | None,
) -> None:
    checker = _RowChecker(records, only_municipality)
    plan.service_ids = checker.service_ids
    # Kommune -> its procedures, each its own key (see PlannedProcedure.__eq__).
    merged: dict[int, dict[PlannedProcedure, PlannedProcedure]] = {}
    in_order: list[PlannedProcedure] = []  # the file's order of first rows
    for position, (line, record, problem) in enumerate(records.rows, start=1):
        if max_rows is not None and position > max_rows:
            raise ImportFileError([too_many_rows(max_rows)])
        if progress is not None and position % PROGRESS_EVERY == 0:
            progress(position, records.total)
        plan.rows = position
        procedure = checker.check(line, record, problem, plan.errors)
        if procedure is None:
            continue
        own = merged.get(procedure.municipality_id)
        if own is None:
            own = merged[procedure.municipality_id] = {}
        first = own.setdefault(procedure, procedure)
        if first is procedure:
            in_order.append(procedure)
        else:
            _merge(first, procedure, plan.warnings)
    if progress is not None and plan.rows >= PROGRESS_EVERY and plan.rows % PROGRESS_EVERY:
        progress(plan.rows, plan.rows)
    if not plan.rows and not plan.errors:
        plan.warnings.append(Problem(None, _("Die Datei enthält keine Verfahren.")))

    checker.urls.clear()
    _compare_with_database(plan, merged, in_order, checker.service_keys)


class _RowChecker:
    """Check rows against the register and the catalogue, with caches for repeated values."""

    def __init__(self, records: Records, only_municipality: Municipality | None) -> None:
        self.label = records.label
        self.has_ozg_id = "ozg_id" in records.columns
        self.has_active = "aktiv" in records.columns
        self.only = only_municipality
        if only_municipality is not None:
            self.municipality_ids = {only_municipality.ars: only_municipality.pk}
        else:
            self.municipality_ids = dict(Municipality.objects.values_list("ars", "id"))
        self.service_ids: dict[str, int] = dict(Service.objects.values_list("leika_key", "id"))
        # Each row's ARS, scope and keys become these shared strings, not a copy per row.
        self.shared = {text: text for text in (*self.municipality_ids, *self.service_ids)}
        self.shared.update((scope, scope) for scope in SCOPES)
        self.service_keys = {pk: key for key, pk in self.service_ids.items()}
        # Central procedures repeat the same URL for every Kommune: check each spelling once.
        self.urls: dict[str, tuple[str, str, str | None]] = {}
        self.ars_reasons: dict[str, str | None] = {}
        # Translated once: a file of a million bad rows says these a million times.
        self.no_title = _("Der Titel fehlt.")
        self.no_scope = _("Die Zuständigkeit fehlt (kommunal oder zentral).")
        self.no_keys = _("Der LeiKa-Schlüssel fehlt (mindestens einer).")

    def check(
        self, line: int, record: dict[str, str], problem: str | None, errors: ProblemList
    ) -> PlannedProcedure | None:
        """Return the row as a procedure, or None after adding its problems to `errors`."""
        if problem:
            # The row's shape is wrong, so its cells cannot be told apart: say only that.
            errors.add(line, self.label % {"line": line}, [problem])
            return None
        reasons: list[str] = []
        ars = self._ars(record.get("ars", ""), reasons)
        title = " ".join(record.get("titel", "").split())
        if not title:
            reasons.append(self.no_title)
        elif len(title) > TITLE_MAX_LENGTH:
            reasons.append(
                _("Der Titel ist zu lang (%(length)d Zeichen, höchstens %(max)d).")
                % {"length": len(title), "max": TITLE_MAX_LENGTH}
            )
        url = self._url(record.get("url", ""), reasons)
        scope = self._scope(record.get("zustaendigkeit", ""), reasons)
        keys = self._leika_keys(record.get("leika_schluessel", ""), reasons)
        ozg_id = None
        if self.has_ozg_id:
            ozg_id = record.get("ozg_id", "").strip()
            if len(ozg_id) > OZG_ID_MAX_LENGTH:
                reasons.append(
                    _("Die OZG-ID „%(value)s“ ist zu lang (höchstens %(max)d Zeichen).")
                    % {"value": shown(ozg_id), "max": OZG_ID_MAX_LENGTH}
                )
        active = None
        if self.has_active:
            active = self._active(record.get("aktiv", ""), reasons)
        if reasons:
            errors.add(line, self.label % {"line": line}, reasons)
            return None
        return PlannedProcedure(
            line=line,
            label=self.label,
            ars=self.shared[ars],
            municipality_id=self.municipality_ids[ars],
            url=url,
            title=title,
            scope=self.shared[scope],
            leika_keys=[self.shared[key] for key in keys],
            ozg_id=ozg_id,
            active=active,
        )

    def _ars(self, value: str, reasons: list[str]) -> str:
        ars = value.strip()
        if ars not in self.ars_reasons:
            self.ars_reasons[ars] = self._check_ars(ars)
        reason = self.ars_reasons[ars]
        if reason:
            reasons.append(reason)
        return ars

    def _check_ars(self, ars: str) -> str | None:
        if not ars:
            return _("Der ARS fehlt.")
        if ARS_WITHOUT_ZERO.match(ars):
            return _(
                "Der ARS „%(ars)s“ hat nur 11 Ziffern; vermutlich hat Excel die führende 0 "
                "entfernt. Die Spalte als Text formatieren."
            ) % {"ars": ars}
        if not ARS_PATTERN.match(ars):
            return _("Der ARS „%(ars)s“ ist ungültig: 12 Ziffern, beginnend mit 09.") % {
                "ars": shown(ars)
            }
        if self.only is not None and ars != self.only.ars:
            return _("Der ARS %(ars)s gehört nicht zu Ihrer Kommune (%(own)s).") % {
                "ars": ars,
                "own": self.only.ars,
            }
        if ars not in self.municipality_ids:
            return _("Unbekannter ARS %(ars)s: keine Kommune im Gemeindeverzeichnis.") % {
                "ars": ars
            }
        return None

    def _url(self, value: str, reasons: list[str]) -> str:
        """Return the canonical URL; a URL seen before (a central one) is the same object."""
        cached = self.urls.get(value)
        if cached is None:
            try:
                cached = (clean_procedure_url(value), None)
            except ValidationError as error:
                cached = (value.strip(), error.messages[0])
            if len(self.urls) >= URL_CACHE_SIZE:
                self.urls.clear()  # one URL a row would keep the whole file's
            self.urls[value] = cached
        url, reason = cached
        if reason:
            reasons.append(reason)
        return url

    def _scope(self, value: str, reasons: list[str]) -> str:
        scope = value.strip().lower()
        if not scope:
            reasons.append(self.no_scope)
        elif scope not in SCOPES:
            reasons.append(
                _("Unbekannte Zuständigkeit „%(value)s“; erlaubt sind kommunal und zentral.")
                % {"value": shown(value.strip())}
            )
        return scope

    def _leika_keys(self, value: str, reasons: list[str]) -> list[str]:
        # A dict keeps the order and finds a repeat at once, however many keys a cell holds.
        keys = dict.fromkeys(key for part in value.split(KEY_SEPARATOR) if (key := part.strip()))
        reasons.extend(
            leika_key_problem(key, known=False) for key in keys if key not in self.service_ids
        )
        if not keys:
            reasons.append(self.no_keys)
        return list(keys)

    def _active(self, value: str, reasons: list[str]) -> bool:
        word = value.strip().lower()
        if word in TRUE_VALUES:
            return True
        if word in FALSE_VALUES:
            return False
        reasons.append(
            _("Unbekannter Wert „%(value)s“ in „aktiv“; erlaubt sind ja und nein.")
            % {"value": shown(value.strip())}
        )
        return True


def _merge(first: PlannedProcedure, other: PlannedProcedure, warnings: list[Problem]) -> None:
    """Fold a later row of the same procedure into the first one."""
    first.merge_row(other.line, other.leika_keys)
    differing = []
    if other.title != first.title:
        differing.append(_("Titel"))
    if other.scope != first.scope:
        differing.append(_("Zuständigkeit"))
    if other.active != first.active:
        differing.append(_("aktiv"))
    if other.ozg_id:
        if not first.ozg_id:
            first.ozg_id = other.ozg_id
        elif other.ozg_id != first.ozg_id:
            differing.append(_("OZG-ID"))
    if differing:
        warnings.append(
            Problem(
                other.line,
                _(
                    "Gleiche URL wie %(first)s, aber abweichend: %(fields)s. Es gelten die "
                    "Angaben aus %(first)s; die Leistungen werden zusammengeführt."
                )
                % {"first": first.label, "fields": ", ".join(differing)},
                other.label,
            )
        )


def _compare_with_database(
    plan: ImportPlan,
    merged: dict[int, dict[PlannedProcedure, PlannedProcedure]],
    in_order: list[PlannedProcedure],
    service_keys: dict[int, str],
) -> None:
    """Sort procedures into new, changed and unchanged against the stored links.

    A batch of Kommunen at a time (COMPARE_BATCH): their stored links are read as tuples,
    compared and dropped, so that memory holds the file's procedures and one batch of links.
    A Kommune the new procedures would take past the cap (settings.PROCEDURE_LINKS_PER_KOMMUNE)
    makes the file an error as a whole.
    """
    stored: dict[int, int] = {}
    for chunk in kommune_batches(merged):
        services = _stored_services(chunk, service_keys)
        links = (
            ProcedureLink.objects.filter(municipality_id__in=chunk)
            .order_by()
            .values_list(
                "id", "municipality_id", "url", "title", "scope", "ozg_id", "active", "url_key"
            )
        )
        for link_id, municipality_id, url, title, scope, ozg_id, active, key in links.iterator(
            chunk_size=2000
        ):
            stored[municipality_id] = stored.get(municipality_id, 0) + 1
            # The database's counting key is the one the unique constraint holds.
            procedure = merged[municipality_id].get((municipality_id, key))
            if procedure is None or procedure.link_id is not None:
                continue
            procedure.link_id = link_id
            if procedure.ozg_id is None:
                procedure.ozg_id = ozg_id
            if procedure.active is None:
                procedure.active = active
            changes = []
            for name, old, new in (
                ("url", url, procedure.url),
                ("title", title, procedure.title),
                ("scope", scope, procedure.scope),
                ("ozg_id", ozg_id, procedure.ozg_id),
                ("active", active, procedure.active),
            ):
                if old != new:
                    changes.append((name, old, new))
            old_keys = sorted(services.get(link_id, ()))
            new_keys = sorted(procedure.leika_keys)
            if old_keys != new_keys:
                changes.append(("services", old_keys, new_keys))
            procedure._changes = tuple(changes)
        del services
    merged.clear()
    for procedure in in_order:
        if procedure.link_id is None:
            if procedure.ozg_id is None:
                procedure.ozg_id = ""
            if procedure.active is None:
                procedure.active = True
            plan.new.append(procedure)
        else:
            (plan.changed if procedure.has_changes else plan.unchanged).append(procedure)
    in_order.clear()
    _check_room(plan, stored)


def kommune_batches(merged: dict[int, Any]) -> Iterator[list[int]]:
    """Yield Kommune ids in order, in batches of up to ID_CHUNK and about COMPARE_BATCH links.

    `merged` maps a Kommune's id to its procedures (anything with a length).
    """
    chunk: list[int] = []
    size = 0
    for pk in sorted(merged):
        chunk.append(pk)
        size += len(merged[pk])
        if len(chunk) >= ID_CHUNK or size >= COMPARE_BATCH:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _stored_services(chunk: list[int], service_keys: dict[int, str]) -> dict[int, list[str]]:
    """Return the LeiKa keys of the stored links of some Kommunen, by link id."""
    through = ProcedureLink.services.through
    pairs = (
        through.objects.filter(procedurelink__municipality_id__in=chunk)
        .order_by()
        .values_list("procedurelink_id", "service_id")
    )
    services: dict[int, list[str]] = {}
    for link_id, service_id in pairs.iterator(chunk_size=2000):
        # A service added after the catalogue was read still counts as a difference.
        services.setdefault(link_id, []).append(service_keys.get(service_id, str(service_id)))
    return services


def _check_room(plan: ImportPlan, stored: dict[int, int]) -> None:
    """Refuse the file if its new procedures would take a Kommune past the cap."""
    adding: dict[int, int] = {}
    for procedure in plan.new:
        adding[procedure.municipality_id] = adding.get(procedure.municipality_id, 0) + 1
    limit = settings.PROCEDURE_LINKS_PER_KOMMUNE
    over = [pk for pk, count in adding.items() if stored.get(pk, 0) + count > limit]
    if not over:
        return
    for municipality in Municipality.objects.filter(pk__in=over[:ID_CHUNK]).order_by("ars"):
        message = too_many_links(
            municipality, stored=stored.get(municipality.pk, 0), adding=adding[municipality.pk]
        )
        plan.errors.append(
            Problem(None, _("Die Datei wird nicht übernommen: %(reason)s") % {"reason": message})
        )
