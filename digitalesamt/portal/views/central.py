"""The Freistaat's central procedures as a checklist: tick the ones the Kommune links, save."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from ..access import municipal_staff_required
from ..catalogue import central_records, link_central, linked_keys
from ..forms import CentralProceduresForm, CentralSearchForm
from .common import isolated, review_notice

PAGE_SIZE = 50


def _page_url(term: str, number: int) -> str:
    """The checklist with the same search and page, for the redirect after saving."""
    query = {key: value for key, value in (("q", term), ("seite", number)) if value}
    url = reverse("portal:central_procedures")
    return f"{url}?{urlencode(query)}" if query else url


@municipal_staff_required
@require_http_methods(["GET", "POST"])
def central_procedures(request: HttpRequest) -> HttpResponse:
    """List the central procedures, 50 a page, searchable; add the ticked ones to the list.

    Unticking removes nothing: links already in the list are shown as such, and removing
    stays on the procedure list.
    """
    municipality = request.municipality
    catalogue = central_records()
    search = CentralSearchForm(request.GET)
    term = search.cleaned_data["q"].strip() if search.is_valid() else ""
    records = catalogue
    if term:
        records = records.filter(
            Q(leika_name__icontains=term) | Q(url__icontains=term) | Q(leika_key__startswith=term)
        )
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("seite"))
    # Bound on every POST: one with nothing ticked is empty, and must say so.
    data = request.POST if request.method == "POST" else None
    form = CentralProceduresForm(data, records=catalogue)
    if request.method == "POST" and form.is_valid():
        try:
            result = link_central(municipality, list(form.cleaned_data["record"]))
        except ValidationError as error:
            form.add_error(None, error)
        except IntegrityError:
            # The same ticks saved by a second click at the same moment: they are in the list.
            messages.info(request, _("Ihre Auswahl ist bereits in Ihrer Liste gespeichert."))
            return redirect(_page_url(term, page.number))
        else:
            _report(request, result)
            return redirect(_page_url(term, page.number))
    rows = list(page.object_list)
    linked = linked_keys(municipality, [record.url_key for record in rows])
    chosen = {str(pk) for pk in form["record"].value() or []} if form.is_bound else set()
    for record in rows:
        record.linked = record.url_key in linked
        record.chosen = str(record.pk) in chosen
    return render(
        request,
        "portal/central_procedures.html",
        {
            "municipality": municipality,
            "search": search,
            "term": term,
            "form": form,
            "page": page,
            "rows": rows,
            "elided_pages": page.paginator.get_elided_page_range(page.number),
            "progress": municipality.progress(),
            "review": review_notice(municipality),
        },
    )


def _report(request: HttpRequest, result) -> None:
    if result.added:
        messages.success(
            request,
            ngettext(
                "%(count)d zentrales Verfahren ist jetzt in Ihrer Liste (Zuständigkeit zentral).",
                "%(count)d zentrale Verfahren sind jetzt in Ihrer Liste (Zuständigkeit zentral).",
                result.added,
            )
            % {"count": result.added},
        )
    elif not result.invalid:
        messages.info(request, _("Ihre Auswahl ist bereits in Ihrer Liste gespeichert."))
    for record in result.invalid:
        messages.warning(
            request,
            _(
                "„%(name)s“ hat in den Bundesdaten keine gültige Internetadresse und wurde "
                "nicht übernommen."
            )
            % {"name": isolated(record.leika_name or record.leika_key)},
        )
