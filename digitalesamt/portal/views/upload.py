"""Upload a procedure file: a preview of what it would change, then saving exactly that."""

import hashlib
import json
import secrets
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from digitalesamt.lib.uploads import limit_upload, upload_too_large
from municipalities.constants import Scope
from municipalities.importing.procedures import (
    ImportConflict,
    ImportPlan,
    PlannedProcedure,
    apply_plan,
    field_label,
    plan_import,
)
from municipalities.validation import number

from ..access import municipal_staff_required
from ..forms import ProcedureFileForm
from .common import review_notice

# The preview lists at most this many rows per group (errors: at most the
# IMPORT_MAX_REPORTED_PROBLEMS the plan keeps); a Kommune's file is far smaller.
PREVIEW_ROWS = 500
PENDING_IMPORT = "portal_pending_import"
PENDING_IMPORT_DIR = "portal-imports"


@municipal_staff_required
@limit_upload(lambda: settings.PROCEDURE_FILE_MAX_BYTES)
@require_http_methods(["GET", "POST"])
def procedure_upload(request: HttpRequest) -> HttpResponse:
    """Upload a procedure file and show what importing it would change; save nothing."""
    municipality = request.municipality
    if request.method != "POST":
        return _upload_page(request, ProcedureFileForm())
    files = request.FILES  # parse the body first: that is when the limit can be exceeded
    form = ProcedureFileForm(request.POST, files, too_large=upload_too_large(request))
    if not form.is_valid():
        return _upload_page(request, form)
    upload = form.cleaned_data["file"]
    data = upload.read()
    filename = PurePath(upload.name or "").name
    plan = plan_import(data, filename=filename, only_municipality=municipality)
    file_errors = [issue for issue in plan.errors if issue.line is None]
    if file_errors:
        # The file as a whole cannot be read or taken (too many rows, past the cap of links):
        # say why on the upload form.
        for issue in file_errors:
            form.add_error("file", str(issue))
        return _upload_page(request, form)
    _discard_pending(request)
    if _takeable(plan):
        _store_pending(request, data, filename, plan)
    return _preview_page(request, plan, filename)


def _takeable(plan: ImportPlan) -> bool:
    """Whether a preview offers to save: the whole file, or only its rows without errors."""
    return plan.only_row_errors and bool(plan.new or plan.changed)


# The value of the confirm button that takes only the rows without errors.
ONLY_ROWS_WITHOUT_ERRORS = "fehlerfrei"


