"""What the ministry's review needs beside the workflow: evidence comparison, spot checks, risk."""

import datetime
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from digitalesamt.lib import linkcheck
from municipalities.confirmation import Witness
from municipalities.constants import LinkCheckResult, Scope
from municipalities.models import Municipality, ProcedureLink, Progress
from municipalities.validation import count_key

from .constants import SPOT_CHECK, Verdict
from .models import Application, Award, EvidenceItem, SpotCheck, Submission, TransitionError
from .witness import CONFIRMED, SourceComparison, compare_with_source

DEFAULT_SAMPLE_SIZE = 10

ADDED = "added"
REMOVED = "removed"
CHANGED = "changed"

# Filters of the evidence table beside the LinkCheckResult, Verdict and change values.
UNCHECKED = "unchecked"  # the link check has not reached the link yet
OPEN = "open"  # drawn for the sample, no verdict yet
DRAWN = "drawn"  # drawn for the sample, with or without a verdict
ANY_CHANGE = "any"  # added, removed or changed since the submission
NEW_IN_ROUND = "new_in_round"  # frozen now, not in the previous round's evidence

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


def with_link_check_counts(applications: QuerySet[Application]) -> QuerySet[Application]:
    """Annotate the latest submission's link check, by the rules of `link_check_progress`.

    `link_ok` (ok or redirected), `link_broken` (linkcheck.DEFECTIVE), `link_open` (refused or
    not checked yet), `link_unchecked`, `link_check_error` and `link_check_moved_at`: one
    subquery each, so a list of any length costs one query.
    """
    latest = Submission.objects.filter(application=OuterRef("pk")).order_by("-number")
    applications = applications.annotate(
        latest_submission_id=Subquery(latest.values("pk")[:1]),
        link_check_error=Subquery(latest.values("link_check_error")[:1]),
        link_check_moved_at=Subquery(latest.values("link_check_moved_at")[:1]),
    )
    counts = {
        "link_ok": Q(check_result__in=linkcheck.REACHED),
        "link_broken": Q(check_result__in=linkcheck.DEFECTIVE),
        "link_open": Q(check_result=LinkCheckResult.REFUSED) | Q(checked_at__isnull=True),
        "link_unchecked": Q(checked_at__isnull=True),
    }
    items = EvidenceItem.objects.filter(submission_id=OuterRef("latest_submission_id")).order_by()
    return applications.annotate(
        **{
            name: Coalesce(
                Subquery(
                    items.values("submission_id")
                    .annotate(count=Count("pk", filter=condition))
                    .values("count")[:1]
                ),
                0,
            )
            for name, condition in counts.items()
        }
    )


def stalled_link_checks(applications: QuerySet[Application]) -> QuerySet[Application]:
    """Keep those whose link check failed or is stuck (see `LinkCheckProgress.needs_restart`).

    Expects `with_link_check_counts`; not done, and an error or no move for TASK_STALE_AFTER.
    """
    limit = timezone.now() - datetime.timedelta(seconds=settings.TASK_STALE_AFTER)
    return applications.filter(link_unchecked__gt=0).filter(
        ~Q(link_check_error="")
        | Q(link_check_moved_at__isnull=True)
        | Q(link_check_moved_at__lt=limit)
    )


@dataclass
class EvidenceRow:
    """One URL of the union of the frozen evidence and the live list."""

    url: str
    item: EvidenceItem | None
    link: ProcedureLink | None
    changed_fields: list[str] = field(default_factory=list)
    link_keys: list[str] = field(default_factory=list)  # the live link's LeiKa keys, sorted
    witness: Witness | None = None  # the source's record of the URL, if it knows it

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
        return self.link_keys

    @property
    def live_leika_keys(self) -> list[str] | None:
        return self.link_keys if "leika_keys" in self.changed_fields else None

    @property
    def spot_check(self) -> SpotCheck | None:
        # select_related caches a missing reverse one-to-one as None; getattr reads that cache.
        return getattr(self.item, "spot_check", None) if self.item is not None else None


