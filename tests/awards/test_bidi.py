"""Text that people typed shows bidi-isolated on the review pages.

A title or comment in a right-to-left script (or one that starts with a U+202E override)
must not reorder the German text around it.
"""

import pytest
from django.urls import reverse
from pytest_django.asserts import assertInHTML

from awards import services
from awards.models import EvidenceItem
from municipalities.constants import Kind
from municipalities.models import Threshold
from tests.factories import ProcedureLinkFactory

pytestmark = pytest.mark.usefixtures("no_link_check")

HEBREW = "בקשה לרישיון"
OVERRIDE = "\u202eGewerbe anmelden"


@pytest.fixture
def application(kommune, clerk, reviewer):
    Threshold.objects.update_or_create(kind=Kind.MARKT, defaults={"minimum": 2})
    ProcedureLinkFactory(municipality=kommune, title=HEBREW, url="https://amt.example/רישיון")
    ProcedureLinkFactory(municipality=kommune, title=OVERRIDE)
    application = services.create_application(municipality=kommune, by=clerk)
    services.submit_application(application=application, by=clerk, comment=f"{HEBREW} – Kommentar")
    services.start_review(application=application, reviewer=reviewer)
    services.request_changes(application=application, reviewer=reviewer, message=HEBREW)
    EvidenceItem.objects.filter(title=HEBREW).update(
        check_result="broken", check_detail=f"HTTP 404 ({HEBREW})"
    )
    return application


def test_titles_urls_and_comments_are_isolated(reviewer_client, application):
    url = reverse("admin:awards_application_change", args=[application.pk])

    html = reviewer_client.get(url).content.decode()

    assertInHTML(f"<bdi>{HEBREW}</bdi>", html, count=1)
    assertInHTML(f"<bdi>{OVERRIDE}</bdi>", html, count=1)
    item = EvidenceItem.objects.get(title=HEBREW)
    assertInHTML(
        f'<bdi><a href="{item.url}" target="_blank" rel="noopener noreferrer">{item.url}</a></bdi>',
        html,
    )
    assertInHTML(f'<bdi class="review-detail">HTTP 404 ({HEBREW})</bdi>', html)
    assertInHTML(f'<div dir="auto">{HEBREW}</div>', html)  # the request for changes
    assertInHTML(f'<div dir="auto">{HEBREW} – Kommentar</div>', html)  # the Kommune's comment
    assertInHTML("<bdi>kaemmerei</bdi>", html, count=3)  # twice in the history, submitted by


def test_the_sample_isolates_title_link_and_note(reviewer_client, application, reviewer):
    services.submit_application(application=application, by=application.created_by)
    services.start_review(application=application, reviewer=reviewer)
    url = reverse("admin:awards_application_change", args=[application.pk])
    reviewer_client.post(
        reverse("admin:awards_application_draw_sample", args=[application.pk]), {"count": 2}
    )

    html = reviewer_client.get(url).content.decode()

    sample = html.split('id="stichprobe"', 1)[1].split("</section>", 1)[0]
    assertInHTML(f"<strong><bdi>{HEBREW}</bdi></strong>", sample)
    assertInHTML(f"<strong><bdi>{OVERRIDE}</bdi></strong>", sample)
