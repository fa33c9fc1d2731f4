"""How long the ministry takes to decide: the figure the clerk sees after submitting."""

import datetime
import statistics
from dataclasses import dataclass

from django.utils import timezone

from .constants import Status
from .models import Application

# The decisions a figure is drawn from: approvals and rejections of the last WINDOW_DAYS days.
WINDOW_DAYS = 90
# Below this many decisions a median says more about one case than about the review.
MIN_DECISIONS = 3
DECISIONS = (Status.APPROVED, Status.REJECTED)


@dataclass(frozen=True)
class ReviewTime:
    """The median days from the (last) submission to the decision, None if too few decided."""

    decisions: int
    median_days: int | None


def review_time(*, now: datetime.datetime | None = None) -> ReviewTime:
    """Return the median review time of the last WINDOW_DAYS days' decisions (one query).

    A withdrawal is the Kommune's step, not a decision, and does not count.
    """
    now = now or timezone.now()
    pairs = Application.objects.filter(
        status__in=DECISIONS,
        decided_at__gte=now - datetime.timedelta(days=WINDOW_DAYS),
        decided_at__lte=now,
        submitted_at__isnull=False,
    ).values_list("submitted_at", "decided_at")
    seconds = [(decided - submitted).total_seconds() for submitted, decided in pairs]
    if len(seconds) < MIN_DECISIONS:
        return ReviewTime(len(seconds), None)
    days = statistics.median(seconds) / 86_400
    return ReviewTime(len(seconds), max(round(days), 1))