@dataclass(frozen=True)
class LinkCheckProgress:
    """How far the link check of a submission got, and whether it needs a restart."""

    total: int
    unchecked: int
    by_result: dict[str, int]  # every LinkCheckResult value, 0 when none has it
    moved_at: datetime.datetime | None
    error: str
    stale: bool  # neither queued nor moved on for TASK_STALE_AFTER

    @property
    def ok(self) -> int:
        return sum(self.by_result[result] for result in linkcheck.REACHED)

    @property
    def broken(self) -> int:
        """Reached nothing usable: not found, timed out or otherwise not reachable."""
        return sum(self.by_result[result] for result in linkcheck.DEFECTIVE)

    @property
    def refused(self) -> int:
        return self.by_result[LinkCheckResult.REFUSED]

    @property
    def outcomes(self) -> list[tuple[str, str, int]]:
        """(value, label, count) of every outcome, in the order of LinkCheckResult."""
        return [(value, label, self.by_result[value]) for value, label in LinkCheckResult.choices]

    @property
    def checked(self) -> int:
        return self.total - self.unchecked

    @property
    def done(self) -> bool:
        return self.unchecked == 0

    @property
    def failed(self) -> bool:
        return not self.done and bool(self.error)

    @property
    def stuck(self) -> bool:
        """Queued or running too long: no worker took it, or its worker died."""
        return not self.done and not self.failed and self.stale

    @property
    def needs_restart(self) -> bool:
        return self.failed or self.stuck


