"""What the ministry's review needs beside the workflow: evidence comparison, spot checks, risk."""

import secrets
from dataclasses import dataclass, field

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from municipalities.constants import Scope
from municipalities.models import Municipality, ProcedureLink

from .constants import SPOT_CHECK
from .models import Application, Award, EvidenceItem, SpotCheck, Submission, TransitionError

DEFAULT_SAMPLE_SIZE = 10

ADDED = "added"
REMOVED = "removed"
CHANGED = "changed"

# A text marker beside the colour, so a difference never shows by colour alone.
CHANGE_MARKERS = {
    ADDED: gettext_lazy("neu seit Einreichung"),
    REMOVED: gettext_lazy("entfernt seit Einreichung"),
    CHANGED: gettext_lazy("geändert"),
}


def with_live_progress(awards: QuerySet[Award]) -> QuerySet[Award]:
    """Annotate `live_count` and `live_threshold`: the holder's count now, by the counting rule."""
    progress = Municipality.objects.with_progress().filter(pk=OuterRef("municipality_id"))
    return awards.annotate(
        live_count=Subquery(progress.values("procedure_count")[:1]),
        live_threshold=Subquery(progress.values("threshold")[:1]),
    )


def with_latest_submission(applications: QuerySet[Application]) -> QuerySet[Application]:
    """Annotate `evidence_count` and `evidence_threshold`: those of the latest submission."""
    latest = Submission.objects.filter(application=OuterRef("pk")).order_by("-number")
    return applications.annotate(
        evidence_count=Subquery(latest.values("procedure_count")[:1]),
        evidence_threshold=Subquery(latest.values("threshold")[:1]),
    )


@dataclass
class EvidenceRow:
    """One URL of the union of the frozen evidence and the live list."""

    url: str
    item: EvidenceItem | None
    link: ProcedureLink | None
    changed_fields: list[str] = field(default_factory=list)

    @property
    def change(self) -> str:
        if self.item is None:
            return ADDED
        if self.link is None:
            return REMOVED
        return CHANGED if self.changed_fields else ""

    @property
    def marker(self) -> str:
        return str(CHANGE_MARKERS.get(self.change, ""))

    @property
    def title(self) -> str:
        return self.item.title if self.item is not None else self.link.title

    @property
    def live_title(self) -> str | None:
        """The title now, shown only when it differs from the frozen one."""
        return self.link.title if "title" in self.changed_fields else None

    @property
    def scope(self) -> str:
        return Scope(self.item.scope if self.item is not None else self.link.scope).label

    @property
    def live_scope(self) -> str | None:
        return Scope(self.link.scope).label if "scope" in self.changed_fields else None

    @property
    def leika_keys(self) -> list[str]:
        if self.item is not None:
            return split_keys(self.item.leika_keys)
        return live_keys(self.link)

    @property
    def live_leika_keys(self) -> list[str] | None:
        return live_keys(self.link) if "leika_keys" in self.changed_fields else None

    @property
    def spot_check(self) -> SpotCheck | None:
        # select_related caches a missing reverse one-to-one as None; getattr reads that cache.
        return getattr(self.item, "spot_check", None) if self.item is not None else None


@dataclass
class EvidenceComparison:
    submission: Submission
    rows: list[EvidenceRow]

    @property
    def live_count(self) -> int:
        """Active links now; a URL is stored once per Kommune, so this is the counting rule."""
        return sum(1 for row in self.rows if row.link is not None)

    def _count(self, change: str) -> int:
        return sum(1 for row in self.rows if row.change == change)

    @property
    def added(self) -> int:
        return self._count(ADDED)

    @property
    def removed(self) -> int:
        return self._count(REMOVED)

    @property
    def changed(self) -> int:
        return self._count(CHANGED)

    @property
    def differences(self) -> int:
        return self.added + self.removed + self.changed


def split_keys(joined: str) -> list[str]:
    return [key for key in joined.split("|") if key]


def live_keys(link: ProcedureLink) -> list[str]:
    return sorted(service.leika_key for service in link.services.all())


def compare_evidence(submission: Submission) -> EvidenceComparison:
    """Set the submission's frozen evidence beside the Kommune's live list (three queries)."""
    items = {
        item.url: item
        for item in EvidenceItem.objects.filter(submission=submission).select_related("spot_check")
    }
    links = {
        link.url: link
        for link in ProcedureLink.objects.active()
        .filter(municipality_id=submission.application.municipality_id)
        .prefetch_related("services")
    }
    rows = []
    for url in items.keys() | links.keys():
        item, link = items.get(url), links.get(url)
        row = EvidenceRow(url=url, item=item, link=link)
        if item is not None and link is not None:
            if item.title != link.title:
                row.changed_fields.append("title")
            if item.scope != link.scope:
                row.changed_fields.append("scope")
            if split_keys(item.leika_keys) != live_keys(link):
                row.changed_fields.append("leika_keys")
        rows.append(row)
    # Differences first: with 340 links the reviewer should not have to hunt for them.
    rows.sort(key=lambda row: (row.change == "", row.title.casefold(), row.url))
    return EvidenceComparison(submission=submission, rows=rows)


def undrawn_items(submission: Submission) -> QuerySet[EvidenceItem]:
    return EvidenceItem.objects.filter(submission=submission, spot_check__isnull=True)


def draw_spot_checks(
    *, application: Application, count: int, reviewer: AbstractBaseUser
) -> list[SpotCheck]:
    """Draw up to `count` random links of the latest submission that were not drawn yet."""
    with transaction.atomic():
        # The row lock serialises two reviewers drawing at once, so no link is drawn twice.
        application = Application.objects.select_for_update().get(pk=application.pk)
        application.ensure_allowed(SPOT_CHECK)
        submission = application.latest_submission()
        if submission is None:
            raise TransitionError(_("Der Antrag wurde noch nicht eingereicht."))
        candidates = list(undrawn_items(submission).values_list("pk", flat=True))
        if not candidates:
            raise TransitionError(_("Alle Nachweise dieser Einreichung sind schon gezogen."))
        chosen = secrets.SystemRandom().sample(candidates, min(count, len(candidates)))
        return SpotCheck.objects.bulk_create(
            SpotCheck(item_id=pk, reviewer=reviewer) for pk in sorted(chosen)
        )


def record_verdict(
    *,
    application: Application,
    spot_check: SpotCheck,
    verdict: str,
    note: str,
    reviewer: AbstractBaseUser,
) -> SpotCheck:
    """Store a reviewer's verdict on one drawn link; a decided application keeps its verdicts."""
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        application.ensure_allowed(SPOT_CHECK)
        spot_check.verdict = verdict
        spot_check.note = note
        spot_check.reviewer = reviewer
        spot_check.decided_at = timezone.now()
        spot_check.save(update_fields=["verdict", "note", "reviewer", "decided_at"])
    return spot_check
