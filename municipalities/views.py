"""The municipal portal's pages about a Kommune's online procedures.

Every view runs behind `municipal_staff_required` and reaches a link only through
`get_own_link_or_404`, so a clerk never sees or changes another Kommune's procedures.
"""

import hashlib
import json
import secrets
from pathlib import PurePath
from typing import Any

from django.contrib import messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from awards.models import Application

from .access import get_own_link_or_404, municipal_staff_required
from .forms import (
    MAX_COAT_OF_ARMS_BYTES,
    MAX_UPLOAD_BYTES,
    CoatOfArmsForm,
    ProcedureFileForm,
    ProcedureFilterForm,
    ProcedureLinkForm,
)
from .models import Municipality, ProcedureLink, Scope, Service
from .procedures import (
    ImportConflict,
    ImportPlan,
    PlannedProcedure,
    apply_plan,
    field_label,
    plan_import,
)

PAGE_SIZE = 50
SEARCH_RESULTS = 20
# The preview lists at most this many rows per group; a Kommune's file is far smaller.
PREVIEW_ROWS = 500
PENDING_IMPORT = "portal_pending_import"
PENDING_IMPORT_DIR = "portal-imports"


def review_notice(municipality: Municipality) -> Application | None:
    """Return the Kommune's application while the ministry holds its frozen evidence."""
    return (
        Application.objects.filter(municipality=municipality)
        .awaiting_review()
        .order_by("-created_at")
        .first()
    )


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) and target.startswith(reverse("portal:procedures")):
        return target
    return default


@municipal_staff_required
@require_GET
def procedure_list(request: HttpRequest) -> HttpResponse:
    """List the Kommune's procedures with search, filters and pages of 50."""
    municipality = request.municipality
    own = ProcedureLink.objects.filter(municipality=municipality)
    links = own
    form = ProcedureFilterForm(request.GET)
    if form.is_valid():
        term = form.cleaned_data["q"].strip()
        if term:
            links = links.filter(Q(title__icontains=term) | Q(url__icontains=term))
        if form.cleaned_data["zustaendigkeit"]:
            links = links.filter(scope=form.cleaned_data["zustaendigkeit"])
        if form.cleaned_data["status"] == ProcedureFilterForm.ACTIVE:
            links = links.filter(active=True)
        elif form.cleaned_data["status"] == ProcedureFilterForm.INACTIVE:
            links = links.filter(active=False)
    links = links.prefetch_related("services").order_by("title", "pk")
    page = Paginator(links, PAGE_SIZE).get_page(request.GET.get("seite"))
    total = own.count()
    active = own.filter(active=True).count()
    return render(
        request,
        "portal/procedure_list.html",
        {
            "municipality": municipality,
            "form": form,
            "page": page,
            "elided_pages": page.paginator.get_elided_page_range(page.number),
            "filtered": any(request.GET.get(name) for name in ("q", "zustaendigkeit", "status")),
            "total": total,
            "active_count": active,
            "inactive_count": total - active,
            "counted": municipality.procedure_count(),
            "threshold": municipality.threshold(),
            "review": review_notice(municipality),
        },
    )


@municipal_staff_required
@require_http_methods(["GET", "POST"])
def procedure_create(request: HttpRequest) -> HttpResponse:
    """Add one procedure to the Kommune's list."""
    return _procedure_form(request, ProcedureLink())


@municipal_staff_required
@require_http_methods(["GET", "POST"])
def procedure_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change one of the Kommune's procedures."""
    return _procedure_form(request, get_own_link_or_404(request, pk))


def _procedure_form(request: HttpRequest, link: ProcedureLink) -> HttpResponse:
    municipality = request.municipality
    form = ProcedureLinkForm(request.POST or None, instance=link, municipality=municipality)
    if request.method == "POST" and form.is_valid():
        adding = link.pk is None
        try:
            with transaction.atomic():
                link = form.save()
        except IntegrityError:
            # Someone saved the same URL between the check and the write.
            form.add_error("url", _("Diese URL ist für Ihre Kommune schon eingetragen."))
        else:
            if adding:
                messages.success(
                    request, _("„%(title)s“ wurde hinzugefügt.") % {"title": link.title}
                )
            else:
                messages.success(
                    request, _("„%(title)s“ wurde gespeichert.") % {"title": link.title}
                )
            return redirect("portal:procedures")
    return render(
        request,
        "portal/procedure_form.html",
        {
            "municipality": municipality,
            "form": form,
            "link": link,
            "review": review_notice(municipality),
            "search_url": reverse("portal:service_search"),
        },
    )


