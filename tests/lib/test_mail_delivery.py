"""Every mail of the workflow, sent for real: Django's SMTP backend to aiosmtpd on loopback.

Each test runs the real step (the services, the invitation, the reminder), lets the mail go
through the task queue's immediate backend and SMTP, and reads what arrived as a mail client
does: German subject and body, the right envelope recipients, one text/plain part in UTF-8,
`Auto-Submitted: auto-generated` (RFC 3834). Only the reminder carries a link to unsubscribe,
in the body and as List-Unsubscribe with RFC 8058's one-click POST, and the link works.
"""

import datetime
import email.message
import re
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from awards import reminders, services, tasks
from awards.models import ReminderOptOut, ThresholdReminder
from digitalesamt.accounts.invitations import invite_user
from tests import smtp
from tests.conftest import member_of
from tests.factories import AwardFactory, ProcedureLinkFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_link_check")]

CLERKS = ["buergerbuero@hoesbach.example", "kaemmerei@hoesbach.example"]
MINISTRY = ["antraege@stmd.example", "pruefer@stmd.example"]


@pytest.fixture
def inbox(settings, monkeypatch):
    """Mail through the real SMTP backend to a server on a free loopback port."""
    port = smtp.free_port()
    settings.MAILERS = smtp.smtp_mailers(port)
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.MINISTRY_NOTIFY_EMAILS = ["antraege@stmd.example"]
    # The award's documents are another test's business; here they would only cost time.
    monkeypatch.setattr(
        tasks, "render_award_documents", SimpleNamespace(enqueue=lambda **kwargs: None)
    )
    with smtp.smtp_server(port) as server:
        yield server


@pytest.fixture
def clerks(kommune, clerk):
    member_of(kommune, "buergerbuero", "buergerbuero@hoesbach.example")
    return kommune


@pytest.fixture
def submitted(inbox, clerks, clerk, reviewer, django_capture_on_commit_callbacks):
    ProcedureLinkFactory.create_batch(50, municipality=clerks)
    with django_capture_on_commit_callbacks(execute=True):
        application = services.create_application(municipality=clerks, by=clerk)
        services.submit_application(application=application, by=clerk)
    return application


@pytest.fixture
def in_review(submitted, reviewer, inbox):
    services.start_review(application=submitted, reviewer=reviewer)
    inbox.clear()  # the ministry's mail of the submission
    submitted.refresh_from_db()
    return submitted


def only(inbox: smtp.Inbox) -> tuple[list[str], email.message.EmailMessage]:
    (arrived,) = inbox.parsed()
    return arrived


def assert_automatic_plain_text(message: email.message.EmailMessage) -> None:
    """Sent by a program (no auto-replies), one text/plain part in UTF-8."""
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert not message.is_multipart()
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message["From"] == "digitales-amt@stmd.bayern.de"


def assert_workflow_mail(message: email.message.EmailMessage, to: list[str]) -> None:
    """A mail of the workflow: to everyone at once, never with a link to unsubscribe."""
    assert_automatic_plain_text(message)
    assert sorted(address.strip() for address in message["To"].split(",")) == to
    assert "List-Unsubscribe" not in message
    assert "abbestellen" not in message.get_content()


def test_a_submission_reaches_the_ministry(submitted, inbox):
    recipients, message = only(inbox)

    assert sorted(recipients) == MINISTRY
    assert message["Subject"] == "Neuer Antrag auf das Prädikat „Digitales Amt“: Markt Hösbach"
    assert "hat den Antrag auf das Prädikat „Digitales Amt“ eingereicht" in message.get_content()
    assert_workflow_mail(message, MINISTRY)


