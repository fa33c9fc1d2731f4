"""The decisions on the application page: start the review, approve, request changes, reject.

Starting the review is one POST. Approving opens a confirmation page (GET) that lists what
speaks against it and asks for a justification when anything does; its POST approves.
Requesting changes and rejecting show the mail to the Kommune first; only "Senden" sends it.
Each step calls the matching function in `awards.services`, which checks the state (and, for an
approval, the concerns and the four-eyes rule again), writes the history and sends mail.
Internal notes are a POST of their own and appear in the history.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext

from digitalesamt.lib.forms import first_error

from .. import notifications, services
from ..approval import approval_concerns, four_eyes_refusal, preparers_note
from ..constants import APPROVE, REJECT, REQUEST_CHANGES, START_REVIEW
from ..forms import ApproveForm, NoteForm, RejectForm, RequestChangesForm
from ..models import Application, ApplicationEvent, ApplicationNote, Submission, TransitionError
from .common import ApplicationViews, post_only

# The buttons of the mail preview: send it, or go back to the text.
SEND = "senden"
EDIT = "aendern"


@dataclass(frozen=True)
class HistoryEntry:
    """A step of the workflow or an internal note, in the order they happened."""

    created_at: datetime.datetime
    actor: AbstractBaseUser | None
    event: ApplicationEvent | None = None
    note: ApplicationNote | None = None


def history(application: Application) -> list[HistoryEntry]:
    """The events and the internal notes of an application, oldest first (two queries)."""
    entries = [
        HistoryEntry(event.created_at, event.actor, event=event)
        for event in application.events.select_related("actor")
    ] + [
        HistoryEntry(note.created_at, note.author, note=note)
        for note in application.notes.select_related("author")
    ]
    # Stable: at the same moment an event stays before a note.
    return sorted(entries, key=lambda entry: entry.created_at)


class DecisionViews(ApplicationViews):
    """The section "Entscheidung" of the application page and the views behind its forms."""

    def decision_routes(self) -> list[tuple[str, Callable, str]]:
        return [
            ("pruefung-beginnen/", self.start_review_view, "start_review"),
            ("bewilligen/", self.approve_view, "approve"),
            ("nachbesserung/", self.request_changes_view, "request_changes"),
            ("ablehnen/", self.reject_view, "reject"),
            ("notiz/", self.add_note_view, "add_note"),
        ]

    def _decision_urls(self, application: Application) -> dict[str, str]:
        return {
            name: reverse(f"admin:awards_application_{name}", args=[application.pk])
            for _route, _view, name in self.decision_routes()
        }

    def decision_context(
        self, request: HttpRequest, application: Application, latest: Submission | None
    ) -> dict:
        can_review = self.has_review_permission(request)
        can_decide = can_review and application.can(APPROVE)
        return {
            "can_review": can_review,
            "can_start_review": can_review and application.can(START_REVIEW),
            "can_decide": can_decide,
            "status_label": application.get_status_display(),
            "four_eyes_refusal": four_eyes_refusal(application, latest, request.user)
            if can_decide
            else "",
            "request_changes_form": RequestChangesForm(auto_id="id_changes_%s"),
            "reject_form": RejectForm(auto_id="id_reject_%s"),
            "note_form": NoteForm(auto_id="id_note_%s"),
            "history": history(application),
            "decision_urls": self._decision_urls(application),
        }

    def _page(self, request: HttpRequest, application: Application, template: str, **context):
        """A page of its own below the application, in the admin's frame."""
        return TemplateResponse(
            request,
            f"admin/awards/application/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": application,
                "application_url": reverse(
                    "admin:awards_application_change", args=[application.pk]
                ),
                "decision_urls": self._decision_urls(application),
                **context,
            },
        )

    def _refuse(self, request: HttpRequest, application: Application, action: str) -> HttpResponse:
        """Say why `action` is not possible now and go back to the decisions."""
        try:
            application.ensure_allowed(action)
        except TransitionError as error:
            self.message_user(request, str(error), messages.ERROR)
        return self._back(application, "entscheidung")

    def start_review_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if refusal := post_only(request):
            return refusal
        application = self._application(request, object_id, self.has_review_permission)
        try:
            services.start_review(application=application, reviewer=request.user)
        except TransitionError as error:
            self.message_user(request, str(error), messages.ERROR)
            return self._back(application, "entscheidung")
        self.message_user(
            request,
            gettext("Die Prüfung hat begonnen; Sie sind als Prüferin/Prüfer eingetragen."),
            messages.SUCCESS,
        )
        return self._back(application)

    def approve_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """GET: what speaks against approving, and the form; POST: approve (the service checks)."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        application = self._application(request, object_id, self.has_review_permission)
        if not application.can(APPROVE):
            return self._refuse(request, application, APPROVE)
        latest = application.latest_submission()
        concerns = approval_concerns(application, latest)
        form = ApproveForm(request.POST if request.method == "POST" else None)
        if (
            form.is_bound
            and form.is_valid()
            and concerns
            and not form.cleaned_data["justification"]
        ):
            # The service refuses this too; here the reviewer learns it beside the field.
            form.add_error(
                "justification",
                gettext(
                    "Schreiben Sie eine Begründung: Oben steht, was gegen die Bewilligung spricht."
                ),
            )
        if form.is_bound and form.is_valid():
            try:
                award = services.approve_application(
                    application=application,
                    reviewer=request.user,
                    justification=form.cleaned_data["justification"],
                )
            except TransitionError as error:
                application.refresh_from_db(fields=["status"])
                if not application.can(APPROVE):  # a second click after the first approved
                    return self._refuse(request, application, APPROVE)
                form.add_error(None, str(error))
            else:
                self.message_user(
                    request,
                    gettext(
                        "Der Antrag ist bewilligt. Nummer der Auszeichnung: %(number)s. "
                        "Die Kommune wird per E-Mail benachrichtigt."
                    )
                    % {"number": award.number},
                    messages.SUCCESS,
                )
                return self._back(application)
        return self._page(
            request,
            application,
            "approve.html",
            title=gettext("Bewilligen: %(kommune)s") % {"kommune": application.municipality.title},
            form=form,
            submission=latest,
            concerns=concerns,
            four_eyes=settings.REVIEW_FOUR_EYES,
            four_eyes_refusal=four_eyes_refusal(application, latest, request.user),
            preparers_note=preparers_note(application, latest, request.user),
        )

    def _with_mail(
        self,
        request: HttpRequest,
        object_id: int,
        *,
        action: str,
        form_class: type[RequestChangesForm | RejectForm],
        mail: str,
        act: Callable[[Application, str], object],
        success: str,
        title: str,
        send_label: str,
    ) -> HttpResponse:
        """The form's text, then the mail it makes, then (on "Senden") the step itself."""
        if refusal := post_only(request):
            return refusal
        application = self._application(request, object_id, self.has_review_permission)
        form = form_class(request.POST)
        if not form.is_valid():
            self.message_user(request, first_error(form), messages.ERROR)
            return self._back(application, "entscheidung")
        if not application.can(action):
            return self._refuse(request, application, action)
        field = next(iter(form.fields))
        text = form.cleaned_data[field]
        if SEND in request.POST:
            try:
                act(application, text)
            except TransitionError as error:
                self.message_user(request, str(error), messages.ERROR)
                return self._back(application, "entscheidung")
            self.message_user(request, success, messages.SUCCESS)
            return self._back(application)
        subject, body = notifications.preview_to_kommune(
            mail, application, comment=text, reviewer=request.user
        )
        return self._page(
            request,
            application,
            "preview_mail.html",
            title=title % {"kommune": application.municipality.title},
            form=form,
            field=form[field],
            editing=EDIT in request.POST,
            subject=subject,
            body=body,
            recipients=notifications.kommune_recipients(application.municipality_id),
            action_url=request.path,
            send_name=SEND,
            edit_name=EDIT,
            send_label=send_label,
        )

    def request_changes_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return self._with_mail(
            request,
            object_id,
            action=REQUEST_CHANGES,
            form_class=RequestChangesForm,
            mail="changes_requested",
            act=lambda application, message: services.request_changes(
                application=application, reviewer=request.user, message=message
            ),
            success=gettext("Nachbesserung erbeten; die Kommune wird per E-Mail benachrichtigt."),
            title=gettext("Nachbesserung erbitten: %(kommune)s"),
            send_label=gettext("Senden und Nachbesserung erbitten"),
        )

    def reject_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return self._with_mail(
            request,
            object_id,
            action=REJECT,
            form_class=RejectForm,
            mail="rejected",
            act=lambda application, reason: services.reject_application(
                application=application, reviewer=request.user, reason=reason
            ),
            success=gettext(
                "Der Antrag ist abgelehnt; die Kommune wird per E-Mail benachrichtigt."
            ),
            title=gettext("Ablehnen: %(kommune)s"),
            send_label=gettext("Senden und ablehnen"),
        )

    def add_note_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Keep an internal note in the history; only the ministry's admin shows it."""
        if refusal := post_only(request):
            return refusal
        application = self._application(request, object_id, self.has_review_permission)
        form = NoteForm(request.POST)
        if not form.is_valid():
            self.message_user(request, first_error(form), messages.ERROR)
        else:
            services.add_note(
                application=application, author=request.user, text=form.cleaned_data["text"]
            )
            self.message_user(
                request, gettext("Die interne Notiz steht im Verlauf."), messages.SUCCESS
            )
        return self._back(application, "verlauf")