def stale_minutes() -> int:
    return max(1, settings.TASK_STALE_AFTER // 60)


def link_check_progress(submission: Submission) -> LinkCheckProgress:
    """Count the results of a submission's link check in one query."""
    counts = EvidenceItem.objects.filter(submission=submission).aggregate(
        total=Count("pk"),
        unchecked=Count("pk", filter=Q(checked_at__isnull=True)),
        **{
            f"result_{value}": Count("pk", filter=Q(check_result=value))
            for value in LinkCheckResult.values
        },
    )
    by_result = {value: counts.pop(f"result_{value}") for value in LinkCheckResult.values}
    moved_at = submission.link_check_moved_at
    limit = timezone.now() - datetime.timedelta(seconds=settings.TASK_STALE_AFTER)
    return LinkCheckProgress(
        **counts,
        by_result=by_result,
        moved_at=moved_at,
        error=submission.link_check_error,
        stale=moved_at is None or moved_at < limit,
    )


@dataclass
class EvidenceComparison:
    """One page of the comparison, with the counts of the whole of it."""

    submission: Submission
    rows: list[EvidenceRow]
    page: Page
    added: int
    removed: int
    changed: int
    live_count: int  # active links now; a URL is stored once per Kommune: the counting rule
    checks: LinkCheckProgress
    source: SourceComparison
    total: int = 0  # rows of the whole comparison; page.paginator.count those that pass
    filtered: bool = False

    @property
    def differences(self) -> int:
        return self.added + self.removed + self.changed


def split_keys(joined: str) -> list[str]:
    return [key for key in joined.split("|") if key]


@dataclass(frozen=True)
class EvidenceFilter:
    """Which rows of the comparison to show; an empty value shows every row."""

    outcome: str = ""  # a LinkCheckResult value or UNCHECKED
    verdict: str = ""  # a Verdict value, OPEN or DRAWN
    change: str = ""  # ADDED, REMOVED, CHANGED, ANY_CHANGE or NEW_IN_ROUND
    new_in_round: frozenset[str] = frozenset()  # counting keys, for NEW_IN_ROUND
    source: str = ""  # CONFIRMED or MISSING: the frozen evidence the source knows, or not

    def __bool__(self) -> bool:
        return bool(self.outcome or self.verdict or self.change or self.source)

    def matches(self, key: str, change: str, frozen: tuple | None, confirmed: bool | None) -> bool:
        """Whether a row passes: `frozen` is its evidence's values, None for a live-only link.

        `confirmed` is None while the Kommune was never synced: neither confirmed nor missing.
        """
        if self.source and (frozen is None or confirmed != (self.source == CONFIRMED)):
            return False
        if self.change == ANY_CHANGE and not change:
            return False
        if self.change in (ADDED, REMOVED, CHANGED) and change != self.change:
            return False
        if self.change == NEW_IN_ROUND and key not in self.new_in_round:
            return False
        if self.outcome or self.verdict:
            if frozen is None:  # a link added since: neither checked nor drawn
                return False
            _url, _title, _scope, _keys, result, checked_at, drawn, verdict = frozen
            if self.outcome == UNCHECKED and checked_at is not None:
                return False
            if self.outcome not in ("", UNCHECKED) and result != self.outcome:
                return False
            if self.verdict and not drawn:
                return False
            if self.verdict == OPEN and verdict:
                return False
            if self.verdict not in ("", OPEN, DRAWN) and verdict != self.verdict:
                return False
        return True


def compare_evidence(
    submission: Submission,
    page: int | str | None = 1,
    per_page: int | None = None,
    filters: EvidenceFilter | None = None,
) -> EvidenceComparison:
    """Set the submission's frozen evidence beside the Kommune's live list, a page at a time.

    The same nine queries at 50 links and at the cap (2,000): the comparison itself runs on
    plain values (url, title, scope, keys, check result, verdict), differences first; the
    filters apply before the pages, the counts of differences stay those of all rows; only
    the page's rows (REVIEW_EVIDENCE_PAGE_SIZE) are loaded as objects. Two set the source
    beside it (awards.witness): the Kommune's sync, its records and the central ones.
    """
    filters = filters or EvidenceFilter()
    municipality_id = submission.application.municipality_id
    # Matched on the counting key, so evidence frozen in an older spelling of a URL (before
    # the canonical form) still meets its link.
    frozen = {
        count_key(url): (url, title, scope, split_keys(keys), *check)
        for url, title, scope, keys, *check in EvidenceItem.objects.filter(
            submission=submission
        ).values_list(
            "url",
            "title",
            "scope",
            "leika_keys",
            "check_result",
            "checked_at",
            "spot_check__pk",
            "spot_check__verdict",
        )
    }
    live_keys: dict[int, list[str]] = {}
    for link_id, leika_key in ProcedureLink.services.through.objects.filter(
        procedurelink__municipality_id=municipality_id, procedurelink__active=True
    ).values_list("procedurelink_id", "service__leika_key"):
        live_keys.setdefault(link_id, []).append(leika_key)
    live = {
        count_key(url): (pk, url, title, scope, sorted(live_keys.get(pk, [])))
        for pk, url, title, scope in ProcedureLink.objects.active()
        .filter(municipality_id=municipality_id)
        .values_list("pk", "url", "title", "scope")
    }
    outline = []  # (sort key, counting key, change, changed fields)
    for key in frozen.keys() | live.keys():
        item, link = frozen.get(key), live.get(key)
        changed_fields = []
        if item is None:
            change = ADDED
        elif link is None:
            change = REMOVED
        else:
            changed_fields = [
                name
                for name, then, now in (
                    ("title", item[1], link[2]),
                    ("scope", item[2], link[3]),
                    ("leika_keys", item[3], link[4]),
                )
                if then != now
            ]
            change = CHANGED if changed_fields else ""
        title = item[1] if item is not None else link[2]
        # Differences first: with 2,000 links the reviewer should not have to hunt for them.
        outline.append(((change == "", title.casefold(), key), key, change, changed_fields))
    outline.sort()
    source = compare_with_source(
        municipality_id, {key: item[2] for key, item in frozen.items()}, live
    )
    counts = dict.fromkeys((ADDED, REMOVED, CHANGED, ""), 0)
    for _sort, _key, change, _fields in outline:
        counts[change] += 1
    total = len(outline)
    if filters:
        outline = [
            entry
            for entry in outline
            if filters.matches(entry[1], entry[2], frozen.get(entry[1]), source.confirms(entry[1]))
        ]

    paginator = Paginator(outline, per_page or settings.REVIEW_EVIDENCE_PAGE_SIZE)
    shown = paginator.get_page(page)
    keys = [key for _sort, key, _change, _fields in shown]
    items = {
        item.url: item
        for item in EvidenceItem.objects.filter(
            submission=submission, url__in=[frozen[key][0] for key in keys if key in frozen]
        ).select_related("spot_check")
    }
    links = {
        link.pk: link
        for link in ProcedureLink.objects.filter(
            pk__in=[live[key][0] for key in keys if key in live]
        )
    }
    rows = [
        EvidenceRow(
            url=frozen[key][0] if key in frozen else live[key][1],
            item=items.get(frozen[key][0]) if key in frozen else None,
            link=links.get(live[key][0]) if key in live else None,
            changed_fields=changed_fields,
            link_keys=live[key][4] if key in live else [],
            witness=source.witness(key, frozen[key][2] if key in frozen else live[key][3]),
        )
        for _sort, key, _change, changed_fields in shown
    ]
    return EvidenceComparison(
        submission=submission,
        rows=rows,
        page=shown,
        added=counts[ADDED],
        removed=counts[REMOVED],
        changed=counts[CHANGED],
        live_count=len(live),
        checks=link_check_progress(submission),
        source=source,
        total=total,
        filtered=bool(filters),
    )


@dataclass(frozen=True)
class RoundDifference:
    """What the latest submission holds that the previous one did not, and what it dropped."""

    previous: Submission
    added: frozenset[str]  # counting keys
    removed: list[tuple[str, str]]  # (url, title) of the previous round, by title

    @property
    def differences(self) -> int:
        return len(self.added) + len(self.removed)


def compare_rounds(previous: Submission, latest: Submission) -> RoundDifference:
    """Set the evidence of two rounds of an application side by side, in one query."""
    rounds: dict[int, dict[str, tuple[str, str]]] = {previous.pk: {}, latest.pk: {}}
    for submission_id, url, title in EvidenceItem.objects.filter(
        submission__in=[previous, latest]
    ).values_list("submission_id", "url", "title"):
        rounds[submission_id][count_key(url)] = (url, title)
    then, now = rounds[previous.pk], rounds[latest.pk]
    return RoundDifference(
        previous=previous,
        added=frozenset(now.keys() - then.keys()),
        removed=sorted(
            (then[key] for key in then.keys() - now.keys()),
            key=lambda pair: (pair[1].casefold(), pair[0]),
        ),
    )


@dataclass(frozen=True)
class SampleCounts:
    """The sample of a submission: drawn links and their verdicts."""

    drawn: int
    by_verdict: dict[str, int]  # every Verdict value, 0 when none has it

    @property
    def judged(self) -> int:
        return sum(self.by_verdict.values())

    @property
    def open(self) -> int:
        return self.drawn - self.judged

    @property
    def verdicts(self) -> list[tuple[str, str, int]]:
        """(value, label, count) of every verdict, in the order of Verdict."""
        return [(value, label, self.by_verdict[value]) for value, label in Verdict.choices]


def count_sample(checks: Iterable[SpotCheck]) -> SampleCounts:
    """Count drawn links by verdict (of checks already loaded for the page)."""
    by_verdict = dict.fromkeys(Verdict.values, 0)
    drawn = 0
    for check in checks:
        drawn += 1
        if check.verdict:
            by_verdict[check.verdict] += 1
    return SampleCounts(drawn=drawn, by_verdict=by_verdict)


@dataclass(frozen=True)
class ApplicationSummary:
    """The figures at the top of the application page."""

    live: Progress  # the Kommune's count now, by the counting rule
    submission: Submission  # its procedure_count and threshold: the frozen count
    comparison: EvidenceComparison  # differences since the submission, the link check
    sample: SampleCounts
    rounds: RoundDifference | None  # against the previous submission, if there is one

    @property
    def checks(self) -> LinkCheckProgress:
        return self.comparison.checks


def summarise(
    application: Application,
    comparison: EvidenceComparison,
    checks: Iterable[SpotCheck],
    rounds: RoundDifference | None = None,
) -> ApplicationSummary:
    """The summary of the page in one query more (the live count) beside what it loaded."""
    return ApplicationSummary(
        live=application.municipality.progress(),
        submission=comparison.submission,
        comparison=comparison,
        sample=count_sample(checks),
        rounds=rounds,
    )


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


@dataclass(frozen=True)
class VerdictChange:
    """What a reviewer changed on one drawn link; an empty verdict leaves the link open."""

    spot_check_id: int
    verdict: str
    note: str


def record_verdicts(
    *, application: Application, changes: list[VerdictChange], reviewer: AbstractBaseUser
) -> int:
    """Store the reviewer's verdicts and notes on drawn links of the latest submission at once.

    All or nothing: a link of another application (or an earlier round) refuses the lot, as
    does a decided application, which keeps its verdicts. Return how many links were saved.
    """
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        application.ensure_allowed(SPOT_CHECK)
        by_id = {change.spot_check_id: change for change in changes}
        checks = list(
            SpotCheck.objects.filter(pk__in=by_id, item__submission=application.latest_submission())
        )
        if len(checks) != len(by_id):
            raise TransitionError(_("Diese Stichprobe gehört nicht zur letzten Einreichung."))
        now = timezone.now()
        for check in checks:
            change = by_id[check.pk]
            check.note = change.note
            if change.verdict:
                check.verdict = change.verdict
                check.reviewer = reviewer
                check.decided_at = now
        SpotCheck.objects.bulk_update(checks, ["verdict", "note", "reviewer", "decided_at"])
    return len(checks)