@municipal_staff_required
@require_POST
def procedure_import_confirm(request: HttpRequest) -> HttpResponse:
    """Save the previewed file, if the database still gives the plan the user saw."""
    municipality = request.municipality
    pending = _load_pending(request)
    if pending is None:
        return _upload_page(
            request,
            ProcedureFileForm(),
            error=_(
                "Es liegt keine geprüfte Vorschau vor, die übernommen werden könnte. Bitte laden "
                "Sie die Datei hoch und prüfen Sie die Vorschau."
            ),
            status=400,
        )
    data, entry = pending
    filename = entry["filename"]
    # All or nothing unless the clerk chose the second button: only the rows without errors.
    partial = request.POST.get("umfang") == ONLY_ROWS_WITHOUT_ERRORS
    plan = plan_import(data, filename=filename, only_municipality=municipality)
    if not plan.is_valid and not partial:
        # The preview offered only the second choice; the first cannot take this file.
        _discard_pending(request)
        if _takeable(plan):
            _store_pending(request, data, filename, plan)
        return _preview_page(
            request,
            plan,
            filename,
            notice=_(
                "Die Datei hat fehlerhafte Zeilen und wurde nicht übernommen. Korrigieren Sie "
                "die Datei, oder übernehmen Sie ausdrücklich nur die fehlerfreien Zeilen."
            ),
        )
    if not _takeable(plan):
        _discard_pending(request)
        return _preview_page(
            request,
            plan,
            filename,
            notice=_(
                "Seit der Vorschau hat sich der Datenbestand geändert. Es wurde nichts "
                "gespeichert; bitte prüfen Sie das Ergebnis."
            ),
        )
    if plan_fingerprint(plan) != entry["fingerprint"]:
        _discard_pending(request)
        _store_pending(request, data, filename, plan)
        return _preview_page(
            request,
            plan,
            filename,
            notice=_(
                "Seit der Vorschau hat sich der Datenbestand geändert. Es wurde nichts "
                "gespeichert; bitte prüfen Sie die neue Vorschau und übernehmen Sie sie erneut."
            ),
        )
    try:
        # The same saving code and limits for both choices, in one transaction.
        apply_plan(plan, skip_rows_with_errors=partial)
    except ImportConflict as error:
        # Another import overtook this one: show what the file would do now.
        _discard_pending(request)
        plan = plan_import(data, filename=filename, only_municipality=municipality)
        if _takeable(plan):
            _store_pending(request, data, filename, plan)
        return _preview_page(request, plan, filename, notice=str(error))
    _discard_pending(request)
    counts = {
        "new": ngettext("%(n)d Verfahren neu", "%(n)d Verfahren neu", len(plan.new))
        % {"n": len(plan.new)},
        "changed": ngettext(
            "%(n)d Verfahren geändert", "%(n)d Verfahren geändert", len(plan.changed)
        )
        % {"n": len(plan.changed)},
    }
    if plan.is_valid:
        messages.success(request, _("Die Datei wurde übernommen: %(new)s, %(changed)s.") % counts)
    else:
        counts["left_out"] = ngettext(
            "%(n)d fehlerhafte Zeile wurde nicht übernommen",
            "%(n)d fehlerhafte Zeilen wurden nicht übernommen",
            plan.error_lines,
        ) % {"n": plan.error_lines}
        messages.success(
            request,
            _(
                "Die fehlerfreien Zeilen wurden übernommen: %(new)s, %(changed)s. "
                "%(left_out)s; korrigieren Sie sie und laden Sie sie erneut hoch."
            )
            % counts,
        )
    return redirect("portal:procedures")


def plan_fingerprint(plan: ImportPlan) -> str:
    """Digest what a plan would write, so that a confirmation applies exactly what was shown."""
    summary = [
        [group, procedure.url, sorted(procedure.changes.items())]
        for group, procedures in (("new", plan.new), ("changed", plan.changed))
        for procedure in procedures
    ]
    # Which rows are left out belongs to what the clerk saw and chose.
    summary.append(["errors", plan.error_lines, [problem.line for problem in plan.errors]])
    encoded = json.dumps(summary, default=str, sort_keys=True).encode()
    return hashlib.sha256(encoded).hexdigest()


def _pending_dir(request: HttpRequest) -> str:
    return f"{PENDING_IMPORT_DIR}/{request.municipality.pk}/{request.user.pk}/"


def _store_pending(request: HttpRequest, data: bytes, filename: str, plan: ImportPlan) -> None:
    """Keep the uploaded bytes under a random name until the user confirms or uploads again.

    The storage API, not the session: sessions live in the database and are read on every
    request, while a file of several megabytes belongs in the file store shared by all servers.
    """
    folder = _pending_dir(request)
    # One pending file per user and Kommune: this also sweeps files of abandoned previews.
    try:
        for leftover in default_storage.listdir(folder)[1]:
            default_storage.delete(folder + leftover)
    except (FileNotFoundError, NotImplementedError):
        pass
    name = default_storage.save(f"{folder}{secrets.token_urlsafe(24)}.upload", ContentFile(data))
    request.session[PENDING_IMPORT] = {
        "name": name,
        "filename": filename,
        "municipality": request.municipality.pk,
        "fingerprint": plan_fingerprint(plan),
    }


def _load_pending(request: HttpRequest) -> tuple[bytes, dict[str, Any]] | None:
    entry = request.session.get(PENDING_IMPORT)
    if not isinstance(entry, dict):
        return None
    name = entry.get("name", "")
    # The session is the server's, but a stale entry after a change of Kommune must not count.
    if entry.get("municipality") != request.municipality.pk or not name.startswith(
        _pending_dir(request)
    ):
        return None
    try:
        with default_storage.open(name, "rb") as stored:
            return stored.read(), entry
    except (FileNotFoundError, OSError):
        return None


