"""Statuses of an application, the workflow's actions and the states each is allowed from.

`ACTIONS` is the one table of the workflow's rules: the services move an application only
through it, and views and templates ask `application.can(action)` or
`application.allowed_actions` instead of comparing statuses.
"""

from dataclasses import dataclass, field

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    DRAFT = "draft", _("Entwurf")
    SUBMITTED = "submitted", _("eingereicht")
    IN_REVIEW = "in_review", _("in Prüfung")
    CHANGES_REQUESTED = "changes_requested", _("Nachbesserung erbeten")
    APPROVED = "approved", _("bewilligt")
    REJECTED = "rejected", _("abgelehnt")
    WITHDRAWN = "withdrawn", _("zurückgezogen")


# KERN's status colour of each state, for its badge (the label is always shown beside it):
# in progress, the Kommune has to act, granted, refused.
STATUS_TONES = {
    Status.DRAFT: "info",
    Status.SUBMITTED: "info",
    Status.IN_REVIEW: "info",
    Status.CHANGES_REQUESTED: "warning",
    Status.APPROVED: "success",
    Status.REJECTED: "danger",
    Status.WITHDRAWN: "warning",
}

# An application in one of these states blocks a new one (a database constraint says so too).
OPEN_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.IN_REVIEW, Status.CHANGES_REQUESTED)
# The ministry holds the frozen evidence: the queue.
AWAITING_REVIEW = (Status.SUBMITTED, Status.IN_REVIEW)


class Verdict(models.TextChoices):
    OK = "ok", _("in Ordnung")
    NOT_ONLINE = "not_online", _("kein Online-Verfahren")
    BROKEN = "broken", _("nicht erreichbar")


@dataclass(frozen=True)
class Action:
    """One step of the workflow: the states it is allowed from and the state it leads to.

    `target` None: the step keeps the state (a spot check during the review). `refusal` says
    why the step is not possible now, with %(status)s the current state's label; `refusals`
    words it differently for particular states.
    """

    sources: tuple[str, ...]
    target: str | None
    refusal: Promise
    refusals: dict[str, Promise] = field(default_factory=dict)


SUBMIT = "submit"
RESUBMIT = "resubmit"
WITHDRAW = "withdraw"
START_REVIEW = "start_review"
REQUEST_CHANGES = "request_changes"
REJECT = "reject"
APPROVE = "approve"
SPOT_CHECK = "spot_check"

ACTIONS = {
    SUBMIT: Action(
        (Status.DRAFT,),
        Status.SUBMITTED,
        _("Ein Antrag im Status „%(status)s“ kann nicht eingereicht werden."),
        refusals={
            Status.CHANGES_REQUESTED: _(
                "Bitte beantworten Sie die Bitte um Nachbesserung; damit reichen Sie erneut ein."
            )
        },
    ),
    RESUBMIT: Action(
        (Status.CHANGES_REQUESTED,),
        Status.SUBMITTED,
        _("Zu Ihrem Antrag ist derzeit keine Nachbesserung erbeten."),
    ),
    WITHDRAW: Action(
        (Status.DRAFT, Status.SUBMITTED, Status.CHANGES_REQUESTED),
        Status.WITHDRAWN,
        _("Ein Antrag im Status „%(status)s“ kann nicht zurückgezogen werden."),
    ),
    START_REVIEW: Action(
        (Status.SUBMITTED,),
        Status.IN_REVIEW,
        _("Die Prüfung kann nur bei einem eingereichten Antrag beginnen (jetzt: „%(status)s“)."),
    ),
    REQUEST_CHANGES: Action(
        AWAITING_REVIEW,
        Status.CHANGES_REQUESTED,
        _("Nachbesserung kann nur während der Prüfung erbeten werden (jetzt: „%(status)s“)."),
    ),
    REJECT: Action(
        AWAITING_REVIEW,
        Status.REJECTED,
        _("Nur ein Antrag in Prüfung kann abgelehnt werden (jetzt: „%(status)s“)."),
    ),
    APPROVE: Action(
        AWAITING_REVIEW,
        Status.APPROVED,
        _("Nur ein Antrag in Prüfung kann bewilligt werden (jetzt: „%(status)s“)."),
    ),
    SPOT_CHECK: Action(
        AWAITING_REVIEW,
        None,
        _("Stichproben sind nur während der Prüfung möglich (jetzt: „%(status)s“)."),
    ),
}
