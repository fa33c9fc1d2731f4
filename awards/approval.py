"""What speaks against an approval, and who may approve: the confirmation step's rules.

`services.approve_application` asks both inside its locked transaction, so every way to approve
(the admin's confirmation page, a shell, a double click) meets the same checks; the
confirmation page shows the same list before the reviewer decides.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from municipalities.constants import PageKind

from .constants import Status, Verdict
from .models import (
    Application,
    ApplicationEvent,
    ApplicationNote,
    EvidenceItem,
    SpotCheck,
    Submission,
)
from .review import compare_evidence

NEGATIVE_VERDICTS = (Verdict.NOT_ONLINE, Verdict.BROKEN)


@dataclass(frozen=True)
class Concern:
    """One thing that speaks against approving, with its count and where the page shows it."""

    code: str
    count: int
    message: str
    anchor: str  # the section of the application page: linkpruefung, stichprobe, nachweise


def approval_concerns(
    application: Application, submission: Submission | None = None
) -> list[Concern]:
    """Everything that speaks against approving the latest submission now.

    The same queries at 50 links and at 2,000: compare_evidence with a page of one row (its
    counts of differences, of the link check and of what the federal source confirms are
    those of all rows), one aggregate of page kinds and spot checks, and the live count. A
    Kommune never synced with the source raises no concern of it: the source says nothing yet.
    """
    submission = submission or application.latest_submission()
    if submission is None:
        return []
    comparison = compare_evidence(submission, page=1, per_page=1)
    checks = comparison.checks
    counts = EvidenceItem.objects.filter(submission=submission).aggregate(
        information=Count("pk", filter=Q(page_kind=PageKind.INFORMATION)),
        drawn=Count("spot_check"),
        open=Count("spot_check", filter=Q(spot_check__verdict="")),
        negative=Count("spot_check", filter=Q(spot_check__verdict__in=NEGATIVE_VERDICTS)),
    )
    progress = application.municipality.progress()
    concerns: list[Concern] = []

    def add(code: str, count: int, message: str, anchor: str, **values: int) -> None:
        concerns.append(Concern(code, count, message % {"count": count, **values}, anchor))

    if checks.broken:
        add(
            "link_broken",
            checks.broken,
            ngettext(
                "%(count)d Link ist laut Linkprüfung nicht erreichbar.",
                "%(count)d Links sind laut Linkprüfung nicht erreichbar.",
                checks.broken,
            ),
            "linkpruefung",
        )
    if checks.refused:
        add(
            "link_refused",
            checks.refused,
            ngettext(
                "%(count)d Link wurde nicht geprüft, weil seine Adresse nicht erlaubt ist.",
                "%(count)d Links wurden nicht geprüft, weil ihre Adresse nicht erlaubt ist.",
                checks.refused,
            ),
            "linkpruefung",
        )
    if checks.unchecked:
        add(
            "link_check_unfinished",
            checks.unchecked,
            ngettext(
                "Die Linkprüfung ist nicht abgeschlossen: %(count)d Link ist noch nicht geprüft.",
                "Die Linkprüfung ist nicht abgeschlossen: %(count)d Links sind noch nicht geprüft.",
                checks.unchecked,
            ),
            "linkpruefung",
        )
    if counts["information"]:
        add(
            "information_pages",
            counts["information"],
            ngettext(
                "%(count)d Link führt laut Linkprüfung auf eine Informationsseite, nicht auf "
                "ein Online-Verfahren.",
                "%(count)d Links führen laut Linkprüfung auf Informationsseiten, nicht auf "
                "Online-Verfahren.",
                counts["information"],
            ),
            "nachweise",
        )
    if not counts["drawn"]:
        add("spot_checks_none", 0, _("Es ist keine Stichprobe gezogen."), "stichprobe")
    if counts["open"]:
        add(
            "spot_checks_open",
            counts["open"],
            ngettext(
                "%(count)d Link der Stichprobe ist noch nicht bewertet.",
                "%(count)d Links der Stichprobe sind noch nicht bewertet.",
                counts["open"],
            ),
            "stichprobe",
        )
    if counts["negative"]:
        add(
            "spot_checks_negative",
            counts["negative"],
            ngettext(
                "%(count)d Link der Stichprobe ist als „kein Online-Verfahren“ oder „nicht "
                "erreichbar“ bewertet.",
                "%(count)d Links der Stichprobe sind als „kein Online-Verfahren“ oder „nicht "
                "erreichbar“ bewertet.",
                counts["negative"],
            ),
            "stichprobe",
        )
    if progress.missing:
        add(
            "below_threshold",
            progress.missing,
            ngettext(
                "Jetzt fehlt %(count)d Online-Verfahren: aktiv gezählt sind %(live)d, "
                "nötig sind %(threshold)d.",
                "Jetzt fehlen %(count)d Online-Verfahren: aktiv gezählt sind %(live)d, "
                "nötig sind %(threshold)d.",
                progress.missing,
            ),
            "nachweise",
            live=progress.count,
            threshold=progress.threshold,
        )
    source = comparison.source
    if source.synced and source.confirmed < progress.threshold:
        add(
            "source_unconfirmed",
            source.confirmed,
            ngettext(
                "In den Bundesdaten ist nur %(count)d der %(evidence)d eingereichten Links "
                "bestätigt; nötig sind %(threshold)d.",
                "In den Bundesdaten sind nur %(count)d der %(evidence)d eingereichten Links "
                "bestätigt; nötig sind %(threshold)d.",
                source.confirmed,
            ),
            "nachweise",
            evidence=source.evidence,
            threshold=progress.threshold,
        )
    if comparison.differences:
        add(
            "differences",
            comparison.differences,
            _(
                "Die Liste der Online-Verfahren weicht von der Einreichung ab: %(added)d neu, "
                "%(removed)d entfernt, %(changed)d geändert."
            ),
            "nachweise",
            added=comparison.added,
            removed=comparison.removed,
            changed=comparison.changed,
        )
    return concerns


def describe(concerns: list[Concern]) -> str:
    """The refusal of an approval without justification, naming every concern."""
    return _("Bewilligen geht nur mit einer Begründung, denn dagegen spricht: %(concerns)s") % {
        "concerns": " ".join(concern.message for concern in concerns)
    }


def preparers(application: Application, submission: Submission | None) -> QuerySet:
    """Who prepared the latest submission's review: started it or recorded a spot-check verdict.

    One query. A verdict changed later names only its last reviewer (a spot check keeps one).
    """
    if submission is None:
        return get_user_model().objects.none()
    started = ApplicationEvent.objects.filter(
        application=application,
        to_status=Status.IN_REVIEW,
        created_at__gte=submission.submitted_at,
    ).values("actor_id")
    judged = SpotCheck.objects.filter(item__submission=submission, decided_at__isnull=False).values(
        "reviewer_id"
    )
    return get_user_model().objects.filter(Q(pk__in=started) | Q(pk__in=judged))


def four_eyes_refusal(
    application: Application, submission: Submission | None, user: AbstractBaseUser
) -> str:
    """Why `user` may not approve under the four-eyes rule (REVIEW_FOUR_EYES), or ""."""
    if not settings.REVIEW_FOUR_EYES:
        return ""
    if not preparers(application, submission).filter(pk=user.pk).exists():
        return ""
    return _(
        "Vier-Augen-Prinzip: Sie haben diesen Antrag vorbereitet (Prüfung begonnen oder "
        "Stichprobe bewertet). Bewilligen muss eine zweite Prüferin oder ein zweiter Prüfer."
    )


def preparers_note(
    application: Application, submission: Submission | None, user: AbstractBaseUser
) -> ApplicationNote | None:
    """The latest internal note of someone else who prepared the review, for the second pair."""
    others = preparers(application, submission).exclude(pk=user.pk)
    return (
        application.notes.filter(author__in=others)
        .select_related("author")
        .order_by("-created_at", "-pk")
        .first()
    )
