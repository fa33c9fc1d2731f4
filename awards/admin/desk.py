"""The reviewer's desk: the admin's start page shows the work before the list of apps.

The queue (oldest first, with its age and who has it), the signed-in reviewer's own
applications, link checks that hang or failed, holders below their threshold, the month's
figures and whether a round number is coming (awards.press.next_milestone): eight queries
however many applications and Kommunen there are. Counting happens in
the database; only the median runs in Python, over the month's decided applications.
"""

import datetime
import statistics
from dataclasses import dataclass, field

from django.db.models import Count, F, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from ..constants import AWAITING_REVIEW, OPEN_STATUSES, Status
from ..models import Application, Award, Submission
from ..press import next_milestone
from ..review import stalled_link_checks, with_link_check_counts, with_live_progress
from .applications import QueueStatusFilter
from .common import has_model_permission
from .queue import AssignedFilter, days_waiting, link_check_parts, person_name

# Rows a block of the desk lists; its link leads to the whole list.
SHOWN = 10
DECIDED = (Status.APPROVED, Status.REJECTED)


@dataclass(frozen=True)
class DeskRow:
    application: Application
    days: int | None
    assigned: str
    url: str

    @property
    def link_check(self) -> list[str]:
        return link_check_parts(self.application)


@dataclass(frozen=True)
class Block:
    rows: list = field(default_factory=list)
    total: int = 0
    url: str = ""

    @property
    def more(self) -> bool:
        return self.total > len(self.rows)


@dataclass(frozen=True)
class Month:
    start: datetime.date
    received: int
    approved: int
    rejected: int
    median_days: float | None

    @property
    def decided(self) -> int:
        return self.approved + self.rejected


def queue_url(**query: str) -> str:
    url = reverse("admin:awards_application_changelist")
    return f"{url}?{'&'.join(f'{key}={value}' for key, value in query.items())}"


def month_start(now: datetime.datetime) -> datetime.datetime:
    local = timezone.localtime(now)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def rows(applications: list[Application], now: datetime.datetime) -> list[DeskRow]:
    return [
        DeskRow(
            application=application,
            days=days_waiting(application, now),
            assigned=person_name(application.reviewer),
            url=reverse("admin:awards_application_change", args=[application.pk]),
        )
        for application in applications
    ]


def month_figures(now: datetime.datetime) -> Month:
    """Received (first submissions) and decided this month, and the median days to decision.

    The days run from the (latest) submission to the decision, as the queue counts them.
    """
    start = month_start(now)
    received = Submission.objects.filter(number=1, submitted_at__gte=start).count()
    decided = list(
        Application.objects.filter(status__in=DECIDED, decided_at__gte=start)
        .order_by()
        .values_list("status", "submitted_at", "decided_at")
    )
    days = [
        (decided_at - submitted_at).total_seconds() / 86400
        for _status, submitted_at, decided_at in decided
        if submitted_at is not None
    ]
    return Month(
        start=start.date(),
        received=received,
        approved=sum(1 for status, *_rest in decided if status == Status.APPROVED),
        rejected=sum(1 for status, *_rest in decided if status == Status.REJECTED),
        median_days=round(statistics.median(days), 1) if days else None,
    )


def holders_at_risk() -> Block:
    """Valid awards whose holder counts fewer active links than its threshold, now.

    Two queries: the largest threshold, then the holders at risk (each holder's links read
    only that deep, see Award.objects.holders_at_risk) with their live counts, which are
    below a threshold and so cheap to count exactly.
    """
    at_risk = list(
        with_live_progress(Award.objects.holders_at_risk().select_related("municipality")).order_by(
            "number"
        )
    )
    url = reverse("admin:awards_award_changelist")
    return Block(rows=at_risk[:SHOWN], total=len(at_risk), url=f"{url}?at_risk=1")


def may_see_desk(request: HttpRequest) -> bool:
    return has_model_permission(request, Application, "view")


def desk(request: HttpRequest) -> dict:
    """Everything the start page shows a reviewer, in a fixed number of queries."""
    now = timezone.now()
    user = request.user
    base = Application.objects.select_related("municipality", "reviewer")
    mine = Q(status__in=OPEN_STATUSES, reviewer=user)
    counts = Application.objects.aggregate(
        waiting=Count("pk", filter=Q(status__in=AWAITING_REVIEW)),
        mine=Count("pk", filter=mine),
    )
    oldest_first = (F("submitted_at").asc(nulls_last=True), "created_at", "pk")
    queue = list(base.awaiting_review().order_by(*oldest_first)[:SHOWN])
    own = list(base.filter(mine).order_by(*oldest_first)[:SHOWN])
    stalled = list(
        stalled_link_checks(with_link_check_counts(base.awaiting_review())).order_by(*oldest_first)
    )
    return {
        "queue": Block(
            rows=rows(queue, now),
            total=counts["waiting"],
            url=queue_url(**{QueueStatusFilter.parameter_name: QueueStatusFilter.AWAITING}),
        ),
        "mine": Block(
            rows=rows(own, now),
            total=counts["mine"],
            url=queue_url(
                **{
                    QueueStatusFilter.parameter_name: QueueStatusFilter.OPEN,
                    AssignedFilter.parameter_name: AssignedFilter.MINE,
                }
            ),
        ),
        "stalled": Block(rows=rows(stalled[:SHOWN], now), total=len(stalled)),
        "at_risk": holders_at_risk(),
        "month": month_figures(now),
        # Every award ever issued, revoked ones too: the next approval's ordinal counts them.
        "milestone": next_milestone(Award.objects.count()),
    }
