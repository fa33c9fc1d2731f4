"""The decisions on the application page: start the review, approve, request changes, reject.

Each is a POST to a view of its own that calls the matching function in `awards.services`,
which checks the state, writes the history and sends mail.
"""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext

from digitalesamt.lib.forms import first_error

from .. import services
from ..constants import APPROVE, START_REVIEW
from ..forms import RejectForm, RequestChangesForm
from ..models import Application, Submission, TransitionError
from .common import ApplicationViews, post_only


class DecisionViews(ApplicationViews):
    """The section "Entscheidung" of the application page and the views behind its forms."""

    def decision_routes(self) -> list[tuple[str, Callable, str]]:
        return [
            ("pruefung-beginnen/", self.start_review_view, "start_review"),
            ("bewilligen/", self.approve_view, "approve"),
            ("nachbesserung/", self.request_changes_view, "request_changes"),
            ("ablehnen/", self.reject_view, "reject"),
        ]

    def decision_context(
        self, request: HttpRequest, application: Application, latest: Submission | None
    ) -> dict:
        can_review = self.has_review_permission(request)
        return {
            "can_review": can_review,
            "can_start_review": can_review and application.can(START_REVIEW),
            "can_decide": can_review and application.can(APPROVE),
            "status_label": application.get_status_display(),
            "request_changes_form": RequestChangesForm(auto_id="id_changes_%s"),
            "reject_form": RejectForm(auto_id="id_reject_%s"),
            "decision_urls": {
                name: reverse(f"admin:awards_application_{name}", args=[application.pk])
                for _route, _view, name in self.decision_routes()
            },
        }

    def _transition(
        self,
        request: HttpRequest,
        object_id: int,
        step: Callable[[Application], str],
        form_class: type[forms.Form] | None = None,
    ) -> HttpResponse:
        """Run one workflow step; a refusal becomes an error message and changes nothing."""
        if refusal := post_only(request):
            return refusal
        application = self._application(request, object_id, self.has_review_permission)
        form = form_class(request.POST) if form_class is not None else None
        if form is not None and not form.is_valid():
            self.message_user(request, first_error(form), messages.ERROR)
            return self._back(application, "entscheidung")
        try:
            success = step(application, **(form.cleaned_data if form is not None else {}))
        except TransitionError as error:
            self.message_user(request, str(error), messages.ERROR)
            return self._back(application, "entscheidung")
        self.message_user(request, success, messages.SUCCESS)
        return self._back(application)

    def start_review_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        def step(application: Application) -> str:
            services.start_review(application=application, reviewer=request.user)
            return gettext("Die Prüfung hat begonnen; Sie sind als Prüferin/Prüfer eingetragen.")

        return self._transition(request, object_id, step)

    def approve_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        def step(application: Application) -> str:
            award = services.approve_application(application=application, reviewer=request.user)
            return gettext(
                "Der Antrag ist bewilligt. Nummer der Auszeichnung: %(number)s. "
                "Die Kommune wird per E-Mail benachrichtigt."
            ) % {"number": award.number}

        return self._transition(request, object_id, step)

    def request_changes_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        def step(application: Application, message: str) -> str:
            services.request_changes(
                application=application, reviewer=request.user, message=message
            )
            return gettext("Nachbesserung erbeten; die Kommune wird per E-Mail benachrichtigt.")

        return self._transition(request, object_id, step, RequestChangesForm)

    def reject_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        def step(application: Application, reason: str) -> str:
            services.reject_application(
                application=application, reviewer=request.user, reason=reason
            )
            return gettext("Der Antrag ist abgelehnt; die Kommune wird per E-Mail benachrichtigt.")

        return self._transition(request, object_id, step, RejectForm)
