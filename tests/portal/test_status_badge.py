"""An application's status badge: KERN's status colour by the kind of state, the label kept."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from awards.constants import STATUS_TONES, Status
from awards.models import Application

pytestmark = pytest.mark.django_db

EXPECTED = [
    (Status.DRAFT, "info", "Entwurf"),
    (Status.SUBMITTED, "info", "eingereicht"),
    (Status.IN_REVIEW, "info", "in Prüfung"),
    (Status.CHANGES_REQUESTED, "warning", "Nachbesserung erbeten"),
    (Status.APPROVED, "success", "bewilligt"),
    (Status.REJECTED, "danger", "abgelehnt"),
    (Status.WITHDRAWN, "warning", "zurückgezogen"),
]


def badges(content: str) -> list[tuple[str, str, str]]:
    return re.findall(
        r'<strong class="kern-badge kern-badge--(\w+)"><span class="kern-icon kern-icon--(\w+)"'
        r' aria-hidden="true"></span><span class="kern-label">([^<]+)</span></strong>',
        content,
    )


def test_every_status_has_a_tone_of_kern():
    assert set(STATUS_TONES) == set(Status)
    assert set(STATUS_TONES.values()) == {"info", "warning", "success", "danger"}


@pytest.mark.parametrize(("status", "tone", "label"), EXPECTED)
@pytest.mark.parametrize("page", ["portal:dashboard", "portal:application"])
def test_the_badge_has_the_colour_of_the_status_and_its_label(
    clerk_client, kommune, clerk, status, tone, label, page
):
    Application.objects.create(
        municipality=kommune, status=status, created_by=clerk, submitted_at=timezone.now()
    )

    content = clerk_client.get(reverse(page)).content.decode()

    assert badges(content) == [(tone, tone, label)]