@municipal_staff_required
@require_POST
def procedure_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a procedure off the count without deleting it."""
    return _set_active(request, pk, active=False)


@municipal_staff_required
@require_POST
def procedure_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """Count a deactivated procedure again."""
    return _set_active(request, pk, active=True)


def _set_active(request: HttpRequest, pk: int, *, active: bool) -> HttpResponse:
    link = get_own_link_or_404(request, pk)
    if link.active != active:
        link.active = active
        link.save(update_fields=["active", "updated_at"])
    if active:
        message = _("„%(title)s“ ist wieder aktiv und wird gezählt.")
    else:
        message = _("„%(title)s“ ist deaktiviert und wird nicht mehr gezählt.")
    messages.success(request, message % {"title": link.title})
    return redirect(_safe_next(request, reverse("portal:procedures")))


@municipal_staff_required
@require_GET
def service_search(request: HttpRequest) -> JsonResponse:
    """Find LeiKa services by name or key prefix for the form's autocomplete."""
    term = request.GET.get("q", "").strip()[:100]
    results: list[dict[str, str]] = []
    if len(term) >= 2:
        matches = Service.objects.filter(
            Q(name__icontains=term) | Q(leika_key__startswith=term)
        ).order_by("name", "leika_key")[:SEARCH_RESULTS]
        results = [{"key": s.leika_key, "name": s.name} for s in matches]
    return JsonResponse({"results": results})


class UploadLimitHandler(FileUploadHandler):
    """Drop an uploaded file once it passes the limit, before it is spooled to disk."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler builds the file


@csrf_exempt  # CSRF is checked below, once the upload handler is in place
@municipal_staff_required
@require_http_methods(["GET", "POST"])
def procedure_upload(request: HttpRequest) -> HttpResponse:
    """Upload a procedure file and show what importing it would change; save nothing."""
    limit = None
    if request.method == "POST":
        limit = UploadLimitHandler(request, MAX_UPLOAD_BYTES)
        try:
            request.upload_handlers.insert(0, limit)
        except AttributeError:
            limit = None  # the body was read already; the form still checks the size
    return _procedure_upload(request, limit)


@csrf_protect
def _procedure_upload(request: HttpRequest, limit: UploadLimitHandler | None) -> HttpResponse:
    municipality = request.municipality
    if request.method != "POST":
        return _upload_page(request, ProcedureFileForm())
    form = ProcedureFileForm(request.POST, request.FILES, too_large=bool(limit and limit.exceeded))
    if not form.is_valid():
        return _upload_page(request, form)
    upload = form.cleaned_data["file"]
    data = upload.read()
    filename = PurePath(upload.name or "").name
    plan = plan_import(data, filename=filename, only_municipality=municipality)
    file_errors = [issue for issue in plan.errors if issue.line is None]
    if file_errors and not plan.rows:
        # The file as a whole could not be read: say why on the upload form.
        for issue in file_errors:
            form.add_error("file", str(issue))
        return _upload_page(request, form)
    _discard_pending(request)
    if plan.is_valid and (plan.new or plan.changed):
        _store_pending(request, data, filename, plan)
    return _preview_page(request, plan, filename)


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
    plan = plan_import(data, filename=filename, only_municipality=municipality)
    if not plan.is_valid or not (plan.new or plan.changed):
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
        apply_plan(plan)
    except ImportConflict as error:
        # Another import overtook this one: show what the file would do now.
        _discard_pending(request)
        plan = plan_import(data, filename=filename, only_municipality=municipality)
        if plan.is_valid and (plan.new or plan.changed):
            _store_pending(request, data, filename, plan)
        return _preview_page(request, plan, filename, notice=str(error))
    _discard_pending(request)
    messages.success(
        request,
        _("Die Datei wurde übernommen: %(new)s, %(changed)s.")
        % {
            "new": ngettext("%(n)d Verfahren neu", "%(n)d Verfahren neu", len(plan.new))
            % {"n": len(plan.new)},
            "changed": ngettext(
                "%(n)d Verfahren geändert", "%(n)d Verfahren geändert", len(plan.changed)
            )
            % {"n": len(plan.changed)},
        },
    )
    return redirect("portal:procedures")


def plan_fingerprint(plan: ImportPlan) -> str:
    """Digest what a plan would write, so that a confirmation applies exactly what was shown."""
    summary = [
        [group, procedure.url, sorted(procedure.changes.items())]
        for group, procedures in (("new", plan.new), ("changed", plan.changed))
        for procedure in procedures
    ]
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
    return render(
        request,
        "portal/procedure_preview.html",
        {
            "municipality": request.municipality,
            "filename": filename,
            "plan": plan,
            "confirmable": confirmable,
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
                "errors": max(len(row_errors) - PREVIEW_ROWS, 0),
            },
            "review": review_notice(request.municipality),
        },
    )


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


@csrf_exempt  # CSRF is checked below, once the upload handler is in place
@municipal_staff_required
@require_http_methods(["GET", "POST"])
def coat_of_arms(request: HttpRequest) -> HttpResponse:
    """Show, replace or remove the coat of arms the Kommune's plaque shows."""
    limit = None
    if request.method == "POST" and "entfernen" not in request.GET:
        limit = UploadLimitHandler(request, MAX_COAT_OF_ARMS_BYTES)
        try:
            request.upload_handlers.insert(0, limit)
        except AttributeError:
            limit = None  # the body was read already; the form still checks the size
    return _coat_of_arms(request, limit)