def test_a_request_for_changes_reaches_the_clerks(
    in_review, reviewer, inbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.request_changes(
            application=in_review, reviewer=reviewer, message="Bitte den Link zur Hundesteuer."
        )

    recipients, message = only(inbox)
    assert sorted(recipients) == CLERKS
    assert message["Subject"] == (
        "Ihr Antrag „Digitales Amt“: bitte nachbessern und erneut einreichen"
    )
    assert "Bitte den Link zur Hundesteuer." in message.get_content()
    assert_workflow_mail(message, CLERKS)


def test_an_approval_reaches_the_clerks(
    in_review, reviewer, inbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        award = services.approve_application(
            application=in_review, reviewer=reviewer, justification="Telefonisch geprüft."
        )

    recipients, message = only(inbox)
    assert sorted(recipients) == CLERKS
    assert message["Subject"] == f"Ihre Kommune ist „Digitales Amt“ ({award.number})"
    assert "Guten Tag" in message.get_content()
    assert_workflow_mail(message, CLERKS)


def test_a_rejection_reaches_the_clerks(
    in_review, reviewer, inbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.reject_application(
            application=in_review, reviewer=reviewer, reason="Die Links führen ins Leere."
        )

    recipients, message = only(inbox)
    assert sorted(recipients) == CLERKS
    assert message["Subject"] == "Ihr Antrag „Digitales Amt“ wurde abgelehnt"
    assert "Die Links führen ins Leere." in message.get_content()
    assert_workflow_mail(message, CLERKS)


def test_a_revocation_reaches_the_clerks(
    clerks, administrator, inbox, django_capture_on_commit_callbacks
):
    award = AwardFactory(municipality=clerks)

    with django_capture_on_commit_callbacks(execute=True):
        services.revoke_award(award=award, by=administrator, reason="Kein Online-Verfahren mehr.")

    recipients, message = only(inbox)
    assert sorted(recipients) == CLERKS
    assert message["Subject"] == f"Widerruf der Auszeichnung {award.number}"
    assert "widerrufen" in message.get_content()
    assert "Kein Online-Verfahren mehr." in message.get_content()
    assert_workflow_mail(message, CLERKS)


def test_an_invitation_reaches_the_invited(kommune, inbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite_user(email="rathaus@hoesbach.example", municipality=kommune)

    recipients, message = only(inbox)
    assert recipients == ["rathaus@hoesbach.example"]
    assert message["Subject"] == "Einladung zum Digitalen Amt"
    assert "Passwort" in message.get_content()
    assert_workflow_mail(message, ["rathaus@hoesbach.example"])


def remind(kommune, administrator, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        reminders.send_reminder(municipality=kommune, by=administrator)


def test_a_reminder_reaches_each_clerk_with_a_link_to_unsubscribe_that_works(
    clerks, administrator, inbox, django_capture_on_commit_callbacks
):
    ProcedureLinkFactory.create_batch(43, municipality=clerks)

    remind(clerks, administrator, django_capture_on_commit_callbacks)

    arrived = sorted(inbox.parsed(), key=lambda pair: pair[0])
    # As sent, on one line: a URL cut into RFC 2047 encoded words is no link to a mail client.
    for raw in inbox.raw:
        assert re.search(
            rb"^List-Unsubscribe: <https://digitales-amt\.test/erinnerungen/abbestellen/"
            rb"[A-Za-z0-9_:-]+/>\r?$",
            raw,
            re.MULTILINE,
        ), raw
    assert [recipients for recipients, _ in arrived] == [[address] for address in CLERKS]
    links = {}
    for (address,), message in arrived:
        assert_automatic_plain_text(message)
        assert message["To"] == address  # a mail of their own
        assert message["Subject"] == (
            "Digitales Amt: Ihrer Kommune fehlen nur noch 7 Online-Verfahren"
        )
        body = message.get_content()
        assert "es fehlen nur noch 7" in body
        header = message["List-Unsubscribe"]
        assert re.fullmatch(r"<https://digitales-amt\.test/erinnerungen/abbestellen/\S+/>", header)
        link = header[1:-1]
        assert link in body.split()
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        links[address] = link
    assert links[CLERKS[0]] != links[CLERKS[1]]

    # The clerk at kaemmerei@ opens the link, then the mail client posts the one click.
    path = urlsplit(links["kaemmerei@hoesbach.example"]).path
    page = Client().get(path)
    assert page.status_code == 200
    assert "kaemmerei@hoesbach.example" in page.content.decode()
    assert not ReminderOptOut.objects.exists()  # looking changes nothing
    one_click = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert one_click.status_code == 200
    assert list(ReminderOptOut.objects.values_list("address", flat=True)) == [
        "kaemmerei@hoesbach.example"
    ]

    # The next reminder, 90 days on, goes to the other clerk only.
    ThresholdReminder.objects.update(sent_at=timezone.now() - datetime.timedelta(days=91))
    inbox.clear()
    remind(clerks, administrator, django_capture_on_commit_callbacks)

    recipients, message = only(inbox)
    assert recipients == ["buergerbuero@hoesbach.example"]
    assert ThresholdReminder.objects.latest("sent_at").recipients == [
        "buergerbuero@hoesbach.example"
    ]
