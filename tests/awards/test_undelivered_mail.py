"""The ministry's list of mails given up on, and sending them again."""

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertInHTML

from awards.models import UndeliveredMail
from digitalesamt.lib import mail
from tests.helpers import assert_csp_clean

CHANGELIST = reverse("admin:awards_undeliveredmail_changelist")


@pytest.fixture
def undelivered(db):
    """A mail as the mail task leaves it when it gives up (through mail_undelivered)."""
    mail.mail_undelivered.send(
        sender=None,
        subject="Widerruf der Auszeichnung DA-2021-0001",
        body="Guten Tag,\n",
        recipients=["kaemmerei@hoesbach.example", "rathaus@hoesbach.example"],
        error="ConnectionRefusedError: [Errno 111] Connection refused",
        attempts=6,
        first_attempt_at=timezone.now(),
    )
    return UndeliveredMail.objects.get()


def test_a_mail_given_up_on_is_kept_for_the_ministry(undelivered):
    assert undelivered.recipients == ["kaemmerei@hoesbach.example", "rathaus@hoesbach.example"]
    assert undelivered.attempts == 6
    assert undelivered.last_error.startswith("ConnectionRefusedError")
    assert undelivered.failed_at is not None


def test_the_list_shows_recipients_subject_error_attempts_and_when(reviewer_client, undelivered):
    response = reviewer_client.get(CHANGELIST)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Widerruf der Auszeichnung DA-2021-0001" in html
    assertInHTML(
        '<td class="field-recipient_list">'
        "kaemmerei@hoesbach.example, rathaus@hoesbach.example</td>",
        html,
    )
    assert "ConnectionRefusedError: [Errno 111] Connection refused" in html
    assertInHTML('<td class="field-attempts">6</td>', html)
    assert 'class="field-failed_at' in html


def send_again(client, mails):
    return client.post(
        CHANGELIST,
        {"action": "send_again", "_selected_action": [str(m.pk) for m in mails]},
        follow=True,
    )


def test_sending_again_queues_the_mail_and_clears_it_from_the_list(
    administrator_client, undelivered, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = send_again(administrator_client, [undelivered])

    assert "1 E-Mail wird erneut gesendet." in response.content.decode()
    assert not UndeliveredMail.objects.exists()
    assert [(sent.subject, sent.to) for sent in mailoutbox] == [
        (undelivered.subject, undelivered.recipients)
    ]
    assert mailoutbox[0].body == "Guten Tag,\n"


def test_sending_again_needs_the_change_permission(reviewer_client, undelivered, mailoutbox):
    page = reviewer_client.get(CHANGELIST).content.decode()
    response = send_again(reviewer_client, [undelivered])

    assert "erneut senden" not in page
    assert response.status_code == 200
    assert UndeliveredMail.objects.filter(pk=undelivered.pk).exists()
    assert mailoutbox == []


def test_undelivered_mails_are_neither_added_nor_edited(admin_client, undelivered):
    add = admin_client.get(reverse("admin:awards_undeliveredmail_add"))
    change = admin_client.post(
        reverse("admin:awards_undeliveredmail_change", args=[undelivered.pk]),
        {"subject": "anders"},
    )

    assert add.status_code == 403
    assert change.status_code == 403
    undelivered.refresh_from_db()
    assert undelivered.subject == "Widerruf der Auszeichnung DA-2021-0001"


def test_the_list_and_the_mail_render_clean_for_a_superuser(admin_client, undelivered):
    change = admin_client.get(reverse("admin:awards_undeliveredmail_change", args=[undelivered.pk]))
    changelist = admin_client.get(CHANGELIST)

    assert (change.status_code, changelist.status_code) == (200, 200)
    assert "ConnectionRefusedError" in change.content.decode()
    assert_csp_clean(change)
    assert_csp_clean(changelist)


def test_a_reminder_sent_again_keeps_its_link_to_unsubscribe(
    administrator_client, mailoutbox, django_capture_on_commit_callbacks
):
    headers = {
        "List-Unsubscribe": "<https://digitales-amt.test/erinnerungen/abbestellen/t/>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    mail.mail_undelivered.send(
        sender=None,
        subject="Digitales Amt: Ihrer Kommune fehlen nur noch 7 Online-Verfahren",
        body="Guten Tag,\n",
        recipients=["kaemmerei@hoesbach.example"],
        headers=headers,
        error="ConnectionRefusedError: [Errno 111] Connection refused",
        attempts=6,
        first_attempt_at=timezone.now(),
    )
    undelivered = UndeliveredMail.objects.get()
    assert undelivered.headers == headers

    with django_capture_on_commit_callbacks(execute=True):
        send_again(administrator_client, [undelivered])

    (sent,) = mailoutbox
    assert sent.extra_headers["List-Unsubscribe"] == headers["List-Unsubscribe"]
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"