@csrf_protect
def _coat_of_arms(request: HttpRequest, limit: UploadLimitHandler | None) -> HttpResponse:
    municipality = request.municipality
    form = CoatOfArmsForm()
    if request.method == "POST" and "entfernen" in request.GET:
        if municipality.coat_of_arms:
            _replace_coat_of_arms(municipality, "")
            messages.success(request, _("Das Wappen ist entfernt; das Schild zeigt keines mehr."))
        return redirect("portal:coat_of_arms")
    if request.method == "POST":
        files = request.FILES  # parse the body first: that is when the limit can be exceeded
        form = CoatOfArmsForm(request.POST, files, too_large=bool(limit and limit.exceeded))
        if form.is_valid():
            digest = hashlib.sha256(form.png).hexdigest()[:12]
            name = default_storage.save(
                f"wappen/{municipality.ars}-{digest}.png", ContentFile(form.png)
            )
            _replace_coat_of_arms(municipality, name)
            messages.success(
                request, _("Das Wappen ist gespeichert. Das Schild zeigt es ab sofort.")
            )
            return redirect("portal:coat_of_arms")
    status = 400 if form.is_bound else 200
    context = {"municipality": municipality, "form": form}
    return render(request, "portal/coat_of_arms.html", context, status=status)


def _replace_coat_of_arms(municipality: Municipality, name: str) -> None:
    """Point the Kommune at a new file, then delete the old one and redraw its documents."""
    from awards.models import Award
    from awards.tasks import render_award_documents

    old = municipality.coat_of_arms.name
    with transaction.atomic():
        Municipality.objects.filter(pk=municipality.pk).update(coat_of_arms=name)
        municipality.coat_of_arms.name = name
        award = Award.objects.valid().filter(municipality=municipality).first()
        if award is not None:
            transaction.on_commit(lambda: render_award_documents.enqueue(award_id=award.pk))
        if old and old != name:
            transaction.on_commit(lambda: default_storage.delete(old))


@municipal_staff_required
@require_GET
def coat_of_arms_image(request: HttpRequest) -> HttpResponse:
    """Send the Kommune's stored coat of arms (re-encoded PNG) for the portal's preview."""
    name = request.municipality.coat_of_arms.name
    if not name or not default_storage.exists(name):
        raise Http404
    response = FileResponse(default_storage.open(name, "rb"), content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response
