"""Submitting and withdrawing: check your answers, the confirmation, the list as submitted.

The check page shows exactly what submitting freezes (the Kommune's active links by the
counting rule), the declaration to tick, then the one irreversible step; withdrawing has its
own page that says what happens before anything changes.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from awards.constants import RESUBMIT, SUBMIT, WITHDRAW
from awards.models import Application, Submission, TransitionError
from awards.services import submit_application, withdraw_application
from awards.turnaround import review_time
from municipalities.constants import Scope
from municipalities.models import Municipality, ProcedureLink

from ..access import municipal_staff_required
from ..forms import ResubmitForm, SubmitForm, WithdrawForm
from .application import latest_change_request, refusal_for

PAGE_SIZE = 50


def _by_scope(rows: QuerySet, key: str) -> dict[str, int]:
    """Count rows by scope, by the counting rule's key (one query)."""
    return rows.aggregate(
        total=Count(key, distinct=True),
        kommunal=Count(key, distinct=True, filter=Q(scope=Scope.KOMMUNAL)),
        zentral=Count(key, distinct=True, filter=Q(scope=Scope.ZENTRAL)),
    )


def _paged(request: HttpRequest, rows: QuerySet) -> dict:
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("seite"))
    return {"page": page, "elided_pages": page.paginator.get_elided_page_range(page.number)}


def _check_page(
    request: HttpRequest,
    application: Application,
    form: SubmitForm | ResubmitForm,
    *,
    status: int = 200,
) -> HttpResponse:
    municipality: Municipality = request.municipality
    links = ProcedureLink.objects.active().filter(municipality=municipality)
    progress = municipality.progress()
    context = {
        "municipality": municipality,
        "application": application,
        "form": form,
        "resubmit": application.can(RESUBMIT),
        "change_request": latest_change_request(application) if application.can(RESUBMIT) else None,
        "counts": _by_scope(links, "url_key"),
        "count": progress.count,
        "threshold": progress.threshold,
        "missing": progress.missing,
        **_paged(request, links.order_by("title", "pk").only("title", "url", "scope")),
    }
    return render(request, "portal/application_check.html", context, status=status)


@municipal_staff_required
@require_http_methods(["GET", "POST"])
def application_submit(request: HttpRequest) -> HttpResponse:
    """Check your answers (GET); with the declaration ticked, submit and freeze (POST).

    While changes are requested the same page resubmits: it shows the reviewer's request and
    asks for the answer too. A second POST of the same click finds the application with the
    ministry and lands on the confirmation: the service locks the row, so only one submission
    is made.
    """
    application, refusal = refusal_for(request, RESUBMIT, SUBMIT)
    if refusal:
        if request.method == "POST" and _just_submitted(request.municipality):
            return redirect("portal:application_confirmation")
        return refusal
    form_class = ResubmitForm if application.can(RESUBMIT) else SubmitForm
    if request.method == "GET":
        return _check_page(request, application, form_class())
    form = form_class(request.POST)
    if not form.is_valid():
        return _check_page(request, application, form)
    try:
        submit_application(
            application=application,
            by=request.user,
            comment=form.cleaned_data["comment"],
            declaration=form.declaration,
        )
    except TransitionError as error:
        if _just_submitted(request.municipality):
            return redirect("portal:application_confirmation")
        form.add_error(None, str(error))
        return _check_page(request, application, form, status=409)
    return redirect("portal:application_confirmation")


def _just_submitted(municipality: Municipality) -> bool:
    """Whether the Kommune's open application already lies with the ministry."""
    application = Application.objects.open().filter(municipality=municipality).first()
    return application is not None and application.awaits_ministry


def _latest_submission(municipality: Municipality) -> Submission | None:
    return (
        Submission.objects.filter(application__municipality=municipality)
        .select_related("application", "submitted_by")
        .order_by("-submitted_at", "-pk")
        .first()
    )


@municipal_staff_required
@require_GET
def application_confirmation(request: HttpRequest) -> HttpResponse:
    """Say that the application is submitted, what happens next and how long review takes."""
    submission = _latest_submission(request.municipality)
    if submission is None or not submission.application.awaits_ministry:
        return redirect("portal:application")
    return render(
        request,
        "portal/application_confirmation.html",
        {
            "municipality": request.municipality,
            "submission": submission,
            "application": submission.application,
            "review_time": review_time(),
        },
    )


@municipal_staff_required
@require_GET
def application_submitted(request: HttpRequest) -> HttpResponse:
    """Show the evidence frozen with the latest submission, 50 a page, with its declaration."""
    submission = _latest_submission(request.municipality)
    context = {"municipality": request.municipality, "submission": submission}
    if submission is not None:
        items = submission.items.order_by("title", "pk").only("title", "url", "scope")
        context.update(counts=_by_scope(submission.items.all(), "url"), **_paged(request, items))
    return render(request, "portal/application_submitted.html", context)


@municipal_staff_required
@require_http_methods(["GET", "POST"])
def application_withdraw(request: HttpRequest) -> HttpResponse:
    """Say what withdrawing means (GET); withdraw with the confirm button (POST)."""
    application, refusal = refusal_for(request, WITHDRAW)
    if refusal:
        return refusal
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            withdraw_application(
                application=application, by=request.user, comment=form.cleaned_data["comment"]
            )
        except TransitionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Der Antrag ist zurückgezogen."))
            return redirect("portal:application")
    return render(
        request,
        "portal/application_withdraw.html",
        {
            "municipality": request.municipality,
            "application": application,
            "form": form,
            "submission": application.latest_submission(),
        },
        status=409 if form.non_field_errors() else 200,
    )
