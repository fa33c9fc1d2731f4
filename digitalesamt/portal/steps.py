"""The way to the award as a task list (GOV.UK "task list", KERN `kern-task-list`).

Three steps, each with its status and where it leads: keep the list of online procedures,
check what will be submitted, submit. Computed from what the portal already loaded; no query.
"""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _

from awards.constants import RESUBMIT, SUBMIT, Status
from awards.models import Application

# How a status looks: done (green), open (blue), attention (orange), blocked (plain text).
DONE = "done"
OPEN = "open"
ATTENTION = "attention"
BLOCKED = "blocked"


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    status: str
    kind: str
    url: str = ""
    hint: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)
    # "prepare": the step offers the button that opens the draft (a POST, not a link).
    action: str = ""


def application_steps(
    *, count: int, threshold: int, missing: int, application: Application | None
) -> list[Step]:
    """Return the three steps for a Kommune's count and its latest application."""
    current = application if application is not None and application.is_open else None
    return [
        _keep_list(count, threshold, missing),
        _check(current),
        _submit(missing, current),
    ]


def _keep_list(count: int, threshold: int, missing: int) -> Step:
    if not count:
        status, kind = _("noch nicht begonnen"), OPEN
    elif missing:
        status, kind = (
            _("%(count)s von %(threshold)s") % {"count": count, "threshold": threshold},
            OPEN,
        )
    else:
        status, kind = _("erledigt"), DONE
    return Step(
        1,
        _("Online-Verfahren pflegen"),
        status,
        kind,
        url=reverse("portal:procedures"),
        hint=_(
            "Erfassen Sie jedes Online-Verfahren, das Ihre Kommune im BayernPortal verlinkt: "
            "mindestens %(threshold)s."
        )
        % {"threshold": threshold},
        links=[
            (_("Zentrale Verfahren des Freistaats abhaken"), reverse("portal:central_procedures"))
        ],
    )


def _check(application: Application | None) -> Step:
    title = _("Angaben prüfen")
    hint = _("Sie sehen die Liste, die mit dem Antrag eingereicht wird, und bestätigen sie.")
    if application is not None and application.status != Status.DRAFT:
        return Step(2, title, _("erledigt"), DONE, hint=hint)
    if application is None:
        return Step(2, title, _("noch nicht begonnen"), OPEN, hint=hint, action="prepare")
    return Step(
        2, title, _("Entwurf angelegt"), OPEN, url=reverse("portal:application_submit"), hint=hint
    )


def _submit(missing: int, application: Application | None) -> Step:
    title = _("Antrag einreichen")
    if application is not None and application.can(RESUBMIT):
        return Step(
            3,
            title,
            _("Nachbesserung erbeten"),
            ATTENTION,
            url=reverse("portal:application") + "#portal-answer-title",
            hint=_("Lesen Sie die Nachricht des Staatsministeriums und antworten Sie."),
        )
    if application is not None and application.awaits_ministry:
        return Step(
            3,
            title,
            Status(application.status).label,
            DONE,
            url=reverse("portal:application_submitted"),
            hint=_("Die eingereichte Liste bleibt hier lesbar."),
        )
    hint = _("Erst mit diesem Schritt erhält das Staatsministerium Ihren Antrag.")
    if application is not None and application.can(SUBMIT) and not missing:
        return Step(
            3,
            title,
            _("noch nicht begonnen"),
            OPEN,
            url=reverse("portal:application_submit"),
            hint=hint,
        )
    return Step(3, title, _("kann noch nicht begonnen werden"), BLOCKED, hint=hint)
