"""The application workflow: every transition checks the state, records history and sends mail.

Each function takes the application's row with `select_for_update()` inside a transaction, so
a double click or two reviewers at the same moment cannot move it twice or issue two awards.
"""

import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from municipalities.models import Municipality, ProcedureLink

from . import notifications, tasks
from .approval import approval_concerns, describe, four_eyes_refusal
from .constants import (
    ACTIONS,
    APPROVE,
    REJECT,
    REQUEST_CHANGES,
    RESUBMIT,
    START_REVIEW,
    SUBMIT,
    WITHDRAW,
    Status,
)
from .models import (
    Application,
    ApplicationEvent,
    ApplicationNote,
    Award,
    AwardSequence,
    EvidenceItem,
    Submission,
    TransitionError,
    format_award_number,
)
from .review import link_check_progress, stale_minutes

__all__ = ["TransitionError"]  # the exception of every function here


def _locked(application: Application) -> Application:
    return (
        Application.objects.select_for_update()
        .select_related("municipality")
        .get(pk=application.pk)
    )


def _move(
    application: Application, action: str, *, actor: AbstractBaseUser | None, comment: str = ""
) -> ApplicationEvent:
    """Take the step `action` of the workflow table on a locked row and write its history."""
    application.ensure_allowed(action)
    target = ACTIONS[action].target
    event = ApplicationEvent.objects.create(
        application=application,
        actor=actor,
        from_status=application.status,
        to_status=target,
        comment=comment,
    )
    application.status = target
    return event


def create_application(*, municipality: Municipality, by: AbstractBaseUser) -> Application:
    """Open a draft application; one open application per Kommune, none for a holder."""
    with transaction.atomic():
        Municipality.objects.select_for_update().get(pk=municipality.pk)
        if Award.objects.valid().filter(municipality=municipality).exists():
            raise TransitionError(_("Ihre Kommune trägt das Prädikat bereits."))
        if Application.objects.open().filter(municipality=municipality).exists():
            raise TransitionError(_("Für Ihre Kommune gibt es schon einen offenen Antrag."))
        try:
            with transaction.atomic():
                application = Application.objects.create(municipality=municipality, created_by=by)
        except IntegrityError as error:
            raise TransitionError(
                _("Für Ihre Kommune gibt es schon einen offenen Antrag.")
            ) from error
        ApplicationEvent.objects.create(
            application=application, actor=by, from_status="", to_status=Status.DRAFT
        )
    return application


def submit_application(
    *, application: Application, by: AbstractBaseUser, comment: str = "", declaration: str = ""
) -> Submission:
    """Submit (or resubmit after a request for changes) and freeze the evidence.

    `declaration` is the text the clerk affirmed, stored word for word with the submission.
    """
    with transaction.atomic():
        application = _locked(application)
        action = RESUBMIT if application.can(RESUBMIT) else SUBMIT
        application.ensure_allowed(action)
        progress = application.municipality.progress()
        count, threshold, missing = progress.count, progress.threshold, progress.missing
        if missing:
            raise TransitionError(
                ngettext(
                    "Es fehlt noch %(missing)d Online-Verfahren: gezählt sind %(count)d, "
                    "nötig sind %(threshold)d.",
                    "Es fehlen noch %(missing)d Online-Verfahren: gezählt sind %(count)d, "
                    "nötig sind %(threshold)d.",
                    missing,
                )
                % {"missing": missing, "count": count, "threshold": threshold}
            )
        _move(application, action, actor=by, comment=comment)
        number = (application.submissions.aggregate(n=Max("number"))["n"] or 0) + 1
        submission = Submission.objects.create(
            application=application,
            number=number,
            submitted_by=by,
            procedure_count=count,
            threshold=threshold,
            comment=comment,
            declaration=declaration,
        )
        freeze_evidence(submission)
        application.submitted_at = submission.submitted_at
        application.save(update_fields=["status", "submitted_at"])
        transaction.on_commit(lambda: notifications.application_submitted(application, submission))
        transaction.on_commit(lambda: enqueue_link_check(submission))
    return submission


