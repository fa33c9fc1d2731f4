"""What a stranger can make the public site do: the limits on feedback mails and on renders."""

import datetime

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.test import override_settings
from django.urls import reverse

from awards import documents
from awards.tasks import render_lock_key
from digitalesamt.public.views import documents as document_views
from tests.factories import AwardFactory
from tests.helpers import assert_csp_clean, main_text

pytestmark = pytest.mark.django_db

FEEDBACK = {"message": "Der Kontrast der Karte ist zu schwach.", "page": "/karte/", "website": ""}


@pytest.fixture
def feedback_inbox(settings):
    settings.ACCESSIBILITY_FEEDBACK_EMAILS = ["barrierefreiheit@stmd.example"]


def send_feedback(client, **extra):
    return client.post(reverse("accessibility"), FEEDBACK, **extra)


# Feedback -----------------------------------------------------------------------------------


def test_five_hundred_feedback_posts_from_one_address_send_five_mails(
    client, feedback_inbox, mailoutbox, frozen_clock
):
    statuses = [send_feedback(client).status_code for _ in range(500)]

    assert statuses.count(302) == 5
    assert statuses.count(429) == 495
    assert len(mailoutbox) == 5


@override_settings(RATE_LIMIT_FEEDBACK_PER_ADDRESS="2/h")
def test_a_refused_feedback_keeps_the_message_and_says_when_to_try_again(
    client, feedback_inbox, mailoutbox, frozen_clock
):
    send_feedback(client)
    send_feedback(client)

    refused = send_feedback(client)

    assert refused.status_code == 429
    assert refused["Retry-After"] == str(58 * 60)  # the hour's window ends at :00
    text = main_text(refused)
    assert "Von Ihrem Internetanschluss kamen schon so viele Rückmeldungen, wie das Formular " in (
        text
    )
    assert "annimmt: höchstens 2 je Stunde." in text
    assert "Bitte versuchen Sie es in 58 Minuten erneut, ab" in text
    assert "Ihre Nachricht steht noch im Formular." in text
    assert "barrierefreiheit@stmd.bayern.de" in text
    assert "Der Kontrast der Karte ist zu schwach.</textarea>" in refused.content.decode()
    assert len(mailoutbox) == 2
    assert_csp_clean(refused)


@override_settings(RATE_LIMIT_FEEDBACK_PER_ADDRESS="100/h", RATE_LIMIT_FEEDBACK="3/h")
def test_feedback_from_everybody_together_is_limited_too(
    client, feedback_inbox, mailoutbox, frozen_clock
):
    statuses = [send_feedback(client, REMOTE_ADDR=f"192.0.2.{n}").status_code for n in range(1, 6)]

    assert statuses == [302, 302, 302, 429, 429]
    assert len(mailoutbox) == 3


@override_settings(RATE_LIMIT_FEEDBACK_PER_ADDRESS="1/h")
def test_the_spam_trap_and_invalid_forms_use_up_no_limit(
    client, feedback_inbox, mailoutbox, frozen_clock
):
    client.post(reverse("accessibility"), {**FEEDBACK, "website": "https://spam.example"})
    client.post(reverse("accessibility"), {**FEEDBACK, "message": ""})

    assert send_feedback(client).status_code == 302
    assert len(mailoutbox) == 1


@override_settings(RATE_LIMIT_FEEDBACK_PER_ADDRESS="1/h")
def test_the_feedback_limit_starts_afresh_an_hour_later(
    client, feedback_inbox, mailoutbox, frozen_clock
):
    send_feedback(client)
    assert send_feedback(client).status_code == 429

    frozen_clock[0] += datetime.timedelta(hours=1)

    assert send_feedback(client).status_code == 302


# Renders of documents not stored yet --------------------------------------------------------


@pytest.fixture
def awards(db):
    return [AwardFactory() for _ in range(4)]


def signet(award, width: int = 320) -> str:
    return reverse("awards:signet_png", args=[award.number]) + f"?breite={width}"


@override_settings(RATE_LIMIT_RENDER_PER_ADDRESS="2/m")
def test_renders_asked_for_by_one_address_are_limited(client, awards, frozen_clock):
    first = [client.get(signet(award)).status_code for award in awards[:2]]

    refused = client.get(signet(awards[2]))

    assert first == [200, 200]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert "zu viele Dokumente angefordert, die erst erstellt werden müssen" in (main_text(refused))
    # Nothing was queued for the refused one, and nobody waits for it: the lock is lifted.
    name = documents.storage_name(documents.award_facts(awards[2]), documents.SIGNET_PNGS[320])
    assert not default_storage.exists(name)
    assert cache.get(render_lock_key(name)) is None
    assert client.get(signet(awards[2]), REMOTE_ADDR="192.0.2.1").status_code == 200


@override_settings(RATE_LIMIT_RENDER_PER_ADDRESS="2/m")
def test_a_stored_document_counts_against_no_render_limit(client, awards, frozen_clock):
    statuses = [client.get(signet(awards[0])).status_code for _ in range(10)]

    assert statuses == [200] * 10


@override_settings(RATE_LIMIT_RENDER_PER_ADDRESS="100/m", RATE_LIMIT_RENDER="3/m")
def test_renders_for_everybody_together_are_limited(client, awards, frozen_clock):
    statuses = [
        client.get(signet(award), REMOTE_ADDR=f"192.0.2.{n}").status_code
        for n, award in enumerate(awards, start=1)
    ]

    assert statuses == [200, 200, 200, 429]


def test_requests_waiting_for_one_render_queue_it_once(client, awards, monkeypatch):
    queued = []

    class Worker:  # a database queue whose worker has not picked the task up yet
        @staticmethod
        def enqueue(**kwargs):
            queued.append(kwargs)

    monkeypatch.setattr(document_views, "render_document", Worker)
    statuses = [client.get(signet(awards[0])).status_code for _ in range(360)]

    assert statuses == [503] * 360
    assert queued == [{"award_id": awards[0].pk, "document": "signet-320.png"}]