def _discard_pending(request: HttpRequest) -> None:
    entry = request.session.pop(PENDING_IMPORT, None)
    if isinstance(entry, dict) and str(entry.get("name", "")).startswith(PENDING_IMPORT_DIR + "/"):
        default_storage.delete(entry["name"])


def _upload_page(
    request: HttpRequest, form: ProcedureFileForm, *, error: str = "", status: int = 200
) -> HttpResponse:
    return render(
        request,
        "portal/procedure_upload.html",
        {
            "municipality": request.municipality,
            "form": form,
            "error": error,
            "review": review_notice(request.municipality),
        },
        status=status,
    )


def _preview_page(
    request: HttpRequest, plan: ImportPlan, filename: str, notice: str = ""
) -> HttpResponse:
    confirmable = request.session.get(PENDING_IMPORT) is not None
    row_errors = [issue for issue in plan.errors if issue.line is not None]
    good_rows = plan.rows_without_errors
    return render(
        request,
        "portal/procedure_preview.html",
        {
            "municipality": request.municipality,
            "filename": filename,
            "plan": plan,
            "confirmable": confirmable,
            # The second choice, offered only when some rows have errors.
            "partial": confirmable and not plan.is_valid,
            "partial_label": ngettext(
                "Nur die fehlerfreie Zeile übernehmen",
                "Nur die %(n)s fehlerfreien Zeilen übernehmen",
                good_rows,
            )
            % {"n": number(good_rows)},
            "partial_value": ONLY_ROWS_WITHOUT_ERRORS,
            "notice": notice,
            "new_rows": [_procedure_row(p) for p in plan.new[:PREVIEW_ROWS]],
            "changed_rows": [_procedure_row(p) for p in plan.changed[:PREVIEW_ROWS]],
            "unchanged_rows": [_procedure_row(p) for p in plan.unchanged[:PREVIEW_ROWS]],
            "file_errors": [issue for issue in plan.errors if issue.line is None],
            "row_errors": row_errors[:PREVIEW_ROWS],
            "file_warnings": [issue for issue in plan.warnings if issue.line is None],
            "row_warnings": [issue for issue in plan.warnings if issue.line is not None][
                :PREVIEW_ROWS
            ],
            "hidden": {
                "new": max(len(plan.new) - PREVIEW_ROWS, 0),
                "changed": max(len(plan.changed) - PREVIEW_ROWS, 0),
                "unchanged": max(len(plan.unchanged) - PREVIEW_ROWS, 0),
                "errors": _hidden_errors(plan, len(row_errors)),
            },
            "review": review_notice(request.municipality),
        },
    )


def _hidden_errors(plan: ImportPlan, row_errors: int) -> str:
    """Count the row errors the preview does not list, "2.620.817"; "" if none."""
    # Errors past IMPORT_MAX_REPORTED_PROBLEMS were counted by the plan, not kept.
    hidden = max(row_errors - PREVIEW_ROWS, 0) + plan.errors.omitted
    return number(hidden) if hidden else ""


def _procedure_row(procedure: PlannedProcedure) -> dict[str, Any]:
    return {
        "label": procedure.label,
        "lines": procedure.lines,
        "title": procedure.title,
        "url": procedure.url,
        "scope": Scope(procedure.scope).label,
        "keys": ", ".join(procedure.leika_keys),
        "active": procedure.active is not False,
        "changes": [
            {"field": field_label(name), "old": _shown(name, old), "new": _shown(name, new)}
            for name, (old, new) in procedure.changes.items()
        ],
    }


def _shown(name: str, value: Any) -> str:
    if name == "active":
        return _("ja") if value else _("nein")
    if name == "scope" and value in Scope.values:
        return str(Scope(value).label)
    if isinstance(value, list | tuple):
        return ", ".join(value) or "–"
    return str(value) if value not in (None, "") else "–"