def freeze_evidence(submission: Submission) -> None:
    """Copy the counted procedures (one per URL) with their LeiKa keys into the submission.

    Three queries whatever the number of links: the links and their keys as plain values, and
    one INSERT (up to the database's limit of parameters: 3,640 rows on SQLite, 9 fields each).
    """
    municipality_id = submission.application.municipality_id
    links = (
        ProcedureLink.objects.active()
        .filter(municipality_id=municipality_id)
        .order_by("url", "pk")
        .values_list("pk", "url", "title", "scope")
    )
    keys: dict[int, list[str]] = {}
    for link_id, leika_key in ProcedureLink.services.through.objects.filter(
        procedurelink__municipality_id=municipality_id, procedurelink__active=True
    ).values_list("procedurelink_id", "service__leika_key"):
        keys.setdefault(link_id, []).append(leika_key)
    items: dict[str, EvidenceItem] = {}
    for pk, url, title, scope in links:
        if url in items:  # the counting rule: one URL is one procedure
            continue
        items[url] = EvidenceItem(
            submission=submission,
            title=title,
            url=url,
            scope=scope,
            leika_keys="|".join(sorted(keys.get(pk, []))),
        )
    EvidenceItem.objects.bulk_create(items.values())


def enqueue_link_check(submission: Submission) -> None:
    tasks.start_link_check(submission)


def restart_link_check(*, application: Application) -> Submission:
    """Queue the link check of the latest submission again, if it is stuck or failed."""
    submission = application.latest_submission()
    if submission is None:
        raise TransitionError(_("Der Antrag wurde noch nicht eingereicht."))
    progress = link_check_progress(submission)
    if not progress.needs_restart:
        raise TransitionError(
            _("Die Linkprüfung ist abgeschlossen.")
            if progress.done
            else _(
                "Die Linkprüfung läuft noch. Starten Sie sie erst neu, wenn sie "
                "%(minutes)d Minuten lang nicht vorangekommen ist."
            )
            % {"minutes": stale_minutes()}
        )
    tasks.start_link_check(submission)
    return submission


def withdraw_application(
    *, application: Application, by: AbstractBaseUser, comment: str = ""
) -> Application:
    with transaction.atomic():
        application = _locked(application)
        _move(application, WITHDRAW, actor=by, comment=comment)
        application.decided_at = timezone.now()
        application.save(update_fields=["status", "decided_at"])
    return application


def start_review(*, application: Application, reviewer: AbstractBaseUser) -> Application:
    with transaction.atomic():
        application = _locked(application)
        _move(application, START_REVIEW, actor=reviewer)
        application.reviewer = reviewer
        application.save(update_fields=["status", "reviewer"])
    return application


def request_changes(
    *, application: Application, reviewer: AbstractBaseUser, message: str
) -> Application:
    if not message.strip():
        raise TransitionError(_("Bitte schreiben Sie, was die Kommune nachbessern soll."))
    with transaction.atomic():
        application = _locked(application)
        event = _move(application, REQUEST_CHANGES, actor=reviewer, comment=message.strip())
        application.reviewer = reviewer
        application.save(update_fields=["status", "reviewer"])
        transaction.on_commit(lambda: notifications.changes_requested(application, event))
    return application


def reject_application(
    *, application: Application, reviewer: AbstractBaseUser, reason: str
) -> Application:
    if not reason.strip():
        raise TransitionError(_("Bitte geben Sie den Grund der Ablehnung an."))
    with transaction.atomic():
        application = _locked(application)
        event = _move(application, REJECT, actor=reviewer, comment=reason.strip())
        application.reviewer = reviewer
        application.decided_at = timezone.now()
        application.save(update_fields=["status", "reviewer", "decided_at"])
        transaction.on_commit(lambda: notifications.application_rejected(application, event))
    return application


