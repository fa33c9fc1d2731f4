"""The Kommune's count over time on the portal's dashboard."""

import datetime

from django.urls import reverse

from municipalities.models import CountSnapshot
from tests.helpers import main_text


def test_the_dashboard_draws_the_kommunes_own_history_only(clerk_client, kommune, other_kommune):
    CountSnapshot.objects.create(
        municipality=kommune, day=datetime.date(2026, 1, 1), own_count=8, confirmed_count=5
    )
    CountSnapshot.objects.create(
        municipality=kommune, day=datetime.date(2026, 12, 1), own_count=31, confirmed_count=22
    )
    CountSnapshot.objects.create(
        municipality=other_kommune, day=datetime.date(2026, 12, 1), own_count=999
    )

    content = main_text(clerk_client.get(reverse("portal:dashboard")))

    assert "Online-Verfahren im Zeitverlauf" in content
    assert (
        "Von 8 im Januar 2026 auf 31 im Dezember 2026. "
        "Davon zuletzt in den Bundesdaten bestätigt: 22." in content
    )
    assert 'id="portal-count-history-title"' in content
    assert "999" not in content
    assert "in den Bundesdaten bestätigt" in content  # the legend names the dashed line


def test_the_dashboard_says_when_there_is_no_history_yet(clerk_client, kommune):
    content = main_text(clerk_client.get(reverse("portal:dashboard")))

    assert "Für diese Kommune ist noch kein Zählstand gespeichert." in content
