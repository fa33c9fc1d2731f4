"""The Kommune's list of online procedures: search, add, edit, deactivate, find a service."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from municipalities.constants import Scope
from municipalities.models import ProcedureLink, Service
from municipalities.service_search import search_services
from municipalities.validation import LEIKA_PATTERN

from ..access import get_own_link_or_404, municipal_staff_required
from ..forms import ProcedureFilterForm, ProcedureLinkForm
from .common import isolated, review_notice, safe_next

PAGE_SIZE = 50
SEARCH_RESULTS = 20


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
            "progress": municipality.progress(),
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
    form = ProcedureLinkForm(
        request.POST or None,
        instance=link,
        municipality=municipality,
        initial=_suggested(request) if link.pk is None else None,
    )
    if request.method == "POST" and form.is_valid():
        adding = link.pk is None
        try:
            with transaction.atomic():
                if adding:
                    # Again, with the Kommune locked: two clerks must not pass the cap together.
                    ProcedureLink.objects.check_room(municipality, lock=True)
                link = form.save()
        except IntegrityError:
            # Someone saved the same URL between the check and the write.
            form.add_error("url", _("Diese URL ist für Ihre Kommune schon eingetragen."))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if adding:
                messages.success(
                    request, _("„%(title)s“ wurde hinzugefügt.") % {"title": isolated(link.title)}
                )
            else:
                messages.success(
                    request, _("„%(title)s“ wurde gespeichert.") % {"title": isolated(link.title)}
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


def _suggested(request: HttpRequest) -> dict[str, str]:
    """Start a new procedure with the service the way to 50 suggested (`?leistung=KEY`)."""
    key = request.GET.get("leistung", "")
    service = Service.objects.filter(leika_key=key).first() if LEIKA_PATTERN.match(key) else None
    if service is None:
        return {}
    return {"title": service.name, "leika_keys": service.leika_key, "scope": Scope.KOMMUNAL}


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
    messages.success(request, message % {"title": isolated(link.title)})
    return redirect(safe_next(request, reverse("portal:procedures")))


@municipal_staff_required
@require_GET
def service_search(request: HttpRequest) -> JsonResponse:
    """Find LeiKa services by words, stems, synonyms or key prefix for the form's search."""
    term = request.GET.get("q", "").strip()[:100]
    results: list[dict[str, str]] = []
    if len(term) >= 2:
        matches = search_services(term, limit=SEARCH_RESULTS)
        results = [{"key": entry.key, "name": entry.name} for entry in matches]
    return JsonResponse({"results": results})