def approve_application(
    *, application: Application, reviewer: AbstractBaseUser, justification: str = ""
) -> Award:
    """Approve and issue the award with the next free number of the year: exactly once.

    Refused, whatever calls it, under the four-eyes rule (REVIEW_FOUR_EYES) to whoever prepared
    the review, and without a justification while anything speaks against it
    (approval.approval_concerns). The justification goes into the history and the award.
    """
    justification = justification.strip()
    with transaction.atomic():
        application = _locked(application)
        application.ensure_allowed(APPROVE)
        submission = application.latest_submission()
        if refusal := four_eyes_refusal(application, submission, reviewer):
            raise TransitionError(refusal)
        concerns = approval_concerns(application, submission)
        if concerns and not justification:
            raise TransitionError(describe(concerns))
        _move(application, APPROVE, actor=reviewer, comment=justification)
        today = timezone.localdate()
        award = Award.objects.create(
            number=_next_award_number(today),
            municipality=application.municipality,
            issued_on=today,
            procedure_count=submission.procedure_count,
            application=application,
            approval_justification=justification,
        )
        application.reviewer = reviewer
        application.decided_at = timezone.now()
        application.save(update_fields=["status", "reviewer", "decided_at"])
        transaction.on_commit(lambda: notifications.application_approved(application, award))
        # Plaque and signet are ready before the Kommune's first download.
        transaction.on_commit(lambda: tasks.render_award_documents.enqueue(award_id=award.pk))
    return award


def add_note(*, application: Application, author: AbstractBaseUser, text: str) -> ApplicationNote:
    """Keep a reviewer's internal note in the application's history; the Kommune never sees it."""
    if not text.strip():
        raise TransitionError(_("Bitte schreiben Sie die Notiz."))
    return ApplicationNote.objects.create(application=application, author=author, text=text.strip())


def _next_award_number(day: datetime.date) -> str:
    """Take the year's counter row under lock and count on; the row serialises approvals."""
    year = day.year
    try:
        with transaction.atomic():
            last = Award.objects.last_sequence(year)
            AwardSequence.objects.get_or_create(year=year, defaults={"last": last})
    except IntegrityError:
        pass  # another approval created the row first; lock it below
    sequence = AwardSequence.objects.select_for_update().get(year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return format_award_number(year, sequence.last)


def revoke_award(*, award: Award, by: AbstractBaseUser, reason: str) -> Award:
    """Revoke an award: it leaves the public list and its verification answers 410."""
    if not reason.strip():
        raise TransitionError(_("Bitte geben Sie den Grund des Widerrufs an."))
    with transaction.atomic():
        award = Award.objects.select_for_update().select_related("municipality").get(pk=award.pk)
        if award.is_revoked:
            raise TransitionError(_("Diese Auszeichnung ist bereits widerrufen."))
        award.revoked_at = timezone.now()
        award.revoked_by = by
        award.revocation_reason = reason.strip()
        award.save(update_fields=["revoked_at", "revoked_by", "revocation_reason", "updated_at"])
        transaction.on_commit(lambda: notifications.award_revoked(award))
    return award


# The applications a reviewer can take on: with the ministry, or back with the Kommune for changes.
ASSIGNABLE = (Status.SUBMITTED, Status.IN_REVIEW, Status.CHANGES_REQUESTED)


def assign(
    *, application: Application, reviewer: AbstractBaseUser, by: AbstractBaseUser
) -> Application:
    """Make `reviewer` the one who has the application; the history says who handed it on.

    The status stays: the event goes from the current status to the same one. Assigning it to
    the one who has it already records nothing.
    """
    with transaction.atomic():
        application = _locked(application)
        if application.status not in ASSIGNABLE:
            raise TransitionError(
                _("Ein Antrag im Status „%(status)s“ kann nicht zugewiesen werden.")
                % {"status": Status(application.status).label}
            )
        if application.reviewer_id == reviewer.pk:
            return application
        ApplicationEvent.objects.create(
            application=application,
            actor=by,
            from_status=application.status,
            to_status=application.status,
            comment=_("zugewiesen an %(name)s")
            % {"name": reviewer.get_full_name() or reviewer.get_username()},
        )
        application.reviewer = reviewer
        application.save(update_fields=["reviewer"])
    return application
